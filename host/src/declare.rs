//! A driver's declaration of the grants it asks for: a custom section named
//! `trove:grants` in its component, holding JSON such as
//!
//! ```json
//! {"http": [["{endpoint}"], ["https://api.{param.region|eu-1}.example.com"]],
//!  "dir": "{path}",
//!  "sftp": true}
//! ```
//!
//! - `http`: a list of alternatives, each a list of origin templates (see
//!   [`crate::template`]); the first alternative whose templates all resolve
//!   for the DSN is the grant. A list of strings is one alternative. A
//!   template starting with `?` is optional: it is left out when one of its
//!   sources is missing.
//! - `dir`: a template for the one directory preopened as the guest's `/`
//!   (with a leading `?`: none when the DSN gives no value for it).
//! - `sftp`: `true` for one SSH session to the DSN's host, port and user.
//!
//! Why a custom section and not an exported function: it is read from the
//! bytes before the component is compiled or instantiated, so a driver never
//! runs (not even without grants) before the user sees what it asks for; any
//! toolchain can carry it (Rust writes it with `#[link_section]`, and
//! `trove-host grants set` adds it to a component built by componentize-py or
//! componentize-js); and it costs nothing at run time. The section may sit at
//! the component's top level or in one of its core modules, but only once.

use crate::error::{Error, Result};
use serde_json::Value;
use std::fmt;

/// The custom section's name.
pub const SECTION: &str = "trove:grants";
/// The largest declaration read.
const MAX_SECTION: usize = 64 << 10;
/// The most alternatives and templates one kind may list.
const MAX_TEMPLATES: usize = 64;

/// A kind of access the host can grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GrantKind {
    /// HTTP through the `http` import, to the origins the templates resolve to.
    Http,
    /// One host directory, preopened as the guest's `/`.
    Dir,
    /// One SSH session (the `sftp` import) to the DSN's host, port and user.
    Sftp,
}

impl GrantKind {
    /// Every kind, in display order.
    pub const ALL: [GrantKind; 3] = [GrantKind::Http, GrantKind::Dir, GrantKind::Sftp];

    /// The name used in flags, config files and declarations.
    pub fn name(self) -> &'static str {
        match self {
            GrantKind::Http => "http",
            GrantKind::Dir => "dir",
            GrantKind::Sftp => "sftp",
        }
    }

    /// The kind named `name` (`http`, `dir`, `sftp`).
    pub fn parse(name: &str) -> Option<GrantKind> {
        GrantKind::ALL
            .into_iter()
            .find(|k| k.name() == name.trim().to_ascii_lowercase())
    }
}

impl fmt::Display for GrantKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a driver declares it needs; nothing declared is nothing granted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declaration {
    /// HTTP origin templates: alternatives, the first that resolves wins.
    pub http: Vec<Vec<String>>,
    /// The directory template.
    pub dir: Option<String>,
    /// One SSH session to the DSN's host.
    pub sftp: bool,
}

impl Declaration {
    /// The declaration carried by a component's bytes (empty when it has
    /// none). A malformed one is `invalid-driver`, in one line.
    pub fn read(component: &[u8]) -> Result<Declaration> {
        match section(component).map_err(Error::invalid_driver)? {
            None => Ok(Declaration::default()),
            Some(text) => Declaration::parse(&text)
                .map_err(|e| Error::invalid_driver(format!("the driver's {SECTION} section: {e}"))),
        }
    }

    /// Parse the JSON form.
    pub fn parse(text: &str) -> std::result::Result<Declaration, String> {
        let v: Value =
            serde_json::from_str(text.trim()).map_err(|e| format!("not valid JSON: {e}"))?;
        let Value::Object(map) = v else {
            return Err("not a JSON object".into());
        };
        let mut d = Declaration::default();
        for (key, value) in map {
            match GrantKind::parse(&key) {
                Some(GrantKind::Http) => d.http = http_alternatives(&value)?,
                Some(GrantKind::Dir) => {
                    let t = value
                        .as_str()
                        .ok_or("\"dir\" must be a template string such as \"{path}\"")?;
                    crate::template::check_origin(t).map_err(|e| format!("dir {t:?}: {e}"))?;
                    d.dir = Some(t.to_string());
                }
                Some(GrantKind::Sftp) => {
                    d.sftp = value.as_bool().ok_or("\"sftp\" must be true or false")?;
                }
                None => {
                    return Err(format!(
                        "unknown grant kind {key:?} (known: http, dir, sftp)"
                    ))
                }
            }
        }
        Ok(d)
    }

