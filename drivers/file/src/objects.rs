//! Single-object operations: head, get, delete and copy, and how an object is
//! described (its sidecar when it still describes the data file, else the content).

use trove_driver_common as common;

use crate::exports::trove::driver::core::{Body, GuestReader, HostStream};
use crate::fs;
use crate::layout;
use crate::sidecar;
use crate::trove::driver::types::{ByteRange, Error, GetOptions, ObjectInfo};
use crate::upload::{self, Staged};
use crate::wasi::filesystem::types::{Descriptor, DescriptorStat, ErrorCode};

/// Copy reads the source through the guest in pieces of this size.
const COPY_CHUNK: u64 = 1024 * 1024;

/// The file driver hands every body to the host as a stream; it never makes a reader.
pub struct NoReader;

impl GuestReader for NoReader {
    fn read(&self, _max: u64) -> Result<Vec<u8>, Error> {
        Err(Error::Internal(
            "the file driver has no guest readers".into(),
        ))
    }
}

pub fn bucket_not_found(bucket: &str) -> Error {
    Error::BucketNotFound(format!("bucket {bucket:?} does not exist"))
}

fn object_not_found(bucket: &str, key: &str) -> Error {
    Error::ObjectNotFound(format!("no object {key:?} in bucket {bucket:?}"))
}

/// Checks the name, then that the bucket's folder exists.
pub fn require_bucket(bucket: &str) -> Result<(), Error> {
    layout::check_bucket(bucket)?;
    if fs::is_dir(bucket)? {
        Ok(())
    } else {
        Err(bucket_not_found(bucket))
    }
}

/// The object's data file, opened for reading, and its stat; `None` when missing.
pub fn open_object(bucket: &str, key: &str) -> Result<Option<(Descriptor, DescriptorStat)>, Error> {
    fs::open_file(&layout::data_path(bucket, key))
}

/// Describes the data file of `key` whose stat is `stat`. Without a sidecar that
/// describes it, the ETag comes from the content: read through `fd` when the file is
/// open already, else opened here.
pub fn describe(
    bucket: &str,
    key: &str,
    stat: &DescriptorStat,
    fd: Option<&Descriptor>,
) -> Result<ObjectInfo, Error> {
    let (etag, content_type, metadata) = match sidecar::load(bucket, key) {
        Some(s) if s.describes(key, stat) => (s.etag, s.content_type, s.metadata),
        _ => {
            let etag = match fd {
                Some(fd) => hash_file(fd, stat.size)?,
                None => {
                    let (fd, stat) =
                        open_object(bucket, key)?.ok_or_else(|| object_not_found(bucket, key))?;
                    hash_file(&fd, stat.size)?
                }
            };
            (etag, None, Vec::new())
        }
    };
    Ok(ObjectInfo {
        key: key.to_string(),
        size: stat.size,
        etag,
        content_type,
        last_modified: stat.data_modification_timestamp.map(upload::timestamp),
        metadata,
        version_id: None,
        storage_class: None,
    })
}

/// Describes `key`; `None` when there is no such object.
pub fn describe_key(bucket: &str, key: &str) -> Result<Option<ObjectInfo>, Error> {
    let Some(stat) = fs::stat_file(&layout::data_path(bucket, key))? else {
        return Ok(None);
    };
    match describe(bucket, key, &stat, None) {
        Ok(info) => Ok(Some(info)),
        Err(Error::ObjectNotFound(_)) => Ok(None), // removed meanwhile
        Err(e) => Err(e),
    }
}

/// The ETag of a data file without a valid sidecar, from its content.
fn hash_file(fd: &Descriptor, size: u64) -> Result<String, Error> {
    let mut hasher = common::etag::Hasher::new();
    let mut offset = 0;
    while offset < size {
        let (bytes, end) = fd
            .read(fs::READ_CHUNK, offset)
            .map_err(|e| fs::error(e, "reading an object to compute its ETag"))?;
        if bytes.is_empty() {
            break;
        }
        hasher.update(&bytes);
        offset += bytes.len() as u64;
        if end {
            break;
        }
    }
    Ok(hasher.finish())
}

