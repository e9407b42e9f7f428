//! The in-memory driver (world `mem-driver-fast`: `core` plus the one-call
//! `put-bytes`; small gets answer with the bytes inline): buckets and objects live inside the
//! instance, so the host keeps one instance and serialises calls (`stateful: true`).
//!
//! - [`store`]: the buckets and objects, with the operations of the contract;
//! - [`blob`]: an object's bytes, kept as the chunks the host wrote (never copied
//!   into one buffer), read back by slices;
//! - this file: the WIT bindings, the `core` export and the error mapping.

mod blob;
mod store;

wit_bindgen::generate!({
    path: "../../wit",
    world: "trove:driver/mem-driver-fast@0.1.0",
    generate_all,
});

use std::cell::RefCell;

use exports::trove::driver::core::{Body, Guest, GuestReader, GuestWriter, Reader, Writer};
use exports::trove::driver::put_bytes::Guest as PutBytesGuest;
use trove::driver::log::{log, Level};
use trove::driver::types::{
    BucketInfo, ByteRange, DriverInfo, Dsn, Error, GetOptions, ListOptions, ListPage, ObjectInfo,
    PutOptions, Timestamp,
};
use trove_driver_common as common;

use blob::{Blob, BlobBuilder, BlobReader};

/// Gets of at most this many bytes answer with the bytes inline (one call).
const INLINE_MAX: u64 = 1024 * 1024;
use store::{Object, Store, StoreError};

thread_local! {
    /// The instance's state. A component instance is single-threaded; the host never
    /// re-enters a call, so a borrow is never held across an import call.
    static STORE: RefCell<Store> = RefCell::new(Store::default());
}

fn with_store<R>(f: impl FnOnce(&mut Store) -> R) -> R {
    STORE.with(|s| f(&mut s.borrow_mut()))
}

struct MemDriver;

export!(MemDriver);

impl Guest for MemDriver {
    type Reader = MemReader;
    type Writer = MemWriter;

    fn info() -> DriverInfo {
        DriverInfo {
            name: "mem".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            stateful: true,
        }
    }

    fn name() -> String {
        "mem".into()
    }

    fn open(dsn: Dsn) -> Result<(), Error> {
        log(
            Level::Debug,
            &format!("mem driver opened for {}", dsn.display),
        );
        Ok(())
    }

    fn close() -> Result<(), Error> {
        Ok(())
    }

    fn ping() -> Result<(), Error> {
        Ok(())
    }

    fn put(bucket: String, key: String, opts: PutOptions) -> Result<Writer, Error> {
        with_store(|s| s.check_put(&bucket, &key, &opts.if_match, &opts.if_none_match))?;
        Ok(Writer::new(MemWriter {
            bucket,
            key,
            opts,
            upload: RefCell::new(Some(Upload::default())),
        }))
    }

    fn get(bucket: String, key: String, opts: GetOptions) -> Result<(ObjectInfo, Body), Error> {
        common::names::validate_bucket(&bucket)?;
        common::names::validate_key(&key)?;
        if opts.version_id.is_some() {
            return Err(Error::Unsupported(
                "the mem driver keeps no versions".into(),
            ));
        }
        let (info, blob, span) = with_store(|s| -> Result<_, Error> {
            let object = s.object(&bucket, &key)?;
            common::conditions::check_get(
                opts.if_match.as_deref(),
                opts.if_none_match.as_deref(),
                &object.etag,
            )?;
            let span = common::range::resolve(opts.range.map(range), object.blob.len())?;
            Ok((object_info(&key, object), object.blob.clone(), span))
        })?;
        let mut reader = BlobReader::new(blob, span.offset, span.length);
        if span.length <= INLINE_MAX {
            return Ok((info, Body::Bytes(reader.read(span.length))));
        }
        Ok((
            info,
            Body::Guest(Reader::new(MemReader(RefCell::new(reader)))),
        ))
    }

    fn head(bucket: String, key: String) -> Result<ObjectInfo, Error> {
        with_store(|s| Ok(object_info(&key, s.object(&bucket, &key)?)))
    }

    fn delete(bucket: String, key: String) -> Result<(), Error> {
        Ok(with_store(|s| s.delete(&bucket, &key))?)
    }

    fn list(bucket: String, opts: ListOptions) -> Result<ListPage, Error> {
        let req = common::listing::ListRequest::new(
            opts.prefix,
            opts.delimiter,
            opts.max_keys,
            opts.cursor.as_deref(),
        )?;
        with_store(|s| {
            let (sorted, objects) = s.listing(&bucket)?;
            let mut keys = common::listing::MapKeys::new(sorted, &req);
            let page = common::listing::list_page(&req, &mut keys, |k| {
                Ok(objects
                    .get(common::keys::KeyStr::new(k))
                    .map(|o| object_info(k, o)))
            })
            .unwrap_or_else(|never| match never {});
            Ok(ListPage {
                objects: page.objects,
                common_prefixes: page.common_prefixes,
                next_cursor: page.next_cursor,
            })
        })
    }

