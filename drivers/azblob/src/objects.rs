//! head, get, delete, copy and list of blobs; containers (the contract's buckets).

use crate::client::{send, AzureResp, Req, Resp};
use crate::common::range::{self, ByteRange as Range};
use crate::exports::trove::driver::core::{Body, HostStream};
use crate::meta;
use crate::types::{BucketInfo, ByteRange, GetOptions, ListOptions, ListPage, ObjectInfo};
use crate::{cfg, check_names, from_common, Error};

thread_local! {
    /// Containers this instance saw exist (spares a request per put).
    static KNOWN: std::cell::RefCell<std::collections::HashSet<String>> = Default::default();
}

pub fn bucket_exists(bucket: &str) -> Result<bool, Error> {
    let req = Req::new("HEAD", Some(bucket), None).query("restype", "container");
    let resp = send(&*cfg()?, req)?;
    match resp.status {
        200..=299 => {
            KNOWN.with(|k| k.borrow_mut().insert(bucket.to_string()));
            Ok(true)
        }
        404 => {
            KNOWN.with(|k| k.borrow_mut().remove(bucket));
            Ok(false)
        }
        _ => Err(resp.error(&format!("get-container-properties {bucket}"))),
    }
}

/// Forget that `bucket` exists (an answer said it does not).
pub fn forget(bucket: &str) {
    KNOWN.with(|k| k.borrow_mut().remove(bucket));
}

/// `bucket-not-found` unless the container exists (checked once per instance).
pub fn require_bucket(bucket: &str) -> Result<(), Error> {
    if KNOWN.with(|k| k.borrow().contains(bucket)) || bucket_exists(bucket)? {
        Ok(())
    } else {
        Err(Error::BucketNotFound(format!("no bucket {bucket}")))
    }
}

/// A failed answer about `bucket/key`: a 404 without an error code (HEAD
/// through a proxy) is resolved by asking whether the container exists.
fn fail(resp: &Resp, bucket: &str, what: &str) -> Error {
    if resp.status == 404 && resp.code().is_empty() {
        return match bucket_exists(bucket) {
            Ok(false) => Error::BucketNotFound(format!("{what}: no bucket {bucket}")),
            Ok(true) => Error::ObjectNotFound(format!("{what}: not found")),
            Err(e) => e,
        };
    }
    let e = resp.error(what);
    if let Error::BucketNotFound(_) = e {
        KNOWN.with(|k| k.borrow_mut().remove(bucket));
    }
    e
}

/// The info of a blob and Azure's own ETag of that version.
pub fn head_raw(bucket: &str, key: &str) -> Result<(ObjectInfo, Option<String>), Error> {
    check_names(bucket, Some(key))?;
    let resp = send(&*cfg()?, Req::new("HEAD", Some(bucket), Some(key)))?;
    if !resp.ok() {
        return Err(fail(&resp, bucket, &format!("head {bucket}/{key}")));
    }
    let info = meta::from_headers(key, &resp.headers, meta::content_length(&resp.headers));
    Ok((info, meta::azure_etag(&resp.headers)))
}

pub fn head(bucket: &str, key: &str) -> Result<ObjectInfo, Error> {
    head_raw(bucket, key).map(|(i, _)| i)
}

fn to_common(r: ByteRange) -> Range {
    match r {
        ByteRange::Span((offset, length)) => Range::Span { offset, length },
        ByteRange::Suffix(n) => Range::Suffix(n),
    }
}

fn empty_body() -> Body {
    Body::Bytes(Vec::new())
}

