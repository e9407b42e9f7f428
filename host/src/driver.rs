//! The typed driver handle applications use.

use crate::error::Result;
use crate::types::*;
use tokio::io::AsyncRead;

/// A boxed async byte source or sink, as the API passes bodies around.
pub type BoxReader = Box<dyn AsyncRead + Send + Unpin + 'static>;

/// An opened driver: one DSN, served by one or more sandboxed instances.
/// Cheap to clone; clones share the instances.
#[derive(Clone)]
pub struct Driver {
    _p: (),
}

/// The body of a `get`, read as an `AsyncRead`.
pub struct ObjectReader {
    _p: (),
}

impl Driver {
    pub fn info(&self) -> &DriverInfo { todo!() }
    pub fn capabilities(&self) -> Capabilities { todo!() }
    /// The DSN with the password redacted.
    pub fn dsn_display(&self) -> &str { todo!() }
    pub async fn name(&self) -> Result<String> { todo!() }
    pub async fn ping(&self) -> Result<()> { todo!() }
    pub async fn close(&self) -> Result<()> { todo!() }
    pub async fn put(&self, bucket: &str, key: &str, body: impl AsyncRead + Send + Unpin + 'static, opts: PutOptions) -> Result<ObjectInfo> { todo!() }
    pub async fn put_bytes(&self, bucket: &str, key: &str, data: impl Into<Vec<u8>>, opts: PutOptions) -> Result<ObjectInfo> { todo!() }
    pub async fn get(&self, bucket: &str, key: &str, opts: GetOptions) -> Result<(ObjectInfo, ObjectReader)> { todo!() }
    pub async fn get_bytes(&self, bucket: &str, key: &str, opts: GetOptions) -> Result<(ObjectInfo, Vec<u8>)> { todo!() }
    pub async fn head(&self, bucket: &str, key: &str) -> Result<ObjectInfo> { todo!() }
    pub async fn delete(&self, bucket: &str, key: &str) -> Result<()> { todo!() }
    pub async fn list(&self, bucket: &str, opts: ListOptions) -> Result<ListPage> { todo!() }
    pub async fn copy(&self, src_bucket: &str, src_key: &str, dst_bucket: &str, dst_key: &str) -> Result<ObjectInfo> { todo!() }
    pub async fn create_bucket(&self, bucket: &str) -> Result<()> { todo!() }
    pub async fn delete_bucket(&self, bucket: &str) -> Result<()> { todo!() }
    pub async fn list_buckets(&self) -> Result<Vec<BucketInfo>> { todo!() }
    // optional capabilities: `unsupported` when the driver does not export them
    pub async fn create_multipart(&self, bucket: &str, key: &str, opts: PutOptions) -> Result<String> { todo!() }
    pub async fn upload_part(&self, bucket: &str, key: &str, upload_id: &str, part_number: u32, data: Vec<u8>) -> Result<PartInfo> { todo!() }
    pub async fn complete_multipart(&self, bucket: &str, key: &str, upload_id: &str, parts: Vec<(u32, String)>) -> Result<ObjectInfo> { todo!() }
    pub async fn abort_multipart(&self, bucket: &str, key: &str, upload_id: &str) -> Result<()> { todo!() }
    pub async fn list_parts(&self, bucket: &str, key: &str, upload_id: &str) -> Result<Vec<PartInfo>> { todo!() }
    pub async fn presign(&self, method: PresignMethod, bucket: &str, key: &str, expires_secs: u32) -> Result<String> { todo!() }
    pub async fn list_versions(&self, bucket: &str, opts: ListOptions) -> Result<VersionPage> { todo!() }
    pub async fn get_version(&self, bucket: &str, key: &str, version_id: &str, opts: GetOptions) -> Result<(ObjectInfo, ObjectReader)> { todo!() }
    pub async fn delete_version(&self, bucket: &str, key: &str, version_id: &str) -> Result<()> { todo!() }
}
