//! The buckets and objects of one instance, with the contract's rules for each
//! operation (names checked first, then missing buckets, then missing keys).

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::rc::Rc;

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
    objects: BTreeMap<Key, Object>,
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

    /// The objects of a bucket, for listing.
    pub fn objects(&self, bucket: &str) -> Result<&BTreeMap<Key, Object>> {
        Ok(&self.bucket(bucket)?.objects)
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
        let objects = &mut self.bucket_mut(bucket)?.objects;
        let check = |current: Option<&str>| {
            common::conditions::check_put(if_match.as_deref(), if_none_match.as_deref(), current)
        };
        Ok(match objects.entry(Key::from(key)) {
            Entry::Occupied(mut o) => {
                check(Some(&o.get().etag))?;
                o.insert(object);
                o.into_mut()
            }
            Entry::Vacant(v) => {
                check(None)?;
                v.insert(object)
            }
        })
    }

    /// Removes `key`; a missing key is fine.
    pub fn delete(&mut self, bucket: &str, key: &str) -> Result<()> {
        validate_bucket(bucket)?;
        validate_key(key)?;
        self.bucket_mut(bucket)?.objects.remove(KeyStr::new(key));
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
        let objects = &mut self.bucket_mut(dst_bucket)?.objects;
        Ok(match objects.entry(Key::from(dst_key)) {
            Entry::Occupied(mut o) => {
                o.insert(copy);
                o.into_mut()
            }
            Entry::Vacant(v) => v.insert(copy),
        })
    }

    pub fn create_bucket(&mut self, name: &str) -> Result<()> {
        validate_bucket(name)?;
        if self.buckets.contains_key(name) {
            return Err(StoreError::BucketExists(name.into()));
        }
        self.buckets.insert(
            name.to_string(),
            Bucket {
                created: Timestamp::now(),
                objects: BTreeMap::new(),
            },
        );
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
