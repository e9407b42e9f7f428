//! Grant policy: what one opened driver may reach, as plain data.
//!
//! Three inputs decide it, and nothing else (no scheme name is special):
//! - what the driver **declares** ([`Declaration`], read from its component);
//! - what the user **allows** for the DSN's scheme ([`Allowed`]: built-in
//!   components come allowed for what they declare; any other `.wasm` gets
//!   only the kinds `--allow SCHEME:KIND` or its config entry names);
//! - the **DSN**, which the declared templates are resolved over.
//!
//! A declared kind that is not allowed refuses the open with one line naming
//! the flag to add; an allowed kind that is not declared gives nothing. What
//! is granted stays narrow: the origins the templates resolve to (scheme,
//! host, port), one directory, one SSH session. A driver gets nothing else:
//! no environment, no arguments, no stdin, no sockets.

use crate::declare::{Declaration, GrantKind};
use crate::dsn::Dsn;
use crate::error::{Error, ErrorKind, Result};
use crate::http_policy::{HttpGrant, Origin};
use crate::sftp_session::SftpGrant;
use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;

/// What a driver was granted for one DSN.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// The one host directory preopened as the guest's `/`.
    pub preopen: Option<PathBuf>,
    /// Where the `http` import may send requests.
    pub http: Option<HttpGrant>,
    /// The one SSH session the `sftp` import may use.
    pub sftp: Option<SftpGrant>,
}

/// What the user allows the driver serving a scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowed {
    /// Whatever the driver declares (the built-in components).
    AsDeclared,
    /// Only these kinds (any other `.wasm`).
    Only(BTreeSet<GrantKind>),
}

impl Allowed {
    /// Whether `kind` is allowed.
    pub fn allows(&self, kind: GrantKind) -> bool {
        match self {
            Allowed::AsDeclared => true,
            Allowed::Only(kinds) => kinds.contains(&kind),
        }
    }
}

impl fmt::Display for Allowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Allowed::AsDeclared => f.write_str("as declared (built-in)"),
            Allowed::Only(k) if k.is_empty() => f.write_str("nothing"),
            Allowed::Only(k) => {
                let names: Vec<&str> = k.iter().map(|k| k.name()).collect();
                f.write_str(&names.join(","))
            }
        }
    }
}

/// One kind, as `inspect --dsn` shows it: declared, allowed, granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantLine {
    pub kind: GrantKind,
    /// What the driver declares (`None`: nothing).
    pub declared: Option<String>,
    /// Whether the user allows the kind for this scheme.
    pub allowed: bool,
    /// What this DSN resolves it to, or why it does not resolve (`Ok(None)`:
    /// nothing is granted).
    pub granted: std::result::Result<Option<String>, String>,
}

impl fmt::Display for GrantLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind;
        match (&self.declared, self.allowed, &self.granted) {
            (None, _, _) => write!(f, "{kind}: none (not declared)"),
            (Some(d), false, _) => write!(f, "{kind}: none (declared: {d}; not allowed)"),
            (Some(d), true, Ok(Some(g))) => write!(f, "{kind}: {g} (declared: {d}; allowed)"),
            (Some(d), true, Ok(None)) => write!(f, "{kind}: none (declared: {d}; allowed)"),
            (Some(d), true, Err(e)) => {
                write!(f, "{kind}: none (declared: {d}; allowed; this DSN: {e})")
            }
        }
    }
}

/// The grants of a driver that declares `decl`, allowed `allowed`, for
/// `dsn`. `driver` names it in messages; a `dir` grant's folder is created
/// when missing.
pub(crate) fn resolve(
    decl: &Declaration,
    allowed: &Allowed,
    dsn: &Dsn,
    driver: &str,
) -> Result<Grants> {
    for kind in decl.kinds() {
        if !allowed.allows(kind) {
            let scheme = dsn.scheme();
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                format!(
                    "driver {driver} declares {kind} ({}) for {scheme}: DSNs, and it is not \
                     allowed; add --allow {scheme}:{kind} (or allow = [\"{kind}\"] under \
                     [drivers.{scheme}] in the config)",
                    decl.describe(kind).unwrap_or_default()
                ),
            ));
        }
    }
    let mut grants = Grants::default();
    if let Some(t) = &decl.dir {
        grants.preopen = dir(t, dsn, true)?;
    }
    if !decl.http.is_empty() {
        grants.http = Some(http(&decl.http, dsn)?);
    }
    if decl.sftp {
        grants.sftp = Some(SftpGrant::for_dsn(dsn)?);
    }
    Ok(grants)
}

