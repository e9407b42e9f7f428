//! The buckets and objects of one instance, with the contract's rules for each
//! operation (names checked first, then missing buckets, then missing keys).
//!
//! A bucket finds an object by hashing its key; the sorted order listings need
//! is a separate set that new keys join at the next listing. A put, get or
//! head therefore never searches a tree: with 20,000 keys that search was a
//! fifth of a 1 KiB put's instructions.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use xxhash_rust::xxh3::Xxh3DefaultBuilder;

use trove_driver_common as common;
use trove_driver_common::keys::{Key, KeyStr};
use trove_driver_common::names::{validate_bucket, validate_key};
use trove_driver_common::time::Timestamp;

use crate::blob::Blob;

/// One stored object. The content is shared with readers and copies.
pub struct Object {
    pub blob: Rc<Blob>,
    pub etag: String,
    pub content_type: Option<String>,
    pub metadata: Vec<(String, String)>,
    pub modified: Timestamp,
}

struct Bucket {
    created: Timestamp,
    objects: HashMap<Key, Object, Xxh3DefaultBuilder>,
    /// The keys of `objects` in order, but for those in `unsorted`.
    sorted: BTreeSet<Key>,
    /// Keys added since the last listing. Some may have been deleted since;
    /// a listing sorts in those still present.
    unsorted: Vec<Key>,
    /// How many of `unsorted` were deleted since (at most; a key put again
    /// counts as live).
    stale: usize,
}

impl Bucket {
    fn new() -> Bucket {
        Bucket {
            created: Timestamp::now(),
            objects: HashMap::default(),
            sorted: BTreeSet::new(),
            unsorted: Vec::new(),
            stale: 0,
        }
    }

    /// Notes a key that `objects` did not have before.
    fn added(&mut self, key: Key) {
        self.unsorted.push(key);
    }

    fn sort_in(&mut self) {
        self.stale = 0;
        let few = self.unsorted.len() < self.sorted.len() / 16;
        let objects = &self.objects;
        let fresh = self.unsorted.drain(..).filter(|k| objects.contains_key(k));
        if few {
            // A few keys: a search each.
            self.sorted.extend(fresh);
        } else {
            // Many (a bulk load before the first listing): sorted once and
            // merged in one pass.
            let mut batch: BTreeSet<Key> = fresh.collect();
            self.sorted.append(&mut batch);
        }
    }

    fn remove(&mut self, key: &KeyStr) {
        if self.objects.remove(key).is_some() && !self.sorted.remove(key) {
            // It was in `unsorted`. Once half of that is dead, sort in the
            // rest: deletes pay for it, and `unsorted` stays within twice
            // the keys it holds.
            self.stale += 1;
            if self.stale * 2 > self.unsorted.len() {
                self.sort_in();
            }
        }
    }
}

#[derive(Debug)]
pub enum StoreError {
    Invalid(common::Error),
    BucketNotFound(String),
    BucketExists(String),
    BucketNotEmpty(String),
    ObjectNotFound(String, String),
}

impl From<common::Error> for StoreError {
    fn from(e: common::Error) -> Self {
        StoreError::Invalid(e)
    }
}

type Result<T> = std::result::Result<T, StoreError>;

#[derive(Default)]
pub struct Store {
    buckets: BTreeMap<String, Bucket>,
}

impl Store {
    fn bucket(&self, name: &str) -> Result<&Bucket> {
        validate_bucket(name)?;
        self.buckets
            .get(name)
            .ok_or_else(|| StoreError::BucketNotFound(name.into()))
    }

    fn bucket_mut(&mut self, name: &str) -> Result<&mut Bucket> {
        validate_bucket(name)?;
        self.buckets
            .get_mut(name)
            .ok_or_else(|| StoreError::BucketNotFound(name.into()))
    }

    /// A bucket's keys in order and its objects, for listing.
    pub fn listing(
        &mut self,
        bucket: &str,
    ) -> Result<(&BTreeSet<Key>, &HashMap<Key, Object, Xxh3DefaultBuilder>)> {
        let b = self.bucket_mut(bucket)?;
        b.sort_in();
        Ok((&b.sorted, &b.objects))
    }

