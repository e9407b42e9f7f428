//! The contract around a [`Backend`]: the WIT `core` export, implemented
//! once for every backend.

use crate::bindings::exports::trove::driver::core::HostStream;
use crate::bindings::exports::trove::driver::core::{
    Body, Guest, GuestReader, GuestWriter, Reader, Writer,
};
use crate::bindings::exports::trove::driver::put_bytes::Guest as PutBytesGuest;
use crate::bindings::exports::trove::driver::stream_put::Guest as StreamPutGuest;
use crate::bindings::trove::driver::types::{
    BucketInfo, ByteRange, DriverInfo, Dsn, Error, GetOptions, ListOptions, ListPage, ObjectInfo,
    PutOptions,
};
use crate::bindings::wasi::io::streams::{InputStream, StreamError};
use crate::{Backend, Chunks, Conditions, NewObject, Stage, StagedObject};
use common::listing::KeySource;
use common::walk::FolderKeys;
use std::any::Any;
use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;
use trove_driver_common as common;

/// Bodies of at most this many bytes are answered inline, in the `get` call.
const INLINE_MAX: u64 = 1 << 20;
/// Objects of at most this many bytes may come whole with their info, in
/// one lookup ([`Backend::head_with_bytes`]).
const SMALL_MAX: u64 = 64 << 10;
/// The most a reader hands back per `read`.
const CHUNK: u64 = 1 << 20;

/// The component's `core` export for backend `B` (see [`crate::export_driver!`]).
pub struct Adapter<B>(PhantomData<B>);

thread_local! {
    /// The opened backend of this instance (a component instance is
    /// single-threaded, and the host never re-enters it).
    static OPENED: RefCell<Option<Rc<dyn Any>>> = const { RefCell::new(None) };
}

fn backend<B: Backend>() -> Result<Rc<B>, Error> {
    OPENED
        .with(|o| o.borrow().clone())
        .and_then(|b| b.downcast::<B>().ok())
        .ok_or_else(|| Error::Internal("the driver was not opened".into()))
}

pub(crate) fn checked(e: common::Error) -> Error {
    match e {
        common::Error::InvalidArgument(m) => Error::InvalidArgument(m),
        common::Error::PreconditionFailed(m) => Error::PreconditionFailed(m),
    }
}

fn names<B: Backend>(bucket: &str, key: Option<&str>) -> Result<(), Error> {
    common::names::validate_bucket(bucket).map_err(checked)?;
    match key {
        Some(k) if B::KEYS_ARE_PATHS => {
            common::paths::validate_path_key(k, markers::<B>()).map_err(checked)
        }
        Some(k) => common::names::validate_key(k).map_err(checked),
        None => Ok(()),
    }
}

/// Whether backend `B`, whose keys are paths, stores folder markers.
fn markers<B: Backend>() -> common::paths::Markers {
    match B::FOLDER_MARKERS {
        true => common::paths::Markers::Stored,
        false => common::paths::Markers::Refused,
    }
}

fn not_found(bucket: &str, key: &str) -> Error {
    Error::ObjectNotFound(format!("no object {key:?} in bucket {bucket:?}"))
}

/// The current object, or `ObjectNotFound`.
fn existing<B: Backend>(b: &B, bucket: &str, key: &str) -> Result<ObjectInfo, Error> {
    b.head(bucket, key)?.ok_or_else(|| not_found(bucket, key))
}

/// The put's conditions against the key's current ETag.
/// A put's conditions.
fn conditions(opts: &PutOptions) -> Conditions<'_> {
    Conditions {
        if_match: opts.if_match.as_deref(),
        if_none_match: opts.if_none_match.as_deref(),
    }
}

fn check_put<B: Backend>(b: &B, bucket: &str, key: &str, opts: &PutOptions) -> Result<(), Error> {
    if opts.if_match.is_none() && opts.if_none_match.is_none() {
        // Nothing to check but that the bucket exists.
        return b.require_bucket(bucket, key);
    }
    let current = b.head(bucket, key)?;
    conditions(opts).check(current.as_ref().map(|o| o.etag.as_str()))
}

/// Commit a put: the conditions are checked again, with the write.
fn commit<B: Backend>(
    b: &B,
    bucket: &str,
    key: &str,
    opts: &PutOptions,
    data: Chunks,
    etag: String,
) -> Result<ObjectInfo, Error> {
    let object = NewObject {
        data,
        etag,
        content_type: opts.content_type.clone(),
        headers: opts.headers.clone(),
        metadata: opts.metadata.clone(),
    };
    b.write_checked(bucket, key, object, &conditions(opts))
}

