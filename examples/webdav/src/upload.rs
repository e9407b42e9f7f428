//! Puts. An upload is a collection of its own in the bucket, `~up-ID/`: the body goes
//! into it part by part as the host writes (memory holds one part), then its `meta`,
//! then one MOVE puts it in the object's place. Until that MOVE nothing is visible;
//! an upload that is aborted, fails or is dropped deletes its collection.

use crate::common::{conditions, etag::Hasher, time::Timestamp};
use crate::layout::{self, Meta, PART_SIZE};
use crate::{check_names, dav, from_common, objects};
use trove_driver_cloud::trove::driver::types::{Error, ObjectInfo, PutOptions};
use trove_driver_cloud::{PartBuffer, Resp};

pub struct Upload {
    bucket: String,
    key: String,
    opts: PutOptions,
    id: String,
    /// The upload collection's path below the endpoint, ending in `/`.
    path: String,
    buf: PartBuffer,
    parts: u64,
    size: u64,
    hash: Hasher,
    /// Moved into place: nothing to clean up.
    committed: bool,
}

impl Upload {
    /// A put: the names checked, then [`Upload::begin`].
    pub fn start(bucket: &str, key: &str, opts: PutOptions) -> Result<Upload, Error> {
        check_names(bucket, Some(key))?;
        Upload::begin(bucket, key, opts)
    }

    /// Creates the upload collection (MKCOL), which also tells whether the bucket
    /// exists.
    pub fn begin(bucket: &str, key: &str, opts: PutOptions) -> Result<Upload, Error> {
        let id = layout::new_id();
        let path = layout::member_path(bucket, &layout::upload_name(&id));
        let resp = dav::call("MKCOL", &dav::url(&path)?)?;
        if !resp.ok() {
            return Err(in_bucket(&resp, bucket, &format!("MKCOL {path}")));
        }
        Ok(Upload {
            bucket: bucket.to_string(),
            key: key.to_string(),
            opts,
            id,
            path,
            buf: PartBuffer::new(PART_SIZE as usize),
            parts: 0,
            size: 0,
            hash: Hasher::new(),
            committed: false,
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn write(&mut self, mut chunk: &[u8]) -> Result<(), Error> {
        self.hash.update(chunk);
        self.size += chunk.len() as u64;
        while self.buf.fill(&mut chunk) {
            let part = self.buf.take();
            self.put_part(part)?;
        }
        Ok(())
    }

    fn put_part(&mut self, data: Vec<u8>) -> Result<(), Error> {
        let path = format!("{}{}.{}", self.path, self.id, self.parts);
        let resp = dav::send("PUT", &dav::url(&path)?, Vec::new(), data)?;
        if !resp.ok() {
            return Err(in_bucket(&resp, &self.bucket, &format!("PUT {path}")));
        }
        self.parts += 1;
        Ok(())
    }

    pub fn finish(mut self) -> Result<ObjectInfo, Error> {
        if !self.buf.is_empty() {
            let part = self.buf.take();
            self.put_part(part)?;
        }
        let (size, etag) = (self.size, self.hash.finish());
        self.commit(size, etag, PART_SIZE)
    }

    /// Writes the `meta` of a body of `size` bytes already in the upload collection,
    /// checks the put's conditions and MOVEs the collection into the object's place.
    pub fn commit(mut self, size: u64, etag: String, part_size: u64) -> Result<ObjectInfo, Error> {
        let now = Timestamp::now();
        let meta = Meta {
            key: self.key.clone(),
            size,
            etag,
            content_type: self.opts.content_type.clone(),
            metadata: self.opts.metadata.clone(),
            modified: (now.seconds, now.nanoseconds),
            id: self.id.clone(),
            part_size,
        };
        let path = format!("{}meta", self.path);
        let json = serde_json::to_vec(&meta).map_err(|e| Error::Internal(e.to_string()))?;
        let headers = vec![("content-type".into(), "application/json".into())];
        let resp = dav::send("PUT", &dav::url(&path)?, headers, json)?;
        if !resp.ok() {
            return Err(in_bucket(&resp, &self.bucket, &format!("PUT {path}")));
        }

        let (if_match, if_none_match) =
            (self.opts.if_match.clone(), self.opts.if_none_match.clone());
        if if_match.is_some() || if_none_match.is_some() {
            let current = objects::read_meta(&self.bucket, &self.key)?.map(|m| m.etag);
            conditions::check_put(
                if_match.as_deref(),
                if_none_match.as_deref(),
                current.as_deref(),
            )
            .map_err(from_common)?;
        }
        // `if-none-match: *` is also the MOVE's own condition: it fails if the object
        // appeared since.
        let overwrite = if if_none_match.as_deref().map(str::trim) == Some("*") {
            "F"
        } else {
            "T"
        };
        let target = layout::member_path(&self.bucket, &layout::name_of(&self.key));
        let headers = vec![
            ("destination".to_string(), dav::url(&target)?),
            ("overwrite".to_string(), overwrite.to_string()),
        ];
        // wsgidav's MOVE onto an existing collection deletes it, then renames: two puts
        // of one key can trip over each other there (HTTP 500 or 207, the upload left
        // in place), so try again.
        let mut tries = 0;
        loop {
            let resp = dav::send("MOVE", &dav::url(&self.path)?, headers.clone(), Vec::new())?;
            match resp.status {
                201 | 204 => break,
                207 | 500..=599 if tries < 10 => tries += 1,
                _ => {
                    return Err(in_bucket(
                        &resp,
                        &self.bucket,
                        &format!("MOVE {} to {target}", self.path),
                    ))
                }
            }
        }
        self.committed = true;
        Ok(objects::info(&meta))
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.committed {
            if let Ok(url) = dav::url(&self.path) {
                let _ = dav::call("DELETE", &url);
            }
        }
    }
}

/// A failed write inside `bucket`: a 404 or 409 (no parent collection) means the
/// bucket is gone.
fn in_bucket(resp: &Resp, bucket: &str, what: &str) -> Error {
    match resp.status {
        404 | 409 => {
            Error::BucketNotFound(format!("no bucket {bucket} ({what}: HTTP {})", resp.status))
        }
        _ => dav::error(resp, what),
    }
}
