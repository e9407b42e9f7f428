//! The S3 driver (world `versioned-cloud-driver`): every request is signed here with
//! SigV4 and sent through the host's `http` import, which enforces the DSN's
//! grant. The driver never reads the environment; credentials arrive in the
//! DSN record (`user` = access key, `password` = secret key), filled either
//! from the DSN or by the host from settings the user passed explicitly.
//!
//! DSN: `s3://[AK:SK@]BUCKET?region=R&endpoint=URL&path_style=true&versioning=true`.
//!
//! Modules, one job each:
//! - [`config`]: the opened DSN and bucket/key addressing (path-style or virtual-hosted);
//! - [`sigv4`]: request signing and presigned URLs;
//! - [`client`]: one request through the host and S3 errors → contract errors;
//! - [`xml`]: S3's XML answers (quick-xml);
//! - [`meta`]: object info ↔ headers (metadata case and order kept);
//! - [`objects`]: head, get, delete, copy, list and the bucket operations;
//! - [`upload`]: puts, switching to multipart above one part;
//! - [`versioning`]: list, get and delete object versions.
//!
//! Dates (ISO 8601 in XML, HTTP dates in headers) are `common::dates`.

mod client;
mod config;
mod meta;
mod objects;
mod sigv4;
mod upload;
mod versioning;
mod xml;

// HTTP to the DSN's endpoint, else to AWS in the DSN's region (default
// us-east-1) and its one-label bucket subdomains (virtual-hosted style).
trove_driver_common::declare_grants!(
    br#"{"http":[["{endpoint}"],
    ["https://s3.{param.region|us-east-1}.amazonaws.com",
     "https://*.s3.{param.region|us-east-1}.amazonaws.com"]]}"#
);

// The bindings of this world; the imports are trove-driver-cloud's, generated there once.
trove_driver_cloud::driver_bindings!("trove:driver/versioned-cloud-driver@0.2.0");

use client::S3Resp;
use trove_driver_cloud::{trove, wasi};

use exports::trove::driver::core::{Body, Guest, GuestReader, GuestWriter, Writer};
use exports::trove::driver::multipart::{CompletedPart, Guest as MultipartGuest, PartInfo};
use exports::trove::driver::presign::{Guest as PresignGuest, PresignMethod};
use exports::trove::driver::stream_put::Guest as StreamPutGuest;
use exports::trove::driver::versioning::{Guest as VersioningGuest, VersionPage};
use std::cell::RefCell;
use std::rc::Rc;
use trove::driver::types;
use trove::driver::types::{
    BucketInfo, DriverInfo, Dsn, Error, GetOptions, ListOptions, ListPage, ObjectInfo, PutOptions,
};
use trove_driver_common as common;
use wasi::io::streams::InputStream;

struct S3Driver;

export!(S3Driver);

thread_local! {
    static CONFIG: RefCell<Option<Rc<config::Config>>> = const { RefCell::new(None) };
}

/// The opened configuration.
pub(crate) fn cfg() -> Result<Rc<config::Config>, Error> {
    CONFIG
        .with(|c| c.borrow().clone())
        .ok_or_else(|| Error::Internal("the s3 driver was not opened".into()))
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

/// A body held in the guest (only for the empty answers S3 cannot give).
#[derive(Default)]
pub struct MemReader {
    data: RefCell<Vec<u8>>,
}

impl GuestReader for MemReader {
    fn read(&self, max: u64) -> Result<Vec<u8>, Error> {
        let mut d = self.data.borrow_mut();
        let n = (max as usize).min(d.len());
        Ok(d.drain(..n).collect())
    }
}

pub(crate) use exports::trove::driver::core::Reader;

pub struct S3Writer {
    upload: RefCell<Option<upload::Upload>>,
}

impl GuestWriter for S3Writer {
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

impl Guest for S3Driver {
    type Reader = MemReader;
    type Writer = S3Writer;

    fn info() -> DriverInfo {
        DriverInfo {
            name: "s3".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            stateful: false,
        }
    }

    fn name() -> String {
        "s3".into()
    }

    fn open(dsn: Dsn) -> Result<(), Error> {
        let c = config::Config::from_dsn(&dsn)?;
        trove::driver::log::log(
            trove::driver::log::Level::Debug,
            &format!(
                "s3 driver opened for {} ({}, {}, credentials: {})",
                dsn.display,
                c.authority,
                if c.path_style {
                    "path-style"
                } else {
                    "virtual-hosted"
                },
                if c.credentials.is_some() {
                    "yes"
                } else {
                    "none, unsigned"
                }
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
        match &c.bucket {
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
        Ok(Writer::new(S3Writer {
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

impl StreamPutGuest for S3Driver {
    fn put_stream(
        bucket: String,
        key: String,
        data: InputStream,
        opts: PutOptions,
    ) -> Result<ObjectInfo, Error> {
        match opts.size {
            // A known size: one PutObject, the host's stream passed on unread.
            Some(n) if n <= upload::STREAMED_PUT_MAX => {
                upload::put_streamed(bucket, key, data, n, opts)
            }
            _ => {
                let mut u = upload::Upload::start(bucket, key, opts)?;
                u.write_stream(&data)?;
                drop(data);
                u.finish()
            }
        }
    }
}

impl MultipartGuest for S3Driver {
    fn create_multipart(bucket: String, key: String, opts: PutOptions) -> Result<String, Error> {
        upload::create(&*cfg()?, &bucket, &key, &opts)
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
        check_names(&bucket, Some(&key))?;
        upload::abort(&*cfg()?, &bucket, &key, &upload_id)
    }

    fn list_parts(bucket: String, key: String, upload_id: String) -> Result<Vec<PartInfo>, Error> {
        check_names(&bucket, Some(&key))?;
        let req = client::Req::new("GET", Some(&bucket), Some(&key)).query("uploadId", &upload_id);
        let resp = client::send(&*cfg()?, req)?;
        if !resp.ok() {
            return Err(resp.error(&format!("list-parts {bucket}/{key}")));
        }
        let x = resp.xml()?;
        let mut parts: Vec<PartInfo> = x
            .all("Part")
            .map(|p| PartInfo {
                part_number: p
                    .text_of("PartNumber")
                    .and_then(|n| n.trim().parse().ok())
                    .unwrap_or(0),
                etag: p.text_of("ETag").map(meta::unquote).unwrap_or_default(),
                size: p
                    .text_of("Size")
                    .and_then(|n| n.trim().parse().ok())
                    .unwrap_or(0),
            })
            .collect();
        parts.sort_by_key(|p| p.part_number);
        Ok(parts)
    }
}

impl PresignGuest for S3Driver {
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
        let m = match method {
            PresignMethod::Get => "GET",
            PresignMethod::Put => "PUT",
        };
        client::presign(&*cfg()?, m, &bucket, &key, expires_seconds)
    }
}

impl VersioningGuest for S3Driver {
    fn list_versions(bucket: String, opts: ListOptions) -> Result<VersionPage, Error> {
        versioning::list_versions(&bucket, opts)
    }

    fn get_version(
        bucket: String,
        key: String,
        version_id: String,
        opts: GetOptions,
    ) -> Result<(ObjectInfo, Body), Error> {
        versioning::get_version(&bucket, &key, &version_id, opts)
    }

    fn delete_version(bucket: String, key: String, version_id: String) -> Result<(), Error> {
        versioning::delete_version(&bucket, &key, &version_id)
    }
}
