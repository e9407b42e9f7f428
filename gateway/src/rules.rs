//! The object rules of S3 that the gateway applies on top of the driver:
//! conditions (ETags and dates), ranges, ETags and metadata in S3's shape,
//! and the request headers for features it does not have, which it refuses
//! rather than ignores.

use s3s::dto::*;
use s3s::{s3_error, S3Error, S3ErrorCode, S3Result};
use std::time::SystemTime;
use trove_host::{ByteRange, ContentHeaders, ObjectInfo, PutOptions};

/// An ETag condition as the driver API spells it (`*` or the bare ETag).
pub fn cond(c: Option<ETagCondition>) -> Option<String> {
    c.map(|c| match c {
        ETagCondition::Any => "*".to_string(),
        ETagCondition::ETag(e) => e.into_value(),
    })
}

pub fn etag(s: &str) -> ETag {
    ETag::Strong(s.trim_matches('"').to_string())
}

/// A request's user metadata, without the gateway's own entry (a client
/// cannot set where an object's parts lie).
pub fn metadata_in(m: Option<Metadata>) -> Vec<(String, String)> {
    let mut v: Vec<_> = m
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case(PARTS_META))
        .collect();
    v.sort();
    v
}

pub fn metadata_out(info: &ObjectInfo) -> Option<Metadata> {
    let m: Metadata = info
        .metadata
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case(PARTS_META))
        .cloned()
        .collect();
    (!m.is_empty()).then_some(m)
}

pub fn put_options(
    content_type: Option<String>,
    headers: ContentHeaders,
    metadata: Option<Metadata>,
    if_match: Option<ETagCondition>,
    if_none_match: Option<ETagCondition>,
) -> PutOptions {
    PutOptions {
        content_type,
        headers,
        metadata: metadata_in(metadata),
        if_match: cond(if_match),
        if_none_match: cond(if_none_match),
        // Not the request's Content-Length: with aws-chunked uploads that
        // counts the chunk framing too.
        size: None,
    }
}

pub fn to_byte_range(r: Range) -> ByteRange {
    match r {
        Range::Int { first, last } => ByteRange::Span {
            offset: first,
            length: last.map(|l| l - first + 1),
        },
        Range::Suffix { length } => ByteRange::Suffix(length),
    }
}

/// The content headers of a write request (PutObject, CopyObject with
/// REPLACE, CreateMultipartUpload: the fields have the same names).
macro_rules! content_headers {
    ($i:expr) => {
        $crate::rules::content_headers_in(
            $i.cache_control,
            $i.content_disposition,
            $i.content_encoding,
            $i.content_language,
            $i.expires,
        )
    };
}
pub(crate) use content_headers;

pub fn content_headers_in(
    cache_control: Option<String>,
    content_disposition: Option<String>,
    content_encoding: Option<String>,
    content_language: Option<String>,
    expires: Option<Timestamp>,
) -> ContentHeaders {
    ContentHeaders {
        cache_control,
        content_disposition,
        content_encoding: content_encoding.and_then(|e| stored_encoding(&e)),
        content_language,
        expires: expires.map(|t| httpdate::fmt_http_date(system_time(t))),
    }
}

fn system_time(t: Timestamp) -> SystemTime {
    SystemTime::from(time::OffsetDateTime::from(t))
}

/// `aws-chunked` describes how the request body was framed, not the
/// object: S3 drops it from the stored Content-Encoding.
fn stored_encoding(e: &str) -> Option<String> {
    let kept: Vec<&str> = e
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!kept.is_empty()).then(|| kept.join(", "))
}

/// A stored Expires as S3's typed header (`None` for one that is not an
/// HTTP date, such as one written by another tool).
pub fn expires_out(h: &ContentHeaders) -> Option<Timestamp> {
    let t = httpdate::parse_http_date(h.expires.as_deref()?).ok()?;
    Some(Timestamp::from(t))
}

/// The content headers of a GET/HEAD answer into its output.
macro_rules! set_content_headers {
    ($out:expr, $info:expr) => {{
        let h = &$info.headers;
        $out.cache_control = h.cache_control.clone();
        $out.content_disposition = h.content_disposition.clone();
        $out.content_encoding = h.content_encoding.clone();
        $out.content_language = h.content_language.clone();
        $out.expires = $crate::rules::expires_out(h);
    }};
}
pub(crate) use set_content_headers;