/// [`Backend::copy`]'s default: read the source, write it again (staged
/// chunk by chunk when the backend stages).
pub(crate) fn copy_by_reading<B: Backend>(
    b: &B,
    src_bucket: &str,
    src_key: &str,
    dst_bucket: &str,
    dst_key: &str,
) -> Result<ObjectInfo, Error> {
    let src = existing(b, src_bucket, src_key)?;
    let mut stage = b.stage(dst_bucket, dst_key)?;
    let mut chunks = Vec::new();
    let mut at = 0u64;
    let copied = (|| {
        while at < src.size {
            let n = (src.size - at).min(CHUNK);
            let chunk = b.read(src_bucket, src_key, at, n)?;
            if chunk.is_empty() {
                return Err(Error::Internal(format!(
                    "copy: {src_key:?} ended before its size ({} bytes)",
                    src.size
                )));
            }
            at += chunk.len() as u64;
            match stage.as_mut() {
                Some(s) => s.write(&chunk)?,
                None => chunks.push(chunk),
            }
        }
        Ok(())
    })();
    let (etag, content_type, headers, metadata) =
        (src.etag, src.content_type, src.headers, src.metadata);
    match stage {
        Some(mut s) => {
            let staged = StagedObject {
                size: src.size,
                etag,
                content_type,
                headers,
                metadata,
            };
            let r = copied.and_then(|()| s.commit(staged, &Conditions::NONE));
            if r.is_err() {
                s.discard();
            }
            r
        }
        None => {
            copied?;
            let object = NewObject {
                data: Chunks(chunks),
                etag,
                content_type,
                headers,
                metadata,
            };
            b.write(dst_bucket, dst_key, object)
        }
    }
}

/// [`Backend::write`]'s default: stage the chunks, commit.
pub(crate) fn write_by_staging<B: Backend>(
    b: &B,
    bucket: &str,
    key: &str,
    object: NewObject,
) -> Result<ObjectInfo, Error> {
    let Some(mut stage) = b.stage(bucket, key)? else {
        return Err(Error::Internal(format!(
            "the {} driver implements neither write nor stage",
            B::NAME
        )));
    };
    let staged = StagedObject {
        size: object.data.len(),
        etag: object.etag,
        content_type: object.content_type,
        headers: object.headers,
        metadata: object.metadata,
    };
    let r = object
        .data
        .0
        .iter()
        .try_for_each(|c| stage.write(c))
        .and_then(|()| stage.commit(staged, &Conditions::NONE));
    if r.is_err() {
        stage.discard();
    }
    r
}

/// Exactly `len` bytes of a host stream (fewer only if it ends first).
pub(crate) fn read_exactly(s: &InputStream, len: u64) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(len as usize);
    while (out.len() as u64) < len {
        match s.blocking_read(len - out.len() as u64) {
            Ok(b) => out.extend_from_slice(&b),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => return Err(read_failed("a body", e)),
        }
    }
    Ok(out)
}

/// A host stream that failed while `what` was read from it.
fn read_failed(what: &str, e: crate::bindings::wasi::io::error::Error) -> Error {
    Error::Unavailable(format!("reading {what}: {}", e.to_debug_string()))
}

impl<B: Backend> Guest for Adapter<B> {
    type Reader = SdkReader<B>;
    type Writer = SdkWriter<B>;

    fn info() -> DriverInfo {
        DriverInfo {
            name: B::NAME.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            stateful: B::STATEFUL,
        }
    }

    fn name() -> String {
        B::NAME.into()
    }

    fn open(dsn: Dsn) -> Result<(), Error> {
        let b = B::open(&dsn)?;
        OPENED.with(|o| *o.borrow_mut() = Some(Rc::new(b) as Rc<dyn Any>));
        Ok(())
    }

    fn close() -> Result<(), Error> {
        OPENED.with(|o| o.borrow_mut().take());
        Ok(())
    }

    fn ping() -> Result<(), Error> {
        backend::<B>()?.ping()
    }

    fn put(bucket: String, key: String, opts: PutOptions) -> Result<Writer, Error> {
        Ok(Writer::new(SdkWriter::<B>::begin(bucket, key, opts)?))
    }

