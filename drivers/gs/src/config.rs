//! The opened DSN: `gs://BUCKET?endpoint=URL&project=P&token=BEARER&versioning=true`, with a
//! service-account JSON key (or a bearer token) as the DSN's password.

use crate::sign::ServiceAccount;
use crate::Error;
use trove_driver_cloud::param;

/// Google's public endpoint (JSON API, uploads and signed URLs).
pub const PUBLIC_ENDPOINT: &str = "https://storage.googleapis.com";

/// How requests are authorised.
#[derive(Debug)]
pub enum Auth {
    /// An emulator endpoint and no credentials: requests carry no token.
    None,
    /// A bearer token the user gave (`?token=` or a non-JSON password).
    Bearer(String),
    /// Tokens from the service account's JWT exchange (see `auth`).
    ServiceAccount,
}

pub struct Config {
    /// The DSN's bucket (may be absent): `ping` checks it.
    pub bucket: Option<String>,
    /// The project that owns new buckets and whose buckets are listed.
    pub project: Option<String>,
    /// `http` or `https`.
    pub scheme: String,
    /// Host and port (port only when not the scheme's default).
    pub authority: String,
    /// True when the DSN named an `endpoint` (an emulator or a proxy).
    pub custom_endpoint: bool,
    pub auth: Auth,
    /// The service-account key, when one was given (tokens and presigning).
    pub key: Option<ServiceAccount>,
    /// `versioning=true`: buckets this driver creates keep noncurrent versions.
    pub versioning: bool,
}

impl Config {
    pub fn from_dsn(dsn: &crate::Dsn) -> Result<Config, Error> {
        let bad = |m: String| Error::InvalidArgument(m);
        let bucket = (!dsn.host.is_empty()).then(|| dsn.host.clone());
        let endpoint = param(&dsn.params, "endpoint").filter(|e| !e.is_empty());
        let (scheme, rest) = endpoint
            .unwrap_or(PUBLIC_ENDPOINT)
            .split_once("://")
            .ok_or_else(|| bad("endpoint needs http:// or https://".to_string()))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(bad(format!(
                "endpoint scheme {scheme:?} is not http or https"
            )));
        }
        let authority = rest.split('/').next().unwrap_or("");
        if authority.is_empty() {
            return Err(bad("the endpoint has no host".into()));
        }
        let default_port = if scheme == "http" { ":80" } else { ":443" };
        let authority = authority
            .strip_suffix(default_port)
            .unwrap_or(authority)
            .to_ascii_lowercase();
        let key = match dsn.password.as_deref() {
            Some(p) if p.trim_start().starts_with('{') => {
                Some(ServiceAccount::from_json(p).map_err(Error::InvalidArgument)?)
            }
            _ => None,
        };
        let token = param(&dsn.params, "token")
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .or_else(|| {
                dsn.password
                    .clone()
                    .filter(|p| !p.is_empty() && !p.trim_start().starts_with('{'))
            });
        let auth =
            match (&token, &key) {
                (Some(t), _) => Auth::Bearer(t.clone()),
                (None, Some(_)) => Auth::ServiceAccount,
                (None, None) if endpoint.is_some() => Auth::None,
                (None, None) => return Err(Error::PermissionDenied(
                    "gs needs credentials for storage.googleapis.com: a service-account JSON key \
                     (--credentials-file KEY.json, or the DSN's password) or a bearer token \
                     (?token=...); only an emulator `endpoint` is used without any"
                        .into(),
                )),
            };
        let project = param(&dsn.params, "project")
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .or_else(|| key.as_ref().and_then(|k| k.project_id.clone()));
        let versioning = match param(&dsn.params, "versioning") {
            None | Some("false") | Some("0") | Some("no") => false,
            Some("true") | Some("1") | Some("yes") => true,
            Some(v) => return Err(bad(format!("versioning={v:?}: use true or false"))),
        };
        Ok(Config {
            bucket,
            project,
            scheme,
            authority,
            custom_endpoint: endpoint.is_some(),
            auth,
            key,
            versioning,
        })
    }

    /// `scheme://authority`.
    pub fn base(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// What the log says about the credentials (never their content).
    pub fn describe_auth(&self) -> &'static str {
        match self.auth {
            Auth::None => "none (emulator)",
            Auth::Bearer(_) => "bearer token",
            Auth::ServiceAccount => "service-account key",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dsn(password: Option<&str>, params: &[(&str, &str)]) -> crate::Dsn {
        crate::Dsn {
            display: "gs://b".into(),
            scheme: "gs".into(),
            user: None,
            password: password.map(str::to_string),
            host: "b".into(),
            port: None,
            path: String::new(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn how_requests_are_authorised() {
        // An emulator without credentials: no token.
        let c = Config::from_dsn(&dsn(None, &[("endpoint", "http://127.0.0.1:4443/")])).unwrap();
        assert!(matches!(c.auth, Auth::None));
        assert_eq!(c.base(), "http://127.0.0.1:4443");
        assert!(c.custom_endpoint && c.project.is_none());
        // Google without credentials: refused, naming what to pass.
        match Config::from_dsn(&dsn(None, &[])) {
            Err(Error::PermissionDenied(m)) => assert!(m.contains("--credentials-file"), "{m}"),
            other => panic!("{:?}", other.map(|c| c.base())),
        }
        // A bearer token, from ?token= or a password that is not JSON.
        let c = Config::from_dsn(&dsn(None, &[("token", "ya29.x")])).unwrap();
        assert!(matches!(&c.auth, Auth::Bearer(t) if t == "ya29.x"));
        assert_eq!(c.base(), "https://storage.googleapis.com");
        let c = Config::from_dsn(&dsn(Some("ya29.y"), &[])).unwrap();
        assert!(matches!(&c.auth, Auth::Bearer(t) if t == "ya29.y"));
        // A service-account key: token exchange, and its project by default.
        let (_, key) = crate::sign::tests::throwaway();
        let c = Config::from_dsn(&dsn(Some(&key), &[])).unwrap();
        assert!(matches!(c.auth, Auth::ServiceAccount));
        assert_eq!(c.project.as_deref(), Some("trove-test"));
        let c =
            Config::from_dsn(&dsn(Some(&key), &[("project", "other"), ("token", "t")])).unwrap();
        assert!(matches!(c.auth, Auth::Bearer(_)) && c.key.is_some());
        assert_eq!(c.project.as_deref(), Some("other"));
        // A broken key is refused without echoing it.
        match Config::from_dsn(&dsn(
            Some("{\"type\":\"service_account\",\"x\":SECRET"),
            &[],
        )) {
            Err(Error::InvalidArgument(m)) => assert!(!m.contains("SECRET"), "{m}"),
            other => panic!("{:?}", other.map(|c| c.base())),
        }
        assert!(Config::from_dsn(&dsn(None, &[("endpoint", "ftp://x")])).is_err());
        let ep = ("endpoint", "http://127.0.0.1:1");
        assert!(!Config::from_dsn(&dsn(None, &[ep])).unwrap().versioning);
        assert!(
            Config::from_dsn(&dsn(None, &[ep, ("versioning", "true")]))
                .unwrap()
                .versioning
        );
        assert!(Config::from_dsn(&dsn(None, &[ep, ("versioning", "maybe")])).is_err());
    }
}