    fn copy(
        src_bucket: String,
        src_key: String,
        dst_bucket: String,
        dst_key: String,
    ) -> Result<ObjectInfo, Error> {
        with_store(|s| {
            let object = s.copy(&src_bucket, &src_key, &dst_bucket, &dst_key)?;
            Ok(object_info(&dst_key, object))
        })
    }

    fn create_bucket(bucket: String) -> Result<(), Error> {
        Ok(with_store(|s| s.create_bucket(&bucket))?)
    }

    fn delete_bucket(bucket: String) -> Result<(), Error> {
        Ok(with_store(|s| s.delete_bucket(&bucket))?)
    }

    fn list_buckets() -> Result<Vec<BucketInfo>, Error> {
        Ok(with_store(|s| {
            s.buckets()
                .map(|(name, created)| BucketInfo {
                    name: name.to_string(),
                    created: Some(timestamp(created)),
                })
                .collect()
        }))
    }
}

/// A get's body: slices of the object's shared chunks.
pub struct MemReader(RefCell<BlobReader>);

impl GuestReader for MemReader {
    fn read(&self, max: u64) -> Result<Vec<u8>, Error> {
        Ok(self.0.borrow_mut().read(max))
    }
}

/// An upload in progress: the chunks of this one object, committed by `finish`.
pub struct MemWriter {
    bucket: String,
    key: String,
    opts: PutOptions,
    /// `None` once finished or aborted.
    upload: RefCell<Option<Upload>>,
}

#[derive(Default)]
struct Upload {
    blob: BlobBuilder,
    hasher: common::etag::Hasher,
}

impl GuestWriter for MemWriter {
    fn write(&self, chunk: Vec<u8>) -> Result<(), Error> {
        let mut upload = self.upload.borrow_mut();
        let upload = upload.as_mut().ok_or_else(finished)?;
        upload.hasher.update(&chunk);
        upload
            .blob
            .push(chunk)
            .map_err(|()| Error::Internal("out of memory while buffering the upload".into()))
    }

    fn finish(&self) -> Result<ObjectInfo, Error> {
        let upload = self.upload.borrow_mut().take().ok_or_else(finished)?;
        commit(
            &self.bucket,
            &self.key,
            &self.opts,
            upload.blob.finish(),
            upload.hasher.finish(),
        )
    }

    fn abort(&self) {
        self.upload.borrow_mut().take();
    }
}

impl PutBytesGuest for MemDriver {
    fn put_bytes(
        bucket: String,
        key: String,
        data: Vec<u8>,
        opts: PutOptions,
    ) -> Result<ObjectInfo, Error> {
        let etag = common::etag::etag_of(&data);
        commit(&bucket, &key, &opts, Blob::whole(data), etag)
    }
}

/// Store a finished upload, checking its conditions against the store now
/// (the bucket or the object may have changed since the put began).
fn commit(
    bucket: &str,
    key: &str,
    opts: &PutOptions,
    blob: Blob,
    etag: String,
) -> Result<ObjectInfo, Error> {
    let object = Object {
        blob: std::rc::Rc::new(blob),
        etag,
        content_type: opts.content_type.clone(),
        metadata: opts.metadata.clone(),
        modified: common::time::Timestamp::now(),
    };
    with_store(|s| {
        let stored = s.put(bucket, key, &opts.if_match, &opts.if_none_match, object)?;
        Ok(object_info(key, stored))
    })
}

fn finished() -> Error {
    Error::InvalidArgument("the upload was already finished or aborted".into())
}

fn object_info(key: &str, o: &Object) -> ObjectInfo {
    ObjectInfo {
        key: key.to_string(),
        size: o.blob.len(),
        etag: o.etag.clone(),
        content_type: o.content_type.clone(),
        last_modified: Some(timestamp(o.modified)),
        metadata: o.metadata.clone(),
        version_id: None,
        storage_class: None,
    }
}

fn timestamp(t: common::time::Timestamp) -> Timestamp {
    Timestamp {
        seconds: t.seconds,
        nanoseconds: t.nanoseconds,
    }
}

fn range(r: ByteRange) -> common::range::ByteRange {
    match r {
        ByteRange::Span((offset, length)) => common::range::ByteRange::Span { offset, length },
        ByteRange::Suffix(n) => common::range::ByteRange::Suffix(n),
    }
}

impl From<common::Error> for Error {
    fn from(e: common::Error) -> Self {
        match e {
            common::Error::InvalidArgument(m) => Error::InvalidArgument(m),
            common::Error::PreconditionFailed(m) => Error::PreconditionFailed(m),
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(e) => e.into(),
            StoreError::BucketNotFound(b) => {
                Error::BucketNotFound(format!("bucket {b:?} does not exist"))
            }
            StoreError::BucketExists(b) => {
                Error::BucketExists(format!("bucket {b:?} already exists"))
            }
            StoreError::BucketNotEmpty(b) => {
                Error::BucketNotEmpty(format!("bucket {b:?} is not empty"))
            }
            StoreError::ObjectNotFound(b, k) => {
                Error::ObjectNotFound(format!("no object {k:?} in bucket {b:?}"))
            }
        }
    }
}
