//! Uploads of block blobs. A put buffers up to one block; if the body ends
//! there it is one Put Blob, otherwise every `BLOCK` bytes become a Put
//! Block and the end a Put Block List, so memory stays at one block
//! whatever the object's size. The MD5 of the whole body is computed as it
//! passes and stored as the blob's Content-MD5 (the contract's ETag, see
//! `meta`). Used by the core writer (chunks from the host) and by
//! `put-stream` (a host stream).
//!
//! The `multipart` capability maps onto the same blocks: the upload id is a
//! random tag (plus the put options, encoded, since any instance may
//! complete it), a part is a Put Block whose id is `TAG-NNNNN-MD5`, so
//! list-parts (Get Block List, uncommitted) gives back each part's number,
//! size and ETag, and complete is a Put Block List of those ids. Abort has
//! nothing to delete: Azure drops uncommitted blocks that no commit names
//! (after at most a week), and they are never visible.

use crate::client::{send, send_async, AzureResp, Req};
use crate::meta;
use crate::sharedkey::{base64_decode, base64_encode, hex, uri_encode};
use crate::types::{ObjectInfo, PutOptions, Timestamp};
use crate::wasi::io::streams::InputStream;
use crate::{config, Error};
use md5::{Digest, Md5};
use trove_driver_cloud::{InFlight, PartBuffer};

/// Block size of streamed uploads (and the largest single Put Blob).
pub const BLOCK: usize = 8 << 20;

/// Conditions of a put, as Azure evaluates them.
#[derive(Default)]
struct Conditions {
    /// Azure's ETag of the version an `if-match` was checked against.
    if_match: Option<String>,
    if_none_match: bool,
}

impl Conditions {
    fn headers(&self) -> Vec<(String, String)> {
        let mut h = Vec::new();
        if let Some(e) = &self.if_match {
            h.push(("if-match".to_string(), e.clone()));
        }
        if self.if_none_match {
            h.push(("if-none-match".to_string(), "*".to_string()));
        }
        h
    }
}

