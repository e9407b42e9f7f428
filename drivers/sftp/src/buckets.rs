//! Buckets (the base's folders with valid bucket names), and the folders of a bucket
//! as the SDK's listing walk reads them (one `readdir` per folder it enters).

use trove_driver::{BucketInfo, Error, Timestamp};
use trove_driver_common as common;

use crate::bucket_not_found;
use crate::meta::{self, BucketRecord};
use crate::objects;
use crate::remote::{self, META_DIR};

pub fn create(bucket: &str) -> Result<(), Error> {
    if trove_driver::imports::sftp::mkdir(&remote::path(bucket)).is_err() {
        return Err(match remote::stat(bucket)? {
            Some(_) => Error::BucketExists(format!("bucket {bucket:?} already exists")),
            None => Error::Internal(format!("cannot create the folder of bucket {bucket:?}")),
        });
    }
    let now = common::time::Timestamp::now();
    let record = BucketRecord {
        created: (now.seconds, now.nanoseconds),
    };
    let placed = remote::ensure_dir(META_DIR)
        .and_then(|_| remote::ensure_dir(&format!("{META_DIR}/{bucket}")))
        .and_then(|_| meta::write_temp(&serde_json::to_vec(&record).expect("serialises")))
        .and_then(|tmp| remote::rename(&tmp, &meta::bucket_record(bucket)));
    if let Err(e) = placed {
        let warning = format!("bucket {bucket:?}: no creation record: {e:?}");
        trove_driver::imports::log(trove_driver::imports::log::Level::Warn, &warning);
    }
    Ok(())
}

/// Deletes a bucket the SDK found empty (of objects: its empty folders go with it).
pub fn delete(bucket: &str) -> Result<(), Error> {
    objects::require_bucket(bucket)?;
    remove_tree(bucket)?;
    if remote::stat(bucket)?.is_some() {
        return Err(Error::BucketNotEmpty(format!(
            "bucket {bucket:?} still holds files that are not objects"
        )));
    }
    let _ = remove_tree(&format!("{META_DIR}/{bucket}"));
    Ok(())
}

/// Removes the folder `rel` with its empty folders (and, under `.trove`, its files).
fn remove_tree(rel: &str) -> Result<(), Error> {
    let Some(entries) = remote::read_dir(rel)? else {
        return Ok(());
    };
    let state = rel.starts_with(".trove/");
    for e in entries {
        let child = format!("{rel}/{}", e.name);
        if e.attrs.is_dir {
            remove_tree(&child)?;
        } else if state {
            remote::remove(&child)?;
        }
    }
    remote::remove_dir(rel);
    Ok(())
}

pub fn list() -> Result<Vec<BucketInfo>, Error> {
    Ok(remote::read_dir("")?
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.attrs.is_dir && common::names::validate_bucket(&e.name).is_ok())
        .map(|e| {
            let created = match meta::load_bucket_record(&e.name) {
                Some(r) => Some(Timestamp {
                    seconds: r.created.0,
                    nanoseconds: r.created.1,
                }),
                None => e.attrs.modified,
            };
            BucketInfo {
                name: e.name,
                created,
            }
        })
        .collect())
}

/// The entries of folder `dir` (`""` or a key prefix ending in '/') of a bucket, as
/// (name, is-folder). The host never follows a symlink: one that names a folder is
/// listed as a file, and reading it is refused.
pub fn read_folder(bucket: &str, dir: &str) -> Result<Option<Vec<(String, bool)>>, Error> {
    let rel = match dir.strip_suffix('/') {
        None => bucket.to_string(),
        Some(d) => format!("{bucket}/{d}"),
    };
    match remote::read_dir(&rel)? {
        Some(entries) => Ok(Some(
            entries
                .into_iter()
                .map(|e| (e.name, e.attrs.is_dir))
                .collect(),
        )),
        // A folder gone meanwhile is no error; the bucket missing is.
        None if dir.is_empty() => Err(bucket_not_found(bucket)),
        None => objects::require_bucket(bucket).map(|()| None),
    }
}
