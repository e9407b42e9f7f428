//! Uploads: a staged temporary file in `.trove/tmp`, hashed as it is written, then
//! committed by renaming it over the key's path (atomic), its sidecar renamed after it.
//! Used by put (through the `writer` resource) and by copy.

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use trove_driver_common as common;

use crate::exports::trove::driver::core::GuestWriter;
use crate::fs::{self, Folders};
use crate::layout;
use crate::objects;
use crate::sidecar::{self, Sidecar};
use crate::trove::driver::log::Level;
use crate::trove::driver::types::{Error, ObjectInfo, PutOptions, Timestamp};
use crate::wasi::clocks::wall_clock::Datetime;
use crate::wasi::filesystem::types::{
    Descriptor, DescriptorType, ErrorCode, NewTimestamp, PathFlags,
};

/// Temporary files older than this are leftovers of crashed instances.
const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Creates a new, empty temporary file exclusively; returns its path and descriptor.
pub fn create_temp() -> Result<(String, Descriptor), Error> {
    let mut made_dirs = false;
    for attempt in 0..16 {
        let path = layout::temp_path(attempt);
        match fs::create_new(&path) {
            Ok(fd) => return Ok((path, fd)),
            Err(ErrorCode::Exist) => continue,
            Err(ErrorCode::NoEntry) if !made_dirs => {
                fs::create_dir_all(layout::TMP_DIR)?;
                made_dirs = true;
            }
            Err(e) => return Err(fs::error(e, "creating a temporary file in .trove/tmp")),
        }
    }
    Err(Error::Internal(
        "could not create a unique temporary file".into(),
    ))
}

/// Removes temporary files that no live upload can still own.
pub fn sweep_stale_uploads() {
    let Ok(Some(entries)) = fs::read_dir(layout::TMP_DIR) else {
        return;
    };
    let cutoff = SystemTime::now()
        .checked_sub(STALE_AFTER)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    for e in entries
        .into_iter()
        .filter(|e| e.kind == DescriptorType::RegularFile)
    {
        let path = format!("{}/{}", layout::TMP_DIR, e.name);
        if let Ok(Some(stat)) = fs::stat_at(&path) {
            if stat
                .data_modification_timestamp
                .is_some_and(|t| t.seconds < cutoff)
            {
                let _ = fs::remove_file(&path);
            }
        }
    }
}

/// An upload being written to a temporary file.
pub struct Staged {
    /// `None` once the file was moved into place (or removed).
    path: Option<String>,
    fd: Descriptor,
    written: u64,
    hasher: common::etag::Hasher,
}

impl Staged {
    pub fn new() -> Result<Self, Error> {
        let (path, fd) = create_temp()?;
        Ok(Self {
            path: Some(path),
            fd,
            written: 0,
            hasher: common::etag::Hasher::new(),
        })
    }

