//! The local-filesystem driver: objects are files under the one directory the host
//! preopens (the DSN's path), reached only through `wasi:filesystem`. State lives on
//! disk, so instances are interchangeable (`STATEFUL = false`) and may run
//! concurrently. It implements the SDK's [`Backend`]; the SDK does the rest of the
//! contract (names, conditions, ranges, listing pages, ETags, the empty-bucket check).
//!
//! On-disk layout (see drivers/README.md):
//!
//! ```text
//! <root>/<bucket>/<key>                  object data; a key's '/' are folders
//! <root>/<bucket>/<dir>/.trove-folder-marker  data of the folder marker `<dir>/`
//! <root>/.trove/tmp/<unique>             uploads in progress, renamed into place
//! <root>/.trove/meta/<bucket>/bucket.json            the bucket's creation time
//! <root>/.trove/meta/<bucket>/<h[..2]>/<h[2..]>.json  sidecar of a key, h = xxh3-128(key)
//! ```
//!
//! Modules, one job each:
//! - [`fs`]: the preopened root and small helpers over the descriptor API;
//! - [`layout`]: key rules for this layout (folder markers, overlapping keys) and
//!   where every path lives;
//! - [`sidecar`]: the per-object metadata file and the bucket record;
//! - [`objects`]: describing, opening, deleting and copying one object;
//! - [`upload`]: a staged upload and its commit (put and copy);
//! - [`lister`]: a bucket's folders, for the SDK's listing walk;
//! - [`buckets`]: create, delete and list buckets;
//! - this file: the backend, each method handed to its module.

mod buckets;
mod fs;
mod layout;
mod lister;
mod objects;
mod sidecar;
mod upload;

use std::cell::RefCell;

use trove_driver::imports::filesystem::types::Descriptor;
use trove_driver::imports::log::Level;
use trove_driver::{
    Backend, BucketInfo, Conditions, Dsn, Error, InputStream, NewObject, ObjectInfo, Stage,
};

// The one directory the host preopens: the DSN's path (file:///root).
trove_driver::declare_grants!(br#"{"dir":"{path}"}"#);

pub struct File {
    /// The data file the last `head_with_bytes` described, open, with its path: the
    /// get's `read_stream` that follows streams that very file (a get that ends
    /// before, e.g. on `if-none-match`, leaves it here until the next get).
    described: RefCell<Option<(String, Descriptor)>>,
}

trove_driver::export_driver!(File);

impl Backend for File {
    const NAME: &'static str = "file";
    const STATEFUL: bool = false;
    const KEYS_ARE_PATHS: bool = true;
    const FOLDER_MARKERS: bool = true;

    /// The DSN's path is the host's; the driver sees only its preopen.
    fn open(dsn: &Dsn) -> Result<Self, Error> {
        if !dsn.host.is_empty() && dsn.host != "localhost" {
            return Err(Error::InvalidArgument(format!(
                "file DSN names a host ({}); use file:///absolute/path",
                dsn.host
            )));
        }
        fs::root()?;
        fs::prepare_state_dirs();
        upload::sweep_stale_uploads();
        let opened = format!("file driver opened for {}", dsn.display);
        trove_driver::imports::log(Level::Debug, &opened);
        Ok(File {
            described: RefCell::new(None),
        })
    }

    fn ping(&self) -> Result<(), Error> {
        fs::root()?
            .stat()
            .map(|_| ())
            .map_err(|e| fs::error(e, "stat of the root directory"))
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
        objects::require_bucket(bucket)?;
        objects::describe_key(bucket, key)
    }

    /// The walk just read the key's folder: no bucket check.
    fn describe_listed(&self, bucket: &str, key: &str) -> Result<Option<ObjectInfo>, Error> {
        objects::describe_key(bucket, key)
    }

    fn head_with_bytes(
        &self,
        bucket: &str,
        key: &str,
        up_to: u64,
    ) -> Result<Option<(ObjectInfo, Option<Vec<u8>>)>, Error> {
        let Some((info, fd, bytes)) = objects::open_described(bucket, key, up_to)? else {
            return Ok(None);
        };
        if bytes.is_none() {
            *self.described.borrow_mut() = Some((layout::data_path(bucket, key), fd));
        }
        Ok(Some((info, bytes)))
    }

    fn read_stream(
        &self,
        bucket: &str,
        key: &str,
        offset: u64,
        _len: u64,
    ) -> Result<Option<InputStream>, Error> {
        let path = layout::data_path(bucket, key);
        let fd = match self.described.take() {
            Some((described, fd)) if described == path => fd,
            _ => match objects::open(bucket, key)? {
                Some((fd, _)) => fd,
                None => return Err(objects::object_not_found(bucket, key)),
            },
        };
        objects::stream(&fd, offset).map(Some)
    }

    fn stage(&self, bucket: &str, key: &str) -> Result<Option<Box<dyn Stage>>, Error> {
        Ok(Some(Box::new(upload::Staged::new(bucket, key)?)))
    }

    fn write_checked(
        &self,
        bucket: &str,
        key: &str,
        object: NewObject,
        conditions: &Conditions,
    ) -> Result<ObjectInfo, Error> {
        upload::write(bucket, key, object, conditions)
    }

    fn copy(&self, sb: &str, sk: &str, db: &str, dk: &str) -> Result<ObjectInfo, Error> {
        objects::copy(sb, sk, db, dk)
    }

    fn delete(&self, bucket: &str, key: &str) -> Result<(), Error> {
        objects::delete(bucket, key)
    }

    fn read_folder(&self, bucket: &str, dir: &str) -> Result<Option<Vec<(String, bool)>>, Error> {
        lister::read_folder(bucket, dir)
    }
}
