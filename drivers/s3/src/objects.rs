//! head, get, delete, copy and list of objects; buckets.

use crate::client::{send, Req, S3Resp};
use crate::exports::trove::driver::core::{Body, HostStream};
use crate::meta;
use crate::types::{BucketInfo, ByteRange, GetOptions, ListOptions, ListPage, ObjectInfo};
use crate::{cfg, check_names, Error, MemReader};

/// On a 404 without a body (HEAD), which of bucket or key is missing.
fn missing(bucket: &str, key: &str) -> Error {
    match bucket_exists(bucket) {
        Ok(false) => Error::BucketNotFound(format!("no bucket {bucket}")),
        Ok(true) => Error::ObjectNotFound(format!("no object {key} in {bucket}")),
        Err(e) => e,
    }
}

pub fn bucket_exists(bucket: &str) -> Result<bool, Error> {
    let resp = send(&*cfg()?, Req::new("HEAD", Some(bucket), None))?;
    match resp.status {
        200..=299 => {
            KNOWN.with(|k| k.borrow_mut().insert(bucket.to_string()));
            Ok(true)
        }
        404 => {
            KNOWN.with(|k| k.borrow_mut().remove(bucket));
            Ok(false)
        }
        _ => Err(resp.error(&format!("head-bucket {bucket}"))),
    }
}

thread_local! {
    /// Buckets this instance saw exist (some servers, e.g. s3s-fs, create a
    /// missing bucket on put instead of answering NoSuchBucket).
    static KNOWN: std::cell::RefCell<std::collections::HashSet<String>> = Default::default();
}

/// `bucket-not-found` unless the bucket exists (checked once per instance).
pub fn require_bucket(bucket: &str) -> Result<(), Error> {
    if KNOWN.with(|k| k.borrow().contains(bucket)) || bucket_exists(bucket)? {
        Ok(())
    } else {
        Err(Error::BucketNotFound(format!("no bucket {bucket}")))
    }
}

/// An object-not-found answer may hide a missing bucket (s3s-fs says NoSuchKey).
fn refine(e: Error, bucket: &str) -> Error {
    match e {
        Error::ObjectNotFound(m) => match bucket_exists(bucket) {
            Ok(false) => Error::BucketNotFound(format!("no bucket {bucket}")),
            _ => Error::ObjectNotFound(m),
        },
        e => e,
    }
}

pub fn head(bucket: &str, key: &str) -> Result<ObjectInfo, Error> {
    check_names(bucket, Some(key))?;
    let resp = send(&*cfg()?, Req::new("HEAD", Some(bucket), Some(key)))?;
    match resp.status {
        200..=299 => Ok(meta::from_headers(
            key,
            &resp.headers,
            meta::content_length(&resp.headers),
        )),
        404 => Err(missing(bucket, key)),
        _ => Err(resp.error(&format!("head {bucket}/{key}"))),
    }
}

