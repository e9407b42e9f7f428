//! Credentials the user hands to the host explicitly: `--credentials-env
//! AK_VAR,SK_VAR` (an access key pair), `--credentials-env VAR` (one secret)
//! or `--credentials-file PATH` (a service-account JSON key, an Azure
//! connection string, a SAS token...). The host reads them, never the driver:
//! they reach the driver as the `user` / `password` of the DSN record, and
//! only when the DSN carries none itself.
//!
//! An Azure connection string also says where the account lives: the host
//! (not the driver) reads it, taking `endpoint` and `account` from it when an
//! `azblob` DSN names none, so the http grant follows it, and handing the
//! driver only its key or SAS.

use crate::dsn::Dsn;
use crate::error::{Error, ErrorKind, Result};
use std::fmt;
use std::path::Path;

#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id (the DSN's user), when the credential has one.
    pub user: Option<String>,
    /// The secret (the DSN's password); never printed.
    pub secret: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("secret", &"***")
            .finish()
    }
}

fn bad(m: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, m)
}

impl Credentials {
    /// Read the variables named by `spec` from the host's environment:
    /// `ACCESS_VAR,SECRET_VAR` (a key pair) or `VAR` (one secret, e.g. a SAS
    /// token or a connection string).
    pub fn from_env_spec(spec: &str) -> Result<Credentials> {
        let read = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| bad(format!("environment variable {name} is not set")))
        };
        let names: Vec<&str> = spec.split(',').map(str::trim).collect();
        match names.as_slice() {
            [one] if !one.is_empty() => Ok(Credentials {
                user: None,
                secret: read(one)?,
            }),
            [ak, sk] if !ak.is_empty() && !sk.is_empty() => Ok(Credentials {
                user: Some(read(ak)?),
                secret: read(sk)?,
            }),
            _ => Err(bad(format!(
                "--credentials-env wants ACCESS_VAR,SECRET_VAR (e.g. \
                 AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY) or one VAR, not {spec:?}"
            ))),
        }
    }

    /// Read one secret from a file (a service-account JSON key, a
    /// connection string, a SAS token); a trailing newline is dropped.
    pub fn from_file(path: &Path) -> Result<Credentials> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("--credentials-file {}: {e}", path.display()),
            )
        })?;
        let secret = text.trim_end_matches(['\n', '\r']).to_string();
        if secret.trim().is_empty() {
            return Err(bad(format!(
                "--credentials-file {} is empty",
                path.display()
            )));
        }
        Ok(Credentials { user: None, secret })
    }

    /// Fill the DSN's user/password when it has neither.
    pub(crate) fn apply(&self, dsn: &mut Dsn) {
        if dsn.user().is_some() || dsn.password().is_some() {
            return;
        }
        dsn.set_userinfo(self.user.clone(), Some(self.secret.clone()));
    }
}

/// An `azblob` DSN whose password is an Azure connection string (from the DSN
/// itself or from host-side credentials) becomes the plain form the driver
/// reads: `endpoint` and `account` from the string when the DSN names none,
/// so the http grant follows `BlobEndpoint`, and the password its
/// `AccountKey` or `SharedAccessSignature`. The host is the one place that
/// reads connection strings.
pub(crate) fn expand_azure_connection_string(dsn: &mut Dsn) -> Result<()> {
    if dsn.scheme() != "azblob" {
        return Ok(());
    }
    let fields = connection_string(dsn.password().unwrap_or_default());
    if fields.is_empty() {
        return Ok(());
    }
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    if dsn.param("endpoint").is_none() {
        let endpoint = get("BlobEndpoint").or_else(|| {
            let account = get("AccountName")?;
            let proto = get("DefaultEndpointsProtocol").unwrap_or("https".into());
            let suffix = get("EndpointSuffix").unwrap_or("core.windows.net".into());
            Some(format!("{proto}://{account}.blob.{suffix}"))
        });
        if let Some(e) = endpoint {
            dsn.push_param("endpoint", e.trim_end_matches('/'));
        }
    }
    if let (None, Some(a)) = (dsn.param("account"), get("AccountName")) {
        dsn.push_param("account", &a);
    }
    let secret = get("AccountKey")
        .or_else(|| get("SharedAccessSignature"))
        .ok_or_else(|| {
            bad(
                "the Azure connection string has neither AccountKey nor SharedAccessSignature"
                    .into(),
            )
        })?;
    let user = dsn.user().map(str::to_string);
    dsn.set_userinfo(user, Some(secret));
    Ok(())
}

