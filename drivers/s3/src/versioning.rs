//! The versioning capability: list, get and delete object versions.
//!
//! Versioning is a bucket setting in S3. With `versioning=true` in the DSN,
//! `create-bucket` turns it on for the buckets it creates; buckets made
//! elsewhere keep whatever the server says. On a bucket without versioning
//! these calls answer `unsupported` (with the server's status), so a caller
//! never mistakes S3's single "null" version for a history.
//!
//! Delete markers are not listed: the contract's version record has no way
//! to say "this version is a tombstone" (removing the newest delete marker
//! with `delete-version` would restore the object, which S3 allows).

use crate::client::{send, Req, S3Resp};
use crate::exports::trove::driver::core::Body;
use crate::exports::trove::driver::versioning::VersionPage;
use crate::meta;
use crate::types::{GetOptions, ListOptions, ObjectInfo};
use crate::{cfg, check_names, Error};

const ENABLE: &str = "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
<Status>Enabled</Status></VersioningConfiguration>";

/// Turn versioning on for `bucket` (PutBucketVersioning).
pub fn enable(bucket: &str) -> Result<(), Error> {
    let req = Req::new("PUT", Some(bucket), None)
        .query("versioning", "")
        .body(ENABLE.as_bytes().to_vec());
    let resp = send(&*cfg()?, req)?;
    if resp.ok() {
        return Ok(());
    }
    Err(
        match resp.error(&format!("enable versioning on {bucket}")) {
            // A server without versioning (s3s-fs answers NotImplemented).
            Error::Unsupported(m) => {
                Error::Unsupported(format!("the server has no versioning: {m}"))
            }
            e => e,
        },
    )
}

/// `unsupported` unless the bucket's versioning is Enabled or Suspended.
fn require_versioned(bucket: &str) -> Result<(), Error> {
    let resp = send(
        &*cfg()?,
        Req::new("GET", Some(bucket), None).query("versioning", ""),
    )?;
    if !resp.ok() {
        return Err(match resp.error(&format!("get versioning of {bucket}")) {
            Error::Unsupported(m) => {
                Error::Unsupported(format!("the server has no versioning: {m}"))
            }
            Error::ObjectNotFound(m) => Error::BucketNotFound(m),
            e => e,
        });
    }
    let x = resp.xml()?;
    match x.text_of("Status").map(str::trim) {
        Some("Enabled") | Some("Suspended") => Ok(()),
        _ => Err(Error::Unsupported(format!(
            "bucket {bucket} does not have versioning enabled (create buckets with \
             versioning=true in the DSN, or enable it on the server)"
        ))),
    }
}

/// The opaque cursor: S3's key marker and version-id marker.
fn encode_cursor(key: &str, version: &str) -> String {
    format!("{}:{}", hex(key), hex(version))
}

fn decode_cursor(c: &str) -> Result<(String, String), Error> {
    let bad = || Error::InvalidArgument(format!("cursor {c:?} is not one this driver issued"));
    let (k, v) = c.split_once(':').ok_or_else(bad)?;
    Ok((unhex(k).ok_or_else(bad)?, unhex(v).ok_or_else(bad)?))
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<String> {
    if s.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

pub fn list_versions(bucket: &str, opts: ListOptions) -> Result<VersionPage, Error> {
    check_names(bucket, None)?;
    let max = opts.max_keys.unwrap_or(1000);
    if max == 0 {
        return Err(Error::InvalidArgument("max-keys must be at least 1".into()));
    }
    require_versioned(bucket)?;
    let mut req = Req::new("GET", Some(bucket), None)
        .query("versions", "")
        .query("max-keys", &max.min(1000).to_string());
    if let Some(p) = opts.prefix.as_deref().filter(|p| !p.is_empty()) {
        req = req.query("prefix", p);
    }
    if let Some(d) = opts.delimiter.as_deref().filter(|d| !d.is_empty()) {
        req = req.query("delimiter", d);
    }
    if let Some(c) = opts.cursor.as_deref().filter(|c| !c.is_empty()) {
        let (key, version) = decode_cursor(c)?;
        req = req.query("key-marker", &key);
        if !version.is_empty() {
            req = req.query("version-id-marker", &version);
        }
    }
    let resp = send(&*cfg()?, req)?;
    if !resp.ok() {
        return Err(resp.error(&format!("list-versions {bucket}")));
    }
    let x = resp.xml()?;
    // S3 lists newest first per key, keys in order; keep its order.
    let versions: Vec<ObjectInfo> = x
        .all("Version")
        .map(|v| {
            let mut info = meta::from_listing(v);
            info.version_id = v
                .text_of("VersionId")
                .filter(|id| !id.is_empty())
                .map(str::to_string);
            info
        })
        .filter(|v| v.version_id.is_some())
        .collect();
    let truncated = x.text_of("IsTruncated").is_some_and(|t| t.trim() == "true");
    let next_cursor = match (truncated, x.text_of("NextKeyMarker")) {
        (true, Some(k)) if !k.is_empty() => Some(encode_cursor(
            k,
            x.text_of("NextVersionIdMarker").unwrap_or_default(),
        )),
        _ => None,
    };
    Ok(VersionPage {
        versions,
        next_cursor,
    })
}

pub fn get_version(
    bucket: &str,
    key: &str,
    version_id: &str,
    mut opts: GetOptions,
) -> Result<(ObjectInfo, Body), Error> {
    if version_id.is_empty() {
        return Err(Error::InvalidArgument("version-id is empty".into()));
    }
    opts.version_id = Some(version_id.to_string());
    let (mut info, body) = crate::objects::get(bucket, key, opts)?;
    info.version_id
        .get_or_insert_with(|| version_id.to_string());
    Ok((info, body))
}

pub fn delete_version(bucket: &str, key: &str, version_id: &str) -> Result<(), Error> {
    check_names(bucket, Some(key))?;
    if version_id.is_empty() {
        return Err(Error::InvalidArgument("version-id is empty".into()));
    }
    let req = Req::new("DELETE", Some(bucket), Some(key)).query("versionId", version_id);
    let resp = send(&*cfg()?, req)?;
    if resp.ok() {
        return Ok(());
    }
    Err(resp.error(&format!("delete-version {bucket}/{key} {version_id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_any_key() {
        for (k, v) in [("a/b c", "3HL4kqtJ"), ("", ""), ("ключ:\n", "null")] {
            assert_eq!(
                decode_cursor(&encode_cursor(k, v)).unwrap(),
                (k.into(), v.into())
            );
        }
        assert!(decode_cursor("zz:00").is_err());
        assert!(decode_cursor("abc").is_err());
    }
}
