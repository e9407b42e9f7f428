//! The in-memory driver, on the SDK (`trove-driver`): buckets and objects live
//! inside the instance, so the host keeps one instance and serialises calls
//! (`STATEFUL`). The SDK checks names and conditions, resolves ranges, builds
//! listing pages and exports `core` and `put-bytes` (small objects in one call
//! each way).
//!
//! - [`store`]: the buckets and objects, found by hashing the key, with a
//!   sorted set of keys for listings;
//! - [`blob`]: an object's bytes, kept as the chunks the host wrote (never
//!   copied into one buffer), read back by slices;
//! - this file: the [`Backend`] over them.

mod blob;
mod store;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::ops::Bound;
use std::rc::Rc;

use trove_driver::imports::{log, log::Level};
use trove_driver::{Backend, BucketInfo, Conditions, Dsn, Error, NewObject, ObjectInfo, Timestamp};

use blob::{Blob, BlobBuilder};
use store::{Object, Store};

/// The instance's store. A component instance is single-threaded and the host
/// never re-enters a call, so a borrow is never held across an import call.
pub struct Mem {
    store: RefCell<Store>,
}

trove_driver::export_driver!(Mem);

impl Backend for Mem {
    const NAME: &'static str = "mem";
    const STATEFUL: bool = true;

    fn open(dsn: &Dsn) -> Result<Self, Error> {
        log(
            Level::Debug,
            &format!("mem driver opened for {}", dsn.display),
        );
        Ok(Mem {
            store: RefCell::new(Store::default()),
        })
    }

    fn create_bucket(&self, bucket: &str) -> Result<(), Error> {
        self.store.borrow_mut().create_bucket(bucket)
    }

    fn delete_bucket(&self, bucket: &str) -> Result<(), Error> {
        self.store.borrow_mut().delete_bucket(bucket)
    }

    fn list_buckets(&self) -> Result<Vec<BucketInfo>, Error> {
        Ok(self
            .store
            .borrow()
            .buckets()
            .map(|(name, created)| BucketInfo {
                name: name.to_string(),
                created: Some(timestamp(created)),
            })
            .collect())
    }

    fn head(&self, bucket: &str, key: &str) -> Result<Option<ObjectInfo>, Error> {
        Ok(self.store.borrow().find(bucket, key)?.map(|o| info(key, o)))
    }

    fn head_with_bytes(
        &self,
        bucket: &str,
        key: &str,
        up_to: u64,
    ) -> Result<Option<(ObjectInfo, Option<Vec<u8>>)>, Error> {
        let store = self.store.borrow();
        Ok(store.find(bucket, key)?.map(|o| {
            let size = o.blob.len();
            let bytes = (size <= up_to).then(|| o.blob.read_at(0, size));
            (info(key, o), bytes)
        }))
    }

    fn read(&self, bucket: &str, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, Error> {
        match self.store.borrow().find(bucket, key)? {
            Some(o) => Ok(o.blob.read_at(offset, len)),
            None => Err(Error::ObjectNotFound(format!(
                "no object {key:?} in bucket {bucket:?}"
            ))),
        }
    }

    fn write(&self, bucket: &str, key: &str, object: NewObject) -> Result<ObjectInfo, Error> {
        self.write_checked(bucket, key, object, &Conditions::NONE)
    }

    /// The conditions are checked with the one search that stores the object.
    fn write_checked(
        &self,
        bucket: &str,
        key: &str,
        object: NewObject,
        conditions: &Conditions,
    ) -> Result<ObjectInfo, Error> {
        let mut chunks = object.data.0;
        let blob = if chunks.len() <= 1 {
            Blob::whole(chunks.pop().unwrap_or_default())
        } else {
            let mut b = BlobBuilder::default();
            for c in chunks {
                b.push(c).map_err(|()| {
                    Error::Internal("out of memory while storing the upload".into())
                })?;
            }
            b.finish()
        };
        let object = Object {
            blob: Rc::new(blob),
            etag: object.etag,
            content_type: object.content_type,
            headers: object.headers,
            metadata: object.metadata,
            modified: trove_driver_common::time::Timestamp::now(),
        };
        let mut store = self.store.borrow_mut();
        let stored = store.put(bucket, key, |current| conditions.check(current), object)?;
        Ok(info(key, stored))
    }

    /// The copy shares the source's bytes.
    fn copy(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
    ) -> Result<ObjectInfo, Error> {
        let mut store = self.store.borrow_mut();
        let copied = store.copy((src_bucket, src_key), (dst_bucket, dst_key))?;
        Ok(info(dst_key, copied))
    }

    fn delete(&self, bucket: &str, key: &str) -> Result<(), Error> {
        self.store.borrow_mut().delete(bucket, key)
    }

    fn list_sorted(
        &self,
        bucket: &str,
        from: &str,
    ) -> Result<Box<dyn Iterator<Item = Result<ObjectInfo, Error>> + '_>, Error> {
        let mut walk = Walk {
            store: &self.store,
            bucket: bucket.to_string(),
            after: None,
            from: from.to_string(),
            batch: 16,
            ready: VecDeque::new(),
            done: false,
        };
        // A missing bucket is an error now, not at the first key.
        walk.fill()?;
        Ok(Box::new(walk))
    }
}

/// A bucket's objects in key order, taken from the store a batch at a time
/// (the store is not borrowed between calls of `next`).
struct Walk<'a> {
    store: &'a RefCell<Store>,
    bucket: String,
    /// The last key taken; `None` before the first batch.
    after: Option<String>,
    from: String,
    /// The size of the next batch: small first (an emptiness check wants
    /// one key), doubling up to 256.
    batch: usize,
    ready: VecDeque<ObjectInfo>,
    done: bool,
}

impl Walk<'_> {
    fn fill(&mut self) -> Result<(), Error> {
        let bound = match &self.after {
            Some(k) => Bound::Excluded(k.as_str()),
            None => Bound::Included(self.from.as_str()),
        };
        let infos = self
            .store
            .borrow_mut()
            .keys_after(&self.bucket, bound, self.batch, info)?;
        self.done = infos.len() < self.batch;
        self.after = infos.last().map(|o| o.key.clone()).or(self.after.take());
        self.batch = (self.batch * 2).min(256);
        self.ready.extend(infos);
        Ok(())
    }
}

impl Iterator for Walk<'_> {
    type Item = Result<ObjectInfo, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ready.is_empty() && !self.done {
            if let Err(e) = self.fill() {
                self.done = true;
                return Some(Err(e));
            }
        }
        self.ready.pop_front().map(Ok)
    }
}

fn info(key: &str, o: &Object) -> ObjectInfo {
    ObjectInfo {
        key: key.to_string(),
        size: o.blob.len(),
        etag: o.etag.clone(),
        content_type: o.content_type.clone(),
        headers: o.headers.clone(),
        last_modified: Some(timestamp(o.modified)),
        metadata: o.metadata.clone(),
        version_id: None,
        storage_class: None,
    }
}

fn timestamp(t: trove_driver_common::time::Timestamp) -> Timestamp {
    Timestamp {
        seconds: t.seconds,
        nanoseconds: t.nanoseconds,
    }
}