pub fn get(bucket: &str, key: &str, opts: GetOptions) -> Result<(ObjectInfo, Body), Error> {
    check_names(bucket, Some(key))?;
    let mut req = Req::new("GET", Some(bucket), Some(key));
    if let Some(v) = &opts.version_id {
        req = req.query("versionId", v);
    }
    if let Some(v) = &opts.if_match {
        req = req.header("if-match", &meta::quote(v));
    }
    if let Some(v) = &opts.if_none_match {
        req = req.header("if-none-match", &meta::quote(v));
    }
    // Ranges S3 cannot express (or answers 416 for, on an empty object)
    // are served from a HEAD and an empty body.
    let empty_answer = match opts.range {
        Some(ByteRange::Suffix(0)) | Some(ByteRange::Span((_, Some(0)))) => true,
        _ => false,
    };
    match opts.range {
        Some(ByteRange::Span((off, Some(len)))) if len > 0 => {
            req = req.header(
                "range",
                &format!("bytes={off}-{}", off.saturating_add(len - 1)),
            )
        }
        Some(ByteRange::Span((off, None))) if off > 0 => {
            req = req.header("range", &format!("bytes={off}-"))
        }
        Some(ByteRange::Suffix(n)) if n > 0 => req = req.header("range", &format!("bytes=-{n}")),
        _ => {}
    }
    if empty_answer {
        req.method = "HEAD";
    }
    let resp = send(&*cfg()?, req)?;
    match resp.status {
        200 | 206 => {
            let size = if resp.status == 206 {
                meta::range_total(&resp.headers).unwrap_or(0)
            } else {
                meta::content_length(&resp.headers)
            };
            let info = meta::from_headers(key, &resp.headers, size);
            // Not every server evaluates conditional GETs: check again here.
            crate::common::conditions::check_get(
                opts.if_match.as_deref(),
                opts.if_none_match.as_deref(),
                &info.etag,
            )
            .map_err(crate::from_common)?;
            if empty_answer {
                if let Some(ByteRange::Span((off, _))) = opts.range {
                    if (off > 0 && off >= size) || (size == 0 && off > 0) {
                        return Err(Error::InvalidArgument(format!(
                            "range offset {off} is past the end of {key} ({size} bytes)"
                        )));
                    }
                }
                return Ok((info, Body::Guest(crate::Reader::new(MemReader::default()))));
            }
            Ok((
                info,
                Body::Host(HostStream {
                    data: resp.body,
                    limit: None,
                }),
            ))
        }
        416 => {
            // An empty object answers 416 to any range; offset 0 is fine.
            if let Some(ByteRange::Span((0, _))) = opts.range {
                let mut whole = opts.clone();
                whole.range = None;
                return get(bucket, key, whole);
            }
            Err(resp.error(&format!("get {bucket}/{key}")))
        }
        404 if empty_answer => Err(missing(bucket, key)),
        _ => {
            let e = refine(resp.error(&format!("get {bucket}/{key}")), bucket);
            // Some servers fail a suffix longer than the object: S3 returns it whole.
            if let (Some(ByteRange::Suffix(n)), Error::Unavailable(_) | Error::InvalidArgument(_)) =
                (opts.range, &e)
            {
                if head(bucket, key)?.size <= n {
                    let mut whole = opts.clone();
                    whole.range = None;
                    return get(bucket, key, whole);
                }
            }
            Err(e)
        }
    }
}

pub fn delete(bucket: &str, key: &str) -> Result<(), Error> {
    check_names(bucket, Some(key))?;
    let resp = send(&*cfg()?, Req::new("DELETE", Some(bucket), Some(key)))?;
    if resp.ok() {
        return Ok(());
    }
    match resp.error(&format!("delete {bucket}/{key}")) {
        Error::ObjectNotFound(_) => Ok(()),
        e => Err(e),
    }
}

pub fn copy(sb: &str, sk: &str, db: &str, dk: &str) -> Result<ObjectInfo, Error> {
    check_names(sb, Some(sk))?;
    check_names(db, Some(dk))?;
    let source = format!("/{sb}/{}", crate::sigv4::uri_encode(sk, true));
    let req = Req::new("PUT", Some(db), Some(dk))
        .header("x-amz-copy-source", &source)
        .header("x-amz-metadata-directive", "COPY");
    require_bucket(db)?;
    let resp = send(&*cfg()?, req)?;
    if !resp.ok() {
        let e = resp.error(&format!("copy {sb}/{sk} to {db}/{dk}"));
        return Err(match refine(e, sb) {
            Error::ObjectNotFound(m) => refine(Error::ObjectNotFound(m), db),
            e => e,
        });
    }
    let x = resp.xml()?;
    if x.name == "Error" {
        return Err(crate::client::map_error(
            500,
            x.text_of("Code").unwrap_or_default(),
            x.text_of("Message").unwrap_or_default(),
            "copy",
        ));
    }
    head(db, dk)
}

