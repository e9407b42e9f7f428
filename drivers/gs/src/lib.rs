//! The Google Cloud Storage driver (world `versioned-cloud-driver`): the JSON API
//! through the host's `http` import, which enforces the DSN's grant. The
//! driver never reads the environment or files; credentials arrive in the
//! DSN record's password (a service-account JSON key, or a bearer token),
//! filled either from the DSN or by the host from `--credentials-file` /
//! `--credentials-env`. A key's JWT is signed here (RS256) and exchanged at
//! its `token_uri`, the one extra origin the host grants.
//!
//! DSN: `gs://BUCKET?endpoint=URL&project=P&token=BEARER&versioning=true`.
//!
//! Modules, one job each:
//! - [`config`]: the opened DSN (endpoint, project, how requests are authorised);
//! - [`sign`]: the service-account key, the RS256 JWT and V4 signed URLs;
//! - [`auth`]: the bearer token of each request (exchanged and cached);
//! - [`client`]: one request through the host and GCS errors → contract errors;
//! - [`json`]: GCS's JSON answers (serde);
//! - [`meta`]: object info ↔ object resources (ETag, metadata case and order);
//! - [`objects`]: head, get, delete, copy (rewrite), list and the bucket operations;
//! - [`upload`]: puts (one request, or a resumable session above one
//!   chunk) and multipart through compose;
//! - [`versioning`]: list, get and delete object generations;
//! - [`codec`]: base64, hex and percent-encoding;
//! - dates (RFC 3339, V4 signing stamps) are `common::dates`.

mod auth;
mod client;
mod codec;
mod config;
mod json;
mod meta;
mod objects;
mod sign;
mod upload;
mod versioning;

// HTTP to the DSN's endpoint (an emulator), else to Google Cloud Storage
// and Google's token endpoint; plus the `token_uri` a service-account key
// (the DSN's password) names, when it names one.
trove_driver_common::declare_grants!(
    br#"{"http":[["{endpoint}", "?{password.json.token_uri}"],
    ["https://storage.googleapis.com", "https://oauth2.googleapis.com",
     "?{password.json.token_uri}"]]}"#
);

// The bindings of this world; the imports are trove-driver-cloud's, generated there once.
trove_driver_cloud::driver_bindings!("trove:driver/versioned-cloud-driver@0.2.0");

use trove_driver_cloud::{trove, wasi};

use exports::trove::driver::core::{Body, Guest, GuestReader, GuestWriter, Writer};
use exports::trove::driver::multipart::{CompletedPart, Guest as MultipartGuest, PartInfo};
use exports::trove::driver::presign::{Guest as PresignGuest, PresignMethod};
use exports::trove::driver::stream_put::Guest as StreamPutGuest;
use exports::trove::driver::versioning::{Guest as VersioningGuest, VersionPage};
use sha2::Digest;
use std::cell::RefCell;
use std::rc::Rc;
use trove::driver::types;
use trove::driver::types::{
    BucketInfo, DriverInfo, Dsn, Error, GetOptions, ListOptions, ListPage, ObjectInfo, PutOptions,
};
use trove_driver_common as common;
use wasi::io::streams::InputStream;

struct GsDriver;

export!(GsDriver);

thread_local! {
    static CONFIG: RefCell<Option<Rc<config::Config>>> = const { RefCell::new(None) };
}

/// The opened configuration.
pub(crate) fn cfg() -> Result<Rc<config::Config>, Error> {
    CONFIG
        .with(|c| c.borrow().clone())
        .ok_or_else(|| Error::Internal("the gs driver was not opened".into()))
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

/// SHA-256 of the concatenated `parts`.
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// A body held in the guest (only for empty answers: a zero-length range).
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

pub struct GsWriter {
    upload: RefCell<Option<upload::Upload>>,
}

impl GuestWriter for GsWriter {
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

impl Guest for GsDriver {
    type Reader = MemReader;
    type Writer = GsWriter;

    fn info() -> DriverInfo {
        DriverInfo {
            name: "gs".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            stateful: false,
        }
    }

    fn name() -> String {
        "gs".into()
    }

    fn open(dsn: Dsn) -> Result<(), Error> {
        let c = config::Config::from_dsn(&dsn)?;
        trove::driver::log::log(
            trove::driver::log::Level::Debug,
            &format!(
                "gs driver opened for {} ({}, project: {}, credentials: {})",
                dsn.display,
                c.base(),
                c.project.as_deref().unwrap_or("none"),
                c.describe_auth()
            ),
        );
        auth::forget();
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
        Ok(Writer::new(GsWriter {
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

impl StreamPutGuest for GsDriver {
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

impl MultipartGuest for GsDriver {
    fn create_multipart(bucket: String, key: String, opts: PutOptions) -> Result<String, Error> {
        upload::create(&bucket, &key, opts)
    }

    fn upload_part(
        bucket: String,
        key: String,
        upload_id: String,
        part_number: u32,
        data: Vec<u8>,
    ) -> Result<PartInfo, Error> {
        check_names(&bucket, Some(&key))?;
        let (etag, size) = upload::upload_part(&bucket, &upload_id, part_number, data)?;
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
        upload::complete(&bucket, &key, &upload_id, &parts)
    }

    fn abort_multipart(bucket: String, key: String, upload_id: String) -> Result<(), Error> {
        check_names(&bucket, Some(&key))?;
        upload::abort(&bucket, &upload_id)
    }

    fn list_parts(bucket: String, key: String, upload_id: String) -> Result<Vec<PartInfo>, Error> {
        check_names(&bucket, Some(&key))?;
        Ok(upload::list_parts(&bucket, &upload_id)?
            .into_iter()
            .map(|(part_number, etag, size)| PartInfo {
                part_number,
                etag,
                size,
            })
            .collect())
    }
}

impl PresignGuest for GsDriver {
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
        let sa = c.key.as_ref().ok_or_else(|| {
            Error::Unsupported(
                "presigned URLs are V4 signatures made with a service-account key: pass one \
                 (--credentials-file KEY.json); a bearer token or an emulator without a key \
                 cannot sign"
                    .into(),
            )
        })?;
        Ok(sign::signed_url(
            sa,
            &sign::UrlRequest {
                method: match method {
                    PresignMethod::Get => "GET",
                    PresignMethod::Put => "PUT",
                },
                scheme: &c.scheme,
                authority: &c.authority,
                bucket: &bucket,
                key: &key,
                now: common::dates::now(),
                expires: expires_seconds,
            },
        ))
    }
}

impl VersioningGuest for GsDriver {
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
