//! Where everything lives under the root, and the key rules this layout adds.
//!
//! Buckets are the root's folders; internal state lives in `.trove/`, which is never a
//! bucket because bucket names cannot start with '.'. A key's '/' separate folders,
//! so a key must be a clean relative path: no leading or trailing '/', no empty,
//! '.' or '..' segment. Nothing built here can climb out of the root.

use trove_driver_common as common;

pub const TMP_DIR: &str = ".trove/tmp";
pub const META_DIR: &str = ".trove/meta";

/// The data file of an object.
pub fn data_path(bucket: &str, key: &str) -> String {
    format!("{bucket}/{key}")
}

/// The bucket's folder of internal state.
pub fn meta_bucket_dir(bucket: &str) -> String {
    format!("{META_DIR}/{bucket}")
}

/// The bucket record (its creation time).
pub fn bucket_record(bucket: &str) -> String {
    format!("{META_DIR}/{bucket}/bucket.json")
}

/// The sidecar of a key: its folder and its path. Named by a hash of the key, so any
/// key (whatever its length or the names of its folders) gets a sidecar that cannot
/// collide with another key's; the sidecar holds the key itself for checking.
pub fn sidecar(bucket: &str, key: &str) -> (String, String) {
    let h = common::etag::digest_hex(key.as_bytes());
    let dir = format!("{META_DIR}/{bucket}/{}", &h[..2]);
    let path = format!("{dir}/{}.json", &h[2..]);
    (dir, path)
}

/// A fresh temporary path in `.trove/tmp` (the caller creates it exclusively, so
/// a clash between instances is harmless).
pub fn temp_path() -> String {
    format!("{TMP_DIR}/{}", trove_driver::unique_id())
}
