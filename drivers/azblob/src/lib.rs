//! The Azure Blob Storage driver (world `cloud-driver`): every request is
//! authorized here (SharedKey signing with the account key, in pure Rust, or
//! a SAS token) and sent through the host's `http` import, which enforces the
//! DSN's grant. The driver never reads the environment; the secret arrives in
//! the DSN record's `password` (an account key, a SAS token or a connection
//! string), filled either from the DSN or by the host from settings the user
//! passed explicitly.
//!
//! DSN: `azblob://CONTAINER?account=A&endpoint=URL`. Buckets are containers.
//!
//! Modules, one job each:
//! - [`config`]: the opened DSN, the secret's kind, and URL addressing;
//! - [`sharedkey`]: SharedKey signing, service SAS tokens, base64;
//! - [`client`]: one request through the host and Azure errors → contract errors;
//! - [`xml`]: Azure's XML answers (quick-xml);
//! - [`meta`]: object info ↔ headers and listings (metadata case and order
//!   kept, the content-derived ETag);
//! - [`objects`]: head, get, delete, copy, list and the container operations;
//! - [`upload`]: puts (Put Blob, or blocks above one block) and multipart.
//!
//! Dates (HTTP dates in headers, ISO 8601 in SAS tokens) are `common::dates`.

mod client;
mod config;
mod meta;
mod objects;
mod sharedkey;
mod upload;
mod xml;

// HTTP to the DSN's endpoint; else to the BlobEndpoint of a connection
// string in the password, or the account it names; else to the DSN's
// account (`?account=` or the user) on Azure's public cloud.
trove_driver_common::declare_grants!(
    br#"{"http":[["{endpoint}"], ["{password.kv.BlobEndpoint}"],
    ["{password.kv.DefaultEndpointsProtocol|https}://{password.kv.AccountName}.blob.{password.kv.EndpointSuffix|core.windows.net}"],
    ["https://{param.account}.blob.core.windows.net"],
    ["https://{user}.blob.core.windows.net"]]}"#
);

// The bindings of this world; the imports are trove-driver-cloud's, generated there once.
trove_driver_cloud::driver_bindings!("trove:driver/cloud-driver@0.2.0");

use trove_driver_cloud::{trove, wasi};

use exports::trove::driver::core::{Body, Guest, GuestReader, GuestWriter, Writer};
use exports::trove::driver::multipart::{CompletedPart, Guest as MultipartGuest, PartInfo};
use exports::trove::driver::presign::{Guest as PresignGuest, PresignMethod};
use exports::trove::driver::stream_put::Guest as StreamPutGuest;
use std::cell::RefCell;
use std::rc::Rc;
use trove::driver::types;
use trove::driver::types::{
    BucketInfo, DriverInfo, Dsn, Error, GetOptions, ListOptions, ListPage, ObjectInfo, PutOptions,
};
use trove_driver_common as common;
use wasi::io::streams::InputStream;

struct AzblobDriver;

export!(AzblobDriver);

thread_local! {
    static CONFIG: RefCell<Option<Rc<config::Config>>> = const { RefCell::new(None) };
}

/// The opened configuration.
pub(crate) fn cfg() -> Result<Rc<config::Config>, Error> {
    CONFIG
        .with(|c| c.borrow().clone())
        .ok_or_else(|| Error::Internal("the azblob driver was not opened".into()))
}

pub(crate) fn check_names(bucket: &str, key: Option<&str>) -> Result<(), Error> {
    common::names::validate_bucket(bucket).map_err(from_common)?;
    if let Some(k) = key {
        common::names::validate_key(k).map_err(from_common)?;
    }
    Ok(())
}

pub(crate) fn from_common(e: common::Error) -> Error {
    match e {
        common::Error::InvalidArgument(m) => Error::InvalidArgument(m),
        common::Error::PreconditionFailed(m) => Error::PreconditionFailed(m),
    }
}

/// The guest reader the contract's `core` requires a type for; this driver
/// never makes one (bodies are the HTTP response stream, or empty bytes).
pub struct NoReader;

impl GuestReader for NoReader {
    fn read(&self, _max: u64) -> Result<Vec<u8>, Error> {
        Ok(Vec::new())
    }
}

pub struct AzblobWriter {
    upload: RefCell<Option<upload::Upload>>,
}

impl GuestWriter for AzblobWriter {
    fn write(&self, chunk: Vec<u8>) -> Result<(), Error> {
        match self.upload.borrow_mut().as_mut() {
            Some(u) => u.write(&chunk),
            None => Err(Error::InvalidArgument("the upload is finished".into())),
        }
    }

    fn finish(&self) -> Result<ObjectInfo, Error> {
        match self.upload.borrow_mut().take() {
            Some(u) => u.finish(),
            None => Err(Error::InvalidArgument("the upload is finished".into())),
        }
    }

    fn abort(&self) {
        if let Some(mut u) = self.upload.borrow_mut().take() {
            u.abort();
        }
    }
}

impl Guest for AzblobDriver {
    type Reader = NoReader;
    type Writer = AzblobWriter;

    fn info() -> DriverInfo {
        DriverInfo {
            name: "azblob".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            stateful: false,
        }
    }

    fn name() -> String {
        "azblob".into()
    }

