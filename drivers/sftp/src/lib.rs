//! The SFTP driver (world `sftp-driver`): objects are files under the DSN's base path on
//! an SSH server, reached only through the host's `sftp` import (one session the host
//! holds, with the credentials and host-key check the host owns).
//!
//! Remote layout (see drivers/README.md, "sftp"):
//!
//! ```text
//! <base>/<bucket>/<key>                           object data; a key's '/' are folders
//! <base>/.trove/tmp/<unique>                      uploads in progress, renamed into place
//! <base>/.trove/locks/<h>                         a key's commit lock (h = xxh3-128(bucket/key))
//! <base>/.trove/meta/<bucket>/bucket.json         the bucket's creation time
//! <base>/.trove/meta/<bucket>/<h[..2]>/<h[2..]>.json  sidecar of a key
//! ```
//!
//! Modules: [`remote`] (paths and the sftp calls), [`meta`] (sidecars, bucket records,
//! commit locks), [`objects`] (head, get, delete, copy), [`upload`] (put),
//! [`buckets`] (buckets and listing).

mod buckets;
mod meta;
mod objects;
mod remote;
mod upload;

// One SSH session, held by the host, to the DSN's user@host:port.
trove_driver_common::declare_grants!(br#"{"sftp":true}"#);

wit_bindgen::generate!({
    path: "../../wit",
    world: "trove:driver/sftp-driver@0.1.0",
    generate_all,
});

use exports::trove::driver::core::{Body, Guest, Writer};
use trove::driver::log::{log, Level};
use trove::driver::types::{
    BucketInfo, DriverInfo, Dsn, Error, GetOptions, ListOptions, ListPage, ObjectInfo, PutOptions,
};
use trove_driver_common as common;

struct SftpDriver;

export!(SftpDriver);

impl Guest for SftpDriver {
    type Reader = objects::FileReader;
    type Writer = upload::SftpWriter;

    fn info() -> DriverInfo {
        DriverInfo {
            name: "sftp".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            stateful: false,
        }
    }

    fn name() -> String {
        "sftp".into()
    }

    fn open(dsn: Dsn) -> Result<(), Error> {
        remote::set_base(&dsn.path)?;
        remote::prepare()?;
        log(
            Level::Debug,
            &format!("sftp driver opened for {}", dsn.display),
        );
        Ok(())
    }

    fn close() -> Result<(), Error> {
        Ok(())
    }

    fn ping() -> Result<(), Error> {
        remote::stat("").map(|_| ())
    }

    fn put(bucket: String, key: String, opts: PutOptions) -> Result<Writer, Error> {
        upload::SftpWriter::start(bucket, key, opts).map(Writer::new)
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
        buckets::list_objects(&bucket, opts)
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

pub(crate) fn bucket_not_found(bucket: &str) -> Error {
    Error::BucketNotFound(format!("bucket {bucket:?} does not exist"))
}

pub(crate) fn object_not_found(bucket: &str, key: &str) -> Error {
    Error::ObjectNotFound(format!("no object {key:?} in bucket {bucket:?}"))
}

/// Checks a bucket name and a key (the key as a clean relative path).
pub(crate) fn check_names(bucket: &str, key: &str) -> Result<(), Error> {
    common::names::validate_bucket(bucket)?;
    common::paths::validate_path_key(key)?;
    Ok(())
}

/// Logs a warning through the host.
pub(crate) fn note_warn(message: &str) {
    log(Level::Warn, message);
}