pub fn get(bucket: &str, key: &str, opts: GetOptions) -> Result<(ObjectInfo, Body), Error> {
    check_names(bucket, Some(key))?;
    if opts.version_id.is_some() {
        return Err(Error::Unsupported(
            "get of a version: the azblob driver does not export versioning".into(),
        ));
    }
    let check = |info: &ObjectInfo| {
        crate::common::conditions::check_get(
            opts.if_match.as_deref(),
            opts.if_none_match.as_deref(),
            &info.etag,
        )
        .map_err(from_common)
    };
    // Azure has no suffix ranges (and answers a zero-length one oddly):
    // those are resolved against the size from a HEAD, and the GET is tied
    // to that version with If-Match.
    let needs_size = matches!(
        opts.range,
        Some(ByteRange::Suffix(_)) | Some(ByteRange::Span((_, Some(0))))
    );
    for _attempt in 0..3 {
        let mut req = Req::new("GET", Some(bucket), Some(key));
        let mut span: Option<(u64, Option<u64>)> = match opts.range {
            Some(ByteRange::Span((o, l))) => Some((o, l)),
            _ => None,
        };
        if needs_size {
            let (info, az) = head_raw(bucket, key)?;
            let r = range::resolve(opts.range.map(to_common), info.size).map_err(from_common)?;
            check(&info)?;
            if r.length == 0 {
                return Ok((info, empty_body()));
            }
            span = Some((r.offset, Some(r.length)));
            if let Some(az) = az {
                req = req.header("if-match", &az);
            }
        }
        match span {
            Some((0, None)) | None => {}
            Some((o, None)) => req = req.header("x-ms-range", &format!("bytes={o}-")),
            Some((o, Some(l))) => {
                req = req.header(
                    "x-ms-range",
                    &format!("bytes={o}-{}", o.saturating_add(l.max(1) - 1)),
                )
            }
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
                check(&info)?;
                if let Some((o, l)) = span {
                    range::resolve(
                        Some(Range::Span {
                            offset: o,
                            length: l,
                        }),
                        size,
                    )
                    .map_err(from_common)?;
                }
                return Ok((
                    info,
                    Body::Host(HostStream {
                        data: resp.body,
                        limit: None,
                    }),
                ));
            }
            // The version the HEAD saw was replaced meanwhile: again.
            412 if needs_size => continue,
            416 => {
                // An empty blob answers 416 to any range; offset 0 is fine.
                if let Some((0, _)) = span {
                    let mut whole = opts.clone();
                    whole.range = None;
                    return get(bucket, key, whole);
                }
                return Err(resp.error(&format!("get {bucket}/{key}")));
            }
            _ => return Err(fail(&resp, bucket, &format!("get {bucket}/{key}"))),
        }
    }
    Err(Error::Unavailable(format!(
        "get {bucket}/{key}: the blob kept changing while it was read"
    )))
}

pub fn delete(bucket: &str, key: &str) -> Result<(), Error> {
    check_names(bucket, Some(key))?;
    let req =
        Req::new("DELETE", Some(bucket), Some(key)).header("x-ms-delete-snapshots", "include");
    let resp = send(&*cfg()?, req)?;
    if resp.ok() {
        return Ok(());
    }
    match fail(&resp, bucket, &format!("delete {bucket}/{key}")) {
        Error::ObjectNotFound(_) => Ok(()),
        e => Err(e),
    }
}

pub fn copy(sb: &str, sk: &str, db: &str, dk: &str) -> Result<ObjectInfo, Error> {
    check_names(sb, Some(sk))?;
    check_names(db, Some(dk))?;
    let cfg = cfg()?;
    require_bucket(db)?;
    // The source as a URL; with SAS authorization the token authorizes the
    // read of the source too (same account).
    let source = crate::client::url(&cfg, Some(sb), Some(sk), &[]);
    let req = Req::new("PUT", Some(db), Some(dk)).header("x-ms-copy-source", &source);
    let resp = send(&cfg, req)?;
    let what = format!("copy {sb}/{sk} to {db}/{dk}");
    if !resp.ok() {
        return Err(match fail(&resp, db, &what) {
            Error::ObjectNotFound(m) => match bucket_exists(sb) {
                Ok(false) => Error::BucketNotFound(format!("{what}: no bucket {sb}")),
                _ => Error::ObjectNotFound(m),
            },
            e => e,
        });
    }
    let mut status = resp
        .header("x-ms-copy-status")
        .unwrap_or("success")
        .to_string();
    // An asynchronous copy (large blobs, other accounts): wait for it.
    let mut wait = std::time::Duration::from_millis(50);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(25);
    while status == "pending" {
        if std::time::Instant::now() > deadline {
            return Err(Error::Timeout(format!("{what}: still pending")));
        }
        std::thread::sleep(wait);
        wait = (wait * 2).min(std::time::Duration::from_secs(1));
        let r = send(&cfg, Req::new("HEAD", Some(db), Some(dk)))?;
        if !r.ok() {
            return Err(fail(&r, db, &what));
        }
        status = r
            .header("x-ms-copy-status")
            .unwrap_or("success")
            .to_string();
    }
    if status != "success" {
        return Err(Error::Unavailable(format!("{what}: copy status {status}")));
    }
    head(db, dk)
}

