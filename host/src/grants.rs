//! Grants: what a DSN allows a driver to reach. A driver gets nothing else:
//! no environment, no arguments, no stdin, no sockets, no filesystem.

use crate::dsn::Dsn;
use crate::error::{Error, ErrorKind, Result};
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// The one host directory preopened as the guest's `/` (file:///root).
    pub preopen: Option<PathBuf>,
    /// Where the `http` import may send requests (s3, gs, azblob DSNs).
    pub http: Option<crate::http::HttpGrant>,
    /// The one SSH session the `sftp` import may use (sftp DSNs).
    pub sftp: Option<crate::sftp::SftpGrant>,
}

impl Grants {
    /// The grants a DSN gives. Only `file:` DSNs get a directory: their path,
    /// created when missing, and nothing above it.
    pub fn for_dsn(dsn: &Dsn) -> Result<Grants> {
        let mut grants = Grants::default();
        if dsn.scheme() == "file" {
            if !dsn.host().is_empty() && dsn.host() != "localhost" {
                return Err(Error::new(
                    ErrorKind::InvalidDsn,
                    format!(
                        "file DSN names a host ({}); use file:///absolute/path",
                        dsn.host()
                    ),
                ));
            }
            let path = dsn.path();
            if path.is_empty() || !path.starts_with('/') {
                return Err(Error::new(
                    ErrorKind::InvalidDsn,
                    "file DSN needs an absolute path: file:///absolute/path",
                ));
            }
            let root = PathBuf::from(path);
            if root.exists() && !root.is_dir() {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("file root {} is not a directory", root.display()),
                ));
            }
            std::fs::create_dir_all(&root)
                .map_err(|e| Error::io(&format!("creating file root {}", root.display()), e))?;
            grants.preopen = Some(root.canonicalize().map_err(|e| Error::io("file root", e))?);
        }
        if matches!(dsn.scheme(), "s3" | "gs" | "azblob") {
            grants.http = Some(http_grant(dsn)?);
        }
        if dsn.scheme() == "sftp" {
            grants.sftp = Some(crate::sftp::SftpGrant::for_dsn(dsn)?);
        }
        Ok(grants)
    }
}

/// The http grant of a cloud DSN: the scheme, host and port of its `endpoint`
/// parameter, or the provider's public endpoint when it names none. Resolved
/// local/private/metadata addresses are allowed only when the endpoint itself
/// names such an address (or `localhost`).
fn http_grant(dsn: &Dsn) -> Result<crate::http::HttpGrant> {
    use crate::http::{HttpGrant, Origin};
    let bad = |m: String| Error::new(ErrorKind::InvalidDsn, m);
    // A GCS service-account key names the one token endpoint the driver
    // exchanges its signed JWT at.
    let token = match dsn.scheme() {
        "gs" => service_account_token_origin(dsn.password())?,
        _ => None,
    };
    if let Some(ep) = dsn.param("endpoint") {
        let o = Origin::parse(ep).map_err(|e| bad(format!("endpoint: {e}")))?;
        let local =
            o.names_local_address() || token.as_ref().is_some_and(|t| t.names_local_address());
        return Ok(HttpGrant::new(
            vec![o].into_iter().chain(token).collect(),
            local,
        ));
    }
    let https = |host: String| Origin {
        scheme: "https".into(),
        host,
        port: 443,
    };
    let origins = match dsn.scheme() {
        "s3" => {
            let region = dsn
                .param("region")
                .unwrap_or("us-east-1")
                .to_ascii_lowercase();
            if region.is_empty()
                || !region
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(bad(format!("region {region:?} is not a region name")));
            }
            vec![
                https(format!("s3.{region}.amazonaws.com")),
                https(format!("*.s3.{region}.amazonaws.com")),
            ]
        }
        "gs" => vec![https("storage.googleapis.com".into())],
        _ => vec![https("*.blob.core.windows.net".into())],
    };
    let local = token.as_ref().is_some_and(|t| t.names_local_address());
    Ok(HttpGrant::new(
        origins.into_iter().chain(token).collect(),
        local,
    ))
}

/// The origin of a service-account key's `token_uri`, when the password is
/// such a key (JSON with `"type": "service_account"`).
fn service_account_token_origin(password: Option<&str>) -> Result<Option<crate::http::Origin>> {
    let Some(text) = password.filter(|p| p.trim_start().starts_with('{')) else {
        return Ok(None);
    };
    let bad = |m: &str| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("service-account key: {m}"),
        )
    };
    let json: serde_json::Value = serde_json::from_str(text).map_err(|_| bad("not valid JSON"))?;
    if json.get("type").and_then(|t| t.as_str()) != Some("service_account") {
        return Err(bad("\"type\" is not \"service_account\""));
    }
    let uri = json
        .get("token_uri")
        .and_then(|t| t.as_str())
        .unwrap_or("https://oauth2.googleapis.com/token");
    crate::http::Origin::parse(uri)
        .map(Some)
        .map_err(|e| bad(&format!("token_uri: {e}")))
}

impl fmt::Display for Grants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.preopen {
            Some(p) => writeln!(
                f,
                "filesystem: {} (read-write, preopened as /; nothing outside it)",
                p.display()
            )?,
            None => writeln!(f, "filesystem: none")?,
        }
        writeln!(f, "network: none (no sockets, no DNS)")?;
        match &self.http {
            Some(h) => writeln!(f, "http: {h}")?,
            None => writeln!(f, "http: none")?,
        }
        match &self.sftp {
            Some(s) => writeln!(f, "sftp: {s}")?,
            None => writeln!(f, "sftp: none")?,
        }
        write!(f, "environment, arguments, stdin: none")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http_origins(dsn: &str) -> Vec<String> {
        let d = Dsn::parse(dsn).unwrap();
        let g = Grants::for_dsn(&d).unwrap().http.unwrap();
        g.origins.iter().map(|o| o.to_string()).collect()
    }

    #[test]
    fn a_service_account_key_grants_its_token_endpoint_only() {
        let key = r#"{"type":"service_account","client_email":"a@b","private_key":"x","token_uri":"https://oauth2.googleapis.com/token"}"#;
        let enc = percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC);
        let o = http_origins(&format!("gs://:{enc}@bucket"));
        assert_eq!(o.len(), 2, "{o:?}");
        assert!(o.iter().any(|o| o.contains("storage.googleapis.com")));
        assert!(o.iter().any(|o| o.contains("oauth2.googleapis.com")));
        // Without a key: storage only; an s3 DSN never gets a token origin.
        assert_eq!(http_origins("gs://bucket").len(), 1);
        assert_eq!(
            http_origins(&format!("s3://:{enc}@bucket?region=us-east-1")).len(),
            2
        );
    }

    #[test]
    fn a_password_that_is_broken_json_is_refused() {
        let d = Dsn::parse("gs://:%7Bnot-json@bucket").unwrap();
        let e = Grants::for_dsn(&d).unwrap_err();
        assert!(e.message().contains("service-account key"), "{e}");
    }
}
