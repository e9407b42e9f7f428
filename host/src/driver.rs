//! The typed driver handle applications use. No wasmtime type appears here.

use crate::bindings::core::Body;
use crate::body::{self, drop_resource, ObjectReader, CHUNK};
use crate::convert;
use crate::error::{Error, ErrorKind, Result};
use crate::pool::{guest, Lease, Pool};
use crate::types::*;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt};

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
        let mut l = self.lease().await?;
        wit(guest!(&mut l, i => i.core.call_ping(&mut i.store))?)
    }

    pub async fn close(&self) -> Result<()> {
        let mut l = self.lease().await?;
        wit(guest!(&mut l, i => i.core.call_close(&mut i.store))?)
    }

    /// Stream `body` into `bucket/key`. Memory use stays flat: the body moves
    /// in chunks, and nothing is visible until the driver commits it.
    pub async fn put(
        &self,
        bucket: &str,
        key: &str,
        mut body: impl AsyncRead + Send + Unpin + 'static,
        opts: PutOptions,
    ) -> Result<ObjectInfo> {
        let mut l = self.lease().await?;
        let wopts = convert::put_options(&opts);
        let writer = wit(guest!(&mut l, i => i.core.call_put(&mut i.store, bucket, key, &wopts))?)?;
        let mut buf = vec![0u8; CHUNK];
        let outcome: Result<()> = async {
            loop {
                let n = read_full(&mut body, &mut buf).await.map_err(|e| Error::io("reading the upload", e))?;
                if n == 0 {
                    return Ok(());
                }
                wit(guest!(&mut l, i => i.core.writer().call_write(&mut i.store, writer, &buf[..n]))?)?;
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

    /// Put from memory.
    pub async fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        data: impl Into<Vec<u8>>,
        opts: PutOptions,
    ) -> Result<ObjectInfo> {
        self.put(bucket, key, std::io::Cursor::new(data.into()), opts)
            .await
    }

    /// The object's info and its body as an `AsyncRead`.
    pub async fn get(
        &self,
        bucket: &str,
        key: &str,
        opts: GetOptions,
    ) -> Result<(ObjectInfo, ObjectReader)> {
        let mut l = self.lease().await?;
        let wopts = convert::get_options(&opts);
        let (info, body) =
            wit(guest!(&mut l, i => i.core.call_get(&mut i.store, bucket, key, &wopts))?)?;
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
        let mut l = self.lease().await?;
        wit(guest!(&mut l, i => i.core.call_head(&mut i.store, bucket, key))?)
            .map(convert::object_info)
    }

    /// Deleting a missing object succeeds.
    pub async fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        let mut l = self.lease().await?;
        wit(guest!(&mut l, i => i.core.call_delete(&mut i.store, bucket, key))?)
    }

    pub async fn list(&self, bucket: &str, opts: ListOptions) -> Result<ListPage> {
        let mut l = self.lease().await?;
        let wopts = convert::list_options(&opts);
        wit(guest!(&mut l, i => i.core.call_list(&mut i.store, bucket, &wopts))?)
            .map(convert::list_page)
    }

    pub async fn copy(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
    ) -> Result<ObjectInfo> {
        let mut l = self.lease().await?;
        wit(guest!(&mut l, i => i.core.call_copy(&mut i.store, src_bucket, src_key, dst_bucket, dst_key))?)
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
        let mut l = self.lease().await?;
        let v = wit(guest!(&mut l, i => i.core.call_list_buckets(&mut i.store))?)?;
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
        let mut l = self.lease().await?;
        let p = wit(
            guest!(&mut l, i => i.multipart.as_ref().unwrap().call_upload_part(&mut i.store, bucket, key, upload_id, part_number, &data))?,
        )?;
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

/// Fill `buf` as far as the source allows; 0 means end of input.
async fn read_full(r: &mut (impl AsyncRead + Unpin), buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let m = r.read(&mut buf[n..]).await?;
        if m == 0 {
            break;
        }
        n += m;
    }
    Ok(n)
}
