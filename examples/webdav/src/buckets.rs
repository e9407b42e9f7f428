//! Buckets: the top-level collections under the endpoint.

use crate::check_names;
use crate::common::names;
use crate::dav;
use crate::layout;
use trove_driver_cloud::trove::driver::types::{BucketInfo, Error};

/// The endpoint answers a PROPFIND of its root.
pub fn ping() -> Result<(), Error> {
    if dav::exists("/")? {
        Ok(())
    } else {
        Err(Error::Unavailable(
            "the endpoint has no collection at its root".into(),
        ))
    }
}

pub fn create(bucket: &str) -> Result<(), Error> {
    check_names(bucket, None)?;
    let path = layout::bucket_path(bucket);
    let resp = dav::call("MKCOL", &dav::url(&path)?)?;
    match resp.status {
        201 => Ok(()),
        // MKCOL of something that exists is "Method Not Allowed" (RFC 4918, 9.3.1).
        405 => Err(Error::BucketExists(format!("bucket {bucket} exists"))),
        _ => Err(dav::error(&resp, &format!("MKCOL {path}"))),
    }
}

pub fn delete(bucket: &str) -> Result<(), Error> {
    check_names(bucket, None)?;
    let path = layout::bucket_path(bucket);
    let members =
        dav::members(&path)?.ok_or_else(|| Error::BucketNotFound(format!("no bucket {bucket}")))?;
    // Uploads in progress do not count; anything else does.
    if members.iter().any(|m| !m.name.starts_with("~up-")) {
        return Err(Error::BucketNotEmpty(format!(
            "bucket {bucket} is not empty"
        )));
    }
    let resp = dav::call("DELETE", &dav::url(&path)?)?;
    match resp.status {
        200..=299 => Ok(()),
        404 => Err(Error::BucketNotFound(format!("no bucket {bucket}"))),
        _ => Err(dav::error(&resp, &format!("DELETE {path}"))),
    }
}

/// The collections at the root whose names are bucket names, sorted.
pub fn list() -> Result<Vec<BucketInfo>, Error> {
    let members = dav::members("/")?
        .ok_or_else(|| Error::Unavailable("the endpoint has no collection at its root".into()))?;
    let mut out: Vec<BucketInfo> = members
        .into_iter()
        .filter(|m| m.collection && names::validate_bucket(&m.name).is_ok())
        .map(|m| BucketInfo {
            name: m.name,
            created: m.created,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