/// A last-modified time at whole seconds, as HTTP dates compare.
pub fn http_time(t: SystemTime) -> Timestamp {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Timestamp::from(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// A 304 Not Modified carries the object's ETag and Last-Modified, as S3's does.
pub fn not_modified(info: &ObjectInfo) -> S3Error {
    let mut e = S3Error::new(S3ErrorCode::NotModified);
    let mut h = http::HeaderMap::new();
    if let Ok(v) = http::HeaderValue::from_str(&format!("\"{}\"", info.etag.trim_matches('"'))) {
        h.insert(http::header::ETAG, v);
    }
    if let Some(t) = info.last_modified {
        if let Ok(v) = http::HeaderValue::from_str(&httpdate::fmt_http_date(t)) {
            h.insert(http::header::LAST_MODIFIED, v);
        }
    }
    e.set_headers(h);
    e
}

/// The date conditions of a GET/HEAD. `Err` when one fails; `modified_failed`
/// is NotModified on a GET/HEAD and PreconditionFailed on a copy source.
pub fn check_dates(
    info: &ObjectInfo,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
    modified_failed: S3ErrorCode,
) -> S3Result<()> {
    let Some(lm) = info.last_modified.map(http_time) else {
        return Ok(());
    };
    if let Some(t) = if_unmodified_since {
        if lm > *t {
            return Err(S3Error::new(S3ErrorCode::PreconditionFailed));
        }
    }
    if let Some(t) = if_modified_since {
        if lm <= *t {
            return Err(failed(info, modified_failed));
        }
    }
    Ok(())
}

fn failed(info: &ObjectInfo, code: S3ErrorCode) -> S3Error {
    if code == S3ErrorCode::NotModified {
        not_modified(info)
    } else {
        S3Error::new(code)
    }
}

/// The ETag conditions of a HEAD (or a copy source), checked on its info.
pub fn check_etags(
    info: &ObjectInfo,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    none_match_failed: S3ErrorCode,
) -> S3Result<()> {
    let cur = info.etag.trim_matches('"');
    let hit = |c: &ETagCondition| match c {
        ETagCondition::Any => true,
        ETagCondition::ETag(e) => e.value().trim_matches('"') == cur,
    };
    if let Some(c) = if_match {
        if !hit(c) {
            return Err(S3Error::new(S3ErrorCode::PreconditionFailed));
        }
    }
    if let Some(c) = if_none_match {
        if hit(c) {
            return Err(failed(info, none_match_failed));
        }
    }
    Ok(())
}

/// Length and `Content-Range` of a ranged answer for an object of `size` bytes.
pub fn ranged(range: Option<Range>, size: u64) -> S3Result<(u64, Option<String>)> {
    match range {
        None => Ok((size, None)),
        // An empty object has no satisfiable range; answer it whole.
        Some(_) if size == 0 => Ok((0, None)),
        Some(r) => match r.check(size) {
            Ok(rg) if rg.end > rg.start => Ok((
                rg.end - rg.start,
                Some(format!("bytes {}-{}/{}", rg.start, rg.end - 1, size)),
            )),
            Ok(_) => Err(S3Error::new(S3ErrorCode::InvalidRange)),
            Err(e) => Err(e.into()),
        },
    }
}

/// The metadata entry in which a spooled multipart upload records the sizes
/// of its parts (comma-separated), so `?partNumber=` can address them later.
/// The gateway keeps it out of the metadata it shows.
pub const PARTS_META: &str = "trove-gateway-parts";

/// The part sizes an object records, if it was assembled from 2 or more parts.
pub fn part_sizes(info: &ObjectInfo) -> Option<Vec<u64>> {
    let (_, v) = info
        .metadata
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(PARTS_META))?;
    v.split(',').map(|n| n.parse().ok()).collect()
}

/// `?partNumber=N` on a GET/HEAD: the byte range of part N and the number
/// of parts. An object stored whole is one part.
pub fn part_range(n: i32, info: &ObjectInfo) -> S3Result<(Option<Range>, i32)> {
    if !(1..=10000).contains(&n) {
        return Err(s3_error!(InvalidArgument, "part numbers are 1 to 10000"));
    }
    let sizes = part_sizes(info).unwrap_or_else(|| vec![info.size]);
    let count = sizes.len() as i32;
    if n > count {
        return Err(s3_error!(
            InvalidPart,
            "part {n}: the object has {count} part(s)"
        ));
    }
    let first: u64 = sizes[..(n - 1) as usize].iter().sum();
    let len = sizes[(n - 1) as usize];
    if len == 0 || (count == 1 && first == 0) {
        return Ok((None, count));
    }
    Ok((
        Some(Range::Int {
            first,
            last: Some(first + len - 1),
        }),
        count,
    ))
}

/// A body whose MD5 is not its `Content-MD5`: nothing was stored.
/// S3's answer to a body whose SHA-256 is not the signed one (a code s3s
/// has no variant for).
pub fn sha256_mismatch() -> S3Error {
    let mut e = S3Error::with_message(
        S3ErrorCode::Custom("XAmzContentSHA256Mismatch".into()),
        "the body does not match the SHA-256 it was signed with; nothing was stored",
    );
    e.set_status_code(http::StatusCode::BAD_REQUEST);
    e
}

pub fn incomplete_body() -> S3Error {
    s3_error!(
        IncompleteBody,
        "the body ended before its Content-Length; nothing was stored"
    )
}

pub fn bad_digest() -> S3Error {
    s3_error!(
        BadDigest,
        "the body does not match its Content-MD5; nothing was stored"
    )
}

/// An error answered before the request body was read to its end: the
/// connection is closed after it, so unread body bytes can never be taken
/// for the start of the next request on a kept-alive connection.
pub fn body_unread(mut e: S3Error) -> S3Error {
    let mut h = e.headers().cloned().unwrap_or_default();
    h.insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    e.set_headers(h);
    e
}

pub fn part_number(n: i32) -> S3Result<u32> {
    if (1..=10000).contains(&n) {
        Ok(n as u32)
    } else {
        Err(s3_error!(InvalidArgument, "part numbers are 1 to 10000"))
    }
}

/// The headers of a write (PutObject, CreateMultipartUpload, CopyObject) that
/// ask for something the gateway does not do. They are refused, as S3 servers
/// refuse what they do not support, so that no client believes its object is
/// encrypted, locked, tagged, shared or in another storage class.
#[derive(Default)]
pub struct WriteFeatures<'a> {
    pub acl: Option<&'a str>,
    pub grants: bool,
    pub sse: Option<&'a str>,
    pub sse_customer: bool,
    pub sse_kms: bool,
    pub storage_class: Option<&'a str>,
    pub tagging: bool,
    pub object_lock: bool,
    pub website_redirect: bool,
}

