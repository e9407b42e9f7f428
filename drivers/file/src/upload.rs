//! Uploads: the body written to a temporary file in `.trove/tmp` as it comes, then
//! committed by renaming it over the key's path (atomic), its sidecar renamed after it.
//! Used by put (the SDK's [`Stage`]) and by copy.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use trove_driver::imports::filesystem::types::{
    Datetime, Descriptor, DescriptorType, ErrorCode, NewTimestamp, PathFlags,
};
use trove_driver::imports::io::streams::{InputStream, OutputStream};
use trove_driver::imports::log::Level;
use trove_driver::{Conditions, Error, NewObject, ObjectInfo, Spliced, Stage, StagedObject};

use trove_driver_common::paths;

use crate::fs::{self, Folders};
use crate::layout;
use crate::objects;
use crate::sidecar::{self, Sidecar};

/// Temporary files older than this are leftovers of crashed instances.
const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Creates a new, empty temporary file exclusively; returns its path and descriptor.
pub fn create_temp() -> Result<(String, Descriptor), Error> {
    let mut made_dirs = false;
    for _ in 0..16 {
        let path = layout::temp_path();
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

/// A put of a whole body (the SDK's `put-bytes`): staged and committed at once, so
/// that `if-none-match: *` stays an atomic create.
pub fn write(
    bucket: &str,
    key: &str,
    object: NewObject,
    conditions: &Conditions,
) -> Result<ObjectInfo, Error> {
    let mut staged = Staged::new(bucket, key)?;
    let size = object.data.len();
    for chunk in &object.data.0 {
        staged.write(chunk)?;
    }
    let object = StagedObject {
        size,
        etag: object.etag,
        content_type: object.content_type,
        headers: object.headers,
        metadata: object.metadata,
    };
    staged.commit(object, conditions)
}

/// Chunks at least this large go through the file's write stream, which the host
/// lands while the driver goes on (the SDK hashes the chunk meanwhile); smaller
/// ones are written in place, one host call and no thread hop.
const STREAM_FROM: usize = 64 * 1024;

/// An upload being written to a temporary file (removed when dropped uncommitted).
pub struct Staged {
    bucket: String,
    key: String,
    /// `None` once the file was moved into place.
    path: Option<String>,
    /// The file's write stream, opened by the first large chunk; every later
    /// chunk goes through it, in order. Declared before `fd`: dropped first.
    out: Option<OutputStream>,
    fd: Descriptor,
    written: u64,
}

impl Staged {
    /// Checks what can be checked before any byte arrives (the key's path rules, the
    /// bucket, the key's path), then creates the temporary file.
    pub fn new(bucket: &str, key: &str) -> Result<Self, Error> {
        objects::require_bucket(bucket)?;
        check_target(bucket, key)?;
        let (path, fd) = create_temp()?;
        Ok(Self {
            bucket: bucket.to_string(),
            key: key.to_string(),
            path: Some(path),
            out: None,
            fd,
            written: 0,
        })
    }

    /// Waits until every chunk handed to the write stream has landed (or says
    /// why one did not), then closes the stream.
    fn land_writes(&mut self) -> Result<(), Error> {
        match self.out.take() {
            Some(out) => fs::flush_stream(&out, "writing the upload"),
            None => Ok(()),
        }
    }
}

impl Stage for Staged {
    fn write(&mut self, chunk: &[u8]) -> Result<(), Error> {
        const WHAT: &str = "writing the upload";
        if self.out.is_none() && chunk.len() >= STREAM_FROM {
            let out = self
                .fd
                .write_via_stream(self.written)
                .map_err(|e| fs::error(e, WHAT))?;
            self.out = Some(out);
        }
        match &self.out {
            Some(out) => fs::write_stream(out, chunk, WHAT)?,
            None => fs::write_all(&self.fd, chunk, self.written, WHAT)?,
        }
        self.written += chunk.len() as u64;
        Ok(())
    }

    /// The whole body, moved by the host from its stream into the file's
    /// write stream (`splice`): it never enters the guest, and the host
    /// hashes it for the ETag as it passes. Only before any `write`.
    fn splice(&mut self, src: &InputStream) -> Result<Option<Spliced>, Error> {
        const WHAT: &str = "writing the upload";
        if self.written > 0 || self.out.is_some() {
            return Ok(None);
        }
        let out = self
            .fd
            .write_via_stream(0)
            .map_err(|e| fs::error(e, WHAT))?;
        let spliced = trove_driver::splice_into(&out, src)?;
        self.out = Some(out);
        self.written = spliced.size;
        Ok(Some(spliced))
    }

    /// Moves the upload into place as `bucket/key` with its sidecar. The bucket,
    /// the key's path and the conditions are checked (again) here.
    fn commit(
        &mut self,
        object: StagedObject,
        conditions: &Conditions,
    ) -> Result<ObjectInfo, Error> {
        self.land_writes()?;
        let (bucket, key) = (self.bucket.as_str(), self.key.as_str());
        let tmp = self
            .path
            .clone()
            .ok_or_else(|| Error::Internal("the upload was already committed".into()))?;

        // A modification time of our own, to the nanosecond, that the sidecar records:
        // it tells this data file from any other at the same path.
        let now = trove_driver::now();
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

        // Should the bucket or the key's path have changed since the put began,
        // moving the file into place says so (see `place`).
        check_conditions(bucket, key, conditions)?;

        let record = Sidecar {
            key: key.to_string(),
            etag: object.etag,
            size: stat.size,
            modified: (modified.seconds, modified.nanoseconds),
            content_type: object.content_type,
            headers: trove_driver::headers_to_pairs(&object.headers),
            metadata: object.metadata,
        };
        // A small object with neither content type nor metadata needs no sidecar: its
        // ETag is computed from its content when asked (one read). That saves creating
        // a second file per put, the costliest step of a small put.
        let sidecar_tmp = match sidecar::needed(&record) {
            true => Some(sidecar::write_temp(&record.to_json())?),
            false => None,
        };

        if let Err(e) = place(&tmp, bucket, key, conditions.create_only()) {
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
            trove_driver::imports::log(
                Level::Error,
                &format!("{bucket}/{key}: the object is stored but its metadata is not: {e:?}"),
            );
        }

        Ok(ObjectInfo {
            key: record.key,
            size: record.size,
            etag: record.etag,
            content_type: record.content_type,
            headers: trove_driver::headers_from_pairs(&record.headers),
            last_modified: Some(fs::timestamp(modified)),
            metadata: record.metadata,
            version_id: None,
            storage_class: None,
        })
    }

    /// The temporary file goes with the upload (see `Drop`).
    fn discard(self: Box<Self>) {}
}

impl Drop for Staged {
    fn drop(&mut self) {
        // The host waits for a write in flight when its stream goes.
        drop(self.out.take());
        if let Some(path) = self.path.take() {
            let _ = fs::remove_file(&path);
        }
    }
}

/// Moves the temporary file `tmp` to `bucket/key` (a marker's: into its folder),
/// creating the key's folders.
/// `create_only`: fail with precondition-failed if the key exists, atomically (a hard
/// link cannot replace anything), falling back to check-then-rename where the file
/// system has no hard links.
fn place(tmp: &str, bucket: &str, key: &str, create_only: bool) -> Result<(), Error> {
    let root = fs::root()?;
    let dst = layout::data_path(bucket, key);
    let stored = paths::stored_path(key);
    let parent = paths::parent_folders(&stored).next_back().unwrap_or("");
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
                Folders::Blocked(folder) => {
                    return Err(paths::object_in_the_way(key, &folder).into())
                }
            },
            Err(ErrorCode::NoEntry) => {
                objects::require_bucket(bucket)?;
                return Err(Error::Unavailable(format!(
                    "moving the upload to {dst}: its folder kept disappearing"
                )));
            }
            Err(ErrorCode::Exist) if link => {
                return Err(match fs::is_dir(&dst)? {
                    true => paths::folder_in_the_way(key).into(),
                    false => exists(key),
                })
            }
            Err(ErrorCode::Unsupported | ErrorCode::NotPermitted | ErrorCode::CrossDevice)
                if link =>
            {
                link = false
            }
            Err(ErrorCode::IsDirectory | ErrorCode::Exist | ErrorCode::NotEmpty) => {
                return Err(paths::folder_in_the_way(key).into())
            }
            Err(ErrorCode::NotDirectory) => return Err(parent_is_object(bucket, key)),
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
fn check_target(bucket: &str, key: &str) -> Result<(), Error> {
    match fs::root()?.stat_at(PathFlags::empty(), &layout::data_path(bucket, key)) {
        Ok(s) if s.type_ == DescriptorType::Directory => Err(paths::folder_in_the_way(key).into()),
        Ok(_) | Err(ErrorCode::NoEntry) => Ok(()),
        Err(ErrorCode::NotDirectory) => Err(parent_is_object(bucket, key)),
        Err(e) => Err(fs::error(e, &format!("stat of {bucket}/{key}"))),
    }
}

/// Checks a put's conditions against the object there now: its ETag when they
/// need it, else only whether there is one (`*`).
fn check_conditions(bucket: &str, key: &str, conditions: &Conditions) -> Result<(), Error> {
    if conditions.is_empty() {
        return Ok(());
    }
    let current = match conditions.need_etag() {
        true => objects::describe_key(bucket, key)?.map(|info| info.etag),
        false => fs::stat_file(&layout::data_path(bucket, key))?.map(|_| String::new()),
    };
    conditions.check(current.as_deref())
}

/// The answer when a folder on `key`'s path is a file: names the first such file (an
/// object whose key is that folder's path).
fn parent_is_object(bucket: &str, key: &str) -> Error {
    let stored = paths::stored_path(key);
    for folder in paths::parent_folders(&stored) {
        match fs::stat_at(&layout::data_path(bucket, folder)) {
            Ok(Some(s)) if s.type_ != DescriptorType::Directory => {
                return paths::object_in_the_way(key, folder).into()
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => return e,
        }
    }
    Error::Unavailable(format!(
        "key {key:?}: its folders changed while it was stored; try again"
    ))
}

fn exists(key: &str) -> Error {
    Error::PreconditionFailed(format!(
        "if-none-match \"*\": the object {key:?} already exists"
    ))
}
