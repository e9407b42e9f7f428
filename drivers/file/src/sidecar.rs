//! The sidecar of an object (`.trove/meta/<bucket>/<h>/<h>.json`): what the data file
//! cannot say for itself. It is trusted only while it describes the data file that is
//! there now: same key, same size and same modification time (set by the driver, to the
//! nanosecond, when it commits the file). Otherwise the object is described from the
//! data file alone: an ETag computed from the content, no content type, no metadata.
//! Small objects without content type or metadata are written without a sidecar on
//! purpose (see [`needed`]).

use serde::{Deserialize, Serialize};

use trove_driver::imports::filesystem::types::DescriptorStat;
use trove_driver::Error;

use crate::fs;
use crate::layout;

/// Sidecars are small; anything larger is not ours.
const MAX_SIDECAR: u64 = 1 << 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sidecar {
    pub key: String,
    pub etag: String,
    pub size: u64,
    /// The data file's modification time: seconds and nanoseconds.
    pub modified: (u64, u32),
    pub content_type: Option<String>,
    /// Cache-Control, Content-Disposition, …: (lower-case name, value), as
    /// `trove_driver::headers_to_pairs` writes them. Absent in sidecars
    /// written before contract 0.2.0.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// In order, with the case of names kept.
    pub metadata: Vec<(String, String)>,
}

impl Sidecar {
    /// True when this sidecar describes the data file with `stat`.
    pub fn describes(&self, key: &str, stat: &DescriptorStat) -> bool {
        self.key == key
            && self.size == stat.size
            && stat
                .data_modification_timestamp
                .is_some_and(|t| (t.seconds, t.nanoseconds) == self.modified)
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a sidecar always serialises")
    }
}

/// Objects up to this size without content type, headers or metadata get no sidecar: their
/// ETag is computed from the content, which costs one read.
pub const HASH_ON_READ_MAX: u64 = 64 * 1024;

/// True when `record` must be kept in a sidecar file.
pub fn needed(record: &Sidecar) -> bool {
    record.content_type.is_some()
        || !record.headers.is_empty()
        || !record.metadata.is_empty()
        || record.size > HASH_ON_READ_MAX
}

/// The sidecar of `key`, if there is a readable one.
pub fn load(bucket: &str, key: &str) -> Option<Sidecar> {
    let (_, path) = layout::sidecar(bucket, key);
    let bytes = fs::read_small_file(&path, MAX_SIDECAR).ok()??;
    serde_json::from_slice(&bytes).ok()
}

/// What `.trove/meta/<bucket>/bucket.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BucketRecord {
    pub created: (i64, u32),
}

pub fn load_bucket_record(bucket: &str) -> Option<BucketRecord> {
    let bytes = fs::read_small_file(&layout::bucket_record(bucket), MAX_SIDECAR).ok()??;
    serde_json::from_slice(&bytes).ok()
}

/// Writes `bytes` to `path` through a temporary file and a rename, creating the
/// folder `dir` first.
pub fn write_atomically(dir: &str, path: &str, bytes: &[u8]) -> Result<(), Error> {
    let tmp = write_temp(bytes)?;
    let placed = fs::create_dir_all(dir).and_then(|_| {
        fs::root()?
            .rename_at(&tmp, fs::root()?, path)
            .map_err(|e| fs::error(e, &format!("renaming {tmp} to {path}")))
    });
    if placed.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    placed
}

/// Writes `bytes` to a new temporary file and returns its path.
pub fn write_temp(bytes: &[u8]) -> Result<String, Error> {
    let (path, fd) = crate::upload::create_temp()?;
    let written = fs::write_all(&fd, bytes, 0, &format!("writing {path}"));
    drop(fd);
    match written {
        Ok(()) => Ok(path),
        Err(e) => {
            let _ = fs::remove_file(&path);
            Err(e)
        }
    }
}
