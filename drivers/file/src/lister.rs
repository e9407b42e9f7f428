//! Listing: the bucket's keys in byte order, walked folder by folder, for
//! `common::listing::list_page`.
//!
//! The walk is depth-first over entries sorted by name, where a folder sorts as its
//! name followed by '/': every key under folder `a` starts with `a/`, so `a-b` comes
//! before `a/x` and `a0` after it, exactly as byte order of the full keys wants. It
//! starts at the deepest folder the prefix names, goes into a folder only when the
//! request can want a key under it (prefix, cursor), and leaves a folder as soon as its
//! keys were rolled up into a common prefix.

use trove_driver_common::listing::{list_page, KeySource, ListRequest};
use trove_driver_common::walk::{FolderKeys, Folders};

use crate::fs;
use crate::objects;
use crate::trove::driver::types::{Error, ListOptions, ListPage};
use crate::wasi::filesystem::types::DescriptorType;

pub fn list(bucket: &str, opts: ListOptions) -> Result<ListPage, Error> {
    objects::require_bucket(bucket)?;
    let req = ListRequest::new(
        opts.prefix,
        opts.delimiter,
        opts.max_keys,
        opts.cursor.as_deref(),
    )?;
    let mut keys = FolderKeys::new(BucketFolders(bucket), &req)?;
    let page = list_page(&req, &mut keys, |key| objects::describe_key(bucket, key))?;
    Ok(ListPage {
        objects: page.objects,
        common_prefixes: page.common_prefixes,
        next_cursor: page.next_cursor,
    })
}

/// A folder being walked: its key prefix (`""` or `a/b/`) and its remaining entries,
/// sorted in reverse so that the next one pops off the end.
/// The folders of one bucket, for the shared folder walk.
struct BucketFolders<'a>(&'a str);

impl Folders for BucketFolders<'_> {
    type Error = Error;

    fn read_folder(&mut self, dir: &str) -> Result<Option<Vec<(String, bool)>>, Error> {
        let path = if dir.is_empty() {
            self.0.to_string()
        } else {
            format!("{}/{}", self.0, &dir[..dir.len() - 1])
        };
        Ok(fs::read_dir(&path)?.map(|entries| {
            entries
                .into_iter()
                .filter_map(|e| match e.kind {
                    DescriptorType::Directory => Some((e.name, true)),
                    DescriptorType::RegularFile => Some((e.name, false)),
                    _ => None, // symlinks and the like are not objects
                })
                .collect()
        }))
    }
}

pub fn has_objects(bucket: &str) -> Result<bool, Error> {
    let req = ListRequest::new(None, None, Some(1), None)?;
    let mut keys = FolderKeys::new(BucketFolders(bucket), &req)?;
    Ok(keys.next_key()?.is_some())
}