impl WriteFeatures<'_> {
    pub fn check(&self) -> S3Result<()> {
        if self.sse_customer {
            return Err(s3_error!(
                NotImplemented,
                "server-side encryption with customer keys (SSE-C) is not supported: nothing was stored"
            ));
        }
        if self.sse.is_some() || self.sse_kms {
            return Err(s3_error!(
                NotImplemented,
                "server-side encryption (x-amz-server-side-encryption) is not supported: nothing was stored"
            ));
        }
        if let Some(acl) = self.acl.filter(|a| *a != ObjectCannedACL::PRIVATE) {
            return Err(s3_error!(
                NotImplemented,
                "ACLs are not supported (x-amz-acl: {acl}); objects are private to the gateway's key"
            ));
        }
        if self.grants {
            return Err(s3_error!(
                NotImplemented,
                "ACL grants (x-amz-grant-*) are not supported; objects are private to the gateway's key"
            ));
        }
        if let Some(sc) = self.storage_class.filter(|s| *s != StorageClass::STANDARD) {
            return Err(s3_error!(
                InvalidStorageClass,
                "storage class {sc} is not supported; only STANDARD"
            ));
        }
        if self.tagging {
            return Err(s3_error!(NotImplemented, "object tagging is not supported"));
        }
        if self.object_lock {
            return Err(s3_error!(NotImplemented, "object lock is not supported"));
        }
        if self.website_redirect {
            return Err(s3_error!(
                NotImplemented,
                "website redirects (x-amz-website-redirect-location) are not supported"
            ));
        }
        Ok(())
    }
}

/// Generates `WriteFeatures` from any write input with the usual S3 field names.
macro_rules! write_features {
    ($i:expr) => {
        $crate::rules::WriteFeatures {
            acl: $i.acl.as_ref().map(|a| a.as_str()),
            grants: $i.grant_full_control.is_some()
                || $i.grant_read.is_some()
                || $i.grant_read_acp.is_some()
                || $i.grant_write_acp.is_some(),
            sse: $i.server_side_encryption.as_ref().map(|s| s.as_str()),
            sse_customer: $i.sse_customer_algorithm.is_some() || $i.sse_customer_key.is_some(),
            sse_kms: $i.ssekms_key_id.is_some() || $i.ssekms_encryption_context.is_some(),
            storage_class: $i.storage_class.as_ref().map(|s| s.as_str()),
            tagging: $i.tagging.is_some(),
            object_lock: $i.object_lock_mode.is_some()
                || $i.object_lock_retain_until_date.is_some()
                || $i.object_lock_legal_hold_status.is_some(),
            website_redirect: $i.website_redirect_location.is_some(),
        }
    };
}
pub(crate) use write_features;

/// SSE-C headers on a read: the gateway stores nothing encrypted, so a
/// client that believes it did must hear so.
pub fn check_read_sse(sse_customer_algorithm: Option<&SSECustomerAlgorithm>) -> S3Result<()> {
    if sse_customer_algorithm.is_some() {
        return Err(s3_error!(
            NotImplemented,
            "server-side encryption with customer keys (SSE-C) is not supported"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_chunked_is_not_stored() {
        let enc = |e: &str| stored_encoding(e);
        assert_eq!(enc("gzip").as_deref(), Some("gzip"));
        assert_eq!(enc("deflate, gzip").as_deref(), Some("deflate, gzip"));
        assert_eq!(enc("gzip, aws-chunked").as_deref(), Some("gzip"));
        assert_eq!(enc("aws-chunked, gzip").as_deref(), Some("gzip"));
        assert_eq!(enc("aws-chunked"), None);
        assert_eq!(enc("aws-chunked, aws-chunked"), None);
    }

    #[test]
    fn expires_round_trips_as_an_http_date() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(786_297_600);
        let h = content_headers_in(None, None, None, None, Some(Timestamp::from(t)));
        assert_eq!(h.expires.as_deref(), Some("Thu, 01 Dec 1994 16:00:00 GMT"));
        assert_eq!(expires_out(&h).map(system_time), Some(t));
        let odd = ContentHeaders {
            expires: Some("0".into()),
            ..Default::default()
        };
        assert!(expires_out(&odd).is_none());
    }
}