    fn get(bucket: String, key: String, opts: GetOptions) -> Result<(ObjectInfo, Body), Error> {
        names::<B>(&bucket, Some(&key))?;
        if opts.version_id.is_some() {
            return Err(Error::Unsupported(format!(
                "the {} driver keeps no versions",
                B::NAME
            )));
        }
        let b = backend::<B>()?;
        let (info, small) = b
            .head_with_bytes(&bucket, &key, SMALL_MAX)?
            .ok_or_else(|| not_found(&bucket, &key))?;
        common::conditions::check_get(
            opts.if_match.as_deref(),
            opts.if_none_match.as_deref(),
            &info.etag,
        )
        .map_err(checked)?;
        let span = common::range::resolve(opts.range.map(range), info.size).map_err(checked)?;
        if let Some(mut data) = small.filter(|d| d.len() as u64 == info.size) {
            let (start, end) = (span.offset as usize, (span.offset + span.length) as usize);
            if start > 0 || end < data.len() {
                data = data[start..end].to_vec();
            }
            return Ok((info, Body::Bytes(data)));
        }
        if span.length > 0 {
            if let Some(data) = b.read_stream(&bucket, &key, span.offset, span.length)? {
                let limit = Some(span.length);
                return Ok((info, Body::Host(HostStream { data, limit })));
            }
        }
        if span.length <= INLINE_MAX {
            let data = if span.length == 0 {
                Vec::new()
            } else {
                b.read(&bucket, &key, span.offset, span.length)?
            };
            return Ok((info, Body::Bytes(data)));
        }
        let reader = SdkReader {
            backend: b,
            bucket,
            key,
            next: RefCell::new((span.offset, span.length)),
        };
        Ok((info, Body::Guest(Reader::new(reader))))
    }

    fn head(bucket: String, key: String) -> Result<ObjectInfo, Error> {
        names::<B>(&bucket, Some(&key))?;
        existing(&*backend::<B>()?, &bucket, &key)
    }

    fn delete(bucket: String, key: String) -> Result<(), Error> {
        names::<B>(&bucket, Some(&key))?;
        backend::<B>()?.delete(&bucket, &key)
    }

    fn list(bucket: String, opts: ListOptions) -> Result<ListPage, Error> {
        names::<B>(&bucket, None)?;
        let req = common::listing::ListRequest::new(
            opts.prefix,
            opts.delimiter,
            opts.max_keys,
            opts.cursor.as_deref(),
        )
        .map_err(checked)?;
        let from = match req.lower_bound() {
            std::ops::Bound::Included(s) | std::ops::Bound::Excluded(s) => s.to_string(),
            std::ops::Bound::Unbounded => String::new(),
        };
        let b = backend::<B>()?;
        if B::KEYS_ARE_PATHS {
            let mut keys = FolderKeys::new(InBucket(&*b, &bucket), &req, markers::<B>())?;
            let page =
                common::listing::list_page(&req, &mut keys, |k| b.describe_listed(&bucket, k))?;
            return Ok(ListPage {
                objects: page.objects,
                common_prefixes: page.common_prefixes,
                next_cursor: page.next_cursor,
            });
        }
        // `list_page` asks for a key's info right after the walk yields the
        // key: the walk keeps that entry in `held`.
        let held: Rc<RefCell<Option<ObjectInfo>>> = Rc::new(RefCell::new(None));
        let mut source = Walk {
            entries: b.list_sorted(&bucket, &from)?,
            last: None,
            held: held.clone(),
        };
        let page = common::listing::list_page(&req, &mut source, |k| {
            Ok(held.borrow_mut().take().filter(|o| o.key == k))
        })?;
        Ok(ListPage {
            objects: page.objects,
            common_prefixes: page.common_prefixes,
            next_cursor: page.next_cursor,
        })
    }

    fn copy(
        src_bucket: String,
        src_key: String,
        dst_bucket: String,
        dst_key: String,
    ) -> Result<ObjectInfo, Error> {
        names::<B>(&src_bucket, Some(&src_key))?;
        names::<B>(&dst_bucket, Some(&dst_key))?;
        let b = backend::<B>()?;
        existing(&*b, &src_bucket, &src_key)?;
        b.require_bucket(&dst_bucket, &dst_key)?;
        b.copy(&src_bucket, &src_key, &dst_bucket, &dst_key)
    }

    fn create_bucket(bucket: String) -> Result<(), Error> {
        names::<B>(&bucket, None)?;
        backend::<B>()?.create_bucket(&bucket)
    }

