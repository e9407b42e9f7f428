//! The opened DSN: `azblob://[ACCOUNT[:SECRET]@]CONTAINER?account=A&endpoint=URL`.
//!
//! The secret (the DSN's password, or what the host was told to read with
//! `--credentials-env` / `--credentials-file`) is one of:
//! - an account key (base64): requests are signed with SharedKey;
//! - a SAS token (`sv=...&sig=...`, with or without a leading `?`): appended
//!   to every URL;
//!
//! - a connection string (`AccountName=...;AccountKey=...;BlobEndpoint=...`):
//!   its `BlobEndpoint` (or `DefaultEndpointsProtocol`, `AccountName` and
//!   `EndpointSuffix`) is the endpoint and its `AccountName` the account when
//!   the DSN names none, and its `AccountKey` or `SharedAccessSignature` the
//!   secret. The driver's declared grants name the same fields
//!   (`{password.kv.BlobEndpoint}`, …), so the host grants that endpoint.
//!
//! Addressing: path-style (`endpoint/ACCOUNT/container/blob`) when the
//! endpoint's host is an IP address or `localhost`, or when the endpoint
//! carries a path (Azurite's `http://127.0.0.1:10000/devstoreaccount1`);
//! otherwise the account is in the host name
//! (`https://ACCOUNT.blob.core.windows.net/container/blob`), which is also the
//! default without an endpoint.

use crate::sharedkey::uri_encode;
use crate::Error;
use trove_driver_cloud::param;

/// How requests are authorized.
pub enum Auth {
    /// SharedKey signing with the decoded account key.
    Key(Vec<u8>),
    /// A SAS token (query string without the leading `?`), appended to every URL.
    Sas(String),
    /// Anonymous (public containers only).
    None,
}

pub struct Config {
    /// The DSN's container (may be absent): `ping` checks it.
    pub container: Option<String>,
    pub account: String,
    /// `http` or `https`.
    pub scheme: String,
    /// Host and port as the `Host` header carries them (port only when not default).
    pub authority: String,
    /// The path every resource path starts with: `/ACCOUNT` (path-style) or
    /// `` (the account is in the host name). Never ends with `/`.
    pub base: String,
    pub auth: Auth,
}

/// True when `secret` looks like a SAS token rather than an account key.
fn is_sas(secret: &str) -> bool {
    let s = secret.trim_start_matches('?');
    s.split('&').any(|p| p.starts_with("sig=")) && s.contains("sv=")
}

fn sas(secret: &str) -> Auth {
    Auth::Sas(secret.trim().trim_start_matches('?').to_string())
}

fn key(secret: &str) -> Result<Auth, Error> {
    crate::sharedkey::base64_decode(secret.trim())
        .filter(|k| !k.is_empty())
        .map(Auth::Key)
        .ok_or_else(|| {
            Error::InvalidArgument(
                "the secret is neither an account key (base64), a SAS token (sv=...&sig=...) \
                 nor a connection string"
                    .into(),
            )
        })
}

/// True for an IPv4/IPv6 literal or `localhost` (Azurite and other emulators).
fn is_local_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>().is_ok()
        || h.parse::<std::net::Ipv4Addr>().is_ok()
}

