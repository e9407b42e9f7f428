//! {{name}}: a trove driver built on the `trove-driver` SDK.
//!
//! This starts as an in-memory store (the data lives in the instance, so the
//! host keeps one instance: `STATEFUL = true`). To talk to a real backend,
//! replace the `Store` below with calls to it: for HTTP, declare the grant
//! (`declare_grants!(br#"{"http":[["{endpoint}"]]}"#)`), send requests with
//! `trove_driver::imports::http::send`, and run with `--allow {{name}}:http`.
//! The SDK checks names, conditions, ranges and builds listing pages; you
//! only store and fetch.

use std::cell::RefCell;
use std::collections::BTreeMap;
use trove_driver::{Backend, BucketInfo, Dsn, Error, NewObject, ObjectInfo, Timestamp};

/// One stored object.
struct Object {
    data: Vec<u8>,
    info: ObjectInfo,
}

/// The buckets, by name; each bucket's objects, by key (a BTreeMap keeps
/// them in byte order, which `list_sorted` needs).
#[derive(Default)]
struct Store {
    buckets: BTreeMap<String, (Timestamp, BTreeMap<String, Object>)>,
}

pub struct Driver {
    store: RefCell<Store>,
}

fn no_bucket(bucket: &str) -> Error {
    Error::BucketNotFound(format!("bucket {bucket:?} does not exist"))
}

impl Backend for Driver {
    const NAME: &'static str = "{{name}}";
    const STATEFUL: bool = true;

    fn open(_dsn: &Dsn) -> Result<Self, Error> {
        Ok(Driver {
            store: RefCell::new(Store::default()),
        })
    }

    fn create_bucket(&self, bucket: &str) -> Result<(), Error> {
        let mut s = self.store.borrow_mut();
        if s.buckets.contains_key(bucket) {
            return Err(Error::BucketExists(format!("bucket {bucket:?} already exists")));
        }
        s.buckets
            .insert(bucket.to_string(), (trove_driver::now(), BTreeMap::new()));
        Ok(())
    }

    fn delete_bucket(&self, bucket: &str) -> Result<(), Error> {
        let mut s = self.store.borrow_mut();
        s.buckets.remove(bucket).map(|_| ()).ok_or_else(|| no_bucket(bucket))
    }

    fn list_buckets(&self) -> Result<Vec<BucketInfo>, Error> {
        let s = self.store.borrow();
        Ok(s.buckets
            .iter()
            .map(|(name, (created, _))| BucketInfo {
                name: name.clone(),
                created: Some(*created),
            })
            .collect())
    }

    fn head(&self, bucket: &str, key: &str) -> Result<Option<ObjectInfo>, Error> {
        let s = self.store.borrow();
        let (_, objects) = s.buckets.get(bucket).ok_or_else(|| no_bucket(bucket))?;
        Ok(objects.get(key).map(|o| o.info.clone()))
    }

    fn read(&self, bucket: &str, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, Error> {
        let s = self.store.borrow();
        let (_, objects) = s.buckets.get(bucket).ok_or_else(|| no_bucket(bucket))?;
        let o = objects
            .get(key)
            .ok_or_else(|| Error::ObjectNotFound(format!("no object {key:?}")))?;
        let start = (offset as usize).min(o.data.len());
        let end = (start + len as usize).min(o.data.len());
        Ok(o.data[start..end].to_vec())
    }

    fn write(&self, bucket: &str, key: &str, object: NewObject) -> Result<ObjectInfo, Error> {
        let mut s = self.store.borrow_mut();
        let (_, objects) = s.buckets.get_mut(bucket).ok_or_else(|| no_bucket(bucket))?;
        let info = ObjectInfo {
            key: key.to_string(),
            size: object.data.len(),
            etag: object.etag,
            content_type: object.content_type,
            headers: object.headers,
            last_modified: Some(trove_driver::now()),
            metadata: object.metadata,
            version_id: None,
            storage_class: None,
        };
        objects.insert(
            key.to_string(),
            Object {
                data: object.data.into_vec(),
                info: info.clone(),
            },
        );
        Ok(info)
    }

    fn delete(&self, bucket: &str, key: &str) -> Result<(), Error> {
        let mut s = self.store.borrow_mut();
        let (_, objects) = s.buckets.get_mut(bucket).ok_or_else(|| no_bucket(bucket))?;
        objects.remove(key);
        Ok(())
    }

    fn list_sorted(
        &self,
        bucket: &str,
        from: &str,
    ) -> Result<Box<dyn Iterator<Item = Result<ObjectInfo, Error>> + '_>, Error> {
        let s = self.store.borrow();
        let (_, objects) = s.buckets.get(bucket).ok_or_else(|| no_bucket(bucket))?;
        // A snapshot of the infos: the store is not borrowed while the SDK walks.
        let infos: Vec<ObjectInfo> = objects
            .range(from.to_string()..)
            .map(|(_, o)| o.info.clone())
            .collect();
        Ok(Box::new(infos.into_iter().map(Ok)))
    }
}

trove_driver::export_driver!(Driver);
