//! One object: how it is described (its sidecar while that still describes the data
//! file, else its content), and reading, deleting and copying it.

use std::cell::RefCell;

use trove_driver::imports::sftp::{Attrs, File};
use trove_driver::{Conditions, ContentHeaders, Error, ObjectInfo, Stage, StagedObject, Timestamp};
use trove_driver_common as common;

use crate::remote;
use crate::upload::Put;
use crate::{bucket_not_found, meta, object_not_found};

/// Largest piece read from the server in one call (copies, and hashing).
const PIECE: u64 = 4 << 20;

/// The data file of an object: `<bucket>/<key>`; of a folder marker `a/`, the file
/// `a/.trove-folder-marker` in its folder (see `trove_driver_common::paths`).
pub fn data_path(bucket: &str, key: &str) -> String {
    format!("{bucket}/{}", common::paths::stored_path(key))
}

/// That the bucket's folder exists.
pub fn require_bucket(bucket: &str) -> Result<(), Error> {
    match remote::is_dir(bucket)? {
        true => Ok(()),
        false => Err(bucket_not_found(bucket)),
    }
}

pub fn info(
    key: &str,
    attrs: &Attrs,
    etag: String,
    ct: Option<String>,
    headers: ContentHeaders,
    meta: Vec<(String, String)>,
) -> ObjectInfo {
    ObjectInfo {
        key: key.to_string(),
        size: attrs.size.unwrap_or(0),
        etag,
        content_type: ct,
        headers,
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
fn describe(
    bucket: &str,
    key: &str,
    attrs: &Attrs,
    file: Option<&File>,
) -> Result<ObjectInfo, Error> {
    if let Some(s) = meta::load(bucket, key).filter(|s| s.describes(key, attrs)) {
        let headers = trove_driver::headers_from_pairs(&s.headers);
        return Ok(info(
            key,
            attrs,
            s.etag,
            s.content_type,
            headers,
            s.metadata,
        ));
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
    let mut attrs = *attrs;
    attrs.size = Some(hasher.len());
    let etag = hasher.finish();
    Ok(info(
        key,
        &attrs,
        etag,
        None,
        trove_driver::no_headers(),
        Vec::new(),
    ))
}

/// The object's info, or `None` when there is no such object (a folder is not one).
pub fn describe_key(bucket: &str, key: &str) -> Result<Option<ObjectInfo>, Error> {
    match remote::stat(&data_path(bucket, key))? {
        Some(a) if !a.is_dir => match describe(bucket, key, &a, None) {
            Err(Error::ObjectNotFound(_)) => Ok(None),
            described => described.map(Some),
        },
        _ => Ok(None),
    }
}

/// `None` when the bucket has no such object; `bucket-not-found` when there is no bucket.
pub fn head(bucket: &str, key: &str) -> Result<Option<ObjectInfo>, Error> {
    match describe_key(bucket, key)? {
        Some(i) => Ok(Some(i)),
        None => require_bucket(bucket).map(|()| None),
    }
}

/// The file a read left open at `at`, with the bytes it read ahead from there.
pub struct OpenFile {
    pub path: String,
    file: File,
    at: u64,
    ahead: Vec<u8>,
}

/// `len` bytes at `offset` (fewer only at the end of the file). A read that goes on
/// where the last one stopped goes on with its file, and reads 4 MiB ahead (the SDK
/// asks 1 MiB at a time; larger reads keep more of the host's requests in flight).
pub fn read(
    open: &RefCell<Option<OpenFile>>,
    bucket: &str,
    key: &str,
    offset: u64,
    len: u64,
) -> Result<Vec<u8>, Error> {
    let path = data_path(bucket, key);
    let (mut f, want) = match open.borrow_mut().take() {
        Some(o) if o.path == path && o.at == offset => (o, len.max(PIECE)),
        _ => {
            let file = remote::open_read(&path)?.ok_or_else(|| object_not_found(bucket, key))?;
            let ahead = Vec::new();
            (
                OpenFile {
                    path,
                    file,
                    at: offset,
                    ahead,
                },
                len,
            )
        }
    };
    while (f.ahead.len() as u64) < len {
        let end = f.at + f.ahead.len() as u64;
        let piece = f.file.read(end, (want - f.ahead.len() as u64) as u32)?;
        if piece.is_empty() {
            break;
        }
        f.ahead.extend_from_slice(&piece);
    }
    let n = f.ahead.len().min(len as usize);
    let out = f.ahead[..n].to_vec();
    f.ahead.drain(..n);
    f.at += n as u64;
    *open.borrow_mut() = Some(f);
    Ok(out)
}

pub fn delete(bucket: &str, key: &str) -> Result<(), Error> {
    require_bucket(bucket)?;
    let path = data_path(bucket, key);
    {
        let _lock = meta::Lock::acquire(bucket, key)?;
        if remote::stat(&path)?.is_some_and(|a| !a.is_dir) {
            remote::remove(&path)?;
        }
        let _ = remote::remove(&meta::sidecar_path(bucket, key).1);
    }
    // Leave no empty folders behind (a folder still in use, or holding a marker, is
    // not removed).
    for folder in common::paths::parent_folders(&common::paths::stored_path(key)).rev() {
        if !remote::remove_dir(&data_path(bucket, folder)) {
            break;
        }
    }
    Ok(())
}

/// Reads the source through one open file in 4 MiB pieces into a staged put, and
/// commits it like a put, keeping content type and metadata.
pub fn copy(sb: &str, sk: &str, db: &str, dk: &str) -> Result<ObjectInfo, Error> {
    let path = data_path(sb, sk);
    let attrs = remote::stat(&path)?.filter(|a| !a.is_dir);
    let file = attrs
        .as_ref()
        .map(|_| remote::open_read(&path))
        .transpose()?
        .flatten();
    let (Some(attrs), Some(file)) = (attrs, file) else {
        return Err(object_not_found(sb, sk));
    };
    let src = describe(sb, sk, &attrs, Some(&file))?;
    // Dropped uncommitted, the staged put removes its temporary file.
    let mut put = Put::new(db, dk)?;
    let mut at = 0;
    while at < src.size {
        let piece = file.read(at, (src.size - at).min(PIECE) as u32)?;
        if piece.is_empty() {
            return Err(Error::Internal(format!(
                "source {sk:?} shrank while copied"
            )));
        }
        put.write(&piece)?;
        at += piece.len() as u64;
    }
    let staged = StagedObject {
        size: src.size,
        etag: src.etag,
        content_type: src.content_type,
        headers: src.headers,
        metadata: src.metadata,
    };
    put.commit(staged, &Conditions::NONE)
}