/// The contract's `if-match` is on the content ETag, which Azure does not
/// know: check it against the current blob, then make the write conditional
/// on Azure's ETag of that very version (so a concurrent change still fails).
/// `early`: a put turning into blocks also checks `if-none-match` now, so it
/// fails before uploading the whole body (the commit enforces it anyway).
fn conditions(
    bucket: &str,
    key: &str,
    opts: &PutOptions,
    early: bool,
) -> Result<Conditions, Error> {
    let mut c = Conditions {
        if_none_match: opts.if_none_match.is_some(),
        if_match: None,
    };
    if early && opts.if_match.is_none() && opts.if_none_match.is_some() {
        match crate::objects::head_raw(bucket, key) {
            Ok(_) => {
                return Err(Error::PreconditionFailed(format!(
                    "if-none-match \"*\": {key} already exists"
                )))
            }
            Err(Error::ObjectNotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if let Some(want) = &opts.if_match {
        let (current, az) = match crate::objects::head_raw(bucket, key) {
            Ok((i, az)) => (Some(i.etag), az),
            Err(Error::ObjectNotFound(_)) => (None, None),
            Err(e) => return Err(e),
        };
        crate::common::conditions::check_put(Some(want), None, current.as_deref())
            .map_err(crate::from_common)?;
        c.if_match = az;
    }
    Ok(c)
}

fn check_if_none_match(opts: &PutOptions) -> Result<(), Error> {
    match &opts.if_none_match {
        Some(v) if v != "*" => Err(Error::InvalidArgument(format!(
            "if-none-match on put must be \"*\", not {v:?}"
        ))),
        _ => Ok(()),
    }
}

/// Content type, content headers and metadata headers of a put (Put Blob
/// and Put Block List take the same `x-ms-blob-*` names).
fn property_headers(opts: &PutOptions) -> Vec<(String, String)> {
    let mut h = Vec::new();
    if let Some(ct) = &opts.content_type {
        h.push(("x-ms-blob-content-type".to_string(), ct.clone()));
    }
    h.extend(meta::content_headers(opts));
    h.extend(meta::metadata_headers(&opts.metadata));
    h
}

fn now() -> Option<Timestamp> {
    let t = crate::common::time::Timestamp::now();
    Some(Timestamp {
        seconds: t.seconds,
        nanoseconds: t.nanoseconds,
    })
}

fn last_modified(resp: &crate::client::Resp) -> Option<Timestamp> {
    resp.header("last-modified")
        .and_then(meta::http_time)
        .or_else(now)
}

/// A block id: `TAG-NNNNN-HEX32`, base64 (all ids of a blob must have one length).
fn block_id(tag: &str, n: u32, md5_hex: &str) -> String {
    base64_encode(format!("{tag}-{n:05}-{md5_hex}").as_bytes())
}

/// (tag, part number, md5 hex) of a block id this driver made.
fn parse_block_id(id: &str) -> Option<(String, u32, String)> {
    let raw = String::from_utf8(base64_decode(id)?).ok()?;
    let mut it = raw.splitn(3, '-');
    let (tag, n, md5) = (it.next()?, it.next()?, it.next()?);
    Some((tag.to_string(), n.parse().ok()?, md5.to_string()))
}

/// 16 random hex digits (std's hash keys come from the host's randomness).
fn random_tag() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    format!("{:016x}", h.finish())
}

const ZERO_MD5: &str = "00000000000000000000000000000000";

fn block_list_body(ids: &[String], element: &str) -> Vec<u8> {
    let mut body = String::from(r#"<?xml version="1.0" encoding="utf-8"?><BlockList>"#);
    for id in ids {
        body.push_str(&format!("<{element}>{id}</{element}>"));
    }
    body.push_str("</BlockList>");
    body.into_bytes()
}

pub struct Upload {
    bucket: String,
    key: String,
    opts: PutOptions,
    buf: PartBuffer,
    md5: Md5,
    /// Once the body outgrew one block: the tag, the block ids so far, and
    /// the conditions checked when it did.
    blocks: Option<(String, Vec<String>, Conditions)>,
    /// Blocks on their way (`http.send-async`).
    in_flight: InFlight<()>,
    size: u64,
}

/// Blocks of one put in flight at a time.
const BLOCKS_IN_FLIGHT: usize = 4;

impl Upload {
    pub fn start(bucket: String, key: String, opts: PutOptions) -> Result<Upload, Error> {
        crate::check_names(&bucket, Some(&key))?;
        check_if_none_match(&opts)?;
        crate::objects::require_bucket(&bucket)?;
        Ok(Upload {
            bucket,
            key,
            opts,
            buf: PartBuffer::new(BLOCK),
            md5: Md5::new(),
            blocks: None,
            in_flight: InFlight::new(BLOCKS_IN_FLIGHT),
            size: 0,
        })
    }

    pub fn write(&mut self, mut chunk: &[u8]) -> Result<(), Error> {
        self.size += chunk.len() as u64;
        self.md5.update(chunk);
        while self.buf.fill(&mut chunk) {
            self.flush_block()?;
        }
        Ok(())
    }

    /// Reads a host stream to its end.
    pub fn write_stream(&mut self, data: &InputStream) -> Result<(), Error> {
        trove_driver_cloud::read_upload(data, |b| self.write(b))
    }

    fn flush_block(&mut self) -> Result<(), Error> {
        let cfg = crate::cfg()?;
        if self.blocks.is_none() {
            // Checked when the put turns into blocks, so it fails early;
            // Put Block List enforces it at the end.
            let c = conditions(&self.bucket, &self.key, &self.opts, true)?;
            self.blocks = Some((random_tag(), Vec::new(), c));
        }
        let data = self.buf.take();
        let (tag, ids, _) = self.blocks.as_mut().unwrap();
        let id = block_id(tag, ids.len() as u32 + 1, ZERO_MD5);
        let sent = send_async(&cfg, block_request(&self.bucket, &self.key, &id, data))?;
        ids.push(id);
        let (bucket, key) = (&self.bucket, &self.key);
        self.in_flight
            .push((), sent, |(), resp| block_answer(&resp, bucket, key))
    }

    pub fn finish(mut self) -> Result<ObjectInfo, Error> {
        let cfg = crate::cfg()?;
        let md5: [u8; 16] = std::mem::take(&mut self.md5).finalize().into();
        let what = format!("put {}/{}", self.bucket, self.key);
        let commit = |ids: &[String], c: &Conditions| {
            let req = Req::new("PUT", Some(&self.bucket), Some(&self.key))
                .query("comp", "blocklist")
                .header("content-type", "application/xml")
                .header("x-ms-blob-content-md5", &base64_encode(&md5))
                .headers(property_headers(&self.opts))
                .headers(c.headers())
                .body(block_list_body(ids, "Latest"));
            send(&cfg, req)
        };
        let resp = match self.blocks.take() {
            // One Put Blob (an empty body too: the host sends its
            // `Content-Length: 0`).
            None => {
                let c = conditions(&self.bucket, &self.key, &self.opts, false)?;
                let body = self.buf.take();
                let req = Req::new("PUT", Some(&self.bucket), Some(&self.key))
                    .header("x-ms-blob-type", "BlockBlob")
                    .header("content-md5", &base64_encode(&md5))
                    .headers(property_headers(&self.opts))
                    .headers(c.headers())
                    .body(body);
                send(&cfg, req)?
            }
            Some((tag, mut ids, c)) => {
                if !self.buf.is_empty() {
                    let id = block_id(&tag, ids.len() as u32 + 1, ZERO_MD5);
                    let data = self.buf.take();
                    put_block(&cfg, &self.bucket, &self.key, &id, data, None)?;
                    ids.push(id);
                }
                let (bucket, key) = (&self.bucket, &self.key);
                self.in_flight
                    .drain(|(), resp| block_answer(&resp, bucket, key))?;
                commit(&ids, &c)?
            }
        };
        if !resp.ok() {
            if resp.code() == "InvalidBlockList" {
                // Our blocks are gone: another put of the same blob committed
                // (or replaced it) meanwhile, which discards uncommitted blocks.
                return Err(Error::Unavailable(format!(
                    "{what}: another upload to the same blob finished first and \
                     discarded this one's blocks; try again"
                )));
            }
            return Err(put_error(&resp, &self.bucket, &self.opts, &what));
        }
        Ok(ObjectInfo {
            key: self.key.clone(),
            size: self.size,
            etag: hex(&md5),
            content_type: self.opts.content_type.clone(),
            headers: self.opts.headers.clone(),
            last_modified: last_modified(&resp),
            metadata: self.opts.metadata.clone(),
            version_id: resp.header("x-ms-version-id").map(str::to_string),
            storage_class: None,
        })
    }

    /// Nothing was committed; blocks already sent stay uncommitted and
    /// invisible until Azure drops them.
    pub fn abort(&mut self) {
        self.buf.take();
        self.in_flight.cancel();
        self.blocks = None;
    }
}

fn put_error(resp: &crate::client::Resp, bucket: &str, opts: &PutOptions, what: &str) -> Error {
    match resp.error(what) {
        // An if-match on a blob deleted since it was checked.
        Error::ObjectNotFound(m) if opts.if_match.is_some() => Error::PreconditionFailed(m),
        Error::BucketNotFound(m) => {
            crate::objects::forget(bucket);
            Error::BucketNotFound(m)
        }
        e => e,
    }
}

fn put_block(
    cfg: &config::Config,
    bucket: &str,
    key: &str,
    id: &str,
    data: Vec<u8>,
    md5: Option<&[u8]>,
) -> Result<(), Error> {
    let mut req = block_request(bucket, key, id, data);
    if let Some(m) = md5 {
        req = req.header("content-md5", &base64_encode(m));
    }
    block_answer(&send(cfg, req)?, bucket, key)
}

/// A Put Block request.
fn block_request<'a>(bucket: &'a str, key: &'a str, id: &str, data: Vec<u8>) -> Req<'a> {
    Req::new("PUT", Some(bucket), Some(key))
        .query("comp", "block")
        .query("blockid", id)
        .body(data)
}

/// A Put Block's answer: nothing, or its error.
fn block_answer(resp: &crate::client::Resp, bucket: &str, key: &str) -> Result<(), Error> {
    if !resp.ok() {
        return Err(resp.error(&format!("put-block of {bucket}/{key}")));
    }
    Ok(())
}

// ---- the multipart capability ----

/// The put options, encoded into the upload id (base64url of a query string).
fn encode_opts(opts: &PutOptions) -> String {
    let mut q: Vec<String> = Vec::new();
    if let Some(ct) = &opts.content_type {
        q.push(format!("ct={}", uri_encode(ct, false)));
    }
    for (k, v) in trove_driver_cloud::headers_to_pairs(&opts.headers) {
        q.push(format!("h={}:{}", k, uri_encode(&v, false)));
    }
    for (k, v) in &opts.metadata {
        q.push(format!(
            "m={}:{}",
            uri_encode(k, false),
            uri_encode(v, false)
        ));
    }
    if let Some(v) = &opts.if_none_match {
        q.push(format!("inm={}", uri_encode(v, false)));
    }
    if let Some(v) = &opts.if_match {
        q.push(format!("im={}", uri_encode(v, false)));
    }
    base64_encode(q.join("&").as_bytes())
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(s.get(i + 1..i + 3)?, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn decode_opts(s: &str) -> Option<PutOptions> {
    let mut headers = Vec::new();
    let mut opts = PutOptions {
        content_type: None,
        headers: trove_driver_cloud::headers_from_pairs(&[]),
        metadata: Vec::new(),
        if_none_match: None,
        if_match: None,
        size: None,
    };
    let raw = base64_decode(&s.replace('-', "+").replace('_', "/"))?;
    let text = String::from_utf8(raw).ok()?;
    for item in text.split('&').filter(|i| !i.is_empty()) {
        let (k, v) = item.split_once('=')?;
        match k {
            "ct" => opts.content_type = Some(percent_decode(v)?),
            "m" => {
                let (n, val) = v.split_once(':')?;
                opts.metadata
                    .push((percent_decode(n)?, percent_decode(val)?));
            }
            "h" => {
                let (n, val) = v.split_once(':')?;
                headers.push((n.to_string(), percent_decode(val)?));
            }
            "inm" => opts.if_none_match = Some(percent_decode(v)?),
            "im" => opts.if_match = Some(percent_decode(v)?),
            _ => return None,
        }
    }
    opts.headers = trove_driver_cloud::headers_from_pairs(&headers);
    Some(opts)
}

/// (tag, options) of an upload id made by `create`.
fn parse_upload_id(id: &str) -> Result<(String, PutOptions), Error> {
    let bad = || Error::ObjectNotFound(format!("no upload {id:?} (not an id this driver made)"));
    let (tag, rest) = match id.split_once('.') {
        Some((t, r)) => (t, Some(r)),
        None => (id, None),
    };
    if tag.len() != 16 || !tag.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let opts = match rest {
        Some(r) => decode_opts(r).ok_or_else(bad)?,
        None => decode_opts("").unwrap(),
    };
    Ok((tag.to_string(), opts))
}

pub fn create(bucket: &str, key: &str, opts: &PutOptions) -> Result<String, Error> {
    crate::check_names(bucket, Some(key))?;
    check_if_none_match(opts)?;
    crate::objects::require_bucket(bucket)?;
    let enc = encode_opts(opts);
    Ok(if enc.is_empty() {
        random_tag()
    } else {
        format!("{}.{enc}", random_tag())
    })
}

pub fn upload_part(
    cfg: &config::Config,
    bucket: &str,
    key: &str,
    upload_id: &str,
    n: u32,
    data: Vec<u8>,
) -> Result<String, Error> {
    let (tag, _) = parse_upload_id(upload_id)?;
    if n == 0 || n > 99_999 {
        return Err(Error::InvalidArgument(format!(
            "part number {n} is not between 1 and 99999"
        )));
    }
    let md5: [u8; 16] = Md5::digest(&data).into();
    let etag = hex(&md5);
    put_block(
        cfg,
        bucket,
        key,
        &block_id(&tag, n, &etag),
        data,
        Some(&md5),
    )?;
    Ok(etag)
}

pub fn complete(
    cfg: &config::Config,
    bucket: &str,
    key: &str,
    upload_id: &str,
    parts: &[(u32, String)],
) -> Result<ObjectInfo, Error> {
    let (tag, opts) = parse_upload_id(upload_id)?;
    if parts.is_empty() {
        return Err(Error::InvalidArgument(
            "complete-multipart without parts".into(),
        ));
    }
    if parts.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(Error::InvalidArgument(
            "complete-multipart: parts must be in ascending order".into(),
        ));
    }
    let mut digests = Vec::with_capacity(parts.len() * 16);
    let mut ids = Vec::with_capacity(parts.len());
    for (n, etag) in parts {
        let etag = meta::unquote(etag).to_ascii_lowercase();
        match crate::sharedkey::hex_decode(&etag).filter(|d| d.len() == 16) {
            Some(d) => digests.extend(d),
            None => {
                return Err(Error::InvalidArgument(format!(
                    "part {n}: {etag:?} is not an ETag upload-part returned"
                )))
            }
        }
        ids.push(block_id(&tag, *n, &etag));
    }
    let etag = format!("{}-{}", hex(&Md5::digest(&digests)), parts.len());
    let c = conditions(bucket, key, &opts, false)?;
    let req = Req::new("PUT", Some(bucket), Some(key))
        .query("comp", "blocklist")
        .header("content-type", "application/xml")
        .headers(property_headers(&opts))
        .header(&format!("x-ms-meta-{}", meta::ETAG), &etag)
        .headers(c.headers())
        .body(block_list_body(&ids, "Uncommitted"));
    let resp = send(cfg, req)?;
    if !resp.ok() {
        return Err(put_error(
            &resp,
            bucket,
            &opts,
            &format!("complete-multipart {bucket}/{key}"),
        ));
    }
    crate::objects::head(bucket, key)
}

pub fn abort(bucket: &str, key: &str, upload_id: &str) -> Result<(), Error> {
    crate::check_names(bucket, Some(key))?;
    parse_upload_id(upload_id).map(|_| ())
}

pub fn list_parts(
    cfg: &config::Config,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<Vec<(u32, String, u64)>, Error> {
    let (tag, _) = parse_upload_id(upload_id)?;
    let req = Req::new("GET", Some(bucket), Some(key))
        .query("comp", "blocklist")
        .query("blocklisttype", "uncommitted");
    let resp = send(cfg, req)?;
    if !resp.ok() {
        return match resp.error(&format!("list-parts {bucket}/{key}")) {
            // No block was uploaded yet.
            Error::ObjectNotFound(_) => Ok(Vec::new()),
            e => Err(e),
        };
    }
    let x = resp.xml()?;
    let mut parts: Vec<(u32, String, u64)> = Vec::new();
    for b in x
        .child("UncommittedBlocks")
        .map(|u| u.all("Block").collect::<Vec<_>>())
        .unwrap_or_default()
    {
        let Some((t, n, md5)) = b.text_of("Name").and_then(parse_block_id) else {
            continue;
        };
        if t != tag {
            continue;
        }
        let size = b
            .text_of("Size")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        // A part uploaded again replaces the earlier one.
        parts.retain(|p| p.0 != n);
        parts.push((n, md5, size));
    }
    parts.sort_by_key(|p| p.0);
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_ids_round_trip() {
        let id = block_id("0123456789abcdef", 7, ZERO_MD5);
        assert_eq!(
            parse_block_id(&id),
            Some(("0123456789abcdef".to_string(), 7, ZERO_MD5.to_string()))
        );
        // Every id has one length.
        assert_eq!(
            id.len(),
            block_id("fedcba9876543210", 99_999, &"f".repeat(32)).len()
        );
    }

    #[test]
    fn upload_ids_carry_the_options() {
        let opts = PutOptions {
            content_type: Some("video/mp4".into()),
            headers: trove_driver_cloud::headers_from_pairs(&[(
                "expires".into(),
                "Thu, 01 Dec 1994 16:00:00 GMT".into(),
            )]),
            metadata: vec![("Origin".into(), "multi part:&=%".into())],
            if_none_match: Some("*".into()),
            if_match: None,
            size: None,
        };
        let enc = encode_opts(&opts);
        assert!(enc
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let (tag, back) = parse_upload_id(&format!("0123456789abcdef.{enc}")).unwrap();
        assert_eq!(tag, "0123456789abcdef");
        assert_eq!(back.content_type, opts.content_type);
        let pairs = trove_driver_cloud::headers_to_pairs;
        assert_eq!(pairs(&back.headers), pairs(&opts.headers));
        assert_eq!(back.metadata, opts.metadata);
        assert_eq!(back.if_none_match, opts.if_none_match);
        let (_, none) = parse_upload_id("0123456789abcdef").unwrap();
        assert!(none.metadata.is_empty() && none.content_type.is_none());
        assert!(parse_upload_id("nope").is_err());
        assert_eq!(random_tag().len(), 16);
    }
}
