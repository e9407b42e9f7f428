//! An example third-party trove driver: buckets and objects on a WebDAV server, every
//! request sent through the host's `http` import (the only way out the host gives it).
//!
//! DSN: `dav://[USER:PASSWORD@]?endpoint=http://HOST:PORT[/BASE]` (any scheme will do:
//! the driver reads only `endpoint` and the credentials, sent as HTTP Basic auth).
//!
//! It implements the SDK's [`Backend`]; the SDK does the rest of the contract (names,
//! conditions, ranges, listing pages, ETags). Modules, one job each:
//! - [`dav`]: the opened endpoint, requests with its credentials, PROPFIND;
//! - [`layout`]: where things live on the server (names, the object's `meta` JSON);
//! - this file: the backend, and puts staged in an upload collection.

mod dav;
mod layout;

use dav::Dav;
use layout::{Member, Meta};
use std::rc::Rc;
use trove_driver::web::{status_error, Body, Upload};
use trove_driver::{
    Backend, BucketInfo, Conditions, Dsn, Error, InputStream, ObjectInfo, Stage, StagedObject,
};

// What this driver asks the host for: HTTP to the DSN's `endpoint` only (the
// `trove:grants` custom section; the user still has to `--allow dav:http`).
trove_driver::declare_grants!(br#"{"http":[["{endpoint}"]]}"#);

pub struct WebDav {
    dav: Rc<Dav>,
}

trove_driver::export_driver!(WebDav);

impl WebDav {
    /// The object's `meta`, or `None`; `bucket-not-found` when the bucket is missing.
    fn meta(&self, bucket: &str, key: &str) -> Result<Option<Meta>, Error> {
        let path = format!("{}meta", layout::member_path(bucket, &layout::name_of(key)));
        // A MOVE onto an object is not atomic on every server (WsgiDAV deletes, then
        // copies): a `meta` caught half-written is read again.
        for _ in 0..20 {
            let a = self.dav.call("GET", &path)?;
            if a.status == 404 {
                return match self.dav.exists(&layout::bucket_path(bucket))? {
                    true => Ok(None),
                    false => Err(Error::BucketNotFound(format!("no bucket {bucket}"))),
                };
            }
            let body = a.success(&format!("GET {path}"))?.read_all()?;
            if let Ok(meta) = serde_json::from_slice::<Meta>(&body) {
                // A long key's name is a hash of it: make sure this is the key asked for.
                return Ok(Some(meta).filter(|m| m.key == key));
            }
        }
        Err(Error::Unavailable(format!("{path}: not an object's meta")))
    }
}

impl Backend for WebDav {
    const NAME: &'static str = "webdav";
    const STATEFUL: bool = false;

    fn open(dsn: &Dsn) -> Result<Self, Error> {
        Ok(WebDav {
            dav: Rc::new(Dav::open(dsn)?),
        })
    }

    fn ping(&self) -> Result<(), Error> {
        let root = self.dav.exists("/")?;
        let no_root = || Error::Unavailable("the endpoint has no collection at its root".into());
        root.then_some(()).ok_or_else(no_root)
    }

    fn create_bucket(&self, bucket: &str) -> Result<(), Error> {
        let a = self.dav.call("MKCOL", &layout::bucket_path(bucket))?;
        match a.status {
            // MKCOL of something that exists is "Method Not Allowed" (RFC 4918, 9.3.1).
            405 => Err(Error::BucketExists(format!("bucket {bucket} exists"))),
            _ => a.success(&format!("MKCOL {bucket}")).map(|_| ()),
        }
    }

    fn delete_bucket(&self, bucket: &str) -> Result<(), Error> {
        // Empty, the SDK checked; uploads in progress go with it.
        let a = self.dav.call("DELETE", &layout::bucket_path(bucket))?;
        match a.status {
            404 => Err(Error::BucketNotFound(format!("no bucket {bucket}"))),
            _ => a.success(&format!("DELETE {bucket}")).map(|_| ()),
        }
    }

    fn list_buckets(&self) -> Result<Vec<BucketInfo>, Error> {
        let members = self.dav.members("/")?.unwrap_or_default();
        Ok(members
            .into_iter()
            .filter(|m| m.collection && !m.name.starts_with('.'))
            .map(|m| BucketInfo {
                name: m.name,
                created: m.created,
            })
            .collect())
    }

    fn head(&self, bucket: &str, key: &str) -> Result<Option<ObjectInfo>, Error> {
        Ok(self.meta(bucket, key)?.map(Meta::info))
    }

    /// A GET of the body's bytes `offset..offset + len`, handed back unread.
    fn read_stream(
        &self,
        b: &str,
        k: &str,
        at: u64,
        len: u64,
    ) -> Result<Option<InputStream>, Error> {
        let path = format!("{}body", layout::member_path(b, &layout::name_of(k)));
        let range = format!("bytes={at}-{}", at + len - 1);
        let a = self
            .dav
            .send("GET", &path, &[("range", &range)], Body::Empty)?;
        // A server that ignores Range answers the whole body: fine from 0.
        match a.status == 206 || (a.status == 200 && at == 0) {
            true => Ok(Some(a.body)),
            false => Err(status_error(a.status, &format!("GET {path}"))),
        }
    }

    fn stage(&self, bucket: &str, key: &str) -> Result<Option<Box<dyn Stage>>, Error> {
        Ok(Some(Box::new(Put::begin(&self.dav, bucket, key)?)))
    }

    fn delete(&self, bucket: &str, key: &str) -> Result<(), Error> {
        let path = layout::member_path(bucket, &layout::name_of(key));
        let a = self.dav.call("DELETE", &path)?;
        match a.status {
            // Deleting a missing object succeeds, in a bucket that exists.
            404 if self.dav.exists(&layout::bucket_path(bucket))? => Ok(()),
            404 => Err(Error::BucketNotFound(format!("no bucket {bucket}"))),
            _ => a.success(&format!("DELETE {path}")).map(|_| ()),
        }
    }

    /// One PROPFIND of the bucket gives every key; each `meta` is read as the SDK
    /// walks the page.
    fn list_sorted(
        &self,
        bucket: &str,
        from: &str,
    ) -> Result<Box<dyn Iterator<Item = Result<ObjectInfo, Error>> + '_>, Error> {
        let members = self
            .dav
            .members(&layout::bucket_path(bucket))?
            .ok_or_else(|| Error::BucketNotFound(format!("no bucket {bucket}")))?;
        let mut keys = Vec::new();
        for m in members.into_iter().filter(|m| m.collection) {
            match layout::member(&m.name) {
                Member::Key(k) => keys.push(k),
                // A long key: only its meta knows it.
                Member::Hashed => {
                    let path = format!("{}meta", layout::member_path(bucket, &m.name));
                    let a = self
                        .dav
                        .call("GET", &path)?
                        .success(&format!("GET {path}"))?;
                    if let Ok(meta) = serde_json::from_slice::<Meta>(&a.read_all()?) {
                        keys.push(meta.key);
                    }
                }
                Member::Other => {}
            }
        }
        keys.retain(|k| k.as_str() >= from);
        keys.sort();
        let bucket = bucket.to_string();
        // An object deleted since the PROPFIND is left out.
        Ok(Box::new(keys.into_iter().filter_map(move |k| {
            self.meta(&bucket, &k)
                .map(|m| m.map(Meta::info))
                .transpose()
        })))
    }
}

