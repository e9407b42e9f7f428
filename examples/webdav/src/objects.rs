//! head, get, delete, list and copy.

use crate::common::listing;
use crate::common::{conditions, keys::Key, range};
use crate::dav::{self, Entry};
use crate::exports::trove::driver::core::{Body, GuestReader, HostStream, Reader};
use crate::layout::{self, Member, Meta};
use crate::{check_names, from_common, upload};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, VecDeque};
use trove_driver_cloud::trove::driver::types::{
    ByteRange, Error, GetOptions, ListOptions, ListPage, ObjectInfo, PutOptions, Timestamp,
};
use trove_driver_cloud::wasi::io::streams::{InputStream, StreamError};

/// The object's `meta`, or `None` when there is no such object.
pub fn read_meta(bucket: &str, key: &str) -> Result<Option<Meta>, Error> {
    let path = format!("{}meta", layout::member_path(bucket, &layout::name_of(key)));
    let resp = dav::call("GET", &dav::url(&path)?)?;
    match resp.status {
        200 => {}
        404 => return Ok(None),
        _ => return Err(dav::error(&resp, &format!("GET {path}"))),
    }
    let meta: Meta = serde_json::from_slice(&resp.read_all()?)
        .map_err(|e| Error::Internal(format!("{path}: not an object's meta: {e}")))?;
    // A long key's name is a hash of it: make sure this is the key asked for.
    Ok(Some(meta).filter(|m| m.key == key))
}

/// The object's `meta`; a missing object is `object-not-found`, or
/// `bucket-not-found` when the bucket is missing too.
pub fn require_meta(bucket: &str, key: &str) -> Result<Meta, Error> {
    match read_meta(bucket, key)? {
        Some(m) => Ok(m),
        None => Err(missing(bucket, key)),
    }
}

fn missing(bucket: &str, key: &str) -> Error {
    match dav::exists(&layout::bucket_path(bucket)) {
        Ok(true) => Error::ObjectNotFound(format!("no object {key:?} in bucket {bucket}")),
        Ok(false) => Error::BucketNotFound(format!("no bucket {bucket}")),
        Err(e) => e,
    }
}

pub fn info(meta: &Meta) -> ObjectInfo {
    ObjectInfo {
        key: meta.key.clone(),
        size: meta.size,
        etag: meta.etag.clone(),
        content_type: meta.content_type.clone(),
        last_modified: Some(Timestamp {
            seconds: meta.modified.0,
            nanoseconds: meta.modified.1,
        }),
        metadata: meta.metadata.clone(),
        version_id: None,
        storage_class: None,
    }
}

pub fn head(bucket: &str, key: &str) -> Result<ObjectInfo, Error> {
    check_names(bucket, Some(key))?;
    Ok(info(&require_meta(bucket, key)?))
}

pub fn get(bucket: &str, key: &str, opts: &GetOptions) -> Result<(ObjectInfo, Body), Error> {
    check_names(bucket, Some(key))?;
    // A put may replace the object between reading its meta and its first part
    // (the part is then gone): read both again.
    for _ in 0..3 {
        let meta = require_meta(bucket, key)?;
        conditions::check_get(
            opts.if_match.as_deref(),
            opts.if_none_match.as_deref(),
            &meta.etag,
        )
        .map_err(from_common)?;
        let want = opts.range.map(|r| match r {
            ByteRange::Span((offset, length)) => range::ByteRange::Span { offset, length },
            ByteRange::Suffix(n) => range::ByteRange::Suffix(n),
        });
        let r = range::resolve(want, meta.size).map_err(from_common)?;
        if r.length == 0 {
            return Ok((info(&meta), Body::Bytes(Vec::new())));
        }
        let object = layout::member_path(bucket, &layout::name_of(key));
        let mut pieces: VecDeque<_> = meta.pieces(r.offset, r.length).into();
        let (part, start, len) = pieces.pop_front().expect("a non-empty range has a piece");
        let Some(first) = open_piece(&object, &part, start, len)? else {
            continue;
        };
        // One part: the server's stream goes back to the host unread.
        let body = if pieces.is_empty() {
            Body::Host(HostStream {
                data: first,
                limit: Some(len),
            })
        } else {
            Body::Guest(Reader::new(PartsReader {
                object,
                pieces: RefCell::new(pieces),
                current: RefCell::new(Some((first, len))),
            }))
        };
        return Ok((info(&meta), body));
    }
    Err(Error::Unavailable(format!(
        "{bucket}/{key} kept changing while being read"
    )))
}

/// GETs `len` bytes of a part from `start` (a range request); `None` when the part
/// is gone.
fn open_piece(
    object: &str,
    part: &str,
    start: u64,
    len: u64,
) -> Result<Option<InputStream>, Error> {
    let path = format!("{object}{part}");
    let range = format!("bytes={start}-{}", start + len - 1);
    let resp = dav::send(
        "GET",
        &dav::url(&path)?,
        vec![("range".into(), range)],
        Vec::new(),
    )?;
    match resp.status {
        206 => Ok(Some(resp.body)),
        // A server that ignores Range sends the whole part: fine from its start.
        200 if start == 0 => Ok(Some(resp.body)),
        200 => Err(Error::Unsupported(format!(
            "GET {path}: the server ignored the Range header"
        ))),
        404 => Ok(None),
        _ => Err(dav::error(&resp, &format!("GET {path}"))),
    }
}

/// A body of several parts, read one after the other.
pub struct PartsReader {
    object: String,
    pieces: RefCell<VecDeque<(String, u64, u64)>>,
    /// The part being read and the bytes still due from it.
    current: RefCell<Option<(InputStream, u64)>>,
}

