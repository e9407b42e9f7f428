//! Where things live on the server, below the endpoint:
//!
//! ```text
//! BUCKET/              a bucket: a top-level collection
//! BUCKET/NAME/         an object: a collection, NAME made from its key
//! BUCKET/NAME/meta     its JSON: key, size, ETag, content type, metadata, time
//! BUCKET/NAME/body     its bytes
//! BUCKET/~up-ID/       a put being staged, MOVEd onto BUCKET/NAME/ when done
//! ```
//!
//! One MOVE makes a new body and the `meta` that describes it visible together.
//!
//! NAME is the key with every byte outside `[A-Za-z0-9._-]` (and a leading `.`)
//! percent-encoded, so `/` never makes a directory; a key whose NAME would be longer
//! than [`MAX_NAME`] is `~h-` and the SHA-256 of the key (the key itself is in `meta`).
//! Names starting with `~` are never an encoded key.

use serde::{Deserialize, Serialize};
use trove_driver::{ObjectInfo, Timestamp};
use trove_driver_common::codec;

/// The longest NAME made by encoding; file systems hold 255 bytes.
const MAX_NAME: usize = 200;

/// The name on the server of the object `key`.
pub fn name_of(key: &str) -> String {
    let mut name = String::with_capacity(key.len());
    for (i, &b) in key.as_bytes().iter().enumerate() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' => name.push(b as char),
            b'.' if i > 0 => name.push('.'),
            _ => name.push_str(&format!("%{b:02X}")),
        }
    }
    if name.len() > MAX_NAME {
        format!("~h-{}", codec::sha256_hex(key.as_bytes()))
    } else {
        name
    }
}

/// What a member of a bucket is, by its name.
pub enum Member {
    /// An object whose key its name encodes.
    Key(String),
    /// An object whose key only its `meta` holds (a long key).
    Hashed,
    /// Not an object: an upload in progress, or something else on the share.
    Other,
}

pub fn member(name: &str) -> Member {
    if name.starts_with("~h-") {
        return Member::Hashed;
    }
    let key = codec::uri_decode(name);
    // Only a name this driver would have made for that key is an object.
    if !key.is_empty() && name_of(&key) == name {
        Member::Key(key)
    } else {
        Member::Other
    }
}

/// A name in a URL path: the names above hold no character that needs escaping
/// there but `%`.
pub fn escape(name: &str) -> String {
    name.replace('%', "%25")
}

/// The path of a bucket, below the endpoint.
pub fn bucket_path(bucket: &str) -> String {
    format!("/{bucket}/")
}

/// The path of a bucket's member (an object, an upload), below the endpoint.
pub fn member_path(bucket: &str, name: &str) -> String {
    format!("/{bucket}/{}/", escape(name))
}

/// The object's `meta` resource: everything but the body.
#[derive(Serialize, Deserialize, Clone)]
pub struct Meta {
    pub key: String,
    pub size: u64,
    pub etag: String,
    pub content_type: Option<String>,
    /// Cache-Control, Content-Disposition, …: (lower-case name, value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// In order, names with their case.
    pub metadata: Vec<(String, String)>,
    /// When the put finished: seconds and nanoseconds since the Unix epoch.
    pub modified: (i64, u32),
}

impl Meta {
    pub fn info(self) -> ObjectInfo {
        ObjectInfo {
            key: self.key,
            size: self.size,
            etag: self.etag,
            content_type: self.content_type,
            headers: trove_driver::headers_from_pairs(&self.headers),
            last_modified: Some(Timestamp {
                seconds: self.modified.0,
                nanoseconds: self.modified.1,
            }),
            metadata: self.metadata,
            version_id: None,
            storage_class: None,
        }
    }
}

/// A new upload collection's name.
pub fn upload_name() -> String {
    format!("~up-{}", trove_driver::unique_id())
}
