//! The buckets and objects of one instance. Names arrive checked (the SDK
//! checks them); this module keeps the contract's order of errors for what
//! is left: missing buckets, then missing keys.
//!
//! A bucket finds an object by hashing its key; the sorted order listings need
//! is a separate set that new keys join at the next listing. A put, get or
//! head therefore never searches a tree: with 20,000 keys that search was a
//! fifth of a 1 KiB put's instructions.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::rc::Rc;

use xxhash_rust::xxh3::Xxh3DefaultBuilder;

use trove_driver::{ContentHeaders, Error};
use trove_driver_common::keys::{Key, KeyStr};
use trove_driver_common::time::Timestamp;

use crate::blob::Blob;

/// One stored object. The content is shared with readers and copies.
pub struct Object {
    pub blob: Rc<Blob>,
    pub etag: String,
    pub content_type: Option<String>,
    pub headers: ContentHeaders,
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

    /// Stores `object` under `key` if `check` accepts what is there. One
    /// search of the map.
    fn put(
        &mut self,
        key: &str,
        check: impl FnOnce(Option<&str>) -> Result<(), Error>,
        object: Object,
    ) -> Result<&Object, Error> {
        match self.objects.get_mut(KeyStr::new(key)) {
            Some(o) => {
                check(Some(&o.etag))?;
                *o = object;
            }
            None => {
                check(None)?;
                self.objects.insert(Key::from(key), object);
                self.unsorted.push(Key::from(key));
            }
        }
        Ok(&self.objects[KeyStr::new(key)])
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

fn no_bucket(name: &str) -> Error {
    Error::BucketNotFound(format!("bucket {name:?} does not exist"))
}

#[derive(Default)]
pub struct Store {
    buckets: BTreeMap<String, Bucket>,
}

impl Store {
    fn bucket(&self, name: &str) -> Result<&Bucket, Error> {
        self.buckets.get(name).ok_or_else(|| no_bucket(name))
    }

    fn bucket_mut(&mut self, name: &str) -> Result<&mut Bucket, Error> {
        self.buckets.get_mut(name).ok_or_else(|| no_bucket(name))
    }

    /// The object under `key`, if any.
    pub fn find(&self, bucket: &str, key: &str) -> Result<Option<&Object>, Error> {
        Ok(self.bucket(bucket)?.objects.get(KeyStr::new(key)))
    }

    /// Stores `object` under `key`, replacing any object there, when `check`
    /// accepts the ETag of what is there now.
    pub fn put(
        &mut self,
        bucket: &str,
        key: &str,
        check: impl FnOnce(Option<&str>) -> Result<(), Error>,
        object: Object,
    ) -> Result<&Object, Error> {
        self.bucket_mut(bucket)?.put(key, check, object)
    }

    /// Removes `key`; a missing key is fine.
    pub fn delete(&mut self, bucket: &str, key: &str) -> Result<(), Error> {
        self.bucket_mut(bucket)?.remove(KeyStr::new(key));
        Ok(())
    }

    /// Copies an object; the content is shared, not duplicated.
    pub fn copy(&mut self, src: (&str, &str), dst: (&str, &str)) -> Result<&Object, Error> {
        let Some(o) = self.find(src.0, src.1)? else {
            return Err(Error::ObjectNotFound(format!(
                "no object {:?} in bucket {:?}",
                src.1, src.0
            )));
        };
        let copy = Object {
            blob: o.blob.clone(),
            etag: o.etag.clone(),
            content_type: o.content_type.clone(),
            headers: o.headers.clone(),
            metadata: o.metadata.clone(),
            modified: Timestamp::now(),
        };
        self.bucket_mut(dst.0)?.put(dst.1, |_| Ok(()), copy)
    }

    /// Up to `n` objects of a bucket in key order, after `after`.
    pub fn keys_after<T>(
        &mut self,
        bucket: &str,
        after: Bound<&str>,
        n: usize,
        mut each: impl FnMut(&str, &Object) -> T,
    ) -> Result<Vec<T>, Error> {
        let b = self.bucket_mut(bucket)?;
        if !b.unsorted.is_empty() {
            b.sort_in();
        }
        let after = after.map(KeyStr::new);
        Ok(b.sorted
            .range::<KeyStr, _>((after, Bound::Unbounded))
            .take(n)
            .map(|k| each(k.as_str(), &b.objects[<Key as Borrow<KeyStr>>::borrow(k)]))
            .collect())
    }

    pub fn create_bucket(&mut self, name: &str) -> Result<(), Error> {
        if self.buckets.contains_key(name) {
            return Err(Error::BucketExists(format!(
                "bucket {name:?} already exists"
            )));
        }
        self.buckets.insert(name.to_string(), Bucket::new());
        Ok(())
    }

    pub fn delete_bucket(&mut self, name: &str) -> Result<(), Error> {
        if !self.bucket(name)?.objects.is_empty() {
            return Err(Error::BucketNotEmpty(format!(
                "bucket {name:?} is not empty"
            )));
        }
        self.buckets.remove(name);
        Ok(())
    }

    /// Names and creation times, sorted by name.
    pub fn buckets(&self) -> impl Iterator<Item = (&str, Timestamp)> {
        self.buckets.iter().map(|(n, b)| (n.as_str(), b.created))
    }
}
