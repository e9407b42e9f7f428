//! The versioning capability: list, get and delete object generations.
//!
//! Object Versioning is a bucket setting in GCS. With `versioning=true` in
//! the DSN, `create-bucket` turns it on for the buckets it creates; buckets
//! made elsewhere keep whatever they have. `list-versions` on a bucket
//! without it answers `unsupported`, so a caller never mistakes the single
//! live generation for a history. A version id is the object's generation
//! (GCS has no delete markers: a deleted live object becomes noncurrent).

use crate::client::{bucket_path, object_path, send, GsReq, GsResp, Req};
use crate::exports::trove::driver::core::Body;
use crate::exports::trove::driver::versioning::VersionPage;
use crate::objects::{generation, refine};
use crate::types::{GetOptions, ListOptions, ObjectInfo};
use crate::{cfg, check_names, json, meta, Error};

/// `unsupported` unless the bucket keeps versions.
fn require_versioned(bucket: &str) -> Result<(), Error> {
    let c = cfg()?;
    let resp = send(&c, Req::api(&c, "GET", &bucket_path(bucket)))?;
    if !resp.ok() {
        return Err(match resp.error(&format!("get-bucket {bucket}")) {
            Error::ObjectNotFound(_) => Error::BucketNotFound(format!("no bucket {bucket}")),
            e => e,
        });
    }
    let b: json::Bucket = resp.json(&format!("get-bucket {bucket}"))?;
    if b.versioning.is_some_and(|v| v.enabled) {
        Ok(())
    } else {
        Err(Error::Unsupported(format!(
            "bucket {bucket} does not keep versions (create buckets with versioning=true in \
             the DSN, or turn on Object Versioning)"
        )))
    }
}

/// The generation of a version as a number, for ordering.
fn gen_of(v: &ObjectInfo) -> u64 {
    v.version_id
        .as_deref()
        .and_then(|g| g.parse().ok())
        .unwrap_or(0)
}

/// Every generation, keys in order and newest first per key; the cursor
/// is GCS's page token.
pub fn list_versions(bucket: &str, opts: ListOptions) -> Result<VersionPage, Error> {
    check_names(bucket, None)?;
    let max = match opts.max_keys {
        None | Some(0) => 1000,
        Some(n) => n.min(1000),
    };
    require_versioned(bucket)?;
    let c = cfg()?;
    let mut req = Req::api(&c, "GET", &format!("{}/o", bucket_path(bucket)))
        .query("versions", "true")
        .query("maxResults", &max.to_string());
    if let Some(p) = opts.prefix.as_deref().filter(|p| !p.is_empty()) {
        req = req.query("prefix", p);
    }
    if let Some(t) = opts.cursor.as_deref().filter(|t| !t.is_empty()) {
        req = req.query("pageToken", t);
    }
    let resp = send(&c, req)?;
    if !resp.ok() {
        return Err(match resp.error(&format!("list-versions {bucket}")) {
            Error::ObjectNotFound(_) => Error::BucketNotFound(format!("no bucket {bucket}")),
            e => e,
        });
    }
    let page: json::Objects = resp.json(&format!("list-versions {bucket}"))?;
    let mut versions: Vec<ObjectInfo> = page
        .items
        .iter()
        .filter(|o| o.generation.is_some())
        .map(|o| {
            let mut info = meta::info(o);
            info.version_id = o.generation.clone();
            info
        })
        .collect();
    versions.sort_by(|a, b| a.key.cmp(&b.key).then(gen_of(b).cmp(&gen_of(a))));
    Ok(VersionPage {
        versions,
        next_cursor: page.next_page_token.filter(|t| !t.is_empty()),
    })
}

pub fn get_version(
    bucket: &str,
    key: &str,
    version_id: &str,
    mut opts: GetOptions,
) -> Result<(ObjectInfo, Body), Error> {
    opts.version_id = Some(generation(version_id)?.to_string());
    crate::objects::get(bucket, key, opts)
}

pub fn delete_version(bucket: &str, key: &str, version_id: &str) -> Result<(), Error> {
    check_names(bucket, Some(key))?;
    let g = generation(version_id)?;
    let c = cfg()?;
    let req = Req::api(&c, "DELETE", &object_path(bucket, key)).query("generation", g);
    let resp = send(&c, req)?;
    if resp.ok() {
        return Ok(());
    }
    Err(refine(
        resp.error(&format!("delete-version {bucket}/{key} {version_id}")),
        bucket,
    ))
}
