//! The typed driver handle applications use. No wasmtime type appears here.

use crate::bindings::core::Body;
use crate::body::{self, drop_resource, ObjectReader, CHUNK};
use crate::convert;
use crate::error::{Error, ErrorKind, Result};
use crate::pool::{guest, Lease, Pool};
use crate::retry::CallCtx;
use crate::types::*;
use crate::upload::UploadStream;
use std::sync::Arc;
use tokio::io::AsyncRead;

/// A boxed async byte source, as the API passes bodies around.
pub type BoxReader = Box<dyn AsyncRead + Send + Unpin + 'static>;

/// An opened driver: one DSN, served by one or more sandboxed instances.
/// Cheap to clone; clones share the instances.
#[derive(Clone)]
pub struct Driver {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Arc<Pool>,
    info: DriverInfo,
    caps: Capabilities,
    dsn_display: String,
}

/// Map the contract's result to the API's.
fn wit<T>(r: std::result::Result<T, crate::bindings::wit::Error>) -> Result<T> {
    r.map_err(convert::error)
}

fn unsupported(what: &str, name: &str) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("driver {name} does not export the {what} capability"),
    )
}

impl Driver {
    pub(crate) fn new(
        pool: Arc<Pool>,
        info: DriverInfo,
        caps: Capabilities,
        dsn_display: String,
    ) -> Driver {
        Driver {
            inner: Arc::new(Inner {
                pool,
                info,
                caps,
                dsn_display,
            }),
        }
    }

    /// What the driver says about itself (name, version, stateful).
    pub fn info(&self) -> &DriverInfo {
        &self.inner.info
    }

    /// The optional interfaces the driver's component exports.
    pub fn capabilities(&self) -> Capabilities {
        self.inner.caps
    }

    /// The DSN with the password redacted.
    pub fn dsn_display(&self) -> &str {
        &self.inner.dsn_display
    }

    async fn lease(&self) -> Result<Lease> {
        self.inner.pool.acquire().await
    }

    pub async fn name(&self) -> Result<String> {
        let mut l = self.lease().await?;
        guest!(&mut l, i => i.core.call_name(&mut i.store))
    }

    pub async fn ping(&self) -> Result<()> {
        self.retry(|| async move {
            let mut l = self.lease().await?;
            guest!(&mut l, i => i.core.call_ping(&mut i.store))
        })
        .await
    }

    pub async fn close(&self) -> Result<()> {
        let mut l = self.lease().await?;
        wit(guest!(&mut l, i => i.core.call_close(&mut i.store))?)
    }

