//! Grant templates: text with `{source}` or `{source|default}` placeholders
//! filled from the parsed DSN.
//!
//! Sources:
//! - `scheme`, `user`, `host`, `port`, `path`: the DSN's parts;
//! - `endpoint`: short for `param.endpoint`;
//! - `param.NAME`: the first value of query parameter `NAME`;
//! - `password.json.FIELD`: a string field of the password read as a JSON
//!   object (a GCS service-account key's `token_uri`);
//! - `password.kv.KEY`: a field of the password read as `Key=Value;…` (an
//!   Azure connection string's `BlobEndpoint`; keys ignore case).
//!
//! The password itself is never a source. A source that is missing or empty
//! takes the default after `|`, if any; otherwise the template does not
//! resolve. The rules that keep a DSN from steering a template elsewhere:
//! - a template that is exactly one placeholder takes the value whole (an
//!   endpoint URL, a path), but no control characters and no `*`;
//! - a value placed inside other text must be host-name characters only
//!   (`A-Z a-z 0-9 . -`), so it cannot add a `/`, `@`, `:` or `#`;
//! - an origin that resolves with userinfo (`http://a@b`) is refused.

use crate::dsn::Dsn;

/// Where a template's text came from, for the private-address rule: the
/// values taken from the DSN (a resolved host that is a local address is
/// allowed only when one of these names it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Expanded {
    pub text: String,
    /// The DSN values placed into the text (defaults are not from the DSN).
    pub from_dsn: Vec<String>,
}

enum Piece<'a> {
    Text(&'a str),
    Slot {
        source: &'a str,
        default: Option<&'a str>,
    },
}

fn pieces(t: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        if let Some(close) = rest[..open].find('}') {
            return Err(format!("unmatched '}}' at {:?}", &rest[close..]));
        }
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("unclosed '{{' in {t:?}"))?;
        let inner = &after[..close];
        if inner.contains('{') {
            return Err(format!("nested '{{' in {t:?}"));
        }
        let (source, default) = match inner.split_once('|') {
            Some((s, d)) => (s.trim(), Some(d)),
            None => (inner.trim(), None),
        };
        known_source(source)?;
        out.push(Piece::Slot { source, default });
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(format!("unmatched '}}' in {t:?}"));
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

fn known_source(s: &str) -> Result<(), String> {
    let ok = matches!(s, "scheme" | "user" | "host" | "port" | "path" | "endpoint")
        || ["param.", "password.json.", "password.kv."]
            .iter()
            .any(|p| s.strip_prefix(p).is_some_and(|n| !n.is_empty()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "unknown source {{{s}}} (known: scheme, user, host, port, path, endpoint, \
             param.NAME, password.json.FIELD, password.kv.KEY)"
        ))
    }
}

/// Check a template's syntax.
pub(crate) fn check(t: &str) -> Result<(), String> {
    pieces(t).map(|_| ())
}

/// Check an origin or dir template (`?` marks it optional).
pub(crate) fn check_origin(t: &str) -> Result<(), String> {
    let body = t.strip_prefix('?').unwrap_or(t);
    if body.trim().is_empty() {
        return Err("empty template".into());
    }
    check(body)
}