    /// The JSON form (what `trove-host grants set` writes).
    pub fn to_json(&self) -> String {
        let mut m = serde_json::Map::new();
        if !self.http.is_empty() {
            m.insert("http".into(), serde_json::json!(self.http));
        }
        if let Some(d) = &self.dir {
            m.insert("dir".into(), Value::String(d.clone()));
        }
        if self.sftp {
            m.insert("sftp".into(), Value::Bool(true));
        }
        Value::Object(m).to_string()
    }

    /// Whether `kind` is declared.
    pub fn declares(&self, kind: GrantKind) -> bool {
        match kind {
            GrantKind::Http => !self.http.is_empty(),
            GrantKind::Dir => self.dir.is_some(),
            GrantKind::Sftp => self.sftp,
        }
    }

    /// The declared kinds.
    pub fn kinds(&self) -> Vec<GrantKind> {
        GrantKind::ALL
            .into_iter()
            .filter(|k| self.declares(*k))
            .collect()
    }

    /// What is declared for `kind`, as one line (`None`: nothing).
    pub fn describe(&self, kind: GrantKind) -> Option<String> {
        match kind {
            GrantKind::Http if !self.http.is_empty() => Some(
                self.http
                    .iter()
                    .map(|alt| alt.join(" + "))
                    .collect::<Vec<_>>()
                    .join(", else "),
            ),
            GrantKind::Dir => self.dir.clone(),
            GrantKind::Sftp if self.sftp => {
                Some("one SSH session to the DSN's user@host:port".into())
            }
            _ => None,
        }
    }
}

fn http_alternatives(v: &Value) -> std::result::Result<Vec<Vec<String>>, String> {
    let shape = "\"http\" must be a list of alternatives, each a list of origin templates \
                 ([[\"{endpoint}\"]]), or one list of templates";
    let Value::Array(items) = v else {
        return Err(shape.into());
    };
    let alts: Vec<Vec<String>> = if items.iter().all(Value::is_string) {
        vec![items
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()]
    } else {
        items
            .iter()
            .map(|alt| match alt {
                Value::Array(ts) => ts
                    .iter()
                    .map(|t| t.as_str().map(str::to_string).ok_or(shape.to_string()))
                    .collect(),
                _ => Err(shape.to_string()),
            })
            .collect::<std::result::Result<_, _>>()?
    };
    if alts.len() > MAX_TEMPLATES || alts.iter().map(Vec::len).sum::<usize>() > MAX_TEMPLATES {
        return Err(format!("more than {MAX_TEMPLATES} http templates"));
    }
    for alt in &alts {
        if alt.iter().all(|t| t.starts_with('?')) {
            return Err("an http alternative needs at least one template not marked '?'".into());
        }
        for t in alt {
            crate::template::check_origin(t).map_err(|e| format!("http {t:?}: {e}"))?;
        }
    }
    Ok(alts.into_iter().filter(|a| !a.is_empty()).collect())
}

/// The text of the one `trove:grants` section anywhere in `bytes` (the
/// component or any core module in it).
fn section(bytes: &[u8]) -> std::result::Result<Option<String>, String> {
    let mut found: Option<String> = None;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let payload = match payload {
            Ok(p) => p,
            // Not for us to judge: compiling says why the bytes are bad.
            Err(_) => break,
        };
        if let wasmparser::Payload::CustomSection(c) = payload {
            if c.name() != SECTION {
                continue;
            }
            if found.is_some() {
                return Err(format!(
                    "the component has more than one {SECTION} section; keep one"
                ));
            }
            if c.data().len() > MAX_SECTION {
                return Err(format!(
                    "its {SECTION} section is {} bytes, more than {MAX_SECTION}",
                    c.data().len()
                ));
            }
            let text = std::str::from_utf8(c.data())
                .map_err(|_| format!("its {SECTION} section is not UTF-8"))?;
            found = Some(text.to_string());
        }
    }
    Ok(found)
}

