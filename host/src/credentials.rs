//! Credentials the user hands to the host explicitly: `--credentials-env
//! AK_VAR,SK_VAR` (an access key pair), `--credentials-env VAR` (one secret)
//! or `--credentials-file PATH` (a service-account JSON key, an Azure
//! connection string, a SAS token...). The host reads them, never the driver:
//! they reach the driver as the `user` / `password` of the DSN record, and
//! only when the DSN carries none itself. The host does not interpret them:
//! a driver whose grants depend on one (a connection string's endpoint, a
//! service-account key's token endpoint) names the field in its declared
//! templates (`{password.kv.BlobEndpoint}`, `{password.json.token_uri}`).

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