/// A put staged in `BUCKET/~up-ID/`: the body streams into `body` as the host
/// writes it; the commit writes `meta` and MOVEs the collection onto the object.
/// Discarded, it deletes the collection.
struct Put {
    dav: Rc<Dav>,
    bucket: String,
    key: String,
    /// The upload collection's path, ending in `/`.
    path: String,
    body: Option<Upload>,
}

impl Put {
    /// Creates the upload collection (MKCOL, which also tells whether the bucket
    /// exists) and starts the PUT of its body.
    fn begin(dav: &Rc<Dav>, bucket: &str, key: &str) -> Result<Put, Error> {
        let path = layout::member_path(bucket, &layout::upload_name());
        let a = dav.call("MKCOL", &path)?;
        if a.status == 409 {
            return Err(Error::BucketNotFound(format!("no bucket {bucket}")));
        }
        a.success(&format!("MKCOL {path}"))?;
        let mut put = Put {
            dav: dav.clone(),
            bucket: bucket.into(),
            key: key.into(),
            path,
            body: None,
        };
        put.body = Some(dav.start_put(&format!("{}body", put.path))?);
        Ok(put)
    }
}

impl Stage for Put {
    fn write(&mut self, chunk: &[u8]) -> Result<(), Error> {
        match &mut self.body {
            Some(body) => body.write(chunk),
            None => Err(Error::Internal("the body was already sent".into())),
        }
    }

    fn commit(
        &mut self,
        object: StagedObject,
        conditions: &Conditions,
    ) -> Result<ObjectInfo, Error> {
        if let Some(body) = self.body.take() {
            body.finish()?.success(&format!("PUT {}body", self.path))?;
        }
        let now = trove_driver::now();
        let meta = Meta {
            key: self.key.clone(),
            size: object.size,
            etag: object.etag,
            content_type: object.content_type,
            headers: trove_driver::headers_to_pairs(&object.headers),
            metadata: object.metadata,
            modified: (now.seconds, now.nanoseconds),
        };
        let json = serde_json::to_vec(&meta).map_err(|e| Error::Internal(e.to_string()))?;
        let meta_path = format!("{}meta", self.path);
        self.dav
            .send("PUT", &meta_path, &[], Body::Bytes(json))?
            .success(&format!("PUT {meta_path}"))?;
        // The conditions again, just before the MOVE (WebDAV has no atomic check).
        let current = WebDav {
            dav: self.dav.clone(),
        }
        .meta(&self.bucket, &self.key)?;
        conditions.check(current.as_ref().map(|m| m.etag.as_str()))?;
        let to = layout::member_path(&self.bucket, &layout::name_of(&self.key));
        self.dav.transfer("MOVE", &self.path, &to)?;
        Ok(meta.info())
    }

    fn discard(self: Box<Self>) {
        drop(self.body); // an unfinished body aborts its PUT
        let _ = self.dav.call("DELETE", &self.path);
    }
}
