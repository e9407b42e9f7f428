//! Listing: the folders of a bucket, read one at a time by the SDK's folder walk
//! (`KEYS_ARE_PATHS`), which enters only the folders a page needs and describes
//! only the keys it returns.

use trove_driver::imports::filesystem::types::DescriptorType;
use trove_driver::Error;

use crate::fs;
use crate::objects;

/// The files and folders of folder `dir` (`""` or a key prefix ending in '/') of
/// `bucket`; symlinks and the like are not objects and are left out.
pub fn read_folder(bucket: &str, dir: &str) -> Result<Option<Vec<(String, bool)>>, Error> {
    let path = match dir.strip_suffix('/') {
        Some(d) => format!("{bucket}/{d}"),
        None => bucket.to_string(),
    };
    match fs::read_dir(&path)? {
        Some(entries) => Ok(Some(
            entries
                .into_iter()
                .filter_map(|e| match e.kind {
                    DescriptorType::Directory => Some((e.name, true)),
                    DescriptorType::RegularFile => Some((e.name, false)),
                    _ => None,
                })
                .collect(),
        )),
        // The bucket missing is an error; a folder removed meanwhile is not.
        None if dir.is_empty() => Err(objects::bucket_not_found(bucket)),
        None => objects::require_bucket(bucket).map(|()| None),
    }
}
