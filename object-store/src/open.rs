//! Opening a store from a DSN: the driver through the host's registry (the
//! built-in drivers, or any a [`Host`] was configured with), and the bucket.

use crate::store::TroveStore;
use object_store::Result;
use trove_host::{Dsn, Host};

/// Schemes of the built-in drivers whose DSN host is a bucket (s3, gs) or a
/// container (azblob): `s3://photos?…` opens the bucket `photos`. Other
/// DSNs name a server (sftp) or nothing (file, mem), so their bucket is
/// given with [`OpenOptions::bucket`].
const HOST_IS_BUCKET: &[&str] = &["s3", "gs", "azblob"];

/// How to open a [`TroveStore`] from a DSN.
///
/// ```no_run
/// # async fn demo() -> object_store::Result<()> {
/// use trove_object_store::{OpenOptions, TroveStore};
/// // The bucket from the DSN, the process-wide host (built-in drivers).
/// let s3 = TroveStore::open("s3://photos?region=us-east-1").await?;
/// // Credentials, grants and the SFTP identity as the CLI takes them:
/// // on the `Host` (`HostConfig::credentials`, `Registry::allow_spec`, …).
/// let host = trove_host::Host::new(trove_host::HostConfig {
///     credentials: Some(trove_host::Credentials::from_env_spec("AK_VAR,SK_VAR").unwrap()),
///     ..Default::default()
/// })
/// .unwrap();
/// let local = OpenOptions::new()
///     .host(host)
///     .bucket("photos")
///     .create_bucket(true)
///     .open("file:///srv/store")
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct OpenOptions {
    host: Option<Host>,
    bucket: Option<String>,
    driver: Option<String>,
    create_bucket: bool,
}

impl OpenOptions {
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// The host to open the driver on (its registry, allowed grants,
    /// credentials, SFTP settings and limits). Default: [`Host::shared`].
    pub fn host(mut self, host: Host) -> Self {
        self.host = Some(host);
        self
    }

    /// The bucket (overrides one the DSN names).
    pub fn bucket(mut self, bucket: impl Into<String>) -> Self {
        self.bucket = Some(bucket.into());
        self
    }

    /// A driver other than the one registered for the DSN's scheme: a
    /// `.wasm` path or a registered scheme (the CLI's `--driver`).
    pub fn driver(mut self, driver: impl Into<String>) -> Self {
        self.driver = Some(driver.into());
        self
    }

    /// Create the bucket when it does not exist.
    pub fn create_bucket(mut self, yes: bool) -> Self {
        self.create_bucket = yes;
        self
    }

    pub async fn open(self, dsn: &str) -> Result<TroveStore> {
        let bucket = match self.bucket {
            Some(b) => b,
            None => dsn_bucket(dsn)?,
        };
        let host = match self.host {
            Some(h) => h,
            None => Host::shared().map_err(crate::error::generic)?,
        };
        let opened = match &self.driver {
            Some(d) => host.open_with(d, dsn).await,
            None => host.open(dsn).await,
        };
        let driver = opened.map_err(crate::error::generic)?;
        if self.create_bucket {
            match driver.create_bucket(&bucket).await {
                Err(e) if e.kind() != trove_host::ErrorKind::BucketExists => {
                    return Err(crate::error::map(e, &bucket, crate::error::Call::Plain))
                }
                _ => {}
            }
        }
        Ok(TroveStore::new(driver, bucket))
    }
}

/// The bucket a DSN names, for the schemes whose host is one.
fn dsn_bucket(dsn: &str) -> Result<String> {
    let parsed = Dsn::parse(dsn).map_err(crate::error::generic)?;
    let shown = parsed.redacted();
    if !HOST_IS_BUCKET.contains(&parsed.scheme()) {
        return Err(crate::error::not_supported(format!(
            "{shown}: a {} DSN names no bucket; give one with OpenOptions::bucket",
            parsed.scheme()
        )));
    }
    if parsed.host().is_empty() {
        return Err(crate::error::not_supported(format!(
            "{shown} names no bucket (scheme://BUCKET?…); give one there or with OpenOptions::bucket"
        )));
    }
    Ok(parsed.host().to_string())
}

impl TroveStore {
    /// Open `dsn` on the process-wide host with the built-in drivers; the
    /// bucket is the DSN's (`s3://BUCKET?…`, `gs://BUCKET?…`,
    /// `azblob://CONTAINER?…`). See [`OpenOptions`] for the rest.
    pub async fn open(dsn: &str) -> Result<TroveStore> {
        OpenOptions::new().open(dsn).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_comes_from_a_cloud_dsn_only() {
        assert_eq!(dsn_bucket("s3://photos?region=x").unwrap(), "photos");
        assert_eq!(dsn_bucket("azblob://c?account=a").unwrap(), "c");
        let e = dsn_bucket("s3://?region=x").unwrap_err().to_string();
        assert!(e.contains("names no bucket"), "{e}");
        let e = dsn_bucket("sftp://u:secret@h/p").unwrap_err().to_string();
        assert!(
            e.contains("OpenOptions::bucket") && !e.contains("secret"),
            "{e}"
        );
        assert!(dsn_bucket("file:///tmp/x").is_err());
    }
}
