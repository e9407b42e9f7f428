//! Buckets (the base's folders with valid bucket names), and a bucket's keys in byte
//! order (`common::walk` over its folders, one `readdir` per folder entered, starting
//! at the first key the SDK asks for).

use trove_driver::{BucketInfo, Error, ObjectInfo, Timestamp};
use trove_driver_common as common;
use trove_driver_common::listing::{KeySource, ListRequest, MAX_KEYS};
use trove_driver_common::walk::{FolderKeys, Folders};

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

/// The walk over every key: each folder's entries are pruned by [`BucketFolders`].
static EVERY_KEY: ListRequest = ListRequest {
    prefix: String::new(),
    delimiter: None,
    max_keys: MAX_KEYS,
    after: None,
};

/// A bucket's folders, read over SFTP, without what sorts before `from`.
struct BucketFolders {
    bucket: String,
    from: String,
}

impl Folders for BucketFolders {
    type Error = Error;
    fn read_folder(&mut self, dir: &str) -> Result<Option<Vec<(String, bool)>>, Error> {
        let rel = match dir.strip_suffix('/') {
            None => self.bucket.clone(),
            Some(d) => format!("{}/{d}", self.bucket),
        };
        let Some(entries) = remote::read_dir(&rel)? else {
            // The bucket itself missing is an error; a folder gone meanwhile is not.
            return if dir.is_empty() {
                Err(bucket_not_found(&self.bucket))
            } else {
                Ok(None)
            };
        };
        let from = self.from.as_str();
        // A file is wanted from `from` on; a folder when a key under it can be.
        let wanted = |full: &str, is_dir: bool| match is_dir {
            true => full >= from || from.starts_with(full),
            false => full >= from,
        };
        Ok(Some(
            entries
                .into_iter()
                .filter(|e| {
                    let slash = if e.attrs.is_dir { "/" } else { "" };
                    wanted(&format!("{dir}{}{slash}", e.name), e.attrs.is_dir)
                })
                .map(|e| (e.name, e.attrs.is_dir))
                .collect(),
        ))
    }
}

/// The bucket's objects from the first key `>= from`, in byte order, each described
/// (a stat and a sidecar read) as the walk reaches it.
pub fn list_sorted(
    bucket: &str,
    from: &str,
) -> Result<Box<dyn Iterator<Item = Result<ObjectInfo, Error>>>, Error> {
    let folders = BucketFolders {
        bucket: bucket.to_string(),
        from: from.to_string(),
    };
    let mut keys = FolderKeys::new(folders, &EVERY_KEY)?;
    let bucket = bucket.to_string();
    Ok(Box::new(std::iter::from_fn(move || loop {
        let described = match keys.next_key() {
            Ok(Some(key)) => objects::describe_key(&bucket, &key),
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        match described {
            Ok(None) => continue, // gone meanwhile
            r => return Some(r.map(Option::unwrap)),
        }
    })))
}
