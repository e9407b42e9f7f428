//! What a data file cannot say for itself, kept next to it under `.trove/`:
//!
//! - the **sidecar** of a key (ETag, content type, metadata), trusted only while it
//!   describes the data file that is there: same key, same size, same modification time
//!   (SFTP v3 gives seconds). Otherwise the object is described from its content.
//! - the **bucket record** (creation time);
//! - a key's **commit lock**, so that the two renames of a commit (sidecar, then data)
//!   of concurrent puts to one key never interleave, and `if-none-match: *` is atomic.

use serde::{Deserialize, Serialize};
use trove_driver_common as common;

use crate::remote::{self, LOCK_DIR, META_DIR};
use trove_driver::imports::sftp::{Attrs, OpenFlags};
use trove_driver::Error;

const MAX_RECORD: u32 = 1 << 20;
/// A commit lock older than this is left over from a crashed commit and is broken.
const STALE_LOCK_SECS: i64 = 30;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sidecar {
    pub key: String,
    pub etag: String,
    pub size: u64,
    /// The data file's modification time in seconds.
    pub modified: i64,
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
    pub fn describes(&self, key: &str, attrs: &Attrs) -> bool {
        self.key == key
            && Some(self.size) == attrs.size
            && attrs.modified.is_some_and(|m| m.seconds == self.modified)
    }
}

/// The sidecar of a key: (its folder, its path). Named by a hash of the key, so no key
/// can make its sidecar collide with another's.
pub fn sidecar_path(bucket: &str, key: &str) -> (String, String) {
    let h = common::etag::digest_hex(key.as_bytes());
    let dir = format!("{META_DIR}/{bucket}/{}", &h[..2]);
    let path = format!("{dir}/{}.json", &h[2..]);
    (dir, path)
}

pub fn load(bucket: &str, key: &str) -> Option<Sidecar> {
    let bytes = remote::read_small(&sidecar_path(bucket, key).1, MAX_RECORD).ok()??;
    serde_json::from_slice(&bytes).ok()
}

/// Writes `bytes` to a new temporary file; returns its path.
pub fn write_temp(bytes: &[u8]) -> Result<String, Error> {
    let (path, f) = remote::create_temp()?;
    let written = f.write(0, bytes).and_then(|_| f.close());
    match written {
        Ok(()) => Ok(path),
        Err(e) => {
            let _ = remote::remove(&path);
            Err(e)
        }
    }
}

/// Stages a sidecar: written to a temporary file, its folders created. Returns
/// (temporary path, final path).
pub fn stage(bucket: &str, record: &Sidecar) -> Result<(String, String), Error> {
    let (dir, path) = sidecar_path(bucket, &record.key);
    remote::ensure_dir(META_DIR)?;
    remote::ensure_dir(&format!("{META_DIR}/{bucket}"))?;
    remote::ensure_dir(&dir)?;
    let json = serde_json::to_vec(record).expect("a sidecar always serialises");
    Ok((write_temp(&json)?, path))
}

pub fn bucket_record(bucket: &str) -> String {
    format!("{META_DIR}/{bucket}/bucket.json")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BucketRecord {
    pub created: (i64, u32),
}

pub fn load_bucket_record(bucket: &str) -> Option<BucketRecord> {
    let bytes = remote::read_small(&bucket_record(bucket), MAX_RECORD).ok()??;
    serde_json::from_slice(&bytes).ok()
}

/// A key's commit lock, held while it lives.
pub struct Lock(String);

impl Lock {
    pub fn acquire(bucket: &str, key: &str) -> Result<Lock, Error> {
        let h = common::etag::digest_hex(format!("{bucket}/{key}").as_bytes());
        let path = format!("{LOCK_DIR}/{h}");
        let flags = OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::EXCLUSIVE;
        for attempt in 0..4000u32 {
            match remote::open(&path, flags) {
                Ok(f) => {
                    let _ = f.close();
                    return Ok(Lock(path));
                }
                Err(Error::ObjectNotFound(_)) => {
                    remote::ensure_dir(".trove")?;
                    remote::ensure_dir(LOCK_DIR)?;
                }
                Err(e) => match remote::stat(&path)? {
                    None => {}
                    Some(a) => {
                        let now = common::time::Timestamp::now().seconds;
                        let age = a.modified.map_or(0, |m| now - m.seconds);
                        if age > STALE_LOCK_SECS {
                            let _ = remote::remove(&path);
                        } else if attempt > 3000 {
                            return Err(Error::Unavailable(format!(
                                "key {key:?} is being committed by another writer: {e:?}"
                            )));
                        } else {
                            std::thread::sleep(std::time::Duration::from_millis(2));
                        }
                    }
                },
            }
        }
        Err(Error::Unavailable(format!("cannot lock key {key:?}")))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = remote::remove(&self.0);
    }
}
