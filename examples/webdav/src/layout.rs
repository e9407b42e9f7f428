//! Where things live on the server, below the endpoint:
//!
//! ```text
//! BUCKET/                    a bucket: a top-level collection
//! BUCKET/NAME/               an object: a collection, NAME made from its key
//! BUCKET/NAME/meta           its JSON: key, size, ETag, content type, metadata, time, id
//! BUCKET/NAME/ID.0, ID.1, …  its body in parts of PART_SIZE bytes (none when empty)
//! BUCKET/~up-ID/             an upload in progress, MOVEd onto BUCKET/NAME/ when done
//! ```
//!
//! An object is a collection because the host's `http` import sends one body per
//! request, from guest memory or from a host stream: a body too large for one
//! request is written in parts, and one MOVE makes the parts and the `meta` that
//! describes them visible together. The parts are named after the upload's id (kept
//! in `meta`), so a reader never mixes two versions of an object.
//!
//! NAME is the key with every byte outside `[A-Za-z0-9._-]` (and a leading `.`)
//! percent-encoded, so `/` never makes a directory; a key whose NAME would be longer
//! than [`MAX_NAME`] is `~h-` and the SHA-256 of the key (the key itself is in `meta`).
//! Names starting with `~` are never an encoded key.

use crate::common::codec;
use crate::common::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Body bytes per part: what one request carries from guest memory.
pub const PART_SIZE: u64 = 8 << 20;

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
    /// In order, names with their case.
    pub metadata: Vec<(String, String)>,
    /// When the put finished: seconds and nanoseconds since the Unix epoch.
    pub modified: (i64, u32),
    /// Names the parts: `ID.0`, `ID.1`, …
    pub id: String,
    pub part_size: u64,
}

impl Meta {
    /// The parts holding bytes `offset .. offset + length` of the body, each as
    /// (part name, first byte, length) within that part.
    pub fn pieces(&self, offset: u64, length: u64) -> Vec<(String, u64, u64)> {
        let mut out = Vec::new();
        let (mut at, end) = (offset, offset + length);
        while at < end {
            let part = at / self.part_size;
            let within = at % self.part_size;
            let n = (self.part_size - within).min(end - at);
            out.push((format!("{}.{part}", self.id), within, n));
            at += n;
        }
        out
    }
}

/// A new id for an upload: 16 hex digits, random (std's hash keys come from the
/// host's randomness) and mixed with the time.
pub fn new_id() -> String {
    use std::hash::BuildHasher;
    let now = Timestamp::now();
    let h = std::collections::hash_map::RandomState::new().hash_one((now.seconds, now.nanoseconds));
    format!("{h:016x}")
}

/// The upload collection's name for the id.
pub fn upload_name(id: &str) -> String {
    format!("~up-{id}")
}