    /// Stream `body` into `bucket/key`. Memory use stays flat: the body moves
    /// in chunks, and nothing is visible until the driver commits it. With
    /// `opts.size`, a body of any other length fails the put (`io`).
    pub async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: impl AsyncRead + Send + Unpin + 'static,
        opts: PutOptions,
    ) -> Result<ObjectInfo> {
        match opts.size {
            Some(n) => {
                self.put_body(bucket, key, body::Exact::new(body, n), opts)
                    .await
            }
            None => self.put_body(bucket, key, body, opts).await,
        }
    }

    async fn put_body(
        &self,
        bucket: &str,
        key: &str,
        mut body: impl AsyncRead + Send + Unpin + 'static,
        opts: PutOptions,
    ) -> Result<ObjectInfo> {
        let caps = &self.inner.caps;
        if caps.stream_put && !caps.put_bytes {
            // A cloud driver: the body goes on to the server as it comes.
            return self
                .put_stream(bucket, key, Upload::Streamed(body), opts)
                .await;
        }
        let read_err = |e| Error::io("reading the upload", e);
        // A small first buffer: most bodies are small, and a 1 MiB buffer
        // per put costs an mmap and munmap. A known small size needs one
        // byte more than itself (the end shows as a short read).
        let first = match opts.size {
            Some(n) if n < SMALL_BODY as u64 => n as usize + 1,
            _ => SMALL_BODY,
        };
        let mut buf = vec![0u8; first];
        let mut n = body::read_full(&mut body, &mut buf)
            .await
            .map_err(read_err)?;
        if n == buf.len() {
            buf.resize(CHUNK, 0);
            n += body::read_full(&mut body, &mut buf[n..])
                .await
                .map_err(read_err)?;
        }
        if n < buf.len() && self.inner.caps.put_bytes {
            // The whole body fits in one chunk: one guest call.
            buf.truncate(n);
            return self.put_whole(bucket, key, &buf, &opts).await;
        }
        if self.inner.caps.stream_put {
            buf.truncate(n);
            return self
                .put_stream(bucket, key, Upload::Chunked(buf, body), opts)
                .await;
        }
        // A body shorter than the small buffer has ended: the next read
        // returns 0, so it needs no chunk-sized buffer.
        let chunks = body::ReaderChunks::new(body, buf, n);
        self.put_chunks(bucket, key, &opts, chunks).await
    }

    /// Put a body that is already in memory, as a list of chunks (as
    /// `object_store`'s `PutPayload` is): chunks of 64 KiB and more go to the
    /// driver as they are, not copied through a read buffer first; smaller
    /// ones are gathered. With `opts.size`, a body of any other length fails
    /// the put (`io`).
    pub async fn put_parts(
        &self,
        bucket: &str,
        key: &str,
        parts: Vec<bytes::Bytes>,
        opts: PutOptions,
    ) -> Result<ObjectInfo> {
        let len: u64 = parts.iter().map(|p| p.len() as u64).sum();
        if let Some(n) = opts.size.filter(|&n| n != len) {
            return Err(Error::new(
                ErrorKind::Io,
                format!("reading the upload: the body is {len} bytes, not the {n} announced"),
            ));
        }
        if len < CHUNK as u64 && self.inner.caps.put_bytes {
            return self
                .put_body(bucket, key, body::PartsReader::new(parts), opts)
                .await;
        }
        if self.inner.caps.stream_put {
            let upload = Upload::<tokio::io::Empty>::Parts(parts);
            return self.put_stream(bucket, key, upload, opts).await;
        }
        self.put_chunks(bucket, key, &opts, body::PartChunks::new(parts))
            .await
    }

    /// Put through the driver's writer, one `write` per chunk.
    async fn put_chunks(
        &self,
        bucket: &str,
        key: &str,
        opts: &PutOptions,
        mut chunks: impl body::Chunks,
    ) -> Result<ObjectInfo> {
        let mut l = self.lease().await?;
        let wopts = convert::put_options(opts);
        let writer = wit(guest!(&mut l, i => i.core.call_put(&mut i.store, bucket, key, &wopts))?)?;
        let outcome: Result<()> = async {
            loop {
                let c = chunks
                    .next()
                    .await
                    .map_err(|e| Error::io("reading the upload", e))?;
                if c.is_empty() {
                    return Ok(());
                }
                wit(guest!(&mut l, i => i.core.writer().call_write(&mut i.store, writer, c))?)?;
            }
        }
        .await;
        if let Err(e) = outcome {
            if l.instance().is_some() {
                let _ = guest!(&mut l, i => i.core.writer().call_abort(&mut i.store, writer));
                drop_resource(&mut l, writer).await;
            }
            return Err(e);
        }
        let info = guest!(&mut l, i => i.core.writer().call_finish(&mut i.store, writer));
        if l.instance().is_some() {
            drop_resource(&mut l, writer).await;
        }
        Ok(convert::object_info(wit(info?)?))
    }

    /// `put` through the driver's `put-stream`: the upload becomes a host
    /// input-stream the driver reads, hands to the http import unread, or
    /// splices into a file unread. The per-call deadline restarts whenever
    /// bytes move, so a long transfer that makes progress is never cut off;
    /// a stalled one is.
    async fn put_stream<R: AsyncRead + Send + Unpin + 'static>(
        &self,
        bucket: &str,
        key: &str,
        upload: Upload<R>,
        opts: PutOptions,
    ) -> Result<ObjectInfo> {
        use wasmtime_wasi::p2::pipe::AsyncReadStream;
        let mut l = self.lease().await?;
        let wopts = convert::put_options(&opts);
        // The application's bytes and the driver's requests' bytes are
        // the call's progress.
        let ctx = self.call_ctx();
        let progress = ctx.progress.clone();
        let broken = Arc::new(std::sync::Mutex::new(None::<String>));
        let counted = |inner| Counting {
            inner,
            progress: progress.clone(),
            broken: broken.clone(),
        };
        let timeout = l.timeout();
        let label = l.label().to_string();
        let r = {
            let inst = l.arm()?;
            let stream: wasmtime_wasi::p2::DynInputStream = match upload {
                Upload::Streamed(body) => Box::new(AsyncReadStream::new(counted(body))),
                Upload::Chunked(first, body) => {
                    progress.add(first.len());
                    let pool = crate::filestream::HasFileIo::file_io(inst.store.data()).pool;
                    Box::new(UploadStream::reader(first, counted(body), pool))
                }
                Upload::Parts(parts) => Box::new(UploadStream::parts(parts, progress.clone())),
            };
            let res = inst.store.data_mut().table.push(stream).map_err(|e| {
                Error::new(ErrorKind::Internal, format!("{label}: upload stream: {e}"))
            })?;
            // The call's CPU budget starts again whenever bytes move.
            inst.store.data_mut().watch_progress(progress.clone());
            let Some(sp) = inst.stream_put.as_ref() else {
                return Err(unsupported("stream-put", &self.inner.info.name));
            };
            ctx.scope(crate::progress::with_progress(
                timeout,
                &progress,
                sp.call_put_stream(&mut inst.store, bucket, key, res, &wopts),
            ))
            .await
        };
        let out = wit(l.settle(r)?).map(convert::object_info);
        // A failure of the application's reader is the application's (`io`),
        // whatever the driver made of the broken stream.
        if let Some(msg) = broken.lock().unwrap().take() {
            if out.is_err() {
                return Err(Error::new(
                    ErrorKind::Io,
                    format!("reading the upload: {msg}"),
                ));
            }
        }
        out
    }

    /// The context of this call (its retry budget and transfer progress):
    /// the enclosing call's when there is one (a retried put's attempts
    /// share one budget), else a new one.
    fn call_ctx(&self) -> std::sync::Arc<CallCtx> {
        CallCtx::current().unwrap_or_else(|| CallCtx::new(self.inner.pool.call_timeout()))
    }

    /// Run an idempotent call again while the driver reports a retryable
    /// error (`unavailable`, `timeout`), under the call's retry budget
    /// ([`crate::retry`]: backoff with jitter, a bounded count and time,
    /// shared with the http import's own retries). The host's own failures
    /// (an overrun deadline, a trap) are not retried: they are the outer
    /// error.
    async fn retry<T, F, Fut>(&self, mut call: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<
            Output = Result<std::result::Result<T, crate::bindings::wit::Error>>,
        >,
    {
        use crate::bindings::wit::Error as W;
        let ctx = self.call_ctx();
        loop {
            match ctx.scope(call()).await? {
                Err(e @ (W::Unavailable(_) | W::Timeout(_))) => {
                    let e = convert::error(e);
                    let Some(delay) = ctx.budget.next_delay(None) else {
                        return Err(e);
                    };
                    tracing::debug!(
                        driver = %self.inner.info.name,
                        "retrying in {delay:?} after: {e}"
                    );
                    tokio::time::sleep(delay).await;
                }
                r => return wit(r),
            }
        }
    }

    /// Put a body that can be produced again (a file, a buffer): `open`
    /// gives a fresh reader for each attempt. A retryable failure
    /// (`unavailable`, `timeout`, whether the driver's or the host's
    /// deadline) starts the put again under the call's retry budget; nothing
    /// is visible until an attempt commits, so a failed attempt leaves no
    /// object (or the old one). A failure of the reader itself (`io`) is not
    /// retried.
    pub async fn put_replayable<R, F, Fut>(
        &self,
        bucket: &str,
        key: &str,
        mut open: F,
        opts: PutOptions,
    ) -> Result<ObjectInfo>
    where
        R: AsyncRead + Send + Unpin + 'static,
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<R>>,
    {
        let ctx = self.call_ctx();
        loop {
            let body = open().await?;
            match ctx.scope(self.put(bucket, key, body, opts.clone())).await {
                Err(e) if e.is_retryable() => {
                    let Some(delay) = ctx.budget.next_delay(None) else {
                        return Err(e);
                    };
                    tracing::debug!(
                        driver = %self.inner.info.name,
                        "put {bucket}/{key}: retrying in {delay:?} after: {e}"
                    );
                    tokio::time::sleep(delay).await;
                }
                r => return r,
            }
        }
    }

    /// A body of at most one chunk through the driver's `put-bytes`.
    async fn put_whole(
        &self,
        bucket: &str,
        key: &str,
        data: &[u8],
        opts: &PutOptions,
    ) -> Result<ObjectInfo> {
        let wopts = &convert::put_options(opts);
        self.retry(|| async move {
            let mut l = self.lease().await?;
            guest!(&mut l, i => match i.put_bytes.as_ref() {
                Some(p) => p.call_put_bytes(&mut i.store, bucket, key, data, wopts),
                None => unreachable!("put_whole is only called when put-bytes is exported"),
            })
        })
        .await
        .map(convert::object_info)
    }

    /// Put from memory.
    pub async fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        data: impl Into<Vec<u8>>,
        opts: PutOptions,
    ) -> Result<ObjectInfo> {
        let data = data.into();
        if data.len() < CHUNK && self.inner.caps.put_bytes && !self.inner.caps.stream_put {
            return self.put_whole(bucket, key, &data, &opts).await;
        }
        // The body is in memory, so the put can be tried again.
        let data = bytes::Bytes::from(data);
        self.put_replayable(
            bucket,
            key,
            || std::future::ready(Ok(std::io::Cursor::new(data.clone()))),
            opts,
        )
        .await
    }

    /// The object's info and its body as an `AsyncRead`.
    pub async fn get(
        &self,
        bucket: &str,
        key: &str,
        opts: GetOptions,
    ) -> Result<(ObjectInfo, ObjectReader)> {
        let wopts = &convert::get_options(&opts);
        let (l, info, body) = self
            .retry(|| async move {
                let mut l = self.lease().await?;
                let r = guest!(&mut l, i => i.core.call_get(&mut i.store, bucket, key, wopts))?;
                Ok(r.map(|(info, body)| (l, info, body)))
            })
            .await?;
        Ok(self.body(l, convert::object_info(info), body, opts.range))
    }

    fn body(
        &self,
        mut l: Lease,
        info: ObjectInfo,
        body: Body,
        range: Option<ByteRange>,
    ) -> (ObjectInfo, ObjectReader) {
        let expected = convert::expected_len(info.size, range);
        let reader = match body {
            Body::Guest(res) => body::from_guest_reader(l, res, expected),
            Body::Host(hs) => {
                let limit = hs.limit;
                match body::take_host_stream(&mut l, hs) {
                    Ok(stream) => {
                        body::from_host_stream(stream, limit, expected, l.label().to_string())
                    }
                    Err(e) => body::failed(e),
                }
            }
            Body::Bytes(data) => body::from_bytes(data, expected, l.label()),
        };
        (info, reader)
    }

    /// Get into memory.
    pub async fn get_bytes(
        &self,
        bucket: &str,
        key: &str,
        opts: GetOptions,
    ) -> Result<(ObjectInfo, Vec<u8>)> {
        let (info, reader) = self.get(bucket, key, opts).await?;
        Ok((info, reader.read_all().await?))
    }

    pub async fn head(&self, bucket: &str, key: &str) -> Result<ObjectInfo> {
        self.retry(|| async move {
            let mut l = self.lease().await?;
            guest!(&mut l, i => i.core.call_head(&mut i.store, bucket, key))
        })
        .await
        .map(convert::object_info)
    }

    /// Deleting a missing object succeeds.
    pub async fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        self.retry(|| async move {
            let mut l = self.lease().await?;
            guest!(&mut l, i => i.core.call_delete(&mut i.store, bucket, key))
        })
        .await
    }

    pub async fn list(&self, bucket: &str, opts: ListOptions) -> Result<ListPage> {
        let wopts = &convert::list_options(&opts);
        self.retry(|| async move {
            let mut l = self.lease().await?;
            guest!(&mut l, i => i.core.call_list(&mut i.store, bucket, wopts))
        })
        .await
        .map(convert::list_page)
    }

    pub async fn copy(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
    ) -> Result<ObjectInfo> {
        self.retry(|| async move {
            let mut l = self.lease().await?;
            guest!(&mut l, i => i.core.call_copy(&mut i.store, src_bucket, src_key, dst_bucket, dst_key))
        })
        .await
        .map(convert::object_info)
    }

    pub async fn create_bucket(&self, bucket: &str) -> Result<()> {
        let mut l = self.lease().await?;
        wit(guest!(&mut l, i => i.core.call_create_bucket(&mut i.store, bucket))?)
    }

    pub async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        let mut l = self.lease().await?;
        wit(guest!(&mut l, i => i.core.call_delete_bucket(&mut i.store, bucket))?)
    }

    pub async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        let v = self
            .retry(|| async move {
                let mut l = self.lease().await?;
                guest!(&mut l, i => i.core.call_list_buckets(&mut i.store))
            })
            .await?;
        Ok(v.into_iter().map(convert::bucket_info).collect())
    }

    // ---- optional capabilities: `unsupported` when not exported ----

    fn need(&self, present: bool, what: &str) -> Result<()> {
        if present {
            Ok(())
        } else {
            Err(unsupported(what, &self.inner.info.name))
        }
    }

    pub async fn create_multipart(
        &self,
        bucket: &str,
        key: &str,
        opts: PutOptions,
    ) -> Result<String> {
        self.need(self.inner.caps.multipart, "multipart")?;
        let mut l = self.lease().await?;
        let wopts = convert::put_options(&opts);
        wit(
            guest!(&mut l, i => i.multipart.as_ref().unwrap().call_create_multipart(&mut i.store, bucket, key, &wopts))?,
        )
    }

    pub async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        data: Vec<u8>,
    ) -> Result<PartInfo> {
        self.need(self.inner.caps.multipart, "multipart")?;
        let data = &data;
        let p = self
            .retry(|| async move {
                let mut l = self.lease().await?;
                guest!(&mut l, i => i.multipart.as_ref().unwrap().call_upload_part(&mut i.store, bucket, key, upload_id, part_number, data))
            })
            .await?;
        Ok(PartInfo {
            part_number: p.part_number,
            etag: p.etag,
            size: p.size,
        })
    }

    pub async fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: Vec<(u32, String)>,
    ) -> Result<ObjectInfo> {
        self.need(self.inner.caps.multipart, "multipart")?;
        let mut l = self.lease().await?;
        let parts: Vec<_> = parts
            .into_iter()
            .map(
                |(part_number, etag)| crate::bindings::multipart::CompletedPart {
                    part_number,
                    etag,
                },
            )
            .collect();
        wit(guest!(&mut l, i => i.multipart.as_ref().unwrap().call_complete_multipart(&mut i.store, bucket, key, upload_id, &parts))?)
            .map(convert::object_info)
    }

    pub async fn abort_multipart(&self, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
        self.need(self.inner.caps.multipart, "multipart")?;
        let mut l = self.lease().await?;
        wit(
            guest!(&mut l, i => i.multipart.as_ref().unwrap().call_abort_multipart(&mut i.store, bucket, key, upload_id))?,
        )
    }

    pub async fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<Vec<PartInfo>> {
        self.need(self.inner.caps.multipart, "multipart")?;
        let mut l = self.lease().await?;
        let v = wit(
            guest!(&mut l, i => i.multipart.as_ref().unwrap().call_list_parts(&mut i.store, bucket, key, upload_id))?,
        )?;
        Ok(v.into_iter()
            .map(|p| PartInfo {
                part_number: p.part_number,
                etag: p.etag,
                size: p.size,
            })
            .collect())
    }

    pub async fn presign(
        &self,
        method: PresignMethod,
        bucket: &str,
        key: &str,
        expires_secs: u32,
    ) -> Result<String> {
        self.need(self.inner.caps.presign, "presign")?;
        let mut l = self.lease().await?;
        let m = match method {
            PresignMethod::Get => crate::bindings::presign::PresignMethod::Get,
            PresignMethod::Put => crate::bindings::presign::PresignMethod::Put,
        };
        wit(
            guest!(&mut l, i => i.presign.as_ref().unwrap().call_presign(&mut i.store, m, bucket, key, expires_secs))?,
        )
    }

    pub async fn list_versions(&self, bucket: &str, opts: ListOptions) -> Result<VersionPage> {
        self.need(self.inner.caps.versioning, "versioning")?;
        let mut l = self.lease().await?;
        let wopts = convert::list_options(&opts);
        let p = wit(
            guest!(&mut l, i => i.versioning.as_ref().unwrap().call_list_versions(&mut i.store, bucket, &wopts))?,
        )?;
        Ok(VersionPage {
            versions: p.versions.into_iter().map(convert::object_info).collect(),
            next_cursor: p.next_cursor,
        })
    }

    pub async fn get_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        opts: GetOptions,
    ) -> Result<(ObjectInfo, ObjectReader)> {
        self.need(self.inner.caps.versioning, "versioning")?;
        let mut l = self.lease().await?;
        let wopts = convert::get_options(&opts);
        let (info, body) = wit(
            guest!(&mut l, i => i.versioning.as_ref().unwrap().call_get_version(&mut i.store, bucket, key, version_id, &wopts))?,
        )?;
        Ok(self.body(l, convert::object_info(info), body, opts.range))
    }

    pub async fn delete_version(&self, bucket: &str, key: &str, version_id: &str) -> Result<()> {
        self.need(self.inner.caps.versioning, "versioning")?;
        let mut l = self.lease().await?;
        wit(
            guest!(&mut l, i => i.versioning.as_ref().unwrap().call_delete_version(&mut i.store, bucket, key, version_id))?,
        )
    }
}

/// The first read of an upload: bodies that end within it never need a
/// whole chunk buffer.
const SMALL_BODY: usize = 16 * 1024;

/// An upload for `put-stream`, as the host has it.
enum Upload<R> {
    /// An application's reader, passed on as it yields (to a cloud driver).
    Streamed(R),
    /// What was read of an application's reader already, then the rest,
    /// read a chunk at a time.
    Chunked(Vec<u8>, R),
    /// A body in memory.
    Parts(Vec<bytes::Bytes>),
}

/// An `AsyncRead` that counts the bytes it yields (upload progress).
struct Counting<R> {
    inner: R,
    progress: crate::progress::Progress,
    /// The reader's own failure, if it failed.
    broken: Arc<std::sync::Mutex<Option<String>>>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Counting<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        if n > 0 {
            self.progress.add(n);
        }
        if let std::task::Poll::Ready(Err(e)) = &r {
            *self.broken.lock().unwrap() = Some(e.to_string());
        }
        r
    }
}
