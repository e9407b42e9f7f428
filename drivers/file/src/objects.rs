//! Single objects: how one is described (its sidecar when it still describes the
//! data file, else the content), opened for a get, deleted and copied.

use trove_driver::imports::filesystem::types::{Descriptor, DescriptorStat, ErrorCode};
use trove_driver::{Conditions, Error, InputStream, ObjectInfo, Stage, StagedObject};
use trove_driver_common as common;

use crate::fs;
use crate::layout;
use crate::sidecar;
use crate::upload::Staged;

pub fn bucket_not_found(bucket: &str) -> Error {
    Error::BucketNotFound(format!("bucket {bucket:?} does not exist"))
}

pub fn object_not_found(bucket: &str, key: &str) -> Error {
    Error::ObjectNotFound(format!("no object {key:?} in bucket {bucket:?}"))
}

/// Checks that the bucket's folder exists.
pub fn require_bucket(bucket: &str) -> Result<(), Error> {
    match fs::is_dir(bucket)? {
        true => Ok(()),
        false => Err(bucket_not_found(bucket)),
    }
}

/// The object's data file, opened for reading, and its stat; `None` when missing.
pub fn open(bucket: &str, key: &str) -> Result<Option<(Descriptor, DescriptorStat)>, Error> {
    fs::open_file(&layout::data_path(bucket, key))
}

/// Describes the data file of `key` whose stat is `stat`. Without a sidecar that
/// describes it, the ETag comes from the content (`content_etag`).
fn describe(
    bucket: &str,
    key: &str,
    stat: &DescriptorStat,
    content_etag: impl FnOnce() -> Result<String, Error>,
) -> Result<ObjectInfo, Error> {
    let (etag, content_type, headers, metadata) = match sidecar::load(bucket, key) {
        Some(s) if s.describes(key, stat) => (
            s.etag,
            s.content_type,
            trove_driver::headers_from_pairs(&s.headers),
            s.metadata,
        ),
        _ => (
            content_etag()?,
            None,
            trove_driver::no_headers(),
            Vec::new(),
        ),
    };
    Ok(ObjectInfo {
        key: key.to_string(),
        size: stat.size,
        etag,
        content_type,
        headers,
        last_modified: stat.data_modification_timestamp.map(fs::timestamp),
        metadata,
        version_id: None,
        storage_class: None,
    })
}

/// Describes `key` (the bucket exists); `None` when there is no such object.
pub fn describe_key(bucket: &str, key: &str) -> Result<Option<ObjectInfo>, Error> {
    let Some(stat) = fs::stat_file(&layout::data_path(bucket, key))? else {
        return Ok(None);
    };
    let hashed = || match open(bucket, key)? {
        Some((fd, stat)) => hash_file(&fd, stat.size),
        None => Err(object_not_found(bucket, key)),
    };
    match describe(bucket, key, &stat, hashed) {
        Ok(info) => Ok(Some(info)),
        Err(Error::ObjectNotFound(_)) => Ok(None), // removed meanwhile
        Err(e) => Err(e),
    }
}

/// Opens the data file and describes it from that open file, with its whole content
/// when it has at most `up_to` bytes; `None` when there is no such object.
#[allow(clippy::type_complexity)]
pub fn open_described(
    bucket: &str,
    key: &str,
    up_to: u64,
) -> Result<Option<(ObjectInfo, Descriptor, Option<Vec<u8>>)>, Error> {
    require_bucket(bucket)?;
    let Some((fd, stat)) = open(bucket, key)? else {
        return Ok(None);
    };
    let bytes = match stat.size <= up_to {
        true => Some(fs::read_at(&fd, 0, stat.size, "reading a small object")?),
        false => None,
    };
    let info = describe(bucket, key, &stat, || match &bytes {
        Some(b) => Ok(common::etag::etag_of(b)),
        None => hash_file(&fd, stat.size),
    })?;
    Ok(Some((info, fd, bytes)))
}

/// The file's own stream from `offset`: the host reads it natively and the bytes
/// never enter the guest. It keeps its own reference to the open file.
pub fn stream(fd: &Descriptor, offset: u64) -> Result<InputStream, Error> {
    fd.read_via_stream(offset)
        .map_err(|e| fs::error(e, "opening a stream on an object"))
}

/// The ETag of a data file without a valid sidecar, from its content.
fn hash_file(fd: &Descriptor, size: u64) -> Result<String, Error> {
    let mut hasher = common::etag::Hasher::new();
    let what = "reading an object to compute its ETag";
    fs::each_chunk(fd, size, what, |chunk| {
        hasher.update(chunk);
        Ok(())
    })?;
    Ok(hasher.finish())
}

/// Removes the data file and its sidecar, then the folders the key leaves empty (up to,
/// not including, the bucket's folder; a folder that holds a marker is not empty). A
/// missing key is fine.
pub fn delete(bucket: &str, key: &str) -> Result<(), Error> {
    require_bucket(bucket)?;
    let root = fs::root()?;
    let path = layout::data_path(bucket, key);
    match root.unlink_file_at(&path) {
        Ok(()) | Err(ErrorCode::NoEntry) => {}
        // A folder or a path through a file: no object by that key.
        Err(ErrorCode::IsDirectory | ErrorCode::NotDirectory) => return Ok(()),
        Err(e) => return Err(fs::error(e, &format!("removing {path}"))),
    }
    let _ = fs::remove_file(&layout::sidecar(bucket, key).1);
    for folder in common::paths::parent_folders(&common::paths::stored_path(key)).rev() {
        // Not empty (or already gone, or in use again): stop there.
        if root
            .remove_directory_at(&layout::data_path(bucket, folder))
            .is_err()
        {
            break;
        }
    }
    Ok(())
}

/// Copies the source file's bytes into a new staged upload, with its ETag, content
/// type and metadata.
pub fn copy(
    src_bucket: &str,
    src_key: &str,
    dst_bucket: &str,
    dst_key: &str,
) -> Result<ObjectInfo, Error> {
    let (info, fd, _) = open_described(src_bucket, src_key, 0)?
        .ok_or_else(|| object_not_found(src_bucket, src_key))?;
    let mut staged = Staged::new(dst_bucket, dst_key)?;
    let what = "reading the copy's source";
    let size = fs::each_chunk(&fd, u64::MAX, what, |chunk| staged.write(chunk))?;
    let object = StagedObject {
        size,
        etag: info.etag,
        content_type: info.content_type,
        headers: info.headers,
        metadata: info.metadata,
    };
    staged.commit(object, &Conditions::NONE)
}