    fn delete_bucket(bucket: String) -> Result<(), Error> {
        names::<B>(&bucket, None)?;
        let b = backend::<B>()?;
        let empty = if B::KEYS_ARE_PATHS {
            let req =
                common::listing::ListRequest::new(None, None, Some(1), None).map_err(checked)?;
            FolderKeys::new(InBucket(&*b, &bucket), &req, markers::<B>())?
                .next_key()?
                .is_none()
        } else {
            b.list_sorted(&bucket, "")?.next().transpose()?.is_none()
        };
        if !empty {
            return Err(Error::BucketNotEmpty(format!(
                "bucket {bucket:?} is not empty"
            )));
        }
        b.delete_bucket(&bucket)
    }

    fn list_buckets() -> Result<Vec<BucketInfo>, Error> {
        let mut all = backend::<B>()?.list_buckets()?;
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }
}

/// The folders of one bucket of a backend whose keys are paths, for the
/// folder walk.
struct InBucket<'a, B>(&'a B, &'a str);

impl<B: Backend> common::walk::Folders for InBucket<'_, B> {
    type Error = Error;

    fn read_folder(&mut self, dir: &str) -> Result<Option<Vec<(String, bool)>>, Error> {
        self.0.read_folder(self.1, dir)
    }
}

/// The backend's key-ordered walk as a [`common::listing::KeySource`]; the
/// info of the key it yielded last waits in `held` for `list_page`.
struct Walk<'a> {
    entries: Box<dyn Iterator<Item = Result<ObjectInfo, Error>> + 'a>,
    last: Option<String>,
    held: Rc<RefCell<Option<ObjectInfo>>>,
}

impl common::listing::KeySource for Walk<'_> {
    type Error = Error;

    fn next_key(&mut self) -> Result<Option<String>, Error> {
        let Some(entry) = self.entries.next().transpose()? else {
            return Ok(None);
        };
        if self.last.as_ref().is_some_and(|l| *l >= entry.key) {
            return Err(Error::Internal(format!(
                "the backend's list_sorted is out of order at {:?}",
                entry.key
            )));
        }
        self.last = Some(entry.key.clone());
        let key = entry.key.clone();
        *self.held.borrow_mut() = Some(entry);
        Ok(Some(key))
    }
}

/// A get's body, read from the backend chunk by chunk.
pub struct SdkReader<B: Backend> {
    backend: Rc<B>,
    bucket: String,
    key: String,
    /// (offset, bytes left)
    next: RefCell<(u64, u64)>,
}

impl<B: Backend> GuestReader for SdkReader<B> {
    fn read(&self, max: u64) -> Result<Vec<u8>, Error> {
        let (offset, left) = *self.next.borrow();
        let n = left.min(max).min(CHUNK);
        if n == 0 {
            return Ok(Vec::new());
        }
        let data = self.backend.read(&self.bucket, &self.key, offset, n)?;
        if data.is_empty() || data.len() as u64 > n {
            return Err(Error::Internal(format!(
                "the backend read {} bytes of {:?} where {n} were asked",
                data.len(),
                self.key
            )));
        }
        *self.next.borrow_mut() = (offset + data.len() as u64, left - data.len() as u64);
        Ok(data)
    }
}

/// An upload: the body is collected, then committed by `finish`, or staged
/// in the backend as it comes ([`Backend::stage`]).
pub struct SdkWriter<B: Backend> {
    backend: Rc<B>,
    bucket: String,
    key: String,
    opts: PutOptions,
    /// The body so far; `None` once finished or aborted.
    body: RefCell<Option<Upload>>,
}

/// A put's body and its hash so far.
enum Upload {
    Collected(Vec<Vec<u8>>, common::etag::Hasher),
    Staged(Box<dyn Stage>, common::etag::Hasher),
    /// The whole body, moved by the host into the stage ([`Stage::splice`]).
    Spliced(Box<dyn Stage>, crate::Spliced),
}

impl<B: Backend> SdkWriter<B> {
    /// A put begins: names and conditions checked, the body staged in the
    /// backend when it stages, else collected.
    fn begin(bucket: String, key: String, opts: PutOptions) -> Result<Self, Error> {
        names::<B>(&bucket, Some(&key))?;
        let b = backend::<B>()?;
        check_put(&*b, &bucket, &key, &opts)?;
        let body = match b.stage(&bucket, &key)? {
            Some(stage) => Upload::Staged(stage, common::etag::Hasher::new()),
            None => Upload::Collected(Vec::new(), common::etag::Hasher::new()),
        };
        Ok(SdkWriter {
            backend: b,
            bucket,
            key,
            opts,
            body: RefCell::new(Some(body)),
        })
    }