/// Each kind as `inspect` shows it, without creating anything.
pub(crate) fn report(decl: &Declaration, allowed: &Allowed, dsn: &Dsn) -> Vec<GrantLine> {
    GrantKind::ALL
        .into_iter()
        .map(|kind| {
            let declared = decl.describe(kind);
            let allowed = allowed.allows(kind);
            let granted = if declared.is_none() || !allowed {
                Ok(None)
            } else {
                let r = match kind {
                    GrantKind::Http => http(&decl.http, dsn).map(|g| g.to_string()),
                    GrantKind::Dir => {
                        dir(decl.dir.as_deref().unwrap_or_default(), dsn, false).map(|p| match p {
                            Some(p) => format!("{} (read-write, preopened as /)", p.display()),
                            None => "none (the DSN gives no value for it)".into(),
                        })
                    }
                    GrantKind::Sftp => SftpGrant::for_dsn(dsn).map(|g| g.to_string()),
                };
                r.map(Some).map_err(|e| e.message().to_string())
            };
            GrantLine {
                kind,
                declared,
                allowed,
                granted,
            }
        })
        .collect()
}

fn invalid(m: String) -> Error {
    Error::new(ErrorKind::InvalidDsn, m)
}

/// The first alternative whose required templates all resolve.
fn http(alternatives: &[Vec<String>], dsn: &Dsn) -> Result<HttpGrant> {
    'alt: for alt in alternatives {
        let mut origins = Vec::new();
        let mut private_hosts = Vec::new();
        for t in alt {
            let (optional, body) = match t.strip_prefix('?') {
                Some(b) => (true, b),
                None => (false, t.as_str()),
            };
            let expanded = crate::template::expand(body, dsn)
                .map_err(|e| invalid(format!("http grant {body}: {e}")))?;
            let Some(e) = expanded else {
                if optional {
                    continue;
                }
                continue 'alt;
            };
            let origin = origin(&e.text).map_err(|m| invalid(format!("http grant {body}: {m}")))?;
            if origin.names_local_address() && named_by_dsn(&origin.host, &e.from_dsn) {
                private_hosts.push(origin.host.clone());
            }
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        return Ok(HttpGrant::new(origins, private_hosts));
    }
    Err(invalid(format!(
        "the driver's http grant needs one of: {}; this DSN gives none of them \
         (e.g. add ?endpoint=URL)",
        alternatives
            .iter()
            .map(|a| a.join(" + "))
            .collect::<Vec<_>>()
            .join(", or ")
    )))
}

/// The origin of a resolved template: an http(s) URL without userinfo; a
/// leading `*.` (only ever from the template's own text, since values may
/// not hold `*`) allows one label in front of a domain of two labels or more.
fn origin(text: &str) -> std::result::Result<Origin, String> {
    let (wild, url) = match text.split_once("://*.") {
        Some((scheme, rest)) => (true, format!("{scheme}://wildcard.{rest}")),
        None => (false, text.to_string()),
    };
    let u = reqwest::Url::parse(&url).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err("an origin with userinfo (user@host) is refused".into());
    }
    let mut o = Origin::of(&u)?;
    if wild {
        let parent = o
            .host
            .strip_prefix("wildcard.")
            .unwrap_or(&o.host)
            .to_string();
        if parent.split('.').filter(|l| !l.is_empty()).count() < 2
            || parent.parse::<std::net::IpAddr>().is_ok()
        {
            return Err(format!(
                "the wildcard *.{parent} must cover a domain of two labels or more"
            ));
        }
        o.host = format!("*.{parent}");
    }
    Ok(o)
}

/// Whether `host` (a granted origin's) is a host one of the DSN's own values
/// names: an endpoint URL's host, or the value itself as a host.
fn named_by_dsn(host: &str, values: &[String]) -> bool {
    values.iter().any(|v| {
        let as_url = reqwest::Url::parse(v)
            .ok()
            .and_then(|u| Origin::of(&u).ok());
        let as_host = Origin::parse(&format!("http://{v}")).ok();
        as_url.or(as_host).is_some_and(|o| o.host == host)
    })
}