    pub fn object(&self, bucket: &str, key: &str) -> Result<&Object> {
        validate_bucket(bucket)?;
        validate_key(key)?;
        self.bucket(bucket)?
            .objects
            .get(KeyStr::new(key))
            .ok_or_else(|| StoreError::ObjectNotFound(bucket.into(), key.into()))
    }

    /// Whether a put of `key` may go ahead now: names, bucket, preconditions.
    pub fn check_put(
        &self,
        bucket: &str,
        key: &str,
        if_match: &Option<String>,
        if_none_match: &Option<String>,
    ) -> Result<()> {
        validate_bucket(bucket)?;
        validate_key(key)?;
        let current = self
            .bucket(bucket)?
            .objects
            .get(KeyStr::new(key))
            .map(|o| o.etag.as_str());
        common::conditions::check_put(if_match.as_deref(), if_none_match.as_deref(), current)?;
        Ok(())
    }

    /// Stores `object` under `key`, replacing any object there, when the
    /// preconditions hold against what is there now. One search of the map.
    pub fn put(
        &mut self,
        bucket: &str,
        key: &str,
        if_match: &Option<String>,
        if_none_match: &Option<String>,
        object: Object,
    ) -> Result<&Object> {
        validate_key(key)?;
        let b = self.bucket_mut(bucket)?;
        let check = |current: Option<&str>| {
            common::conditions::check_put(if_match.as_deref(), if_none_match.as_deref(), current)
        };
        match b.objects.get_mut(KeyStr::new(key)) {
            Some(o) => {
                check(Some(&o.etag))?;
                *o = object;
            }
            None => {
                check(None)?;
                b.objects.insert(Key::from(key), object);
                b.added(Key::from(key));
            }
        }
        Ok(&b.objects[KeyStr::new(key)])
    }

    /// Removes `key`; a missing key is fine.
    pub fn delete(&mut self, bucket: &str, key: &str) -> Result<()> {
        validate_bucket(bucket)?;
        validate_key(key)?;
        self.bucket_mut(bucket)?.remove(KeyStr::new(key));
        Ok(())
    }

    /// Copies an object; the content is shared, not duplicated.
    pub fn copy(
        &mut self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
    ) -> Result<&Object> {
        validate_bucket(src_bucket)?;
        validate_key(src_key)?;
        validate_bucket(dst_bucket)?;
        validate_key(dst_key)?;
        self.bucket(src_bucket)?;
        self.bucket(dst_bucket)?;
        let src = self.object(src_bucket, src_key)?;
        let copy = Object {
            blob: src.blob.clone(),
            etag: src.etag.clone(),
            content_type: src.content_type.clone(),
            metadata: src.metadata.clone(),
            modified: Timestamp::now(),
        };
        let b = self.bucket_mut(dst_bucket)?;
        if let Entry::Vacant(v) = b.objects.entry(Key::from(dst_key)) {
            v.insert(copy);
            b.added(Key::from(dst_key));
        } else {
            b.objects.insert(Key::from(dst_key), copy);
        }
        Ok(&b.objects[KeyStr::new(dst_key)])
    }

    pub fn create_bucket(&mut self, name: &str) -> Result<()> {
        validate_bucket(name)?;
        if self.buckets.contains_key(name) {
            return Err(StoreError::BucketExists(name.into()));
        }
        self.buckets.insert(name.to_string(), Bucket::new());
        Ok(())
    }

    pub fn delete_bucket(&mut self, name: &str) -> Result<()> {
        if !self.bucket(name)?.objects.is_empty() {
            return Err(StoreError::BucketNotEmpty(name.into()));
        }
        self.buckets.remove(name);
        Ok(())
    }

    /// Names and creation times, sorted by name.
    pub fn buckets(&self) -> impl Iterator<Item = (&str, Timestamp)> {
        self.buckets.iter().map(|(n, b)| (n.as_str(), b.created))
    }
}
