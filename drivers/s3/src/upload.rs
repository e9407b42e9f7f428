//! Uploads: a put buffers up to one part; if the body ends there it is one
//! PutObject, otherwise it becomes a multipart upload of `PART`-sized parts,
//! up to `PARTS_IN_FLIGHT` of them on their way at once (`http.send-async`),
//! so guest memory stays at one part whatever the object's size. Used by the core
//! writer (chunks from the host) and by `put-stream` (a host stream).

use crate::client::{send, send_async, Req, S3Resp};
use crate::meta;
use crate::types::{ObjectInfo, PutOptions};
use crate::wasi::io::streams::InputStream;
use crate::xml::escape;
use crate::{config, Error};
use trove_driver_cloud::{InFlight, PartBuffer};

/// Part size of streamed uploads (S3's minimum is 5 MiB).
pub const PART: usize = 8 << 20;

/// Parts of one upload in flight at a time unless the DSN says otherwise
/// (`upload_concurrency`); the host bounds every driver's requests in flight
/// as well.
pub const PARTS_IN_FLIGHT: usize = 4;

/// Up to this size, a put whose size is known is one streamed PutObject
/// (S3 allows 5 GiB; above this a failure late in the body would cost more
/// than a multipart upload's per-part retry).
pub const STREAMED_PUT_MAX: u64 = 1 << 30;

/// One PutObject whose body is the host's stream, sent unread: the bytes
/// never enter the guest.
pub fn put_streamed(
    bucket: String,
    key: String,
    data: InputStream,
    size: u64,
    opts: PutOptions,
) -> Result<ObjectInfo, Error> {
    crate::check_names(&bucket, Some(&key))?;
    crate::objects::require_bucket(&bucket)?;
    check_if_none_match(&opts)?;
    let cfg = crate::cfg()?;
    let mut req = Req::new("PUT", Some(&bucket), Some(&key)).stream(data, size);
    req.headers = meta::put_headers(&opts, true);
    single_put(&cfg, req, &bucket, &key, size, &opts)
}

/// Send a PutObject and describe what it stored.
fn single_put(
    cfg: &config::Config,
    req: Req<'_>,
    bucket: &str,
    key: &str,
    size: u64,
    opts: &PutOptions,
) -> Result<ObjectInfo, Error> {
    let resp = send(cfg, req)?;
    if !resp.ok() {
        return Err(match resp.error(&format!("put {bucket}/{key}")) {
            // moto answers an if-match on a missing key with NoSuchKey.
            Error::ObjectNotFound(m) if opts.if_match.is_some() => Error::PreconditionFailed(m),
            e => e,
        });
    }
    let etag = resp.header("etag").map(meta::unquote).unwrap_or_default();
    let now = crate::common::time::Timestamp::now();
    Ok(ObjectInfo {
        key: key.to_string(),
        size,
        etag,
        content_type: opts.content_type.clone(),
        headers: opts.headers.clone(),
        last_modified: Some(crate::types::Timestamp {
            seconds: now.seconds,
            nanoseconds: now.nanoseconds,
        }),
        metadata: opts.metadata.clone(),
        version_id: resp
            .header("x-amz-version-id")
            .filter(|v| *v != "null")
            .map(str::to_string),
        storage_class: None,
    })
}

fn check_if_none_match(opts: &PutOptions) -> Result<(), Error> {
    match &opts.if_none_match {
        Some(v) if v != "*" => Err(Error::InvalidArgument(format!(
            "if-none-match on put must be \"*\", not {v:?}"
        ))),
        _ => Ok(()),
    }
}

pub struct Upload {
    bucket: String,
    key: String,
    opts: PutOptions,
    buf: PartBuffer,
    multipart: Option<Multipart>,
    size: u64,
}

/// A multipart upload under way: its id, the parts done, those in flight.
struct Multipart {
    id: String,
    parts: Vec<(u32, String)>,
    next: u32,
    in_flight: InFlight<u32>,
}