/// The one directory: the template's absolute path, created when missing
/// (`create`), canonicalized. `None`: an optional (`?`) template the DSN
/// gives no value for. A DSN that names a host (other than `localhost`)
/// gets no local folder: `file://relative/path` is a missing slash, not
/// `/path`.
fn dir(t: &str, dsn: &Dsn, create: bool) -> Result<Option<PathBuf>> {
    if !dsn.host().is_empty() && dsn.host() != "localhost" {
        return Err(invalid(format!(
            "the DSN names a host ({}), and a dir grant is a local folder; use {}:///absolute/path",
            crate::text::printable(dsn.host()),
            dsn.scheme()
        )));
    }
    let (optional, t) = match t.strip_prefix('?') {
        Some(b) => (true, b),
        None => (false, t),
    };
    let path = match crate::template::expand(t, dsn)
        .map_err(|e| invalid(format!("dir grant {t}: {e}")))?
    {
        Some(e) => e.text,
        None if optional => return Ok(None),
        None => String::new(),
    };
    if !path.starts_with('/') {
        return Err(invalid(format!(
            "the driver's dir grant is {t}, which this DSN makes {:?}; it needs an absolute \
             path (e.g. {}:///absolute/path)",
            crate::text::printable(&path),
            dsn.scheme()
        )));
    }
    let root = PathBuf::from(&path);
    if root.exists() && !root.is_dir() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("{} is not a directory", root.display()),
        ));
    }
    if !create {
        return Ok(Some(root.canonicalize().unwrap_or(root)));
    }
    std::fs::create_dir_all(&root)
        .map_err(|e| Error::io(&format!("creating {}", root.display()), e))?;
    root.canonicalize()
        .map(Some)
        .map_err(|e| Error::io(&format!("directory {}", root.display()), e))
}

