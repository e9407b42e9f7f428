//! `object_store::signer::Signer` over the driver's `presign` capability
//! (GET and PUT URLs). A driver without it answers `NotSupported`.

use crate::error::{generic, map, not_supported, Call};
use crate::keys::key;
use crate::store::TroveStore;
use object_store::path::Path;
use object_store::signer::{Method, Signer, Url};
use object_store::Result;
use std::time::Duration;
use trove_host::PresignMethod;

#[async_trait::async_trait]
impl Signer for TroveStore {
    async fn signed_url(&self, method: Method, path: &Path, expires_in: Duration) -> Result<Url> {
        let m = match method {
            Method::GET => PresignMethod::Get,
            Method::PUT => PresignMethod::Put,
            other => {
                return Err(not_supported(format!(
                    "presigning {other}: the trove contract presigns GET and PUT"
                )))
            }
        };
        let secs = u32::try_from(expires_in.as_secs()).unwrap_or(u32::MAX);
        let k = key(path);
        let url = self
            .driver
            .presign(m, &self.bucket, k, secs)
            .await
            .map_err(|e| map(e, k, Call::Plain))?;
        Url::parse(&url).map_err(generic)
    }
}