impl Multipart {
    /// Starts sending part `next`; waits first when the window is full.
    fn send_part(
        &mut self,
        cfg: &config::Config,
        bucket: &str,
        key: &str,
        data: Vec<u8>,
    ) -> Result<(), Error> {
        self.next += 1;
        let n = self.next;
        let sent = send_async(cfg, part_request(bucket, key, &self.id, n, data));
        let parts = &mut self.parts;
        self.in_flight.push(n, sent, |n, resp| {
            Ok(parts.push((n, part_etag(resp, bucket, key, n)?)))
        })
    }

    /// Waits for every part in flight.
    fn drain(&mut self, bucket: &str, key: &str) -> Result<(), Error> {
        let parts = &mut self.parts;
        self.in_flight
            .drain(|n, resp| Ok(parts.push((n, part_etag(resp, bucket, key, n)?))))
    }
}

impl Upload {
    pub fn start(bucket: String, key: String, opts: PutOptions) -> Result<Upload, Error> {
        crate::check_names(&bucket, Some(&key))?;
        crate::objects::require_bucket(&bucket)?;
        check_if_none_match(&opts)?;
        Ok(Upload {
            bucket,
            key,
            opts,
            buf: PartBuffer::new(PART),
            multipart: None,
            size: 0,
        })
    }

    pub fn write(&mut self, mut chunk: &[u8]) -> Result<(), Error> {
        self.size += chunk.len() as u64;
        while self.buf.fill(&mut chunk) {
            self.flush_part()?;
        }
        Ok(())
    }

    /// Reads a host stream to its end.
    pub fn write_stream(&mut self, data: &InputStream) -> Result<(), Error> {
        trove_driver_cloud::read_upload(data, |b| self.write(b))
    }

    fn flush_part(&mut self) -> Result<(), Error> {
        let cfg = crate::cfg()?;
        if self.multipart.is_none() {
            self.check_preconditions()?;
            let id = create(&cfg, &self.bucket, &self.key, &self.opts)?;
            self.multipart = Some(Multipart {
                id,
                parts: Vec::new(),
                next: 0,
                in_flight: InFlight::new(cfg.upload_concurrency),
            });
        }
        let part = self.buf.take();
        let m = self.multipart.as_mut().unwrap();
        m.send_part(&cfg, &self.bucket, &self.key, part)
    }

    /// Without conditional multipart completion on every server, the
    /// preconditions of a large put are checked when it turns multipart.
    fn check_preconditions(&self) -> Result<(), Error> {
        if self.opts.if_none_match.is_none() && self.opts.if_match.is_none() {
            return Ok(());
        }
        let current = match crate::objects::head(&self.bucket, &self.key) {
            Ok(i) => Some(i.etag),
            Err(Error::ObjectNotFound(_)) => None,
            Err(e) => return Err(e),
        };
        match (&current, &self.opts.if_none_match, &self.opts.if_match) {
            (Some(_), Some(_), _) => Err(Error::PreconditionFailed(format!(
                "{} exists (if-none-match: *)",
                self.key
            ))),
            (None, _, Some(_)) => Err(Error::PreconditionFailed(format!(
                "{} does not exist (if-match)",
                self.key
            ))),
            (Some(cur), _, Some(want)) if meta::unquote(want) != *cur => Err(
                Error::PreconditionFailed(format!("{}: etag is {cur}, not {want}", self.key)),
            ),
            _ => Ok(()),
        }
    }

    pub fn finish(mut self) -> Result<ObjectInfo, Error> {
        let cfg = crate::cfg()?;
        match self.multipart.take() {
            None => {
                let body = self.buf.take();
                let mut req = Req::new("PUT", Some(&self.bucket), Some(&self.key)).body(body);
                req.headers = meta::put_headers(&self.opts, true);
                single_put(&cfg, req, &self.bucket, &self.key, self.size, &self.opts)
            }
            Some(mut m) => {
                let result = (|| {
                    if !self.buf.is_empty() {
                        let part = self.buf.take();
                        m.send_part(&cfg, &self.bucket, &self.key, part)?;
                    }
                    m.drain(&self.bucket, &self.key)?;
                    complete(&cfg, &self.bucket, &self.key, &m.id, &m.parts)
                })();
                if result.is_err() {
                    m.in_flight.cancel();
                    let _ = abort(&cfg, &self.bucket, &self.key, &m.id);
                }
                result
            }
        }
    }