/// The value of `source` in `dsn`; `None` when it is missing or empty.
fn lookup(dsn: &Dsn, source: &str) -> Option<String> {
    let v = match source {
        "scheme" => Some(dsn.scheme().to_string()),
        "user" => dsn.user().map(str::to_string),
        "host" => Some(dsn.host().to_string()),
        "port" => dsn.port().map(|p| p.to_string()),
        "path" => Some(dsn.path().to_string()),
        "endpoint" => dsn.param("endpoint").map(str::to_string),
        s => {
            if let Some(name) = s.strip_prefix("param.") {
                dsn.param(name).map(str::to_string)
            } else if let Some(field) = s.strip_prefix("password.json.") {
                let json: serde_json::Value = serde_json::from_str(dsn.password()?).ok()?;
                json.get(field)?.as_str().map(str::to_string)
            } else if let Some(key) = s.strip_prefix("password.kv.") {
                dsn.password()?
                    .split(';')
                    .filter_map(|f| f.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
                    .map(|(_, v)| v.trim().to_string())
            } else {
                None
            }
        }
    };
    v.filter(|v| !v.is_empty())
}

fn host_chars(v: &str) -> bool {
    !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// Fill `t` from `dsn`. `Ok(None)`: a source without a default is missing.
/// `Err`: a value the rules above refuse (the message names the source,
/// never a password-derived value).
pub(crate) fn expand(t: &str, dsn: &Dsn) -> Result<Option<Expanded>, String> {
    let pieces = pieces(t)?;
    let whole = pieces.len() == 1 && matches!(pieces[0], Piece::Slot { .. });
    let mut out = Expanded::default();
    for p in pieces {
        match p {
            Piece::Text(s) => out.text.push_str(s),
            Piece::Slot { source, default } => {
                let value = match (lookup(dsn, source), default) {
                    (Some(v), _) => {
                        out.from_dsn.push(v.clone());
                        v
                    }
                    (None, Some(d)) => d.to_string(),
                    (None, None) => return Ok(None),
                };
                let secret = source.starts_with("password.");
                let shown = if secret { "(hidden)" } else { value.as_str() };
                if whole {
                    if value.chars().any(|c| c.is_control() || c == '*') {
                        return Err(format!(
                            "the value of {{{source}}} has a control character or '*'"
                        ));
                    }
                } else if !host_chars(&value) {
                    return Err(format!(
                        "the value of {{{source}}} ({}) may hold only letters, digits, '.' and '-' \
                         here",
                        crate::text::printable(shown)
                    ));
                }
                out.text.push_str(&value);
            }
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dsn(s: &str) -> Dsn {
        Dsn::parse(s).unwrap()
    }

    fn text(t: &str, d: &str) -> Option<String> {
        expand(t, &dsn(d)).unwrap().map(|e| e.text)
    }

    #[test]
    fn sources_and_defaults() {
        let d = "s3://ak:sk@bucket:9000/some/path?region=eu-west-1&endpoint=http://127.0.0.1:9000";
        assert_eq!(text("{endpoint}", d).unwrap(), "http://127.0.0.1:9000");
        assert_eq!(
            text("https://s3.{param.region|us-east-1}.example.com", d).unwrap(),
            "https://s3.eu-west-1.example.com"
        );
        assert_eq!(
            text("https://s3.{param.region|us-east-1}.example.com", "s3://b").unwrap(),
            "https://s3.us-east-1.example.com"
        );
        assert_eq!(text("{path}", d).unwrap(), "/some/path");
        assert_eq!(text("{host}:{port}", d).unwrap(), "bucket:9000");
        assert_eq!(text("{endpoint}", "s3://b"), None);
        assert_eq!(text("{param.nope}", d), None);
    }

    #[test]
    fn password_fields_are_sources_but_the_password_is_not() {
        let key = r#"{"type":"service_account","token_uri":"http://127.0.0.1:4443/token"}"#;
        let enc = percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC);
        let d = format!("gs://:{enc}@bucket");
        assert_eq!(
            text("{password.json.token_uri}", &d).unwrap(),
            "http://127.0.0.1:4443/token"
        );
        assert_eq!(text("{password.json.token_uri}", "gs://:plain@b"), None);
        let conn = "AccountName=acct;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/acct";
        let enc = percent_encoding::utf8_percent_encode(conn, percent_encoding::NON_ALPHANUMERIC);
        let d = format!("azblob://:{enc}@c");
        assert_eq!(
            text("{password.kv.blobendpoint}", &d).unwrap(),
            "http://127.0.0.1:10000/acct"
        );
        assert_eq!(
            text("https://{password.kv.AccountName}.blob.example.net", &d).unwrap(),
            "https://acct.blob.example.net"
        );
        assert!(check("{password}").is_err());
    }

    #[test]
    fn a_dsn_value_cannot_steer_an_embedded_template() {
        for bad in [
            "evil.com/",
            "evil.com#",
            "x@evil.com",
            "evil.com:80",
            "a b",
            "*",
        ] {
            let enc =
                percent_encoding::utf8_percent_encode(bad, percent_encoding::NON_ALPHANUMERIC);
            let d = dsn(&format!("s3://b?region={enc}"));
            let e = expand("https://s3.{param.region}.example.com", &d).unwrap_err();
            assert!(e.contains("{param.region}"), "{bad}: {e}");
        }
        let d = dsn("s3://b?endpoint=http://*.example.com");
        assert!(expand("{endpoint}", &d).is_err());
    }

    #[test]
    fn syntax_errors() {
        for t in ["{", "}", "{a", "a}", "{x}", "{param.}", "{{endpoint}}"] {
            assert!(check(t).is_err(), "{t}");
        }
        assert!(check_origin("?").is_err());
        assert!(check_origin("?{endpoint}").is_ok());
    }
}