/// `component` with its top-level `trove:grants` section replaced by `decl`
/// (what `trove-host grants set` writes). Refused when a core module inside
/// already carries one (rebuild the driver instead).
pub fn write(component: &[u8], decl: &Declaration) -> Result<Vec<u8>> {
    let bad = |m: String| Error::invalid_driver(m);
    if component.len() < 8 || &component[..4] != b"\0asm" {
        return Err(bad("not a WebAssembly file".into()));
    }
    let mut out = component[..8].to_vec();
    let mut pos = 8;
    let mut top_level = 0;
    while pos < component.len() {
        let start = pos;
        let id = component[pos];
        pos += 1;
        let (size, n) = leb128(&component[pos..]).ok_or_else(|| bad("truncated section".into()))?;
        pos += n;
        let end = pos
            .checked_add(size as usize)
            .filter(|e| *e <= component.len())
            .ok_or_else(|| bad("truncated section".into()))?;
        let ours = id == 0
            && leb128(&component[pos..end]).is_some_and(|(len, m)| {
                component.get(pos + m..pos + m + len as usize) == Some(SECTION.as_bytes())
            });
        if ours {
            top_level += 1;
        } else {
            out.extend_from_slice(&component[start..end]);
        }
        pos = end;
    }
    let before = section(component).map_err(bad)?;
    if before.is_some() && top_level == 0 {
        return Err(bad(format!(
            "a module inside this component already has a {SECTION} section; \
             change it in the driver's source and rebuild"
        )));
    }
    let mut body = Vec::new();
    push_leb128(&mut body, SECTION.len() as u64);
    body.extend_from_slice(SECTION.as_bytes());
    body.extend_from_slice(decl.to_json().as_bytes());
    out.push(0);
    push_leb128(&mut out, body.len() as u64);
    out.extend_from_slice(&body);
    Ok(out)
}

fn leb128(b: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

fn push_leb128(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_http_shapes_parse() {
        let d = Declaration::parse(r#"{"http":["{endpoint}"]}"#).unwrap();
        assert_eq!(d.http, vec![vec!["{endpoint}".to_string()]]);
        let d = Declaration::parse(
            r#"{"http":[["{endpoint}"],["https://a.example.com","?{password.json.token_uri}"]],"dir":"{path}","sftp":true}"#,
        )
        .unwrap();
        assert_eq!(d.http.len(), 2);
        assert_eq!(
            d.kinds(),
            vec![GrantKind::Http, GrantKind::Dir, GrantKind::Sftp]
        );
        assert_eq!(Declaration::parse(&d.to_json()).unwrap(), d);
    }

    #[test]
    fn malformed_declarations_say_why() {
        for (text, why) in [
            ("not json", "not valid JSON"),
            ("[1]", "not a JSON object"),
            (r#"{"net":true}"#, "unknown grant kind"),
            (r#"{"http":"{endpoint}"}"#, "list of alternatives"),
            (r#"{"http":[["{nope}"]]}"#, "unknown source"),
            (r#"{"http":[["?{endpoint}"]]}"#, "at least one template"),
            (r#"{"dir":3}"#, "template string"),
            (r#"{"sftp":"yes"}"#, "true or false"),
            (r#"{"http":[["{endpoint"]]}"#, "unclosed"),
        ] {
            let e = Declaration::parse(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn a_section_is_written_replaced_and_read_back() {
        // The smallest component: the header only.
        let empty = wat::parse_str("(component)").unwrap();
        assert_eq!(Declaration::read(&empty).unwrap(), Declaration::default());
        let d = Declaration::parse(r#"{"http":[["{endpoint}"]]}"#).unwrap();
        let once = write(&empty, &d).unwrap();
        assert_eq!(Declaration::read(&once).unwrap(), d);
        let d2 = Declaration::parse(r#"{"dir":"{path}"}"#).unwrap();
        let twice = write(&once, &d2).unwrap();
        assert_eq!(Declaration::read(&twice).unwrap(), d2);
        assert_eq!(
            twice.len(),
            once.len() - d.to_json().len() + d2.to_json().len()
        );
    }

    #[test]
    fn two_sections_or_broken_json_are_invalid_driver() {
        let d = Declaration::parse(r#"{"dir":"{path}"}"#).unwrap();
        let mut two = write(&wat::parse_str("(component)").unwrap(), &d).unwrap();
        let copy = two[8..].to_vec();
        two.extend_from_slice(&copy);
        let e = Declaration::read(&two).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidDriver);
        assert!(e.message().contains("more than one"), "{e}");
        let mut broken = wat::parse_str("(component)").unwrap();
        broken.extend_from_slice(&[0, 14, 12]);
        broken.extend_from_slice(b"trove:grants{");
        let e = Declaration::read(&broken).unwrap_err();
        assert!(e.message().contains("not valid JSON"), "{e}");
    }
}
