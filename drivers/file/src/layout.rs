//! Where everything lives under the root, and the key rules this layout adds.
//!
//! Buckets are the root's folders; internal state lives in `.trove/`, which is never a
//! bucket because bucket names cannot start with '.'. A key's '/' separate folders,
//! so a key must be a clean relative path: no leading '/', no empty, '.' or '..'
//! segment. Nothing built here can climb out of the root.
//!
//! **Folder markers.** A key ending in '/' (`photos/`, as s3fs `mkdir`, an S3
//! console's "Create folder" or rclone make them) is kept in the reserved file
//! `.trove-folder-marker` inside its folder: `photos/` is `<bucket>/photos/.trove-folder-marker`,
//! with a sidecar like any key's (named by the hash of `photos/`). Why there, and not
//! as a record under `.trove/` only:
//!
//! - the folder is not empty while the marker is in it, so the cleanup that removes
//!   the folders a delete leaves empty keeps it, with no extra check;
//! - a listing finds the marker in the folder it reads anyway (the SDK's walk lists
//!   that file as the key `photos/`, first in its folder), with no lookup per folder;
//! - the marker goes with its folder when someone moves or removes the folder by
//!   hand, as a `.keep` file would;
//! - stores written before keep their meaning: no file there had that name unless a
//!   key did, and such a key (any key with a segment `.trove-folder-marker`) is now
//!   refused (the name is reserved; see `trove_driver_common::paths`).
//!
//! **One path, one thing.** The file `a/b` and the folder `a/b` cannot both exist, so
//! `a/b` cannot be an object while `a/b/c` or the marker `a/b/` is one: such a put is
//! `invalid-argument`, naming the key in the way (`common::paths::object_in_the_way`,
//! `folder_in_the_way`). Keeping such an object inside its folder instead would cost
//! every lookup a second stat, and turning the file `a/b` into a folder when `a/b/c`
//! arrives cannot be atomic (a rename, a mkdir, a rename) while other instances read
//! and write the same tree.

use trove_driver_common as common;

pub const TMP_DIR: &str = ".trove/tmp";
pub const META_DIR: &str = ".trove/meta";

/// The data file of an object (of a folder marker `a/`: `a/.trove-folder-marker`).
pub fn data_path(bucket: &str, key: &str) -> String {
    format!("{bucket}/{}", common::paths::stored_path(key))
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
