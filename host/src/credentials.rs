//! Credentials the user hands to the host explicitly (for example
//! `--credentials-env AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY`). The host
//! reads them, never the driver: they reach the driver as the `user` and
//! `password` of the DSN record, and only when the DSN carries none itself.

use crate::error::{Error, ErrorKind, Result};
use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id (the DSN's user).
    pub access_key: String,
    /// The secret (the DSN's password); never printed.
    pub secret_key: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"***")
            .finish()
    }
}

impl Credentials {
    /// Read the two variables named by `spec` (`ACCESS_VAR,SECRET_VAR`) from
    /// the host's environment.
    pub fn from_env_spec(spec: &str) -> Result<Credentials> {
        let bad = |m: String| Error::new(ErrorKind::InvalidArgument, m);
        let (ak, sk) = spec
            .split_once(',')
            .map(|(a, s)| (a.trim(), s.trim()))
            .filter(|(a, s)| !a.is_empty() && !s.is_empty())
            .ok_or_else(|| {
                bad(format!(
                    "--credentials-env wants ACCESS_VAR,SECRET_VAR (e.g. \
                     AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY), not {spec:?}"
                ))
            })?;
        let read = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| bad(format!("environment variable {name} is not set")))
        };
        Ok(Credentials {
            access_key: read(ak)?,
            secret_key: read(sk)?,
        })
    }

    /// Fill the DSN record's user/password when the DSN has neither.
    pub(crate) fn apply(&self, dsn: &mut crate::bindings::wit::Dsn) {
        if dsn.user.is_none() && dsn.password.is_none() {
            dsn.user = Some(self.access_key.clone());
            dsn.password = Some(self.secret_key.clone());
        }
    }
}
