//! Buckets (the base's folders with valid bucket names) and listing a bucket's keys
//! (`common::walk` over the bucket's folders, `common::listing` for the page).

use trove_driver_common as common;
use trove_driver_common::listing::{list_page, KeySource, ListRequest};
use trove_driver_common::walk::{FolderKeys, Folders};

use crate::bucket_not_found;
use crate::meta::{self, BucketRecord};
use crate::objects;
use crate::remote::{self, META_DIR};
use crate::trove::driver::types::{BucketInfo, Error, ListOptions, ListPage, Timestamp};

pub fn create(bucket: &str) -> Result<(), Error> {
    common::names::validate_bucket(bucket)?;
    if crate::trove::driver::sftp::mkdir(&remote::path(bucket)).is_err() {
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
        crate::note_warn(&format!("bucket {bucket:?}: no creation record: {e:?}"));
    }
    Ok(())
}

pub fn delete(bucket: &str) -> Result<(), Error> {
    objects::require_bucket(bucket)?;
    if has_objects(bucket)? {
        return Err(Error::BucketNotEmpty(format!(
            "bucket {bucket:?} is not empty"
        )));
    }
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
    let mut out: Vec<BucketInfo> = remote::read_dir("")?
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
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// A bucket's folders, read over SFTP.
struct BucketFolders<'a>(&'a str);

impl Folders for BucketFolders<'_> {
    type Error = Error;
    fn read_folder(&mut self, dir: &str) -> Result<Option<Vec<(String, bool)>>, Error> {
        let rel = if dir.is_empty() {
            self.0.to_string()
        } else {
            format!("{}/{}", self.0, &dir[..dir.len() - 1])
        };
        Ok(remote::read_dir(&rel)?.map(|entries| {
            entries
                .into_iter()
                .map(|e| (e.name, e.attrs.is_dir))
                .collect()
        }))
    }
}

pub fn list_objects(bucket: &str, opts: ListOptions) -> Result<ListPage, Error> {
    let req = ListRequest::new(
        opts.prefix,
        opts.delimiter,
        opts.max_keys,
        opts.cursor.as_deref(),
    )?;
    objects::require_bucket(bucket)?;
    let mut keys = FolderKeys::new(BucketFolders(bucket), &req)?;
    let page = list_page(&req, &mut keys, |key| objects::describe_key(bucket, key))?;
    if page.objects.is_empty() && page.common_prefixes.is_empty() && !remote::is_dir(bucket)? {
        return Err(bucket_not_found(bucket));
    }
    Ok(ListPage {
        objects: page.objects,
        common_prefixes: page.common_prefixes,
        next_cursor: page.next_cursor,
    })
}

fn has_objects(bucket: &str) -> Result<bool, Error> {
    let req = ListRequest::new(None, None, Some(1), None)?;
    let mut keys = FolderKeys::new(BucketFolders(bucket), &req)?;
    Ok(keys.next_key()?.is_some())
}