impl GuestReader for PartsReader {
    fn read(&self, max: u64) -> Result<Vec<u8>, Error> {
        let mut current = self.current.borrow_mut();
        loop {
            if current.is_none() {
                let Some((part, start, len)) = self.pieces.borrow_mut().pop_front() else {
                    return Ok(Vec::new()); // the end
                };
                let stream = open_piece(&self.object, &part, start, len)?.ok_or_else(|| {
                    Error::Unavailable(format!("{}: replaced while being read", self.object))
                })?;
                *current = Some((stream, len));
            }
            let (stream, due) = current.as_mut().expect("a part is open");
            if *due == 0 {
                *current = None;
                continue;
            }
            match stream.blocking_read(max.min(*due)) {
                Ok(bytes) => {
                    *due -= bytes.len() as u64;
                    return Ok(bytes);
                }
                Err(StreamError::Closed) => {
                    return Err(Error::Unavailable(format!(
                        "{}: a part ended {due} bytes early",
                        self.object
                    )))
                }
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(Error::Unavailable(format!(
                        "reading {}: {}",
                        self.object,
                        e.to_debug_string()
                    )))
                }
            }
        }
    }
}

pub fn delete(bucket: &str, key: &str) -> Result<(), Error> {
    check_names(bucket, Some(key))?;
    let path = layout::member_path(bucket, &layout::name_of(key));
    let resp = dav::call("DELETE", &dav::url(&path)?)?;
    match resp.status {
        200..=299 => Ok(()),
        // Deleting a missing object succeeds, in a bucket that exists.
        404 => match missing(bucket, key) {
            Error::ObjectNotFound(_) => Ok(()),
            e => Err(e),
        },
        _ => Err(dav::error(&resp, &format!("DELETE {path}"))),
    }
}

/// One PROPFIND of the bucket gives every key; the shared listing code makes the page
/// (prefix, delimiter, max-keys, cursor) and reads the `meta` of each object on it.
pub fn list(bucket: &str, opts: ListOptions) -> Result<ListPage, Error> {
    check_names(bucket, None)?;
    let req = listing::ListRequest::new(
        opts.prefix,
        opts.delimiter,
        opts.max_keys,
        opts.cursor.as_deref(),
    )
    .map_err(from_common)?;
    let entries = dav::members(&layout::bucket_path(bucket))?
        .ok_or_else(|| Error::BucketNotFound(format!("no bucket {bucket}")))?;
    let mut keys = BTreeSet::new();
    // Long keys are known only from their meta, read here once.
    let mut read: HashMap<String, Meta> = HashMap::new();
    for Entry {
        name, collection, ..
    } in entries
    {
        if !collection {
            continue;
        }
        match layout::member(&name) {
            Member::Key(key) => {
                keys.insert(Key::from(key));
            }
            Member::Hashed => {
                let path = format!("{}meta", layout::member_path(bucket, &name));
                let resp = dav::call("GET", &dav::url(&path)?)?;
                if resp.status == 200 {
                    if let Ok(m) = serde_json::from_slice::<Meta>(&resp.read_all()?) {
                        keys.insert(Key::from(m.key.as_str()));
                        read.insert(m.key.clone(), m);
                    }
                }
            }
            Member::Other => {}
        }
    }
    let mut source = Keys(listing::MapKeys::new(&keys, &req));
    let page = listing::list_page(&req, &mut source, |key| {
        // An object deleted since the PROPFIND is left out.
        Ok::<_, Error>(match read.remove(key) {
            Some(m) => Some(info(&m)),
            None => read_meta(bucket, key)?.map(|m| info(&m)),
        })
    })?;
    Ok(ListPage {
        objects: page.objects,
        common_prefixes: page.common_prefixes,
        next_cursor: page.next_cursor,
    })
}

/// The shared sorted-set key source, with this driver's error type (it never fails).
struct Keys<'a>(listing::MapKeys<'a>);

impl listing::KeySource for Keys<'_> {
    type Error = Error;

    fn next_key(&mut self) -> Result<Option<String>, Error> {
        Ok(self.0.next_key().unwrap_or_else(|never| match never {}))
    }

    fn skip_prefix(&mut self, prefix: &str) {
        self.0.skip_prefix(prefix)
    }
}

/// A server-side copy: each part is COPYed into a new upload of the destination,
/// which then commits like a put, with the source's ETag, content type and metadata.
pub fn copy(sb: &str, sk: &str, db: &str, dk: &str) -> Result<ObjectInfo, Error> {
    check_names(sb, Some(sk))?;
    check_names(db, Some(dk))?;
    let src = require_meta(sb, sk)?;
    let opts = PutOptions {
        content_type: src.content_type.clone(),
        metadata: src.metadata.clone(),
        if_none_match: None,
        if_match: None,
        size: Some(src.size),
    };
    let up = upload::Upload::begin(db, dk, opts)?;
    let from = layout::member_path(sb, &layout::name_of(sk));
    let parts = src.size.div_ceil(src.part_size);
    for i in 0..parts {
        let path = format!("{from}{}.{i}", src.id);
        let dest = dav::url(&format!("{}{}.{i}", up.path(), up.id()))?;
        let headers = vec![
            ("destination".into(), dest),
            ("overwrite".into(), "T".into()),
        ];
        let resp = dav::send("COPY", &dav::url(&path)?, headers, Vec::new())?;
        match resp.status {
            200..=299 => {}
            404 => {
                return Err(Error::Unavailable(format!(
                    "{sb}/{sk} was replaced while being copied"
                )))
            }
            _ => return Err(dav::error(&resp, &format!("COPY {path}"))),
        }
    }
    up.commit(src.size, src.etag, src.part_size)
}
