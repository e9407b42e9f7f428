//! A put: the body streams into a new file in `.trove/tmp`; the commit takes the key's
//! lock, re-checks the conditions, stages the sidecar, creates the key's folders, then
//! renames the sidecar and the data into place (each rename is atomic and replaces what
//! was there). Dropped uncommitted (aborted, failed), it removes the temporary file.

use trove_driver::imports::sftp::File;
use trove_driver::{Conditions, Error, ObjectInfo, Stage, StagedObject};
use trove_driver_common::paths;

use crate::bucket_not_found;
use crate::meta::{self, Sidecar};
use crate::objects::{self, data_path};
use crate::remote::{self, DirOutcome};

pub struct Put {
    bucket: String,
    key: String,
    /// The temporary file, `None` once committed.
    path: Option<String>,
    file: Option<File>,
    written: u64,
}

impl Put {
    pub fn new(bucket: &str, key: &str) -> Result<Put, Error> {
        let (path, file) = remote::create_temp()?;
        Ok(Put {
            bucket: bucket.to_string(),
            key: key.to_string(),
            path: Some(path),
            file: Some(file),
            written: 0,
        })
    }

    /// The key's current ETag as `conditions` need it (any ETag when only whether
    /// there is an object matters).
    fn current(&self, conditions: &Conditions) -> Result<Option<String>, Error> {
        if conditions.need_etag() {
            return Ok(objects::describe_key(&self.bucket, &self.key)?.map(|i| i.etag));
        }
        let attrs = remote::stat(&data_path(&self.bucket, &self.key))?;
        Ok(attrs.filter(|a| !a.is_dir).map(|_| String::new()))
    }

    /// Creates the key's folders (a marker's: its own folder too); a file in the way,
    /// or the key's own path being a folder, is `invalid-argument`.
    fn make_folders(&self) -> Result<(), Error> {
        let (bucket, key) = (&self.bucket, &self.key);
        for folder in paths::parent_folders(&paths::stored_path(key)) {
            match remote::make_dir(&data_path(bucket, folder))? {
                DirOutcome::Ready => {}
                DirOutcome::File => return Err(paths::object_in_the_way(key, folder).into()),
                DirOutcome::NoParent => return Err(bucket_not_found(bucket)),
            }
        }
        if remote::is_dir(&data_path(bucket, key))? {
            return Err(paths::folder_in_the_way(key).into());
        }
        Ok(())
    }
}

fn finished() -> Error {
    Error::InvalidArgument("the upload was already finished or aborted".into())
}

impl Stage for Put {
    fn write(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.file
            .as_ref()
            .ok_or_else(finished)?
            .write(self.written, chunk)?;
        self.written += chunk.len() as u64;
        Ok(())
    }

    fn commit(
        &mut self,
        object: StagedObject,
        conditions: &Conditions,
    ) -> Result<ObjectInfo, Error> {
        if let Some(f) = self.file.take() {
            f.close()?;
        }
        let tmp = self.path.clone().ok_or_else(finished)?;
        objects::require_bucket(&self.bucket)?;
        let _lock = meta::Lock::acquire(&self.bucket, &self.key)?;
        if !conditions.is_empty() {
            conditions.check(self.current(conditions)?.as_deref())?;
        }
        let attrs = remote::stat(&tmp)?
            .ok_or_else(|| Error::Internal(format!("the upload {tmp} vanished")))?;
        let record = Sidecar {
            key: self.key.clone(),
            etag: object.etag.clone(),
            size: self.written,
            modified: attrs.modified.map_or(0, |m| m.seconds),
            content_type: object.content_type.clone(),
            headers: trove_driver::headers_to_pairs(&object.headers),
            metadata: object.metadata.clone(),
        };
        self.make_folders()?;
        let (sidecar_tmp, sidecar) = meta::stage(&self.bucket, &record)?;
        if let Err(e) = remote::rename(&sidecar_tmp, &sidecar) {
            let _ = remote::remove(&sidecar_tmp);
            return Err(e);
        }
        remote::rename(&tmp, &data_path(&self.bucket, &self.key))?;
        self.path = None;
        let (etag, ct, meta) = (object.etag, object.content_type, object.metadata);
        Ok(objects::info(
            &self.key,
            &attrs,
            etag,
            ct,
            object.headers,
            meta,
        ))
    }

    fn discard(self: Box<Self>) {}
}

impl Drop for Put {
    fn drop(&mut self) {
        if let Some(f) = self.file.take() {
            let _ = f.close();
        }
        if let Some(path) = self.path.take() {
            let _ = remote::remove(&path);
        }
    }
}