    /// The whole body from a host stream: spliced into the stage when it
    /// can take it so ([`Stage::splice`]), else read chunk by chunk.
    fn write_from(&self, data: &InputStream) -> Result<(), Error> {
        {
            let mut body = self.body.borrow_mut();
            match body.take() {
                Some(Upload::Staged(mut stage, hasher)) if hasher.is_empty() => {
                    match stage.splice(data) {
                        Ok(Some(spliced)) => {
                            *body = Some(Upload::Spliced(stage, spliced));
                            return Ok(());
                        }
                        Ok(None) => *body = Some(Upload::Staged(stage, hasher)),
                        Err(e) => {
                            stage.discard();
                            return Err(e);
                        }
                    }
                }
                other => *body = other,
            }
        }
        loop {
            match data.blocking_read(CHUNK) {
                Ok(chunk) => GuestWriter::write(self, chunk)?,
                Err(StreamError::Closed) => return Ok(()),
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(read_failed("the upload", e))
                }
            }
        }
    }
}

impl<B: Backend> StreamPutGuest for Adapter<B> {
    fn put_stream(
        bucket: String,
        key: String,
        data: InputStream,
        opts: PutOptions,
    ) -> Result<ObjectInfo, Error> {
        let writer = SdkWriter::<B>::begin(bucket, key, opts)?;
        writer.write_from(&data)?;
        writer.finish()
    }
}

fn finished() -> Error {
    Error::InvalidArgument("the upload was already finished or aborted".into())
}

impl<B: Backend> GuestWriter for SdkWriter<B> {
    fn write(&self, chunk: Vec<u8>) -> Result<(), Error> {
        let mut body = self.body.borrow_mut();
        match body.as_mut().ok_or_else(finished)? {
            Upload::Collected(chunks, hasher) => {
                hasher.update(&chunk);
                if !chunk.is_empty() {
                    chunks.push(chunk);
                }
            }
            Upload::Staged(stage, hasher) => {
                // Hashed after the write is handed over: a backend that writes
                // in the background (the file driver's write stream) lands the
                // chunk while it is hashed.
                if let Err(e) = stage.write(&chunk) {
                    if let Some(Upload::Staged(stage, _)) = body.take() {
                        stage.discard();
                    }
                    return Err(e);
                }
                hasher.update(&chunk);
            }
            Upload::Spliced(..) => {
                return Err(Error::InvalidArgument(
                    "the whole body was already moved into the upload".into(),
                ))
            }
        }
        Ok(())
    }

    fn finish(&self) -> Result<ObjectInfo, Error> {
        // The bucket or the object may have changed since the put began:
        // the conditions are checked again, with the commit.
        let (mut stage, size, etag) = match self.body.borrow_mut().take().ok_or_else(finished)? {
            Upload::Collected(chunks, hasher) => {
                return commit(
                    &*self.backend,
                    &self.bucket,
                    &self.key,
                    &self.opts,
                    Chunks(chunks),
                    hasher.finish(),
                )
            }
            Upload::Staged(stage, hasher) => (stage, hasher.len(), hasher.finish()),
            Upload::Spliced(stage, spliced) => (stage, spliced.size, spliced.etag),
        };
        let object = StagedObject {
            size,
            etag,
            content_type: self.opts.content_type.clone(),
            headers: self.opts.headers.clone(),
            metadata: self.opts.metadata.clone(),
        };
        let r = stage.commit(object, &conditions(&self.opts));
        if r.is_err() {
            stage.discard();
        }
        r
    }

    fn abort(&self) {
        match self.body.borrow_mut().take() {
            Some(Upload::Staged(stage, _) | Upload::Spliced(stage, _)) => stage.discard(),
            _ => {}
        }
    }
}

impl<B: Backend> Drop for SdkWriter<B> {
    /// A writer dropped unfinished is an abort.
    fn drop(&mut self) {
        GuestWriter::abort(self);
    }
}

impl<B: Backend> PutBytesGuest for Adapter<B> {
    fn put_bytes(
        bucket: String,
        key: String,
        data: Vec<u8>,
        opts: PutOptions,
    ) -> Result<ObjectInfo, Error> {
        names::<B>(&bucket, Some(&key))?;
        let b = backend::<B>()?;
        let etag = common::etag::etag_of(&data);
        commit(&*b, &bucket, &key, &opts, Chunks::from(data), etag)
    }
}

fn range(r: ByteRange) -> common::range::ByteRange {
    match r {
        ByteRange::Span((offset, length)) => common::range::ByteRange::Span { offset, length },
        ByteRange::Suffix(n) => common::range::ByteRange::Suffix(n),
    }
}
