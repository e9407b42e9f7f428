//! Buckets: the root's folders (valid bucket names only; `.trove` never is one).

use trove_driver::imports::filesystem::types::{DescriptorType, ErrorCode};
use trove_driver::imports::log::Level;
use trove_driver::{BucketInfo, Error, Timestamp};

use crate::fs;
use crate::layout;
use crate::objects;
use crate::sidecar::{self, BucketRecord};

pub fn create(bucket: &str) -> Result<(), Error> {
    match fs::root()?.create_directory_at(bucket) {
        Ok(()) => {}
        Err(ErrorCode::Exist) => {
            return Err(Error::BucketExists(format!(
                "bucket {bucket:?} already exists"
            )))
        }
        Err(e) => return Err(fs::error(e, &format!("creating bucket folder {bucket}"))),
    }
    // Stale state of an earlier bucket of that name goes first.
    let meta = layout::meta_bucket_dir(bucket);
    let _ = fs::remove_tree(&meta);
    let now = trove_driver::now();
    let record = BucketRecord {
        created: (now.seconds, now.nanoseconds),
    };
    let json = serde_json::to_vec(&record).expect("a bucket record always serialises");
    if let Err(e) = sidecar::write_atomically(&meta, &layout::bucket_record(bucket), &json) {
        // The folder's own time stands in for the creation time then.
        trove_driver::imports::log(
            Level::Warn,
            &format!("bucket {bucket}: could not record the creation time: {e:?}"),
        );
    }
    Ok(())
}

/// Deletes a bucket the SDK found without objects: its folders must all be empty.
pub fn delete(bucket: &str) -> Result<(), Error> {
    objects::require_bucket(bucket)?;
    if !remove_empty_folders(bucket)? {
        return Err(Error::BucketNotEmpty(format!(
            "bucket {bucket:?} is not empty"
        )));
    }
    let _ = fs::remove_tree(&layout::meta_bucket_dir(bucket));
    Ok(())
}

/// Removes `path` and the empty folders under it, bottom-up; `false` when something
/// that is not a folder is in the way (an object that just arrived, a symlink, ...).
fn remove_empty_folders(path: &str) -> Result<bool, Error> {
    let Some(entries) = fs::read_dir(path)? else {
        return Ok(true);
    };
    for e in entries {
        if e.kind != DescriptorType::Directory
            || !remove_empty_folders(&format!("{path}/{}", e.name))?
        {
            return Ok(false);
        }
    }
    match fs::root()?.remove_directory_at(path) {
        Ok(()) | Err(ErrorCode::NoEntry) => Ok(true),
        Err(ErrorCode::NotEmpty | ErrorCode::Exist) => Ok(false),
        Err(e) => Err(fs::error(e, &format!("removing folder {path}"))),
    }
}

/// The buckets, unsorted (the SDK sorts them).
pub fn list() -> Result<Vec<BucketInfo>, Error> {
    let entries = fs::read_dir("")?.unwrap_or_default();
    Ok(entries
        .into_iter()
        .filter(|e| e.kind == DescriptorType::Directory)
        .filter(|e| trove_driver_common::names::validate_bucket(&e.name).is_ok())
        .map(|e| BucketInfo {
            created: created(&e.name),
            name: e.name,
        })
        .collect())
}

/// The recorded creation time, else the folder's modification time.
fn created(bucket: &str) -> Option<Timestamp> {
    if let Some(r) = sidecar::load_bucket_record(bucket) {
        return Some(Timestamp {
            seconds: r.created.0,
            nanoseconds: r.created.1,
        });
    }
    fs::stat_at(bucket)
        .ok()
        .flatten()
        .and_then(|s| s.data_modification_timestamp)
        .map(fs::timestamp)
}