    pub fn abort(&mut self) {
        self.buf.take();
        if let (Some(mut m), Ok(cfg)) = (self.multipart.take(), crate::cfg()) {
            m.in_flight.cancel();
            let _ = abort(&cfg, &self.bucket, &self.key, &m.id);
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        self.abort();
    }
}

// ---- the multipart calls, shared with the `multipart` capability ----

pub fn create(
    cfg: &config::Config,
    bucket: &str,
    key: &str,
    opts: &PutOptions,
) -> Result<String, Error> {
    crate::check_names(bucket, Some(key))?;
    crate::objects::require_bucket(bucket)?;
    let mut req = Req::new("POST", Some(bucket), Some(key)).query("uploads", "");
    req.headers = meta::put_headers(opts, false);
    let resp = send(cfg, req)?;
    if !resp.ok() {
        return Err(resp.error(&format!("create-multipart {bucket}/{key}")));
    }
    let x = resp.xml()?;
    x.text_of("UploadId")
        .map(str::to_string)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::Internal("create-multipart: no UploadId in the answer".into()))
}

pub fn upload_part(
    cfg: &config::Config,
    bucket: &str,
    key: &str,
    id: &str,
    n: u32,
    data: Vec<u8>,
) -> Result<String, Error> {
    let resp = send(cfg, part_request(bucket, key, id, n, data))?;
    part_etag(resp, bucket, key, n)
}

/// An UploadPart request.
fn part_request<'a>(bucket: &'a str, key: &'a str, id: &str, n: u32, data: Vec<u8>) -> Req<'a> {
    Req::new("PUT", Some(bucket), Some(key))
        .query("partNumber", &n.to_string())
        .query("uploadId", id)
        .body(data)
}

/// The ETag of an UploadPart's answer, or its error.
fn part_etag(resp: crate::client::Resp, bucket: &str, key: &str, n: u32) -> Result<String, Error> {
    if !resp.ok() {
        return Err(resp.error(&format!("upload-part {n} of {bucket}/{key}")));
    }
    Ok(resp.header("etag").map(meta::unquote).unwrap_or_default())
}

pub fn complete(
    cfg: &config::Config,
    bucket: &str,
    key: &str,
    id: &str,
    parts: &[(u32, String)],
) -> Result<ObjectInfo, Error> {
    let mut body = String::from("<CompleteMultipartUpload>");
    for (n, etag) in parts {
        body.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag></Part>",
            escape(&meta::quote(etag))
        ));
    }
    body.push_str("</CompleteMultipartUpload>");
    let req = Req::new("POST", Some(bucket), Some(key))
        .query("uploadId", id)
        .header("content-type", "application/xml")
        .body(body.into_bytes());
    let resp = send(cfg, req)?;
    if !resp.ok() {
        return Err(resp.error(&format!("complete-multipart {bucket}/{key}")));
    }
    // A 200 may still carry an <Error> document.
    let x = resp.xml()?;
    if x.name == "Error" {
        let code = x.text_of("Code").unwrap_or_default();
        let msg = x.text_of("Message").unwrap_or_default();
        return Err(crate::client::map_error(
            500,
            code,
            msg,
            "complete-multipart",
        ));
    }
    crate::objects::head(bucket, key)
}

pub fn abort(cfg: &config::Config, bucket: &str, key: &str, id: &str) -> Result<(), Error> {
    let req = Req::new("DELETE", Some(bucket), Some(key)).query("uploadId", id);
    let resp = send(cfg, req)?;
    if !resp.ok() {
        return Err(resp.error(&format!("abort-multipart {bucket}/{key}")));
    }
    Ok(())
}
