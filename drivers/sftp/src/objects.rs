//! Single-object operations: head, get, delete and copy, and how an object is described
//! (its sidecar while it still describes the data file, else its content).

use std::cell::Cell;

use trove_driver_common as common;

use crate::exports::trove::driver::core::{Body, GuestReader, Reader};
use crate::meta;
use crate::remote;
use crate::trove::driver::sftp::{Attrs, File};
use crate::trove::driver::types::{ByteRange, Error, GetOptions, ObjectInfo, Timestamp};
use crate::upload::Staged;
use crate::{bucket_not_found, check_names, object_not_found};

/// Largest piece read from the server in one call (reads and copies).
const PIECE: u64 = 4 << 20;

pub fn data_path(bucket: &str, key: &str) -> String {
    format!("{bucket}/{key}")
}

/// Checks the name, then that the bucket's folder exists.
pub fn require_bucket(bucket: &str) -> Result<(), Error> {
    common::names::validate_bucket(bucket)?;
    if remote::is_dir(bucket)? {
        Ok(())
    } else {
        Err(bucket_not_found(bucket))
    }
}

/// The "not found" answer for a key: the bucket's, if the bucket is missing.
fn not_found(bucket: &str, key: &str) -> Error {
    match remote::is_dir(bucket) {
        Ok(true) => object_not_found(bucket, key),
        Ok(false) => bucket_not_found(bucket),
        Err(e) => e,
    }
}

pub fn info(
    key: &str,
    attrs: &Attrs,
    etag: String,
    ct: Option<String>,
    meta: Vec<(String, String)>,
) -> ObjectInfo {
    ObjectInfo {
        key: key.to_string(),
        size: attrs.size.unwrap_or(0),
        etag,
        content_type: ct,
        last_modified: attrs.modified.map(|m| Timestamp {
            seconds: m.seconds,
            nanoseconds: m.nanoseconds,
        }),
        metadata: meta,
        version_id: None,
        storage_class: None,
    }
}

/// Describes the data file of `key` with attributes `attrs`; without a sidecar that
/// describes it, the ETag is computed from the content (read through `file` when open).
pub fn describe(
    bucket: &str,
    key: &str,
    attrs: &Attrs,
    file: Option<&File>,
) -> Result<ObjectInfo, Error> {
    if let Some(s) = meta::load(bucket, key).filter(|s| s.describes(key, attrs)) {
        return Ok(info(key, attrs, s.etag, s.content_type, s.metadata));
    }
    let opened;
    let file = match file {
        Some(f) => f,
        None => {
            opened = remote::open_read(&data_path(bucket, key))?
                .ok_or_else(|| object_not_found(bucket, key))?;
            &opened
        }
    };
    let mut hasher = common::etag::Hasher::new();
    let size = attrs.size.unwrap_or(0);
    while hasher.len() < size {
        let piece = file.read(hasher.len(), (size - hasher.len()).min(PIECE) as u32)?;
        if piece.is_empty() {
            break;
        }
        hasher.update(&piece);
    }
    let mut attrs = attrs.clone();
    attrs.size = Some(hasher.len());
    Ok(info(key, &attrs, hasher.finish(), None, Vec::new()))
}

/// The object's info, or `None` when there is no such object (a folder is not one).
pub fn describe_key(bucket: &str, key: &str) -> Result<Option<ObjectInfo>, Error> {
    match remote::stat(&data_path(bucket, key))? {
        Some(a) if !a.is_dir => match describe(bucket, key, &a, None) {
            Ok(i) => Ok(Some(i)),
            Err(Error::ObjectNotFound(_)) => Ok(None),
            Err(e) => Err(e),
        },
        _ => Ok(None),
    }
}

pub fn head(bucket: &str, key: &str) -> Result<ObjectInfo, Error> {
    check_names(bucket, key)?;
    describe_key(bucket, key)?.ok_or_else(|| not_found(bucket, key))
}

/// Opens the object for reading and describes it.
fn open_object(bucket: &str, key: &str) -> Result<(File, ObjectInfo), Error> {
    check_names(bucket, key)?;
    let path = data_path(bucket, key);
    let attrs = remote::stat(&path)?
        .filter(|a| !a.is_dir)
        .ok_or_else(|| not_found(bucket, key))?;
    let file = remote::open_read(&path)?.ok_or_else(|| not_found(bucket, key))?;
    let info = describe(bucket, key, &attrs, Some(&file))?;
    Ok((file, info))
}

pub fn get(bucket: &str, key: &str, opts: GetOptions) -> Result<(ObjectInfo, Body), Error> {
    check_names(bucket, key)?;
    if opts.version_id.is_some() {
        return Err(Error::Unsupported(
            "the sftp driver keeps no versions".into(),
        ));
    }
    let (file, info) = open_object(bucket, key)?;
    common::conditions::check_get(
        opts.if_match.as_deref(),
        opts.if_none_match.as_deref(),
        &info.etag,
    )?;
    let range = opts.range.map(|r| match r {
        ByteRange::Span((offset, length)) => common::range::ByteRange::Span { offset, length },
        ByteRange::Suffix(n) => common::range::ByteRange::Suffix(n),
    });
    let span = common::range::resolve(range, info.size)?;
    let reader = FileReader {
        file,
        pos: Cell::new(span.offset),
        end: span.offset + span.length,
    };
    Ok((info, Body::Guest(Reader::new(reader))))
}

/// A body read from the open remote file, piece by piece.
pub struct FileReader {
    file: File,
    pos: Cell<u64>,
    end: u64,
}

impl GuestReader for FileReader {
    fn read(&self, max: u64) -> Result<Vec<u8>, Error> {
        let pos = self.pos.get();
        let want = max.min(self.end.saturating_sub(pos)).min(PIECE);
        if want == 0 {
            return Ok(Vec::new());
        }
        let data = self.file.read(pos, want as u32)?;
        if data.is_empty() {
            return Err(Error::Internal(
                "the object's file ended early (changed while read)".into(),
            ));
        }
        self.pos.set(pos + data.len() as u64);
        Ok(data)
    }
}

pub fn delete(bucket: &str, key: &str) -> Result<(), Error> {
    check_names(bucket, key)?;
    require_bucket(bucket)?;
    let path = data_path(bucket, key);
    {
        let _lock = meta::Lock::acquire(bucket, key)?;
        match remote::stat(&path)? {
            Some(a) if !a.is_dir => {
                remote::remove(&path)?;
            }
            _ => {}
        }
        let _ = remote::remove(&meta::sidecar_path(bucket, key).1);
    }
    // Leave no empty folders behind (a folder still in use is not removed).
    for folder in common::paths::parent_folders(key).rev() {
        if !remote::remove_dir(&data_path(bucket, folder)) {
            break;
        }
    }
    Ok(())
}

pub fn copy(
    src_bucket: &str,
    src_key: &str,
    dst_bucket: &str,
    dst_key: &str,
) -> Result<ObjectInfo, Error> {
    check_names(dst_bucket, dst_key)?;
    let (file, src) = open_object(src_bucket, src_key)?;
    require_bucket(dst_bucket)?;
    let mut staged = Staged::new()?;
    while staged.written() < src.size {
        let piece = file.read(
            staged.written(),
            (src.size - staged.written()).min(PIECE) as u32,
        )?;
        if piece.is_empty() {
            return Err(Error::Internal(format!(
                "source {src_key:?} shrank while copied"
            )));
        }
        staged.write(&piece)?;
    }
    let _ = file.close();
    staged.commit(
        dst_bucket,
        dst_key,
        src.content_type,
        src.metadata,
        None,
        None,
    )
}
