//! An example third-party trove driver: buckets and objects on a WebDAV server, every
//! request sent through the host's `http` import (the only way out the host gives it).
//!
//! DSN: `dav://[USER:PASSWORD@]?endpoint=http://HOST:PORT[/BASE]` (any scheme will do:
//! the driver reads only `endpoint` and the credentials, sent as HTTP Basic auth).
//!
//! Modules, one job each:
//! - [`dav`]: the opened endpoint, one request, statuses → contract errors, PROPFIND;
//! - [`layout`]: where things live on the server (names, the object's `meta` JSON);
//! - [`buckets`]: the bucket operations (top-level collections);
//! - [`objects`]: head, get, delete, list and copy;
//! - [`upload`]: puts (an upload collection MOVEd into place when it is complete).

mod buckets;
mod dav;
mod layout;
mod objects;
mod upload;

// The world: the `log` and `http` imports, the `core` export (no optional capability).
// The imports' bindings are trove-driver-cloud's, so its helpers take these types.
wit_bindgen::generate!({
    path: "../../wit",
    inline: "
        package trove:example-webdav;
        world webdav-driver {
            import trove:driver/log@0.1.0;
            import trove:driver/http@0.1.0;
            export trove:driver/core@0.1.0;
        }
    ",
    world: "trove:example-webdav/webdav-driver",
    with: {
        "trove:driver/types@0.1.0": trove_driver_cloud::trove::driver::types,
        "trove:driver/log@0.1.0": trove_driver_cloud::trove::driver::log,
        "trove:driver/http@0.1.0": trove_driver_cloud::trove::driver::http,
        "wasi:io/error@0.2.12": trove_driver_cloud::wasi::io::error,
        "wasi:io/poll@0.2.12": trove_driver_cloud::wasi::io::poll,
        "wasi:io/streams@0.2.12": trove_driver_cloud::wasi::io::streams,
    },
    generate_all,
});

// What this driver asks the host for: HTTP to the DSN's `endpoint` only (the
// `trove:grants` custom section; the user still has to `--allow dav:http`).
trove_driver_common::declare_grants!(br#"{"http":[["{endpoint}"]]}"#);

use exports::trove::driver::core::{Body, Guest, GuestWriter, Writer};
use std::cell::RefCell;
use trove_driver_cloud::trove::driver::log::{log, Level};
use trove_driver_cloud::trove::driver::types::{
    BucketInfo, DriverInfo, Dsn, Error, GetOptions, ListOptions, ListPage, ObjectInfo, PutOptions,
};
use trove_driver_common as common;

struct WebDav;
export!(WebDav);

/// A shared check's rejection as the contract's error.
fn from_common(e: common::Error) -> Error {
    match e {
        common::Error::InvalidArgument(m) => Error::InvalidArgument(m),
        common::Error::PreconditionFailed(m) => Error::PreconditionFailed(m),
    }
}

/// The bucket name, and the key when there is one, checked as the contract says.
fn check_names(bucket: &str, key: Option<&str>) -> Result<(), Error> {
    common::names::validate_bucket(bucket).map_err(from_common)?;
    if let Some(k) = key {
        common::names::validate_key(k).map_err(from_common)?;
    }
    Ok(())
}

/// The core writer: an upload fed chunk by chunk, committed by `finish`.
pub struct DavWriter(RefCell<Option<upload::Upload>>);

impl GuestWriter for DavWriter {
    fn write(&self, chunk: Vec<u8>) -> Result<(), Error> {
        match self.0.borrow_mut().as_mut() {
            Some(u) => u.write(&chunk),
            None => Err(Error::InvalidArgument("the upload is finished".into())),
        }
    }

    fn finish(&self) -> Result<ObjectInfo, Error> {
        match self.0.borrow_mut().take() {
            Some(u) => u.finish(),
            None => Err(Error::InvalidArgument("the upload is finished".into())),
        }
    }

    fn abort(&self) {
        // Dropping the upload deletes what it wrote.
        self.0.borrow_mut().take();
    }
}

impl Guest for WebDav {
    type Reader = objects::PartsReader;
    type Writer = DavWriter;

    fn info() -> DriverInfo {
        DriverInfo {
            name: "webdav-example".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            // Everything lives on the server: the host may run several instances at once.
            stateful: false,
        }
    }

    fn name() -> String {
        "webdav-example".into()
    }

    fn open(dsn: Dsn) -> Result<(), Error> {
        dav::open(&dsn)?;
        log(
            Level::Debug,
            &format!("webdav driver opened for {}", dsn.display),
        );
        Ok(())
    }

    fn close() -> Result<(), Error> {
        Ok(())
    }

    fn ping() -> Result<(), Error> {
        buckets::ping()
    }

    fn put(bucket: String, key: String, opts: PutOptions) -> Result<Writer, Error> {
        let u = upload::Upload::start(&bucket, &key, opts)?;
        Ok(Writer::new(DavWriter(RefCell::new(Some(u)))))
    }

    fn get(bucket: String, key: String, opts: GetOptions) -> Result<(ObjectInfo, Body), Error> {
        objects::get(&bucket, &key, &opts)
    }

    fn head(bucket: String, key: String) -> Result<ObjectInfo, Error> {
        objects::head(&bucket, &key)
    }

    fn delete(bucket: String, key: String) -> Result<(), Error> {
        objects::delete(&bucket, &key)
    }

    fn list(bucket: String, opts: ListOptions) -> Result<ListPage, Error> {
        objects::list(&bucket, opts)
    }

    fn copy(sb: String, sk: String, db: String, dk: String) -> Result<ObjectInfo, Error> {
        objects::copy(&sb, &sk, &db, &dk)
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
