//! Put: the writer streams into a new file in `.trove/tmp`, hashing as it goes; `finish`
//! commits it under the key's lock: preconditions checked, the sidecar staged, the key's
//! folders created, then the sidecar and the data renamed into place (each rename is
//! atomic and replaces what was there). `abort`, a failed write or dropping the writer
//! removes the temporary file.

use std::cell::RefCell;

use trove_driver_common as common;

use crate::exports::trove::driver::core::GuestWriter;
use crate::meta::{self, Sidecar};
use crate::objects::{self, data_path};
use crate::remote::{self, DirOutcome};
use crate::trove::driver::sftp::File;
use crate::trove::driver::types::{Error, ObjectInfo, PutOptions};
use crate::{bucket_not_found, check_names};

/// An upload in `.trove/tmp`, removed unless committed.
pub struct Staged {
    path: Option<String>,
    file: Option<File>,
    hasher: common::etag::Hasher,
}

impl Staged {
    pub fn new() -> Result<Staged, Error> {
        let (path, file) = remote::create_temp()?;
        Ok(Staged {
            path: Some(path),
            file: Some(file),
            hasher: common::etag::Hasher::new(),
        })
    }

    pub fn written(&self) -> u64 {
        self.hasher.len()
    }

    pub fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        let file = self.file.as_ref().ok_or_else(finished)?;
        remote::write_all(file, self.hasher.len(), data)?;
        self.hasher.update(data);
        Ok(())
    }

    /// Moves the upload to `bucket`/`key` with its sidecar; see the module's comment.
    pub fn commit(
        mut self,
        bucket: &str,
        key: &str,
        content_type: Option<String>,
        metadata: Vec<(String, String)>,
        if_match: Option<&str>,
        if_none_match: Option<&str>,
    ) -> Result<ObjectInfo, Error> {
        if let Some(f) = self.file.take() {
            f.close()?;
        }
        let tmp = self.path.clone().ok_or_else(finished)?;
        objects::require_bucket(bucket)?;
        let _lock = meta::Lock::acquire(bucket, key)?;
        let current = objects::describe_key(bucket, key)?;
        common::conditions::check_put(
            if_match,
            if_none_match,
            current.as_ref().map(|c| c.etag.as_str()),
        )?;
        let attrs = remote::stat(&tmp)?
            .ok_or_else(|| Error::Internal(format!("the upload {tmp} vanished")))?;
        let etag = self.hasher.finish();
        let record = Sidecar {
            key: key.to_string(),
            etag: etag.clone(),
            size: self.hasher.len(),
            modified: attrs.modified.map_or(0, |m| m.seconds),
            content_type: content_type.clone(),
            metadata: metadata.clone(),
        };
        for folder in common::paths::parent_folders(key) {
            match remote::make_dir(&data_path(bucket, folder))? {
                DirOutcome::Ready => {}
                DirOutcome::File => {
                    return Err(Error::InvalidArgument(format!(
                        "key {key:?}: {folder:?} is an object, so it cannot be a folder of keys"
                    )))
                }
                DirOutcome::NoParent => return Err(bucket_not_found(bucket)),
            }
        }
        let dst = data_path(bucket, key);
        if remote::is_dir(&dst)? {
            return Err(Error::InvalidArgument(format!(
                "key {key:?} is a folder of other keys"
            )));
        }
        let (sidecar_tmp, sidecar) = meta::stage(bucket, &record)?;
        if let Err(e) = remote::rename(&sidecar_tmp, &sidecar) {
            let _ = remote::remove(&sidecar_tmp);
            return Err(e);
        }
        remote::rename(&tmp, &dst)?;
        self.path = None;
        Ok(objects::info(key, &attrs, etag, content_type, metadata))
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(f) = self.file.take() {
            let _ = f.close();
        }
        if let Some(path) = self.path.take() {
            let _ = remote::remove(&path);
        }
    }
}

fn finished() -> Error {
    Error::InvalidArgument("the upload was already finished or aborted".into())
}

/// The `writer` resource of a put.
pub struct SftpWriter {
    bucket: String,
    key: String,
    opts: PutOptions,
    staged: RefCell<Option<Staged>>,
}

impl SftpWriter {
    pub fn start(bucket: String, key: String, opts: PutOptions) -> Result<SftpWriter, Error> {
        check_names(&bucket, &key)?;
        objects::require_bucket(&bucket)?;
        if opts.if_none_match.is_some() || opts.if_match.is_some() {
            // Fail early; `finish` checks again under the key's lock.
            let current = objects::describe_key(&bucket, &key)?;
            common::conditions::check_put(
                opts.if_match.as_deref(),
                opts.if_none_match.as_deref(),
                current.as_ref().map(|c| c.etag.as_str()),
            )?;
        }
        Ok(SftpWriter {
            staged: RefCell::new(Some(Staged::new()?)),
            bucket,
            key,
            opts,
        })
    }
}

impl GuestWriter for SftpWriter {
    fn write(&self, chunk: Vec<u8>) -> Result<(), Error> {
        let mut staged = self.staged.borrow_mut();
        let result = staged.as_mut().ok_or_else(finished)?.write(&chunk);
        if result.is_err() {
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
