//! Where everything lives under the root, and the key rules this layout adds.
//!
//! Buckets are the root's folders; internal state lives in `.trove/`, which is never a
//! bucket because bucket names cannot start with '.'. A key's '/' separate folders,
//! so a key must be a clean relative path: no leading or trailing '/', no empty,
//! '.' or '..' segment. Nothing built here can climb out of the root.

use trove_driver_common as common;

use crate::trove::driver::types::Error;

pub const TMP_DIR: &str = ".trove/tmp";
pub const META_DIR: &str = ".trove/meta";

/// Checks a bucket name (the contract's rules).
pub fn check_bucket(bucket: &str) -> Result<(), Error> {
    Ok(common::names::validate_bucket(bucket)?)
}

/// Checks a key: the contract's rules, then the path rules shared with sftp.
pub fn check_key(key: &str) -> Result<(), Error> {
    Ok(common::paths::validate_path_key(key)?)
}

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
    let h = common::etag::etag_of(key.as_bytes());
    let dir = format!("{META_DIR}/{bucket}/{}", &h[..2]);
    let path = format!("{dir}/{}.json", &h[2..]);
    (dir, path)
}

/// A fresh temporary path in `.trove/tmp` (the caller creates it exclusively).
pub fn temp_path(attempt: u32) -> String {
    use std::cell::Cell;
    thread_local!(static COUNTER: Cell<u64> = const { Cell::new(0) });
    let n = COUNTER.with(|c| {
        c.set(c.get().wrapping_add(1));
        c.get()
    });
    let now = common::time::Timestamp::now();
    // The clock's nanoseconds and the counter make clashes between instances unlikely;
    // exclusive creation makes them harmless.
    let salt = common::etag::etag_of(format!("{now:?}{n}{attempt}").as_bytes());
    format!(
        "{TMP_DIR}/{}-{:09}-{}",
        now.seconds,
        now.nanoseconds,
        &salt[..12]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents() {
        assert_eq!(parent_folders("a/b/c").collect::<Vec<_>>(), ["a", "a/b"]);
        assert!(parent_folders("a").next().is_none());
    }
}
