//! `MultipartStore` over the driver's `multipart` capability. Part `i`
//! (object_store counts from 0) is the driver's part `i + 1`; a `PartId`'s
//! content id is the part's ETag.

use crate::error::{map, Call};
use crate::keys::key;
use crate::meta::put_options;
use crate::put::contiguous;
use crate::store::TroveStore;
use crate::upload::Target;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{MultipartId, PutMultipartOptions, PutPayload, PutResult, Result};

impl TroveStore {
    fn target(&self, path: &Path, id: &MultipartId) -> Target {
        Target {
            driver: self.driver.clone(),
            bucket: self.bucket.clone(),
            key: key(path).to_string(),
            upload_id: id.clone(),
        }
    }
}

/// Calls on a store whose driver does not export `multipart` fail with
/// `NotSupported` (the driver's `unsupported`).
#[async_trait::async_trait]
impl MultipartStore for TroveStore {
    async fn create_multipart(&self, path: &Path) -> Result<MultipartId> {
        self.create_multipart_opts(path, PutMultipartOptions::default())
            .await
    }

    async fn create_multipart_opts(
        &self,
        path: &Path,
        opts: PutMultipartOptions,
    ) -> Result<MultipartId> {
        let k = key(path);
        let popts = put_options(&opts.attributes, &opts.tags)?;
        self.driver
            .create_multipart(&self.bucket, k, popts)
            .await
            .map_err(|e| map(e, k, Call::Plain))
    }

    async fn put_part(
        &self,
        path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> Result<PartId> {
        let n = u32::try_from(part_idx + 1).map_err(|_| {
            crate::error::not_supported(format!("part index {part_idx} is out of range"))
        })?;
        let etag = self.target(path, id).upload(n, contiguous(&data)).await?;
        Ok(PartId { content_id: etag })
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<PutResult> {
        let parts = parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| (i as u32 + 1, p.content_id))
            .collect();
        self.target(path, id).complete(parts).await
    }

    async fn abort_multipart(&self, path: &Path, id: &MultipartId) -> Result<()> {
        self.target(path, id).abort().await
    }
}