impl fmt::Display for Grants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.preopen {
            Some(p) => writeln!(
                f,
                "dir: {} (read-write, preopened as /; nothing outside it)",
                p.display()
            )?,
            None => writeln!(f, "dir: none")?,
        }
        match &self.http {
            Some(h) => writeln!(f, "http: {h}")?,
            None => writeln!(f, "http: none")?,
        }
        match &self.sftp {
            Some(s) => writeln!(f, "sftp: {s}")?,
            None => writeln!(f, "sftp: none")?,
        }
        write!(
            f,
            "network: none (no sockets, no DNS)\nenvironment, arguments, stdin: none"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(json: &str) -> Declaration {
        Declaration::parse(json).unwrap()
    }

    fn grants(json: &str, dsn: &str) -> Result<Grants> {
        resolve(
            &decl(json),
            &Allowed::AsDeclared,
            &Dsn::parse(dsn).unwrap(),
            "test",
        )
    }

    fn origins(json: &str, dsn: &str) -> Vec<String> {
        let g = grants(json, dsn).unwrap().http.unwrap();
        g.origins.iter().map(|o| o.to_string()).collect()
    }

    const S3: &str = r#"{"http":[["{endpoint}"],
        ["https://s3.{param.region|us-east-1}.amazonaws.com",
         "https://*.s3.{param.region|us-east-1}.amazonaws.com"]]}"#;
    const GS: &str = r#"{"http":[["{endpoint}","?{password.json.token_uri}"],
        ["https://storage.googleapis.com","https://oauth2.googleapis.com",
         "?{password.json.token_uri}"]]}"#;

    #[test]
    fn the_first_alternative_that_resolves_wins() {
        assert_eq!(
            origins(S3, "s3://b?endpoint=http://127.0.0.1:9000"),
            ["http://127.0.0.1:9000"]
        );
        assert_eq!(
            origins(S3, "s3://b?region=eu-west-1"),
            [
                "https://s3.eu-west-1.amazonaws.com:443",
                "https://*.s3.eu-west-1.amazonaws.com:443"
            ]
        );
        assert_eq!(origins(S3, "s3://b").len(), 2);
        let e = grants(r#"{"http":[["{endpoint}"]]}"#, "dav://").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidDsn);
        assert!(e.message().contains("{endpoint}"), "{e}");
    }

    #[test]
    fn a_service_account_key_adds_its_token_endpoint_only() {
        let key = r#"{"type":"service_account","client_email":"a@b","private_key":"x","token_uri":"https://oauth2.example.com/token"}"#;
        let enc = percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC);
        let o = origins(GS, &format!("gs://:{enc}@bucket"));
        assert_eq!(o.len(), 3, "{o:?}");
        assert!(o.iter().any(|o| o.contains("oauth2.example.com")));
        assert_eq!(origins(GS, "gs://bucket").len(), 2);
        let o = origins(GS, "gs://bucket?endpoint=http://127.0.0.1:4443");
        assert_eq!(o, ["http://127.0.0.1:4443"]);
    }

    #[test]
    fn declared_but_not_allowed_names_the_flag() {
        let d = decl(r#"{"http":[["{endpoint}"]]}"#);
        let dsn = Dsn::parse("dav://?endpoint=http://127.0.0.1:8080").unwrap();
        let e = resolve(&d, &Allowed::Only(BTreeSet::new()), &dsn, "dav.wasm").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(e.message().contains("--allow dav:http"), "{e}");
        assert!(!e.message().contains('\n'));
        // Allowed but not declared: nothing.
        let all = Allowed::Only(GrantKind::ALL.into_iter().collect());
        let g = resolve(&Declaration::default(), &all, &dsn, "x").unwrap();
        assert_eq!(g, Grants::default());
        // Asking for more than allowed: refused, whatever else is allowed.
        let d = decl(r#"{"http":[["{endpoint}"]],"dir":"{path}"}"#);
        let only_http = Allowed::Only([GrantKind::Http].into_iter().collect());
        let e = resolve(&d, &only_http, &dsn, "x").unwrap_err();
        assert!(e.message().contains("--allow dav:dir"), "{e}");
    }

    #[test]
    fn local_addresses_only_when_the_dsn_names_them() {
        // The endpoint names 127.0.0.1: allowed for it.
        let g = grants(S3, "s3://b?endpoint=http://127.0.0.1:9000")
            .unwrap()
            .http
            .unwrap();
        assert_eq!(g.private_hosts, ["127.0.0.1"]);
        // A declaration naming a metadata or loopback address itself: the
        // origin is granted, but the private-address rule still refuses it.
        for literal in [
            "http://169.254.169.254",
            "http://127.0.0.1:9000",
            "http://localhost:1",
        ] {
            let json = format!(r#"{{"http":[["{literal}"]]}}"#);
            let g = grants(&json, "x://").unwrap().http.unwrap();
            assert!(g.private_hosts.is_empty(), "{literal}");
            let u = reqwest::Url::parse(&format!("{literal}/latest")).unwrap();
            if !literal.contains("localhost") {
                assert!(g.check(&u).is_err(), "{literal}");
            }
        }
        // Another spelling of the same address is the same host.
        let g = grants(S3, "s3://b?endpoint=http://2130706433:9000")
            .unwrap()
            .http
            .unwrap();
        assert_eq!(g.private_hosts, ["127.0.0.1"]);
    }

    #[test]
    fn a_crafted_dsn_cannot_steer_a_template() {
        for dsn in [
            // userinfo: reads as 127.0.0.1, goes to the metadata address
            "s3://b?endpoint=http://127.0.0.1:9000@169.254.169.254/",
            // a region that would end the host name
            "s3://b?region=evil.com%2F",
            "s3://b?region=x%40evil.com",
            "s3://b?region=evil.com%23",
            // a wildcard smuggled in through a value
            "s3://b?endpoint=http://*.evil.com",
        ] {
            let e = grants(S3, dsn).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidDsn, "{dsn}: {e}");
        }
        // Too wide a wildcard in a declaration.
        let e = grants(r#"{"http":[["https://*.com"]]}"#, "x://").unwrap_err();
        assert!(e.message().contains("two labels"), "{e}");
    }

    #[test]
    fn a_dir_is_an_absolute_path() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("store");
        let g = grants(
            r#"{"dir":"{path}"}"#,
            &format!("myscheme://{}", root.display()),
        )
        .unwrap();
        assert_eq!(g.preopen.unwrap(), root.canonicalize().unwrap());
        let e = grants(r#"{"dir":"{path}"}"#, "myscheme://").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidDsn);
        // A host is a missing slash, never a folder.
        let e = grants(r#"{"dir":"{path}"}"#, "myscheme://relative/path").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidDsn);
        assert!(e.message().contains(":///absolute/path"), "{e}");
        // Optional: nothing when the DSN has no path.
        let g = grants(r#"{"dir":"?{path}"}"#, "myscheme://").unwrap();
        assert_eq!(g.preopen, None);
    }
}