pub fn list(bucket: &str, opts: ListOptions) -> Result<ListPage, Error> {
    check_names(bucket, None)?;
    let max = opts.max_keys.unwrap_or(1000);
    if max == 0 {
        return Err(Error::InvalidArgument("max-keys must be at least 1".into()));
    }
    let max = max.min(5000);
    let page = |marker: Option<&str>, n: u32| -> Result<crate::xml::Element, Error> {
        let mut req = Req::new("GET", Some(bucket), None)
            .query("restype", "container")
            .query("comp", "list")
            .query("include", "metadata")
            .query("maxresults", &n.to_string());
        if let Some(p) = opts.prefix.as_deref().filter(|p| !p.is_empty()) {
            req = req.query("prefix", p);
        }
        if let Some(d) = opts.delimiter.as_deref().filter(|d| !d.is_empty()) {
            req = req.query("delimiter", d);
        }
        if let Some(m) = marker.filter(|m| !m.is_empty()) {
            req = req.query("marker", m);
        }
        let resp = send(&*cfg()?, req)?;
        if !resp.ok() {
            return Err(fail(&resp, bucket, &format!("list {bucket}")));
        }
        resp.xml()
    };
    let next = |x: &crate::xml::Element| {
        x.text_of("NextMarker")
            .map(str::to_string)
            .filter(|m| !m.is_empty())
    };
    let x = page(opts.cursor.as_deref(), max)?;
    let empty = crate::xml::Element::default();
    let blobs = x.child("Blobs").unwrap_or(&empty);
    let mut objects: Vec<ObjectInfo> = blobs.all("Blob").map(meta::from_listing).collect();
    objects.sort_by(|a, b| a.key.cmp(&b.key));
    let mut common_prefixes: Vec<String> = blobs
        .all("BlobPrefix")
        .filter_map(|p| p.text_of("Name").map(str::to_string))
        .collect();
    common_prefixes.sort();
    let mut next_cursor = next(&x);
    // An exact-fit last page may still carry a marker: look one entry ahead.
    if let Some(m) = &next_cursor {
        if objects.len() + common_prefixes.len() >= max as usize {
            let ahead = page(Some(m), 1)?;
            let b = ahead.child("Blobs").unwrap_or(&empty);
            if b.children.is_empty() && next(&ahead).is_none() {
                next_cursor = None;
            }
        }
    }
    Ok(ListPage {
        objects,
        common_prefixes,
        next_cursor,
    })
}

pub fn create_bucket(bucket: &str) -> Result<(), Error> {
    check_names(bucket, None)?;
    let req = Req::new("PUT", Some(bucket), None).query("restype", "container");
    let resp = send(&*cfg()?, req)?;
    if !resp.ok() {
        return Err(resp.error(&format!("create-bucket {bucket}")));
    }
    KNOWN.with(|k| k.borrow_mut().insert(bucket.to_string()));
    Ok(())
}

pub fn delete_bucket(bucket: &str) -> Result<(), Error> {
    check_names(bucket, None)?;
    // Azure deletes a container with everything in it: look first.
    let probe = list(
        bucket,
        ListOptions {
            prefix: None,
            delimiter: None,
            max_keys: Some(1),
            cursor: None,
        },
    )?;
    if !probe.objects.is_empty() || !probe.common_prefixes.is_empty() {
        return Err(Error::BucketNotEmpty(format!(
            "bucket {bucket} is not empty"
        )));
    }
    KNOWN.with(|k| k.borrow_mut().remove(bucket));
    let req = Req::new("DELETE", Some(bucket), None).query("restype", "container");
    let resp = send(&*cfg()?, req)?;
    if !resp.ok() {
        return Err(match resp.error(&format!("delete-bucket {bucket}")) {
            Error::ObjectNotFound(m) => Error::BucketNotFound(m),
            e => e,
        });
    }
    Ok(())
}

pub fn list_buckets() -> Result<Vec<BucketInfo>, Error> {
    let cfg = cfg()?;
    let mut out: Vec<BucketInfo> = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut req = Req::new("GET", None, None).query("comp", "list");
        if let Some(m) = &marker {
            req = req.query("marker", m);
        }
        let resp = send(&cfg, req)?;
        if !resp.ok() {
            return Err(resp.error("list-buckets"));
        }
        let x = resp.xml()?;
        if let Some(cs) = x.child("Containers") {
            out.extend(cs.all("Container").map(|c| {
                BucketInfo {
                    name: c.text_of("Name").unwrap_or_default().to_string(),
                    created: c
                        .child("Properties")
                        .and_then(|p| p.text_of("Last-Modified"))
                        .and_then(meta::http_time),
                }
            }));
        }
        marker = x
            .text_of("NextMarker")
            .map(str::to_string)
            .filter(|m| !m.is_empty());
        if marker.is_none() {
            break;
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
