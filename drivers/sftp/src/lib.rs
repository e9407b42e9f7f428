//! The SFTP driver: objects are files under the DSN's base path on an SSH server,
//! reached only through the host's `sftp` import (one session the host holds, with the
//! credentials, the host-key check and the no-symlink confinement the host owns).
//!
//! It implements the SDK's [`Backend`]; the SDK does the rest of the contract (names,
//! conditions on get, ranges, listing pages, ETags, the empty-bucket check). Remote
//! layout (see drivers/README.md, "sftp"):
//!
//! ```text
//! <base>/<bucket>/<key>                           object data; a key's '/' are folders
//! <base>/<bucket>/<dir>/.trove-folder-marker      data of the folder marker `<dir>/`
//! <base>/.trove/tmp/<unique>                      uploads in progress, renamed into place
//! <base>/.trove/locks/<h>                         a key's commit lock (h = xxh3-128(bucket/key))
//! <base>/.trove/meta/<bucket>/bucket.json         the bucket's creation time
//! <base>/.trove/meta/<bucket>/<h[..2]>/<h[2..]>.json  sidecar of a key
//! ```
//!
//! Modules, one job each:
//! - [`remote`]: paths under the base, and the sftp calls;
//! - [`meta`]: sidecars, bucket records, commit locks;
//! - [`objects`]: describing an object, reading, deleting and copying it;
//! - [`upload`]: a put staged in `.trove/tmp` and committed under the key's lock;
//! - [`buckets`]: buckets, and a bucket's folders for the SDK's listing walk;
//! - this file: the [`Backend`], handing each call to its module.

mod buckets;
mod meta;
mod objects;
mod remote;
mod upload;

use std::cell::RefCell;
use trove_driver::imports::log::{log, Level};
use trove_driver::{Backend, BucketInfo, Dsn, Error, ObjectInfo, Stage};

// One SSH session, held by the host, to the DSN's user@host:port.
trove_driver::declare_grants!(br#"{"sftp":true}"#);

pub struct Sftp {
    /// The file the last read left open, to go on reading where it stopped.
    open: RefCell<Option<objects::OpenFile>>,
}

trove_driver::export_driver!(Sftp);

impl Backend for Sftp {
    const NAME: &'static str = "sftp";
    const STATEFUL: bool = false;
    const KEYS_ARE_PATHS: bool = true;
    const FOLDER_MARKERS: bool = true;

    fn open(dsn: &Dsn) -> Result<Self, Error> {
        remote::set_base(&dsn.path)?;
        remote::prepare()?;
        log(
            Level::Debug,
            &format!("sftp driver opened for {}", dsn.display),
        );
        Ok(Sftp {
            open: RefCell::new(None),
        })
    }

    fn ping(&self) -> Result<(), Error> {
        remote::stat("").map(|_| ())
    }

    fn create_bucket(&self, bucket: &str) -> Result<(), Error> {
        buckets::create(bucket)
    }

    fn delete_bucket(&self, bucket: &str) -> Result<(), Error> {
        buckets::delete(bucket)
    }

    fn list_buckets(&self) -> Result<Vec<BucketInfo>, Error> {
        buckets::list()
    }

    fn require_bucket(&self, bucket: &str, _key: &str) -> Result<(), Error> {
        objects::require_bucket(bucket)
    }

    fn head(&self, bucket: &str, key: &str) -> Result<Option<ObjectInfo>, Error> {
        // A get begins here: it must not go on reading an earlier get's file.
        self.forget(bucket, key);
        objects::head(bucket, key)
    }

    fn read(&self, bucket: &str, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, Error> {
        objects::read(&self.open, bucket, key, offset, len)
    }

    fn stage(&self, bucket: &str, key: &str) -> Result<Option<Box<dyn Stage>>, Error> {
        Ok(Some(Box::new(upload::Put::new(bucket, key)?)))
    }

    fn copy(&self, sb: &str, sk: &str, db: &str, dk: &str) -> Result<ObjectInfo, Error> {
        objects::copy(sb, sk, db, dk)
    }

    fn delete(&self, bucket: &str, key: &str) -> Result<(), Error> {
        self.forget(bucket, key);
        objects::delete(bucket, key)
    }

    fn read_folder(&self, bucket: &str, dir: &str) -> Result<Option<Vec<(String, bool)>>, Error> {
        buckets::read_folder(bucket, dir)
    }
}

impl Sftp {
    /// Closes the file a read left open, if it is `bucket`/`key`'s.
    fn forget(&self, bucket: &str, key: &str) {
        let mut open = self.open.borrow_mut();
        if open
            .as_ref()
            .is_some_and(|o| o.path == objects::data_path(bucket, key))
        {
            *open = None;
        }
    }
}

pub(crate) fn bucket_not_found(bucket: &str) -> Error {
    Error::BucketNotFound(format!("bucket {bucket:?} does not exist"))
}

pub(crate) fn object_not_found(bucket: &str, key: &str) -> Error {
    Error::ObjectNotFound(format!("no object {key:?} in bucket {bucket:?}"))
}
