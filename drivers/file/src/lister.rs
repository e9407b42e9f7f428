//! Listing: the bucket's objects in byte order of their keys from a key on, for the
//! SDK's pages. The folders are walked by `common::walk` (see there why its order is
//! byte order); folders and files wholly before the starting key are never read, and
//! each object is described only when the SDK asks for the next one.

use trove_driver::imports::filesystem::types::DescriptorType;
use trove_driver::{Error, ObjectInfo};
use trove_driver_common::listing::{KeySource, ListRequest};
use trove_driver_common::walk::{FolderKeys, Folders};

use crate::fs;
use crate::objects;

/// Every key: the pruning by the starting key is done in [`BucketFolders`].
static ALL: ListRequest = ListRequest {
    prefix: String::new(),
    delimiter: None,
    max_keys: 1000,
    after: None,
};

/// The objects of `bucket` whose keys are `>= from`, in byte order of the keys.
pub fn objects_from(
    bucket: &str,
    from: &str,
) -> Result<Box<dyn Iterator<Item = Result<ObjectInfo, Error>>>, Error> {
    objects::require_bucket(bucket)?;
    let folders = BucketFolders {
        bucket: bucket.to_string(),
        from: from.to_string(),
    };
    let mut keys = FolderKeys::new(folders, &ALL)?;
    let bucket = bucket.to_string();
    Ok(Box::new(std::iter::from_fn(move || loop {
        match keys.next_key() {
            Ok(Some(key)) => match objects::describe_key(&bucket, &key) {
                Ok(None) => continue, // removed meanwhile
                described => return described.transpose(),
            },
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        }
    })))
}

/// The folders of one bucket, without the entries whose keys all sort before `from`.
struct BucketFolders {
    bucket: String,
    from: String,
}

impl Folders for BucketFolders {
    type Error = Error;

    fn read_folder(&mut self, dir: &str) -> Result<Option<Vec<(String, bool)>>, Error> {
        let path = match dir.strip_suffix('/') {
            Some(d) => format!("{}/{d}", self.bucket),
            None => self.bucket.clone(),
        };
        let from = self.from.as_str();
        Ok(fs::read_dir(&path)?.map(|entries| {
            entries
                .into_iter()
                .filter_map(|e| match e.kind {
                    DescriptorType::Directory => Some((e.name, true)),
                    DescriptorType::RegularFile => Some((e.name, false)),
                    _ => None, // symlinks and the like are not objects
                })
                .filter(|(name, is_dir)| {
                    // A folder `d/` holds keys >= `from` when `d/ >= from` or `from` is in it.
                    let full = format!("{dir}{name}{}", if *is_dir { "/" } else { "" });
                    full.as_str() >= from || (*is_dir && from.starts_with(&full))
                })
                .collect()
        }))
    }
}