    pub fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        fs::write_all(&self.fd, data, self.written, "writing the upload")?;
        self.hasher.update(data);
        self.written += data.len() as u64;
        Ok(())
    }

    /// Moves the upload into place as `bucket/key` with its sidecar. The bucket,
    /// the key's path and the preconditions are checked (again) here.
    pub fn commit(
        mut self,
        bucket: &str,
        key: &str,
        content_type: Option<String>,
        metadata: Vec<(String, String)>,
        if_match: Option<&str>,
        if_none_match: Option<&str>,
    ) -> Result<ObjectInfo, Error> {
        let tmp = self.path.clone().expect("an uncommitted upload has a path");

        // A modification time of our own, to the nanosecond, that the sidecar records:
        // it tells this data file from any other at the same path.
        let now = common::time::Timestamp::now();
        let stamp = Datetime {
            seconds: now.seconds.max(0) as u64,
            nanoseconds: now.nanoseconds,
        };
        self.fd
            .set_times(NewTimestamp::NoChange, NewTimestamp::Timestamp(stamp))
            .map_err(|e| fs::error(e, "setting the upload's modification time"))?;
        let stat = self
            .fd
            .stat()
            .map_err(|e| fs::error(e, "stat of the upload"))?;
        let modified = stat.data_modification_timestamp.unwrap_or(stamp);

        // The bucket and the key's path were checked by `put`; should either have changed
        // since, moving the file into place says so (see `place`).
        check_conditions(bucket, key, if_match, if_none_match)?;

        let record = Sidecar {
            key: key.to_string(),
            etag: self.hasher.finish(),
            size: stat.size,
            modified: (modified.seconds, modified.nanoseconds),
            content_type,
            metadata,
        };
        // A small object with neither content type nor metadata needs no sidecar: its
        // ETag is computed from its content when asked (one read). That saves creating
        // a second file per put, the costliest step of a small put.
        let sidecar_tmp = if sidecar::needed(&record) {
            Some(sidecar::write_temp(&record.to_json())?)
        } else {
            None
        };

        let create_only = if_none_match.is_some_and(|v| v.trim() == "*");
        if let Err(e) = place(&tmp, bucket, key, create_only) {
            if let Some(t) = &sidecar_tmp {
                let _ = fs::remove_file(t);
            }
            return Err(e);
        }
        self.path = None;

        let placed = match &sidecar_tmp {
            Some(t) => place_sidecar(t, bucket, key),
            // A sidecar left by an earlier version would not match this file anyway.
            None => fs::remove_file(&layout::sidecar(bucket, key).1),
        };
        if let Err(e) = placed {
            // The data is in place; it is then described from its content alone.
            if let Some(t) = &sidecar_tmp {
                let _ = fs::remove_file(t);
            }
            crate::note(
                Level::Error,
                &format!("{bucket}/{key}: the object is stored but its metadata is not: {e:?}"),
            );
        }

        Ok(ObjectInfo {
            key: key.to_string(),
            size: record.size,
            etag: record.etag,
            content_type: record.content_type,
            last_modified: Some(timestamp(modified)),
            metadata: record.metadata,
            version_id: None,
            storage_class: None,
        })
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = fs::remove_file(&path);
        }
    }
}

/// Moves the temporary file `tmp` to `bucket/key`, creating the key's folders.
/// `create_only`: fail with precondition-failed if the key exists, atomically (a hard
/// link cannot replace anything), falling back to check-then-rename where the file
/// system has no hard links.
fn place(tmp: &str, bucket: &str, key: &str, create_only: bool) -> Result<(), Error> {
    let root = fs::root()?;
    let dst = layout::data_path(bucket, key);
    let parent = key.rfind('/').map_or("", |i| &key[..i]);
    let mut link = create_only;
    for attempt in 0.. {
        let result = if link {
            root.link_at(PathFlags::empty(), tmp, root, &dst)
        } else {
            if create_only && fs::stat_at(&dst)?.is_some() {
                return Err(exists(key));
            }
            root.rename_at(tmp, root, &dst)
        };
        match result {
            Ok(()) => {
                if link {
                    let _ = fs::remove_file(tmp);
                }
                return Ok(());
            }
            // The key's folders are missing (new, or just removed by a concurrent
            // delete that emptied them), or the bucket is gone.
            Err(ErrorCode::NoEntry) if attempt < 4 => match fs::create_folders(bucket, parent)? {
                Folders::Ready => {}
                Folders::NoBase => return Err(objects::bucket_not_found(bucket)),
                Folders::Blocked => return Err(parent_is_object(key)),
            },
            Err(ErrorCode::NoEntry) => {
                objects::require_bucket(bucket)?;
                return Err(Error::Unavailable(format!(
                    "moving the upload to {dst}: its folder kept disappearing"
                )));
            }
            Err(ErrorCode::Exist) if link => {
                return Err(if fs::is_dir(&dst)? {
                    folder_collision(key)
                } else {
                    exists(key)
                })
            }
            Err(ErrorCode::Unsupported | ErrorCode::NotPermitted | ErrorCode::CrossDevice)
                if link =>
            {
                link = false
            }
            Err(ErrorCode::IsDirectory | ErrorCode::Exist | ErrorCode::NotEmpty) => {
                return Err(folder_collision(key))
            }
            Err(ErrorCode::NotDirectory) => return Err(parent_is_object(key)),
            Err(e) => return Err(fs::error(e, &format!("moving the upload to {dst}"))),
        }
    }
    unreachable!()
}

