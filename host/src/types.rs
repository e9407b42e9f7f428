//! Plain data types of the public API. They mirror the WIT contract's
//! records but carry no wasmtime type.

use std::time::SystemTime;

/// Metadata of one stored object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    pub etag: String,
    pub content_type: Option<String>,
    /// Cache-Control, Content-Disposition, … as stored with the object.
    pub headers: ContentHeaders,
    pub last_modified: Option<SystemTime>,
    /// User metadata in order, names with their case kept.
    pub metadata: Vec<(String, String)>,
    pub version_id: Option<String>,
    pub storage_class: Option<String>,
}

/// The standard HTTP headers stored with an object besides its content type,
/// each kept verbatim (`expires` is an HTTP-date as the writer gave it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContentHeaders {
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub expires: Option<String>,
}

impl ContentHeaders {
    /// Each header with its HTTP name, in a fixed order, absent ones left out.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("Cache-Control", &self.cache_control),
            ("Content-Disposition", &self.content_disposition),
            ("Content-Encoding", &self.content_encoding),
            ("Content-Language", &self.content_language),
            ("Expires", &self.expires),
        ]
        .into_iter()
        .filter_map(|(n, v)| v.as_deref().map(|v| (n, v)))
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketInfo {
    pub name: String,
    pub created: Option<SystemTime>,
}

/// A byte range of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// From `offset`, `length` bytes (or to the end when `None`).
    Span { offset: u64, length: Option<u64> },
    /// The last `n` bytes.
    Suffix(u64),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetOptions {
    pub range: Option<ByteRange>,
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub version_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOptions {
    pub content_type: Option<String>,
    /// Stored with the object and returned verbatim by head, get, list and copy.
    pub headers: ContentHeaders,
    pub metadata: Vec<(String, String)>,
    /// `Some("*")`: create only, fail with `precondition-failed` if the key exists.
    pub if_none_match: Option<String>,
    pub if_match: Option<String>,
    /// The body's exact length, when known (a file, a Content-Length): a
    /// driver may then stream it in one request (s3: one PutObject instead
    /// of multipart). The host fails the put if the body differs.
    pub size: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    pub prefix: Option<String>,
    pub delimiter: Option<String>,
    pub max_keys: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    pub objects: Vec<ObjectInfo>,
    pub common_prefixes: Vec<String>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverInfo {
    pub name: String,
    pub version: String,
    /// State lives inside the instance: the host serialises calls.
    pub stateful: bool,
}

/// The optional interfaces a driver exports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub stream_put: bool,
    /// `put-bytes`: a small body the host holds whole goes in one call.
    pub put_bytes: bool,
    pub multipart: bool,
    pub presign: bool,
    pub versioning: bool,
}

impl Capabilities {
    /// Names of the exported optional interfaces, for display.
    pub fn names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.stream_put {
            v.push("stream-put");
        }
        if self.put_bytes {
            v.push("put-bytes");
        }
        if self.multipart {
            v.push("multipart");
        }
        if self.presign {
            v.push("presign");
        }
        if self.versioning {
            v.push("versioning");
        }
        v
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartInfo {
    pub part_number: u32,
    pub etag: String,
    pub size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresignMethod {
    Get,
    Put,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionPage {
    pub versions: Vec<ObjectInfo>,
    pub next_cursor: Option<String>,
}
