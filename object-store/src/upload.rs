//! `put_multipart`: which upload a driver gets, and the upload through the
//! driver's `multipart` capability.
//!
//! - A driver that exports `multipart` gets real parts ([`PartsUpload`]):
//!   the bytes are buffered to [`PART_SIZE`] (every part but the last is at
//!   least 5 MiB, as S3 requires), and each full part is uploaded as its
//!   `put_part` future runs.
//! - Any other driver gets one streamed put ([`crate::stream_upload`]).

use crate::error::{generic, map, Call};
use crate::keys::key;
use crate::meta::{put_options, put_result};
use crate::put::contiguous;
use crate::store::TroveStore;
use object_store::path::Path;
use object_store::{
    MultipartUpload, PutMultipartOptions, PutPayload, PutResult, Result, UploadPart,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use trove_host::Driver;

/// The size of the parts this store cuts from smaller writes.
pub const PART_SIZE: usize = 8 << 20;
/// S3's smallest part (all but the last).
pub const MIN_PART: usize = 5 << 20;
/// A write of `MIN_PART..=MAX_WHOLE_PART` bytes with nothing buffered goes
/// up as one part of its own size; a larger one is cut into `PART_SIZE`
/// parts (the capability takes a part as one buffer).
const MAX_WHOLE_PART: usize = 32 << 20;

pub(crate) async fn start(
    store: &TroveStore,
    location: &Path,
    opts: PutMultipartOptions,
) -> Result<Box<dyn MultipartUpload>> {
    let popts = put_options(&opts.attributes, &opts.tags)?;
    if !store.driver.capabilities().multipart {
        return Ok(crate::stream_upload::start(store, location, popts));
    }
    let k = key(location);
    let id = store
        .driver
        .create_multipart(&store.bucket, k, popts)
        .await
        .map_err(|e| map(e, k, Call::Plain))?;
    Ok(Box::new(PartsUpload {
        target: Arc::new(Target {
            driver: store.driver.clone(),
            bucket: store.bucket.clone(),
            key: k.to_string(),
            upload_id: id,
        }),
        buf: Vec::new(),
        next: 1,
        done: Default::default(),
    }))
}

/// One driver multipart upload's address.
pub(crate) struct Target {
    pub driver: Driver,
    pub bucket: Arc<str>,
    pub key: String,
    pub upload_id: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("driver", &self.driver.info().name)
            .field("bucket", &self.bucket)
            .field("key", &self.key)
            .field("upload_id", &self.upload_id)
            .finish()
    }
}

impl Target {
    /// Upload part `n`; returns its ETag.
    pub(crate) async fn upload(&self, n: u32, data: Vec<u8>) -> Result<String> {
        self.driver
            .upload_part(&self.bucket, &self.key, &self.upload_id, n, data)
            .await
            .map(|p| p.etag)
            .map_err(|e| map(e, &self.key, Call::Plain))
    }

    /// Complete with `parts` (number, ETag) in order. No parts at all is an
    /// empty object: one empty part is uploaded, since S3 completes no
    /// upload without a part.
    pub(crate) async fn complete(&self, mut parts: Vec<(u32, String)>) -> Result<PutResult> {
        if parts.is_empty() {
            parts.push((1, self.upload(1, Vec::new()).await?));
        }
        self.driver
            .complete_multipart(&self.bucket, &self.key, &self.upload_id, parts)
            .await
            .map(|info| put_result(&info))
            .map_err(|e| map(e, &self.key, Call::Plain))
    }

    pub(crate) async fn abort(&self) -> Result<()> {
        self.driver
            .abort_multipart(&self.bucket, &self.key, &self.upload_id)
            .await
            .map_err(|e| map(e, &self.key, Call::Plain))
    }
}

/// An upload through the driver's `multipart` capability.
#[derive(Debug)]
struct PartsUpload {
    target: Arc<Target>,
    /// Bytes written but not yet a part (less than `PART_SIZE`).
    buf: Vec<u8>,
    /// The next part's number (numbers are given in `put_part` call order).
    next: u32,
    /// The ETags of the uploaded parts, by number.
    done: Arc<Mutex<BTreeMap<u32, String>>>,
}

impl PartsUpload {
    fn number(&mut self) -> u32 {
        self.next += 1;
        self.next - 1
    }

    /// Cut `data` into parts: the parts now full, in order.
    fn cut(&mut self, data: &PutPayload) -> Vec<(u32, Vec<u8>)> {
        let len = data.content_length();
        if self.buf.is_empty() && (MIN_PART..=MAX_WHOLE_PART).contains(&len) {
            return vec![(self.number(), contiguous(data))];
        }
        let mut full = Vec::new();
        for chunk in data {
            let mut c = &chunk[..];
            while !c.is_empty() {
                if self.buf.capacity() == 0 {
                    self.buf.reserve_exact(PART_SIZE);
                }
                let n = (PART_SIZE - self.buf.len()).min(c.len());
                self.buf.extend_from_slice(&c[..n]);
                c = &c[n..];
                if self.buf.len() == PART_SIZE {
                    let part = std::mem::take(&mut self.buf);
                    full.push((self.number(), part));
                }
            }
        }
        full
    }

    fn send(&self, parts: Vec<(u32, Vec<u8>)>) -> UploadPart {
        let target = self.target.clone();
        let done = self.done.clone();
        Box::pin(async move {
            let uploads = parts.into_iter().map(|(n, data)| {
                let target = target.clone();
                let done = done.clone();
                async move {
                    let etag = target.upload(n, data).await?;
                    done.lock().unwrap().insert(n, etag);
                    Ok::<(), object_store::Error>(())
                }
            });
            futures::future::try_join_all(uploads).await.map(|_| ())
        })
    }
}

#[async_trait::async_trait]
impl MultipartUpload for PartsUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let parts = self.cut(&data);
        self.send(parts)
    }

    async fn complete(&mut self) -> Result<PutResult> {
        if !self.buf.is_empty() {
            let last = (self.number(), std::mem::take(&mut self.buf));
            self.send(vec![last]).await?;
        }
        let parts: Vec<(u32, String)> = {
            let done = self.done.lock().unwrap();
            done.iter().map(|(n, e)| (*n, e.clone())).collect()
        };
        if parts.len() as u32 != self.next - 1 {
            return Err(generic(std::io::Error::other(format!(
                "complete() called with {} of {} parts uploaded: await every put_part first",
                parts.len(),
                self.next - 1
            ))));
        }
        self.target.complete(parts).await
    }

    async fn abort(&mut self) -> Result<()> {
        self.buf = Vec::new();
        self.target.abort().await
    }
}
