//! The local-filesystem driver (world `file-driver`): objects are files under the one
//! directory the host preopens (the DSN's path), reached only through
//! `wasi:filesystem`. State lives on disk, so instances are interchangeable
//! (`stateful: false`) and may run concurrently.
//!
//! On-disk layout (see drivers/README.md):
//!
//! ```text
//! <root>/<bucket>/<key>                  object data; a key's '/' are folders
//! <root>/.trove/tmp/<unique>             uploads in progress, renamed into place
//! <root>/.trove/meta/<bucket>/bucket.json            the bucket's creation time
//! <root>/.trove/meta/<bucket>/<h[..2]>/<h[2..]>.json  sidecar of a key, h = xxh3-128(key)
//! ```
//!
//! Modules, one job each:
//! - [`fs`]: the preopened root and small helpers over the descriptor API;
//! - [`layout`]: key rules for this layout and where every path lives;
//! - [`sidecar`]: the per-object metadata file and the bucket record;
//! - [`objects`]: head, get, delete and copy;
//! - [`upload`]: a staged upload and its commit (used by put and copy);
//! - [`lister`]: the bucket's keys in byte order, for `common::listing`;
//! - [`buckets`]: create, delete and list buckets.

mod buckets;
mod fs;
mod layout;
mod lister;
mod objects;
mod sidecar;
mod upload;

// The one directory the host preopens: the DSN's path (file:///root).
trove_driver_common::declare_grants!(br#"{"dir":"{path}"}"#);

wit_bindgen::generate!({
    path: "../../wit",
    world: "trove:driver/file-driver@0.1.0",
    generate_all,
});

use exports::trove::driver::core::{Body, Guest, Writer};
use trove::driver::log::{log, Level};
use trove::driver::types::{
    BucketInfo, DriverInfo, Dsn, Error, GetOptions, ListOptions, ListPage, ObjectInfo, PutOptions,
};
use trove_driver_common as common;

struct FileDriver;

export!(FileDriver);

impl Guest for FileDriver {
    type Reader = objects::NoReader;
    type Writer = upload::FileWriter;

    fn info() -> DriverInfo {
        DriverInfo {
            name: "file".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            stateful: false,
        }
    }

    fn name() -> String {
        "file".into()
    }

    /// The DSN's path is the host's; the driver sees only its preopen.
    fn open(dsn: Dsn) -> Result<(), Error> {
        if !dsn.host.is_empty() && dsn.host != "localhost" {
            return Err(Error::InvalidArgument(format!(
                "file DSN names a host ({}); use file:///absolute/path",
                dsn.host
            )));
        }
        fs::root()?;
        fs::prepare_state_dirs();
        upload::sweep_stale_uploads();
        log(
            Level::Debug,
            &format!("file driver opened for {}", dsn.display),
        );
        Ok(())
    }

    fn close() -> Result<(), Error> {
        Ok(())
    }

    fn ping() -> Result<(), Error> {
        fs::root()?
            .stat()
            .map(|_| ())
            .map_err(|e| fs::error(e, "stat of the root directory"))
    }

    fn put(bucket: String, key: String, opts: PutOptions) -> Result<Writer, Error> {
        upload::FileWriter::start(bucket, key, opts).map(Writer::new)
    }

    fn get(bucket: String, key: String, opts: GetOptions) -> Result<(ObjectInfo, Body), Error> {
        objects::get(&bucket, &key, opts)
    }

    fn head(bucket: String, key: String) -> Result<ObjectInfo, Error> {
        objects::head(&bucket, &key)
    }

    fn delete(bucket: String, key: String) -> Result<(), Error> {
        objects::delete(&bucket, &key)
    }

    fn list(bucket: String, opts: ListOptions) -> Result<ListPage, Error> {
        lister::list(&bucket, opts)
    }

    fn copy(
        src_bucket: String,
        src_key: String,
        dst_bucket: String,
        dst_key: String,
    ) -> Result<ObjectInfo, Error> {
        objects::copy(&src_bucket, &src_key, &dst_bucket, &dst_key)
    }

    fn create_bucket(bucket: String) -> Result<(), Error> {
        buckets::create(&bucket)
    }

    fn delete_bucket(bucket: String) -> Result<(), Error> {
        buckets::delete(&bucket)
    }

    fn list_buckets() -> Result<Vec<BucketInfo>, Error> {
        buckets::list()
    }
}

impl From<common::Error> for Error {
    fn from(e: common::Error) -> Self {
        match e {
            common::Error::InvalidArgument(m) => Error::InvalidArgument(m),
            common::Error::PreconditionFailed(m) => Error::PreconditionFailed(m),
        }
    }
}

/// Logs through the host at `level`.
pub(crate) fn note(level: Level, message: &str) {
    log(level, message);
}
