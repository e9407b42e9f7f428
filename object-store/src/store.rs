//! `TroveStore`: one bucket of one driver as an `object_store::ObjectStore`.
//! Each operation lives in its own module; this one only dispatches.

use crate::error::{map, Call};
use crate::keys::key;
use futures::stream::BoxStream;
use futures::StreamExt;
use object_store::list::{PaginatedListOptions, PaginatedListResult, PaginatedListStore};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};
use std::sync::Arc;
use trove_host::Driver;

/// How many deletes of a `delete_stream` run at once.
const DELETE_CONCURRENCY: usize = 8;

/// One bucket of an opened driver. Cheap to clone.
#[derive(Clone)]
pub struct TroveStore {
    pub(crate) driver: Driver,
    pub(crate) bucket: Arc<str>,
}

impl TroveStore {
    /// The store for `bucket` of an opened driver. The bucket must exist
    /// (see [`Driver::create_bucket`]).
    pub fn new(driver: Driver, bucket: impl Into<String>) -> TroveStore {
        TroveStore {
            driver,
            bucket: Arc::from(bucket.into()),
        }
    }

    pub fn driver(&self) -> &Driver {
        &self.driver
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

impl std::fmt::Display for TroveStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The DSN as the host shows it: its password redacted.
        write!(
            f,
            "TroveStore({} bucket {:?})",
            self.driver.dsn_display(),
            self.bucket
        )
    }
}

impl std::fmt::Debug for TroveStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TroveStore")
            .field("driver", &self.driver.info().name)
            .field("dsn", &self.driver.dsn_display())
            .field("bucket", &self.bucket)
            .finish()
    }
}

#[async_trait::async_trait]
impl ObjectStore for TroveStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        crate::put::put_opts(self, location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        crate::upload::start(self, location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        crate::get::get_opts(self, location, options).await
    }

    /// Deleting a missing object succeeds, as the contract says (and S3).
    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let store = self.clone();
        locations
            .map(move |p| {
                let store = store.clone();
                async move {
                    let p = p?;
                    store
                        .driver
                        .delete(&store.bucket, key(&p))
                        .await
                        .map_err(|e| map(e, key(&p), Call::Plain))?;
                    Ok(p)
                }
            })
            .buffered(DELETE_CONCURRENCY)
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        crate::list::list(self, prefix, None)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        crate::list::list(self, prefix, Some(offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        crate::list::list_with_delimiter(self, prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        crate::copy::copy(self, from, to, options.mode).await
    }
}

#[async_trait::async_trait]
impl PaginatedListStore for TroveStore {
    async fn list_paginated(
        &self,
        prefix: Option<&str>,
        opts: PaginatedListOptions,
    ) -> Result<PaginatedListResult> {
        crate::list::list_paginated(self, prefix, opts).await
    }
}