/// The `Key=Value;...` fields of an Azure connection string; empty when the
/// text is not one (an account key or a SAS token).
fn connection_string(text: &str) -> Vec<(String, String)> {
    const KNOWN: &[&str] = &[
        "DefaultEndpointsProtocol",
        "AccountName",
        "AccountKey",
        "BlobEndpoint",
        "EndpointSuffix",
        "SharedAccessSignature",
    ];
    let fields: Vec<(String, String)> = text
        .split(';')
        .filter(|f| !f.trim().is_empty())
        .filter_map(|f| f.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let known = fields
        .iter()
        .any(|(k, _)| KNOWN.iter().any(|n| n.eq_ignore_ascii_case(k)));
    if known {
        fields
    } else {
        Vec::new()
    }
}

/// What a connection string in the password says: (endpoint, account, secret).
fn from_connection_string(
    text: &str,
) -> Result<Option<(Option<String>, Option<String>, String)>, Error> {
    let fields = connection_string(text);
    if fields.is_empty() {
        return Ok(None);
    }
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let endpoint = get("BlobEndpoint").or_else(|| {
        let account = get("AccountName")?;
        let proto = get("DefaultEndpointsProtocol").unwrap_or("https".into());
        let suffix = get("EndpointSuffix").unwrap_or("core.windows.net".into());
        Some(format!("{proto}://{account}.blob.{suffix}"))
    });
    let secret = get("AccountKey")
        .or_else(|| get("SharedAccessSignature"))
        .ok_or_else(|| {
            Error::InvalidArgument(
                "the Azure connection string has neither AccountKey nor SharedAccessSignature"
                    .into(),
            )
        })?;
    Ok(Some((
        endpoint.map(|e| e.trim_end_matches('/').to_string()),
        get("AccountName"),
        secret,
    )))
}

impl Config {
    pub fn from_dsn(dsn: &crate::Dsn) -> Result<Config, Error> {
        let bad = |m: String| Error::InvalidArgument(m);
        let conn = from_connection_string(dsn.password.as_deref().unwrap_or_default())?;
        let (conn_endpoint, conn_account, conn_secret) = match conn {
            Some((e, a, s)) => (e, a, Some(s)),
            None => (None, None, None),
        };
        let account = param(&dsn.params, "account")
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .or(conn_account)
            .or_else(|| dsn.user.clone().filter(|u| !u.is_empty()));

        let endpoint = param(&dsn.params, "endpoint")
            .map(str::to_string)
            .or(conn_endpoint);

        let (scheme, authority, path, account) = match endpoint {
            Some(ep) => {
                let (scheme, rest) = ep
                    .split_once("://")
                    .ok_or_else(|| bad(format!("endpoint {ep:?} needs http:// or https://")))?;
                let scheme = scheme.to_ascii_lowercase();
                if scheme != "http" && scheme != "https" {
                    return Err(bad(format!(
                        "endpoint scheme {scheme:?} is not http or https"
                    )));
                }
                let (authority, path) = match rest.find('/') {
                    Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
                    None => (rest, ""),
                };
                if authority.is_empty() {
                    return Err(bad(format!("endpoint {ep:?} has no host")));
                }
                let default_port = if scheme == "http" { ":80" } else { ":443" };
                let authority = authority
                    .strip_suffix(default_port)
                    .unwrap_or(authority)
                    .to_ascii_lowercase();
                let first_segment = path.trim_start_matches('/').split('/').next().unwrap_or("");
                let host = match authority.rfind(':') {
                    Some(i) if !authority.ends_with(']') => &authority[..i],
                    _ => authority.as_str(),
                };
                // The account: the DSN's, else the endpoint's first path
                // segment, else the first label of the host name.
                let account = account
                    .or_else(|| (!first_segment.is_empty()).then(|| first_segment.to_string()))
                    .or_else(|| {
                        (!is_local_host(host))
                            .then(|| host.split('.').next().unwrap_or("").to_string())
                            .filter(|a| !a.is_empty())
                    })
                    .ok_or_else(|| {
                        bad("the DSN names no account (add ?account=NAME)".to_string())
                    })?;
                let path = if path.is_empty() && is_local_host(host) {
                    format!("/{account}")
                } else {
                    path.to_string()
                };
                (scheme, authority, path, account)
            }
            None => {
                let account = account.ok_or_else(|| {
                    bad("the DSN names neither an account nor an endpoint \
                         (azblob://CONTAINER?account=NAME)"
                        .to_string())
                })?;
                (
                    "https".to_string(),
                    format!("{account}.blob.core.windows.net"),
                    String::new(),
                    account,
                )
            }
        };
        if account.is_empty()
            || !account
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(bad(format!("account {account:?} is not an account name")));
        }

        let auth = match conn_secret.as_deref().or(dsn.password.as_deref()) {
            Some(p) if p.trim().is_empty() => Auth::None,
            Some(p) if is_sas(p) => sas(p),
            Some(p) => key(p)?,
            None => match param(&dsn.params, "sas") {
                Some(s) => sas(s),
                None => Auth::None,
            },
        };
        Ok(Config {
            container: (!dsn.host.is_empty()).then(|| dsn.host.clone()),
            account,
            scheme,
            authority,
            base: path,
            auth,
        })
    }

    /// The encoded URL path of the service (`None`), a container, or a blob.
    pub fn path(&self, container: Option<&str>, blob: Option<&str>) -> String {
        match (container, blob) {
            (None, _) => format!("{}/", self.base),
            (Some(c), None) => format!("{}/{c}", self.base),
            (Some(c), Some(b)) => format!("{}/{c}/{}", self.base, uri_encode(b, true)),
        }
    }

    /// The full URL of a container or blob, without a query.
    pub fn url(&self, container: Option<&str>, blob: Option<&str>) -> String {
        format!(
            "{}://{}{}",
            self.scheme,
            self.authority,
            self.path(container, blob)
        )
    }

    /// A short description for the debug log (never the secret).
    pub fn describe(&self) -> String {
        format!(
            "{}://{}{} account {}, {}",
            self.scheme,
            self.authority,
            self.base,
            self.account,
            match self.auth {
                Auth::Key(_) => "SharedKey",
                Auth::Sas(_) => "SAS token",
                Auth::None => "anonymous",
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dsn;

    fn dsn(host: &str, user: Option<&str>, password: Option<&str>, params: &[(&str, &str)]) -> Dsn {
        Dsn {
            display: String::new(),
            scheme: "azblob".into(),
            user: user.map(str::to_string),
            password: password.map(str::to_string),
            host: host.into(),
            port: None,
            path: String::new(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    const KEY: &str =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    #[test]
    fn azurite_endpoint_with_the_account_in_its_path() {
        let c = Config::from_dsn(&dsn(
            "photos",
            None,
            Some(KEY),
            &[("endpoint", "http://127.0.0.1:10000/devstoreaccount1")],
        ))
        .unwrap();
        assert_eq!(c.account, "devstoreaccount1");
        assert_eq!(c.authority, "127.0.0.1:10000");
        assert_eq!(c.base, "/devstoreaccount1");
        assert_eq!(c.container.as_deref(), Some("photos"));
        assert!(matches!(c.auth, Auth::Key(ref k) if k.len() == 64));
        assert_eq!(
            c.url(Some("c"), Some("a b/ü")),
            "http://127.0.0.1:10000/devstoreaccount1/c/a%20b/%C3%BC"
        );
        assert_eq!(c.path(None, None), "/devstoreaccount1/");
    }

    #[test]
    fn a_connection_string_names_the_endpoint_account_and_secret() {
        let conn = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;\
                    AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;";
        let c = Config::from_dsn(&dsn("c", None, Some(conn), &[])).unwrap();
        assert_eq!(c.authority, "127.0.0.1:10000");
        assert_eq!(c.account, "devstoreaccount1");
        assert_eq!(c.base, "/devstoreaccount1");
        assert!(matches!(c.auth, Auth::Key(ref k) if k == b"key"));

        let conn = "AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net";
        let c = Config::from_dsn(&dsn("c", None, Some(conn), &[("account", "other")])).unwrap();
        assert_eq!(c.authority, "acct.blob.core.windows.net");
        assert_eq!(c.account, "other");

        let conn = "AccountName=acc;SharedAccessSignature=sv=2021-12-02&ss=b&sig=abc";
        let c = Config::from_dsn(&dsn("c", None, Some(conn), &[])).unwrap();
        assert_eq!(c.authority, "acc.blob.core.windows.net");
        assert!(matches!(c.auth, Auth::Sas(ref s) if s == "sv=2021-12-02&ss=b&sig=abc"));

        // Neither a key nor a SAS: refused.
        assert!(Config::from_dsn(&dsn("c", None, Some("AccountName=acc"), &[])).is_err());
        // A plain key or SAS is not a connection string.
        assert!(connection_string(KEY).is_empty());
        assert!(connection_string("sv=2021-08-06&ss=b&sig=abc%3D").is_empty());
    }

    #[test]
    fn ip_endpoint_without_path_is_path_style() {
        let c = Config::from_dsn(&dsn(
            "",
            None,
            None,
            &[("account", "acc"), ("endpoint", "http://127.0.0.1:10000")],
        ))
        .unwrap();
        assert_eq!(c.base, "/acc");
        assert!(matches!(c.auth, Auth::None));
    }

    #[test]
    fn public_endpoint_by_default() {
        let c = Config::from_dsn(&dsn(
            "c",
            None,
            Some("?sv=2021&sig=x%3D"),
            &[("account", "acc")],
        ))
        .unwrap();
        assert_eq!(c.authority, "acc.blob.core.windows.net");
        assert_eq!(c.scheme, "https");
        assert_eq!(c.base, "");
        assert!(matches!(c.auth, Auth::Sas(ref s) if s == "sv=2021&sig=x%3D"));
        assert_eq!(
            c.url(Some("c"), None),
            "https://acc.blob.core.windows.net/c"
        );
        // A custom domain names the account in its host.
        let c = Config::from_dsn(&dsn(
            "c",
            None,
            Some(KEY),
            &[("endpoint", "https://acc.blob.example.net/")],
        ))
        .unwrap();
        assert_eq!((c.account.as_str(), c.base.as_str()), ("acc", ""));
    }

    #[test]
    fn refusals() {
        assert!(Config::from_dsn(&dsn("c", None, None, &[])).is_err());
        assert!(
            Config::from_dsn(&dsn("c", None, Some("not base64!"), &[("account", "a")])).is_err()
        );
        assert!(Config::from_dsn(&dsn("c", None, None, &[("endpoint", "ftp://x")])).is_err());
        assert!(
            Config::from_dsn(&dsn("c", None, None, &[("endpoint", "http://127.0.0.1:1")])).is_err()
        );
    }
}