pub fn list(bucket: &str, opts: ListOptions) -> Result<ListPage, Error> {
    check_names(bucket, None)?;
    let max = opts.max_keys.unwrap_or(1000);
    if max == 0 {
        return Err(Error::InvalidArgument("max-keys must be at least 1".into()));
    }
    let mut req = Req::new("GET", Some(bucket), None)
        .query("list-type", "2")
        .query("max-keys", &max.min(1000).to_string());
    if let Some(p) = opts.prefix.as_deref().filter(|p| !p.is_empty()) {
        req = req.query("prefix", p);
    }
    if let Some(d) = opts.delimiter.as_deref().filter(|d| !d.is_empty()) {
        req = req.query("delimiter", d);
    }
    if let Some(c) = opts.cursor.as_deref().filter(|c| !c.is_empty()) {
        req = req.query("continuation-token", c);
    }
    let resp = send(&*cfg()?, req)?;
    if !resp.ok() {
        return Err(resp.error(&format!("list {bucket}")));
    }
    let x = resp.xml()?;
    let mut objects: Vec<ObjectInfo> = x.all("Contents").map(meta::from_listing).collect();
    // Some servers (s3s-fs) list no ETag: ask for it.
    for o in objects.iter_mut().filter(|o| o.etag.is_empty()) {
        if let Ok(h) = head(bucket, &o.key) {
            o.etag = h.etag;
        }
    }
    objects.sort_by(|a, b| a.key.cmp(&b.key));
    let mut common_prefixes: Vec<String> = x
        .all("CommonPrefixes")
        .filter_map(|p| p.text_of("Prefix").map(str::to_string))
        .collect();
    common_prefixes.sort();
    let truncated = x.text_of("IsTruncated").is_some_and(|t| t.trim() == "true");
    let next_cursor = if truncated {
        x.text_of("NextContinuationToken")
            .map(str::to_string)
            .filter(|t| !t.is_empty())
    } else {
        None
    };
    Ok(ListPage {
        objects,
        common_prefixes,
        next_cursor,
    })
}

pub fn create_bucket(bucket: &str) -> Result<(), Error> {
    check_names(bucket, None)?;
    let cfg = cfg()?;
    // us-east-1 answers 200 to re-creating one's own bucket: ask first.
    if bucket_exists(bucket)? {
        return Err(Error::BucketExists(format!("bucket {bucket} exists")));
    }
    let mut req = Req::new("PUT", Some(bucket), None);
    if cfg.region != "us-east-1" {
        req = req.body(
            format!(
                "<CreateBucketConfiguration><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                crate::xml::escape(&cfg.region)
            )
            .into_bytes(),
        );
    }
    let resp = send(&cfg, req)?;
    if !resp.ok() {
        return Err(resp.error(&format!("create-bucket {bucket}")));
    }
    if cfg.versioning {
        // A bucket asked for with versioning must not exist without it.
        if let Err(e) = crate::versioning::enable(bucket) {
            let _ = send(&cfg, Req::new("DELETE", Some(bucket), None));
            return Err(e);
        }
    }
    Ok(())
}

pub fn delete_bucket(bucket: &str) -> Result<(), Error> {
    check_names(bucket, None)?;
    // Some servers (s3s-fs) delete a non-empty bucket: look first.
    let probe = list(
        bucket,
        ListOptions {
            prefix: None,
            delimiter: None,
            max_keys: Some(1),
            cursor: None,
        },
    )?;
    if !probe.objects.is_empty() {
        return Err(Error::BucketNotEmpty(format!(
            "bucket {bucket} is not empty"
        )));
    }
    KNOWN.with(|k| k.borrow_mut().remove(bucket));
    let resp = send(&*cfg()?, Req::new("DELETE", Some(bucket), None))?;
    if !resp.ok() {
        return Err(match resp.error(&format!("delete-bucket {bucket}")) {
            Error::ObjectNotFound(m) => Error::BucketNotFound(m),
            e => e,
        });
    }
    Ok(())
}

pub fn list_buckets() -> Result<Vec<BucketInfo>, Error> {
    let resp = send(&*cfg()?, Req::new("GET", None, None))?;
    if !resp.ok() {
        return Err(resp.error("list-buckets"));
    }
    let x = resp.xml()?;
    let mut out: Vec<BucketInfo> = x
        .child("Buckets")
        .map(|b| {
            b.all("Bucket")
                .map(|e| BucketInfo {
                    name: e.text_of("Name").unwrap_or_default().to_string(),
                    created: e.text_of("CreationDate").and_then(meta::iso_time),
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