fn check_names(bucket: &str, key: &str) -> Result<(), Error> {
    layout::check_bucket(bucket)?;
    layout::check_key(key)
}

pub fn head(bucket: &str, key: &str) -> Result<ObjectInfo, Error> {
    check_names(bucket, key)?;
    require_bucket(bucket)?;
    describe_key(bucket, key)?.ok_or_else(|| object_not_found(bucket, key))
}

/// The body is the data file's own stream, opened at the range's offset and limited
/// to its length: the host reads it natively and the bytes never enter the guest.
pub fn get(bucket: &str, key: &str, opts: GetOptions) -> Result<(ObjectInfo, Body), Error> {
    check_names(bucket, key)?;
    if opts.version_id.is_some() {
        return Err(Error::Unsupported(
            "the file driver keeps no versions".into(),
        ));
    }
    require_bucket(bucket)?;
    let (fd, stat) = open_object(bucket, key)?.ok_or_else(|| object_not_found(bucket, key))?;
    let info = describe(bucket, key, &stat, Some(&fd))?;
    common::conditions::check_get(
        opts.if_match.as_deref(),
        opts.if_none_match.as_deref(),
        &info.etag,
    )?;
    let range = opts.range.map(|r| match r {
        ByteRange::Span((offset, length)) => common::range::ByteRange::Span { offset, length },
        ByteRange::Suffix(n) => common::range::ByteRange::Suffix(n),
    });
    let span = common::range::resolve(range, stat.size)?;
    let data = fd
        .read_via_stream(span.offset)
        .map_err(|e| fs::error(e, &format!("opening a stream on {bucket}/{key}")))?;
    // The stream keeps its own reference to the open file: the descriptor may go.
    drop(fd);
    Ok((
        info,
        Body::Host(HostStream {
            data,
            limit: Some(span.length),
        }),
    ))
}

/// Removes the data file and its sidecar, then the folders the key leaves empty (up to,
/// not including, the bucket's folder). A missing key is fine.
pub fn delete(bucket: &str, key: &str) -> Result<(), Error> {
    check_names(bucket, key)?;
    require_bucket(bucket)?;
    let root = fs::root()?;
    let path = layout::data_path(bucket, key);
    match root.unlink_file_at(&path) {
        Ok(()) | Err(ErrorCode::NoEntry) => {}
        // A folder or a path through a file: no object by that key.
        Err(ErrorCode::IsDirectory | ErrorCode::NotDirectory) => return Ok(()),
        Err(e) => return Err(fs::error(e, &format!("removing {path}"))),
    }
    let (_, sidecar) = layout::sidecar(bucket, key);
    let _ = fs::remove_file(&sidecar);
    let folders: Vec<&str> = common::paths::parent_folders(key).collect();
    for folder in folders.into_iter().rev() {
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

/// Copies through the guest into a new staged upload, keeping content type and
/// metadata.
pub fn copy(
    src_bucket: &str,
    src_key: &str,
    dst_bucket: &str,
    dst_key: &str,
) -> Result<ObjectInfo, Error> {
    check_names(src_bucket, src_key)?;
    check_names(dst_bucket, dst_key)?;
    require_bucket(src_bucket)?;
    require_bucket(dst_bucket)?;
    let (fd, stat) =
        open_object(src_bucket, src_key)?.ok_or_else(|| object_not_found(src_bucket, src_key))?;
    let info = describe(src_bucket, src_key, &stat, Some(&fd))?;
    upload::check_target(dst_bucket, dst_key)?;
    let mut staged = Staged::new()?;
    let mut offset = 0;
    loop {
        let chunk = fs::read_at(&fd, offset, COPY_CHUNK, "reading the copy's source")?;
        if chunk.is_empty() {
            break;
        }
        staged.write(&chunk)?;
        offset += chunk.len() as u64;
    }
    staged.commit(
        dst_bucket,
        dst_key,
        info.content_type,
        info.metadata,
        None,
        None,
    )
}