/// Moves a written sidecar into place, making its folder when it is missing.
fn place_sidecar(tmp: &str, bucket: &str, key: &str) -> Result<(), Error> {
    let root = fs::root()?;
    let (dir, path) = layout::sidecar(bucket, key);
    match root.rename_at(tmp, root, &path) {
        Ok(()) => Ok(()),
        Err(ErrorCode::NoEntry) => {
            fs::create_dir_all(&dir)?;
            root.rename_at(tmp, root, &path)
                .map_err(|e| fs::error(e, "renaming the sidecar into place"))
        }
        Err(e) => Err(fs::error(e, "renaming the sidecar into place")),
    }
}

/// Refuses a key whose path is a folder, or whose parent folder is a file.
pub fn check_target(bucket: &str, key: &str) -> Result<(), Error> {
    match fs::root()?.stat_at(PathFlags::empty(), &layout::data_path(bucket, key)) {
        Ok(s) if s.type_ == DescriptorType::Directory => Err(folder_collision(key)),
        Ok(_) | Err(ErrorCode::NoEntry) => Ok(()),
        Err(ErrorCode::NotDirectory) => Err(parent_is_object(key)),
        Err(e) => Err(fs::error(e, &format!("stat of {bucket}/{key}"))),
    }
}

/// Checks put preconditions against the object there now.
fn check_conditions(
    bucket: &str,
    key: &str,
    if_match: Option<&str>,
    if_none_match: Option<&str>,
) -> Result<(), Error> {
    if if_match.is_none() && if_none_match.is_none() {
        return Ok(());
    }
    let need_etag = if_match.is_some() || if_none_match.is_some_and(|v| v.trim() != "*");
    let current = if need_etag {
        objects::describe_key(bucket, key)?.map(|info| info.etag)
    } else {
        // `*` matches any object, whatever its ETag: existence is enough.
        fs::stat_file(&layout::data_path(bucket, key))?.map(|_| String::new())
    };
    Ok(common::conditions::check_put(
        if_match,
        if_none_match,
        current.as_deref(),
    )?)
}

fn folder_collision(key: &str) -> Error {
    Error::InvalidArgument(format!(
        "key {key:?} names a folder of other keys; the file driver cannot store both"
    ))
}

fn parent_is_object(key: &str) -> Error {
    Error::InvalidArgument(format!(
        "a parent of key {key:?} is an object; the file driver cannot store both"
    ))
}

fn exists(key: &str) -> Error {
    Error::PreconditionFailed(format!(
        "if-none-match \"*\": the object {key:?} already exists"
    ))
}

pub fn timestamp(t: Datetime) -> Timestamp {
    Timestamp {
        seconds: t.seconds as i64,
        nanoseconds: t.nanoseconds,
    }
}

/// The `writer` resource of a put.
pub struct FileWriter {
    bucket: String,
    key: String,
    opts: PutOptions,
    /// `None` once finished or aborted.
    staged: RefCell<Option<Staged>>,
}

impl FileWriter {
    /// Checks what can be checked before any byte arrives, then stages the upload.
    pub fn start(bucket: String, key: String, opts: PutOptions) -> Result<Self, Error> {
        layout::check_bucket(&bucket)?;
        layout::check_key(&key)?;
        objects::require_bucket(&bucket)?;
        check_target(&bucket, &key)?;
        check_conditions(
            &bucket,
            &key,
            opts.if_match.as_deref(),
            opts.if_none_match.as_deref(),
        )?;
        Ok(Self {
            bucket,
            key,
            opts,
            staged: RefCell::new(Some(Staged::new()?)),
        })
    }
}

fn finished() -> Error {
    Error::InvalidArgument("the upload was already finished or aborted".into())
}

impl GuestWriter for FileWriter {
    fn write(&self, chunk: Vec<u8>) -> Result<(), Error> {
        let mut staged = self.staged.borrow_mut();
        let result = staged.as_mut().ok_or_else(finished)?.write(&chunk);
        if result.is_err() {
            // A failed write leaves the upload unusable: drop it now.
            staged.take();
        }
        result
    }

    fn finish(&self) -> Result<ObjectInfo, Error> {
        let staged = self.staged.borrow_mut().take().ok_or_else(finished)?;
        staged.commit(
            &self.bucket,
            &self.key,
            self.opts.content_type.clone(),
            self.opts.metadata.clone(),
            self.opts.if_match.as_deref(),
            self.opts.if_none_match.as_deref(),
        )
    }

    fn abort(&self) {
        self.staged.borrow_mut().take();
    }
}