    fn open(dsn: Dsn) -> Result<(), Error> {
        let c = config::Config::from_dsn(&dsn)?;
        trove::driver::log::log(
            trove::driver::log::Level::Debug,
            &format!(
                "azblob driver opened for {} ({})",
                dsn.display,
                c.describe()
            ),
        );
        CONFIG.with(|s| *s.borrow_mut() = Some(Rc::new(c)));
        Ok(())
    }

    fn close() -> Result<(), Error> {
        Ok(())
    }

    fn ping() -> Result<(), Error> {
        let c = cfg()?;
        match &c.container {
            Some(b) => {
                if objects::bucket_exists(b)? {
                    Ok(())
                } else {
                    Err(Error::BucketNotFound(format!("no bucket {b}")))
                }
            }
            None => objects::list_buckets().map(|_| ()),
        }
    }

    fn put(bucket: String, key: String, opts: PutOptions) -> Result<Writer, Error> {
        let u = upload::Upload::start(bucket, key, opts)?;
        Ok(Writer::new(AzblobWriter {
            upload: RefCell::new(Some(u)),
        }))
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
        objects::list(&bucket, opts)
    }

    fn copy(sb: String, sk: String, db: String, dk: String) -> Result<ObjectInfo, Error> {
        objects::copy(&sb, &sk, &db, &dk)
    }

    fn create_bucket(bucket: String) -> Result<(), Error> {
        objects::create_bucket(&bucket)
    }

    fn delete_bucket(bucket: String) -> Result<(), Error> {
        objects::delete_bucket(&bucket)
    }

    fn list_buckets() -> Result<Vec<BucketInfo>, Error> {
        objects::list_buckets()
    }
}

impl StreamPutGuest for AzblobDriver {
    fn put_stream(
        bucket: String,
        key: String,
        data: InputStream,
        opts: PutOptions,
    ) -> Result<ObjectInfo, Error> {
        let mut u = upload::Upload::start(bucket, key, opts)?;
        u.write_stream(&data)?;
        drop(data);
        u.finish()
    }
}

impl MultipartGuest for AzblobDriver {
    fn create_multipart(bucket: String, key: String, opts: PutOptions) -> Result<String, Error> {
        upload::create(&bucket, &key, &opts)
    }

    fn upload_part(
        bucket: String,
        key: String,
        upload_id: String,
        part_number: u32,
        data: Vec<u8>,
    ) -> Result<PartInfo, Error> {
        check_names(&bucket, Some(&key))?;
        let size = data.len() as u64;
        let etag = upload::upload_part(&*cfg()?, &bucket, &key, &upload_id, part_number, data)?;
        Ok(PartInfo {
            part_number,
            etag,
            size,
        })
    }

    fn complete_multipart(
        bucket: String,
        key: String,
        upload_id: String,
        parts: Vec<CompletedPart>,
    ) -> Result<ObjectInfo, Error> {
        check_names(&bucket, Some(&key))?;
        let parts: Vec<(u32, String)> =
            parts.into_iter().map(|p| (p.part_number, p.etag)).collect();
        upload::complete(&*cfg()?, &bucket, &key, &upload_id, &parts)
    }

    fn abort_multipart(bucket: String, key: String, upload_id: String) -> Result<(), Error> {
        upload::abort(&bucket, &key, &upload_id)
    }

    fn list_parts(bucket: String, key: String, upload_id: String) -> Result<Vec<PartInfo>, Error> {
        check_names(&bucket, Some(&key))?;
        Ok(upload::list_parts(&*cfg()?, &bucket, &key, &upload_id)?
            .into_iter()
            .map(|(part_number, etag, size)| PartInfo {
                part_number,
                etag,
                size,
            })
            .collect())
    }
}

impl PresignGuest for AzblobDriver {
    /// A service SAS for the one blob (`sr=b`): read for GET, create and
    /// write for PUT (the PUT must send `x-ms-blob-type: BlockBlob`).
    fn presign(
        method: PresignMethod,
        bucket: String,
        key: String,
        expires_seconds: u32,
    ) -> Result<String, Error> {
        check_names(&bucket, Some(&key))?;
        if expires_seconds == 0 || expires_seconds > 604_800 {
            return Err(Error::InvalidArgument(
                "expiry must be 1 to 604800 seconds (7 days)".into(),
            ));
        }
        let c = cfg()?;
        let config::Auth::Key(key_bytes) = &c.auth else {
            // The DSN's secret is a SAS token (or none): the driver could
            // only hand out that token itself, with its own rights and
            // expiry, which is not what was asked for.
            return Err(Error::Unsupported(
                "presigning needs the account key; this DSN authorizes with a SAS token or \
                 anonymously"
                    .into(),
            ));
        };
        let now = common::dates::now();
        let sas = sharedkey::service_sas(
            &c.account,
            key_bytes,
            &bucket,
            &key,
            match method {
                PresignMethod::Get => "r",
                PresignMethod::Put => "cw",
            },
            // A little slack for clocks that differ.
            &common::dates::iso8601(now - 300),
            &common::dates::iso8601(now + expires_seconds as i64),
            if c.scheme == "https" {
                "https"
            } else {
                "https,http"
            },
        );
        Ok(format!("{}?{sas}", c.url(Some(&bucket), Some(&key))))
    }
}
