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

use crate::fs;
use crate::layout;
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
    let mut keys = BucketKeys::new(bucket, &req)?;
    let page = list_page(&req, &mut keys, |key| objects::describe_key(bucket, key))?;
    Ok(ListPage {
        objects: page.objects,
        common_prefixes: page.common_prefixes,
        next_cursor: page.next_cursor,
    })
}

/// A folder being walked: its key prefix (`""` or `a/b/`) and its remaining entries,
/// sorted in reverse so that the next one pops off the end.
struct Frame {
    dir: String,
    rest: Vec<(String, bool)>,
}

/// The keys of a bucket, in byte order.
pub struct BucketKeys<'a> {
    bucket: &'a str,
    req: &'a ListRequest,
    stack: Vec<Frame>,
    skip: Option<String>,
}

impl<'a> BucketKeys<'a> {
    pub fn new(bucket: &'a str, req: &'a ListRequest) -> Result<Self, Error> {
        let mut keys = Self {
            bucket,
            req,
            stack: Vec::new(),
            skip: None,
        };
        // Start at the deepest folder the prefix names: no key outside it can match.
        let start = req.prefix.rfind('/').map_or("", |i| &req.prefix[..=i]);
        let clean = start.is_empty() || layout::is_storable_key(&start[..start.len() - 1]);
        if clean {
            keys.enter(start.to_string())?;
        }
        Ok(keys)
    }

    /// Pushes the folder `dir` (a key prefix ending in '/', or empty for the bucket).
    fn enter(&mut self, dir: String) -> Result<(), Error> {
        let path = if dir.is_empty() {
            self.bucket.to_string()
        } else {
            format!("{}/{}", self.bucket, &dir[..dir.len() - 1])
        };
        let Some(entries) = fs::read_dir(&path)? else {
            return Ok(()); // gone meanwhile, or never there
        };
        let mut rest: Vec<(String, bool)> = entries
            .into_iter()
            .filter_map(|e| match e.kind {
                DescriptorType::Directory => Some((format!("{}/", e.name), true)),
                DescriptorType::RegularFile => Some((e.name, false)),
                _ => None, // symlinks and the like are not objects
            })
            .collect();
        rest.sort_unstable_by(|a, b| b.0.cmp(&a.0));
        self.stack.push(Frame { dir, rest });
        Ok(())
    }

    fn skipped(&self, s: &str) -> bool {
        self.skip.as_deref().is_some_and(|p| s.starts_with(p))
    }
}

impl KeySource for BucketKeys<'_> {
    type Error = Error;

    fn next_key(&mut self) -> Result<Option<String>, Error> {
        loop {
            let Some(frame) = self.stack.last_mut() else {
                return Ok(None);
            };
            let Some((name, is_dir)) = frame.rest.pop() else {
                self.stack.pop();
                continue;
            };
            let full = format!("{}{name}", frame.dir);
            if is_dir {
                if self.req.wants_under(&full) && !self.skipped(&full) {
                    self.enter(full)?;
                }
            } else if self.req.wants_key(&full)
                && !self.skipped(&full)
                && layout::is_storable_key(&full)
            {
                return Ok(Some(full));
            }
        }
    }

    fn skip_prefix(&mut self, prefix: &str) {
        // Leave every folder inside the rolled-up prefix at once.
        while self.stack.last().is_some_and(|f| f.dir.starts_with(prefix)) {
            self.stack.pop();
        }
        self.skip = Some(prefix.to_string());
    }
}

/// True when the bucket holds at least one object.
pub fn has_objects(bucket: &str) -> Result<bool, Error> {
    let req = ListRequest::new(None, None, Some(1), None)?;
    let mut keys = BucketKeys::new(bucket, &req)?;
    Ok(keys.next_key()?.is_some())
}
