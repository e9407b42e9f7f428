//! Buckets: the root's folders (valid bucket names only; `.trove` never is one).

use crate::fs;
use crate::layout;
use crate::lister;
use crate::objects;
use crate::sidecar::{self, BucketRecord};
use crate::trove::driver::log::Level;
use crate::trove::driver::types::{BucketInfo, Error, Timestamp};
use crate::upload;
use crate::wasi::filesystem::types::{DescriptorType, ErrorCode};

pub fn create(bucket: &str) -> Result<(), Error> {
    layout::check_bucket(bucket)?;
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
    let now = trove_driver_common::time::Timestamp::now();
    let record = BucketRecord {
        created: (now.seconds, now.nanoseconds),
    };
    let json = serde_json::to_vec(&record).expect("a bucket record always serialises");
    if let Err(e) = sidecar::write_atomically(&meta, &layout::bucket_record(bucket), &json) {
        // The folder's own time stands in for the creation time then.
        crate::note(
            Level::Warn,
            &format!("bucket {bucket}: could not record the creation time: {e:?}"),
        );
    }
    Ok(())
}

pub fn delete(bucket: &str) -> Result<(), Error> {
    objects::require_bucket(bucket)?;
    let not_empty = || Error::BucketNotEmpty(format!("bucket {bucket:?} is not empty"));
    if lister::has_objects(bucket)? {
        return Err(not_empty());
    }
    match remove_empty_folders(bucket)? {
        true => {}
        false => return Err(not_empty()),
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
        if e.kind != DescriptorType::Directory {
            return Ok(false);
        }
        if !remove_empty_folders(&format!("{path}/{}", e.name))? {
            return Ok(false);
        }
    }
    match fs::root()?.remove_directory_at(path) {
        Ok(()) | Err(ErrorCode::NoEntry) => Ok(true),
        Err(ErrorCode::NotEmpty | ErrorCode::Exist) => Ok(false),
        Err(e) => Err(fs::error(e, &format!("removing folder {path}"))),
    }
}

pub fn list() -> Result<Vec<BucketInfo>, Error> {
    let entries = fs::read_dir("")?.unwrap_or_default();
    let mut buckets: Vec<BucketInfo> = entries
        .into_iter()
        .filter(|e| e.kind == DescriptorType::Directory && layout::check_bucket(&e.name).is_ok())
        .map(|e| {
            let created = created(&e.name);
            BucketInfo {
                name: e.name,
                created,
            }
        })
        .collect();
    buckets.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Ok(buckets)
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
        .map(upload::timestamp)
}