/// The `Key=Value;...` fields of an Azure connection string; empty when the
/// text is not one (an account key or a SAS token).
pub(crate) fn connection_string(text: &str) -> Vec<(String, String)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn dsn(s: &str) -> Dsn {
        Dsn::parse(s).unwrap()
    }

    #[test]
    fn key_pair_fills_user_and_password_only_when_absent() {
        let c = Credentials {
            user: Some("AK".into()),
            secret: "SK".into(),
        };
        let mut d = dsn("s3://bucket?region=us-east-1");
        c.apply(&mut d);
        assert_eq!((d.user(), d.password()), (Some("AK"), Some("SK")));
        let mut d = dsn("s3://me:pw@bucket");
        c.apply(&mut d);
        assert_eq!((d.user(), d.password()), (Some("me"), Some("pw")));
        assert!(!format!("{c:?}").contains("SK"));
    }

    #[test]
    fn azure_connection_string_names_the_endpoint_account_and_key() {
        let c = Credentials {
            user: None,
            secret: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;\
                     AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
                .into(),
        };
        let mut d = dsn("azblob://container");
        c.apply(&mut d);
        expand_azure_connection_string(&mut d).unwrap();
        assert_eq!(
            d.param("endpoint"),
            Some("http://127.0.0.1:10000/devstoreaccount1")
        );
        assert_eq!(d.param("account"), Some("devstoreaccount1"));
        assert_eq!(d.password(), Some("a2V5"));
        assert!(!d.redacted().contains("a2V5"));

        let c = Credentials {
            user: None,
            secret: "AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net".into(),
        };
        let mut d = dsn("azblob://container?account=other");
        c.apply(&mut d);
        expand_azure_connection_string(&mut d).unwrap();
        assert_eq!(
            d.param("endpoint"),
            Some("https://acct.blob.core.windows.net")
        );
        assert_eq!(d.param("account"), Some("other"));

        // A SAS connection string, written into the DSN itself.
        let mut d = dsn("azblob://container");
        d.set_userinfo(
            None,
            Some("AccountName=acc;SharedAccessSignature=sv=2021-12-02&ss=b&sig=abc".into()),
        );
        expand_azure_connection_string(&mut d).unwrap();
        assert_eq!(
            d.param("endpoint"),
            Some("https://acc.blob.core.windows.net")
        );
        assert_eq!(d.password(), Some("sv=2021-12-02&ss=b&sig=abc"));

        // Neither a key nor a SAS: refused, without echoing the string.
        let mut d = dsn("azblob://container");
        d.set_userinfo(None, Some("AccountName=acc".into()));
        let e = expand_azure_connection_string(&mut d).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);

        // Other schemes are left alone.
        let mut d = dsn("s3://bucket");
        d.set_userinfo(None, Some("AccountName=acc;AccountKey=a2V5".into()));
        expand_azure_connection_string(&mut d).unwrap();
        assert_eq!(d.param("endpoint"), None);
    }

    #[test]
    fn a_plain_key_or_sas_is_not_a_connection_string() {
        assert!(connection_string("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6==").is_empty());
        assert!(connection_string("sv=2021-08-06&ss=b&sig=abc%3D").is_empty());
        let mut d = dsn("azblob://c?endpoint=http://127.0.0.1:1");
        Credentials {
            user: None,
            secret: "sv=2021&sig=x".into(),
        }
        .apply(&mut d);
        assert_eq!(d.params().len(), 1);
        assert_eq!(d.password(), Some("sv=2021&sig=x"));
    }

    #[test]
    fn env_spec_forms() {
        std::env::set_var("TROVE_CRED_T1", "one");
        std::env::set_var("TROVE_CRED_T2", "two");
        let c = Credentials::from_env_spec("TROVE_CRED_T1").unwrap();
        assert_eq!((c.user, c.secret.as_str()), (None, "one"));
        let c = Credentials::from_env_spec("TROVE_CRED_T1, TROVE_CRED_T2").unwrap();
        assert_eq!((c.user.as_deref(), c.secret.as_str()), (Some("one"), "two"));
        for bad in ["", ",", "A,B,C", "TROVE_CRED_UNSET_X"] {
            assert!(Credentials::from_env_spec(bad).is_err(), "{bad:?}");
        }
    }
}
