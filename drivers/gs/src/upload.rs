//! Uploads. A put buffers up to one chunk; if the body ends there it is one
//! `uploadType=multipart` request (the object resource with content type
//! and metadata, then the bytes), otherwise it becomes a resumable upload
//! session fed `CHUNK`-sized pieces, so memory stays at one chunk whatever
//! the object's size. Used by the core writer (chunks from the host) and by
//! `put-stream` (a host stream).
//!
//! The `multipart` capability is built on `compose`: each part is a
//! temporary object under `.trove-multipart/<id>/`, completion composes
//! them (in rounds of at most 32 sources) into the destination and deletes
//! them; abort deletes them.

use crate::client::{object_path, send, upload_path, GsReq, GsResp, Req, Resp};
use crate::codec::{base64_decode, base64url, hex};
use crate::json;
use crate::meta;
use crate::types::{ObjectInfo, PutOptions};
use crate::wasi::io::streams::InputStream;
use crate::Error;
use trove_driver_cloud::PartBuffer;

/// Chunk of streamed uploads: a multiple of 256 KiB, as GCS requires.
pub const CHUNK: usize = 8 << 20;

/// Sources GCS composes in one call.
pub const COMPOSE_MAX: usize = 32;

/// Where the parts of a multipart upload live until it completes.
pub const TEMP_PREFIX: &str = ".trove-multipart/";

/// The query conditions of a write: `ifGenerationMatch` (0: must not exist)
/// and `ifMetagenerationMatch`.
#[derive(Default, Debug, Clone, PartialEq)]
pub struct Conditions {
    pub generation: Option<String>,
    pub metageneration: Option<String>,
}

impl Conditions {
    fn apply(&self, mut req: Req) -> Req {
        if let Some(g) = &self.generation {
            req = req.query("ifGenerationMatch", g);
        }
        if let Some(m) = &self.metageneration {
            req = req.query("ifMetagenerationMatch", m);
        }
        req
    }
}

pub fn check_if_none_match(opts: &PutOptions) -> Result<(), Error> {
    match &opts.if_none_match {
        Some(v) if v.trim() != "*" => Err(Error::InvalidArgument(format!(
            "if-none-match on put must be \"*\", not {v:?}"
        ))),
        _ => Ok(()),
    }
}

/// The put options' preconditions as GCS conditions. `if-none-match: *` is
/// `ifGenerationMatch=0`; `if-match: ETAG` reads the current object, checks
/// its ETag here and pins its generation and metageneration, so the write
/// fails if the object changed in between. With `look` the object is read
/// for `if-none-match` too (a long upload fails early, before its bytes).
pub fn conditions(
    bucket: &str,
    key: &str,
    opts: &PutOptions,
    look: bool,
) -> Result<Conditions, Error> {
    let inm = opts.if_none_match.as_deref();
    if opts.if_match.is_none() && (inm.is_none() || !look) {
        return Ok(Conditions {
            generation: inm.map(|_| "0".to_string()),
            metageneration: None,
        });
    }
    let current = match crate::objects::stat(bucket, key) {
        Ok(o) => Some(o),
        Err(Error::ObjectNotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let etag = current.as_ref().map(meta::etag);
    crate::common::conditions::check_put(opts.if_match.as_deref(), inm, etag.as_deref())
        .map_err(crate::from_common)?;
    Ok(match current {
        Some(o) if opts.if_match.is_some() => Conditions {
            generation: o.generation,
            metageneration: o.metageneration,
        },
        _ => Conditions {
            generation: inm.map(|_| "0".to_string()),
            metageneration: None,
        },
    })
}

/// A failed write as the contract's error (a 404 may be the bucket).
fn write_error(resp: &Resp, bucket: &str, key: &str, what: &str) -> Error {
    crate::objects::refine(resp.error(&format!("{what} {bucket}/{key}")), bucket)
}

/// A `multipart/related` body: the object resource, then the bytes.
pub fn related_body(
    resource: &serde_json::Value,
    content_type: &str,
    data: &[u8],
) -> (String, Vec<u8>) {
    // A boundary that does not occur in the data.
    let mut n = 0u64;
    let boundary = loop {
        let b = format!("trove-{}", hex(&crate::sha256(&[&n.to_le_bytes()])[..12]));
        if !contains(data, b.as_bytes()) {
            break b;
        }
        n += 1;
    };
    let mut body = Vec::with_capacity(data.len() + 512);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{resource}\r\n\
             --{boundary}\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/related; boundary={boundary}"), body)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// One request that stores `data` whole as `bucket/name`.
pub fn simple_upload(
    bucket: &str,
    name: &str,
    opts: &PutOptions,
    cond: &Conditions,
    data: Vec<u8>,
) -> Result<json::Object, Error> {
    let c = crate::cfg()?;
    let ct = opts
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    let (content_type, body) = related_body(&meta::resource(Some(name), opts), &ct, &data);
    drop(data);
    let req = cond
        .apply(Req::api(&c, "POST", &upload_path(bucket)).query("uploadType", "multipart"))
        .header("content-type", &content_type)
        .body(body);
    let resp = send(&c, req)?;
    if !resp.ok() {
        return Err(write_error(&resp, bucket, name, "put"));
    }
    resp.json(&format!("put {bucket}/{name}"))
}

/// A resumable upload session: its URI and how many bytes it holds.
struct Session {
    uri: String,
    offset: u64,
}

pub struct Upload {
    bucket: String,
    key: String,
    opts: PutOptions,
    buf: PartBuffer,
    session: Option<Session>,
    cond: Conditions,
}

impl Upload {
    pub fn start(bucket: String, key: String, opts: PutOptions) -> Result<Upload, Error> {
        crate::check_names(&bucket, Some(&key))?;
        check_if_none_match(&opts)?;
        Ok(Upload {
            bucket,
            key,
            opts,
            buf: PartBuffer::new(CHUNK),
            session: None,
            cond: Conditions::default(),
        })
    }

    pub fn write(&mut self, mut chunk: &[u8]) -> Result<(), Error> {
        while self.buf.fill(&mut chunk) {
            self.flush_chunk()?;
        }
        Ok(())
    }

    /// Reads a host stream to its end.
    pub fn write_stream(&mut self, data: &InputStream) -> Result<(), Error> {
        trove_driver_cloud::read_upload(data, |b| self.write(b))
    }

    /// Opens the session (first time) and sends the buffered chunk.
    fn flush_chunk(&mut self) -> Result<(), Error> {
        if self.session.is_none() {
            self.cond = conditions(&self.bucket, &self.key, &self.opts, true)?;
            self.session = Some(self.open_session()?);
        }
        let chunk = self.buf.take();
        self.send_chunk(chunk, None).map(|_| ())
    }

    fn open_session(&self) -> Result<Session, Error> {
        let c = crate::cfg()?;
        let mut req = self.cond.apply(
            Req::api(&c, "POST", &upload_path(&self.bucket))
                .query("uploadType", "resumable")
                .query("name", &self.key),
        );
        if let Some(ct) = &self.opts.content_type {
            req = req.header("x-upload-content-type", ct);
        }
        let resp = send(&c, req.json(&meta::resource(Some(&self.key), &self.opts)))?;
        if !resp.ok() {
            return Err(write_error(
                &resp,
                &self.bucket,
                &self.key,
                "put (resumable)",
            ));
        }
        let uri = resp
            .header("location")
            .filter(|l| !l.is_empty())
            .ok_or_else(|| Error::Internal("resumable upload: no session Location".into()))?
            .to_string();
        Ok(Session { uri, offset: 0 })
    }

    /// Sends one chunk of the session; `total` on the last one. The last
    /// answer is the object.
    fn send_chunk(
        &mut self,
        chunk: Vec<u8>,
        total: Option<u64>,
    ) -> Result<Option<json::Object>, Error> {
        let c = crate::cfg()?;
        let s = self.session.as_mut().expect("an open session");
        let len = chunk.len() as u64;
        let range = match (len, total) {
            (0, Some(t)) => format!("bytes */{t}"),
            (_, t) => format!(
                "bytes {}-{}/{}",
                s.offset,
                s.offset + len - 1,
                t.map_or("*".to_string(), |t| t.to_string())
            ),
        };
        let req = Req::url("PUT", s.uri.clone())
            .header("content-range", &range)
            .body(chunk);
        let resp = send(&c, req)?;
        match (resp.status, total) {
            (200 | 201, Some(_)) => {
                s.offset += len;
                Ok(Some(
                    resp.json(&format!("put {}/{}", self.bucket, self.key))?,
                ))
            }
            (308, None) => {
                // `Range: bytes=0-N` is what the server persisted.
                let persisted = resp
                    .header("range")
                    .and_then(|r| r.rsplit('-').next())
                    .and_then(|n| n.trim().parse::<u64>().ok())
                    .map_or(0, |n| n + 1);
                if persisted != s.offset + len {
                    return Err(Error::Unavailable(format!(
                        "resumable upload of {}/{}: the server kept {persisted} of {} bytes",
                        self.bucket,
                        self.key,
                        s.offset + len
                    )));
                }
                s.offset += len;
                Ok(None)
            }
            _ if resp.ok() || resp.status == 308 => Err(Error::Internal(format!(
                "resumable upload of {}/{}: unexpected HTTP {} for {range}",
                self.bucket, self.key, resp.status
            ))),
            _ => Err(write_error(
                &resp,
                &self.bucket,
                &self.key,
                "put (resumable)",
            )),
        }
    }

    pub fn finish(mut self) -> Result<ObjectInfo, Error> {
        let buf = self.buf.take();
        let o = match &self.session {
            None => {
                let cond = conditions(&self.bucket, &self.key, &self.opts, false)?;
                simple_upload(&self.bucket, &self.key, &self.opts, &cond, buf)?
            }
            Some(s) => {
                let total = s.offset + buf.len() as u64;
                let result = self.send_chunk(buf, Some(total));
                match result {
                    Ok(Some(o)) => {
                        self.session = None;
                        o
                    }
                    Ok(None) => return Err(Error::Internal("resumable upload: no object".into())),
                    Err(e) => return Err(e),
                }
            }
        };
        Ok(meta::info(&o))
    }

    pub fn abort(&mut self) {
        self.buf.take();
        if let (Some(s), Ok(c)) = (self.session.take(), crate::cfg()) {
            // GCS answers 499 to a cancelled session.
            let _ = send(&c, Req::url("DELETE", s.uri));
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        self.abort();
    }
}

// ---- the multipart capability, on compose ----

/// An upload id: a nonce naming the temporary folder, and the put options
/// (content type, metadata, conditions) applied on completion.
#[derive(Debug)]
pub struct UploadId {
    pub nonce: String,
    pub opts: PutOptions,
}

impl UploadId {
    pub fn new(bucket: &str, key: &str, opts: PutOptions) -> UploadId {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let n = COUNTER.with(|c| {
            let v = c.get() + 1;
            c.set(v);
            v
        });
        let nonce = hex(&crate::sha256(&[
            &t.to_le_bytes(),
            &n.to_le_bytes(),
            bucket.as_bytes(),
            b"/",
            key.as_bytes(),
        ])[..12]);
        UploadId { nonce, opts }
    }

    pub fn encode(&self) -> String {
        let v = serde_json::json!({
            "ct": self.opts.content_type,
            "hd": trove_driver_cloud::headers_to_pairs(&self.opts.headers),
            "md": self.opts.metadata,
            "inm": self.opts.if_none_match,
            "im": self.opts.if_match,
        });
        format!("{}.{}", self.nonce, base64url(v.to_string().as_bytes()))
    }

    pub fn decode(id: &str) -> Result<UploadId, Error> {
        let bad = || Error::InvalidArgument(format!("not an upload id of this driver: {id:?}"));
        let (nonce, rest) = id.split_once('.').ok_or_else(bad)?;
        if nonce.len() != 24 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let v: serde_json::Value =
            serde_json::from_slice(&base64_decode(rest).ok_or_else(bad)?).map_err(|_| bad())?;
        let s = |k: &str| v[k].as_str().map(str::to_string);
        let pairs = |k: &str| -> Vec<(String, String)> {
            v[k].as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| {
                            Some((p[0].as_str()?.to_string(), p[1].as_str()?.to_string()))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(UploadId {
            nonce: nonce.to_string(),
            opts: PutOptions {
                content_type: s("ct"),
                headers: trove_driver_cloud::headers_from_pairs(&pairs("hd")),
                metadata: pairs("md"),
                if_none_match: s("inm"),
                if_match: s("im"),
                size: None,
            },
        })
    }

    fn folder(&self) -> String {
        format!("{TEMP_PREFIX}{}/", self.nonce)
    }

    fn part(&self, n: u32) -> String {
        format!("{}{n:05}", self.folder())
    }
}

fn no_options() -> PutOptions {
    PutOptions {
        content_type: None,
        headers: trove_driver_cloud::headers_from_pairs(&[]),
        metadata: Vec::new(),
        if_none_match: None,
        if_match: None,
        size: None,
    }
}

thread_local! {
    static COUNTER: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

pub fn create(bucket: &str, key: &str, opts: PutOptions) -> Result<String, Error> {
    crate::check_names(bucket, Some(key))?;
    check_if_none_match(&opts)?;
    crate::objects::require_bucket(bucket)?;
    Ok(UploadId::new(bucket, key, opts).encode())
}

pub fn upload_part(bucket: &str, id: &str, n: u32, data: Vec<u8>) -> Result<(String, u64), Error> {
    let id = UploadId::decode(id)?;
    if !(1..=10_000).contains(&n) {
        return Err(Error::InvalidArgument(format!(
            "part number {n} is not within 1..=10000"
        )));
    }
    let size = data.len() as u64;
    let o = simple_upload(
        bucket,
        &id.part(n),
        &no_options(),
        &Conditions::default(),
        data,
    )?;
    Ok((meta::etag(&o), size))
}

/// Every object under `folder`, in name order.
fn temp_objects(bucket: &str, folder: &str) -> Result<Vec<json::Object>, Error> {
    let c = crate::cfg()?;
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = Req::api(
            &c,
            "GET",
            &format!("{}/o", crate::client::bucket_path(bucket)),
        )
        .query("prefix", folder);
        if let Some(t) = &token {
            req = req.query("pageToken", t);
        }
        let resp = send(&c, req)?;
        if !resp.ok() {
            return Err(match resp.error(&format!("list parts in {bucket}")) {
                Error::ObjectNotFound(_) => Error::BucketNotFound(format!("no bucket {bucket}")),
                e => e,
            });
        }
        let page: json::Objects = resp.json("list parts")?;
        out.extend(page.items);
        match page.next_page_token.filter(|t| !t.is_empty()) {
            Some(t) if token.as_deref() != Some(t.as_str()) => token = Some(t),
            _ => break,
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// (part number, etag, size) of each uploaded part.
pub fn list_parts(bucket: &str, id: &str) -> Result<Vec<(u32, String, u64)>, Error> {
    let id = UploadId::decode(id)?;
    let folder = id.folder();
    Ok(temp_objects(bucket, &folder)?
        .iter()
        .filter_map(|o| {
            let n = o.name.strip_prefix(&folder)?;
            (n.len() == 5).then_some(())?;
            Some((n.parse().ok()?, meta::etag(o), o.size()))
        })
        .collect())
}

/// How `n` sources are composed: each round groups up to 32 of the
/// previous round's objects; the last round has one group (the destination).
pub fn compose_plan(n: usize) -> Vec<Vec<std::ops::Range<usize>>> {
    let mut rounds = Vec::new();
    let mut count = n;
    loop {
        let groups: Vec<_> = (0..count)
            .step_by(COMPOSE_MAX)
            .map(|s| s..(s + COMPOSE_MAX).min(count))
            .collect();
        count = groups.len();
        rounds.push(groups);
        if count <= 1 {
            return rounds;
        }
    }
}

fn compose(
    bucket: &str,
    dest: &str,
    sources: &[String],
    resource: serde_json::Value,
    cond: &Conditions,
) -> Result<json::Object, Error> {
    let c = crate::cfg()?;
    let body = serde_json::json!({
        "sourceObjects": sources.iter().map(|s| serde_json::json!({"name": s})).collect::<Vec<_>>(),
        "destination": resource,
    });
    let req = cond.apply(Req::api(
        &c,
        "POST",
        &format!("{}/compose", object_path(bucket, dest)),
    ));
    let resp = send(&c, req.json(&body))?;
    if !resp.ok() {
        return Err(write_error(&resp, bucket, dest, "compose"));
    }
    resp.json(&format!("compose {bucket}/{dest}"))
}

pub fn complete(
    bucket: &str,
    key: &str,
    id: &str,
    parts: &[(u32, String)],
) -> Result<ObjectInfo, Error> {
    let uid = UploadId::decode(id)?;
    if parts.is_empty() {
        return Err(Error::InvalidArgument(
            "complete-multipart needs at least one part".into(),
        ));
    }
    if parts.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(Error::InvalidArgument(
            "parts must be listed in ascending part-number order".into(),
        ));
    }
    let uploaded = list_parts(bucket, id)?;
    for (n, etag) in parts {
        let etag = etag.trim().trim_matches('"');
        match uploaded.iter().find(|p| p.0 == *n) {
            Some(p) if p.1 == etag => {}
            Some(_) => {
                return Err(Error::InvalidArgument(format!(
                    "part {n}: the etag does not match the uploaded part"
                )))
            }
            None => return Err(Error::InvalidArgument(format!("part {n} was not uploaded"))),
        }
    }
    let cond = conditions(bucket, key, &uid.opts, false)?;
    let mut sources: Vec<String> = parts.iter().map(|(n, _)| uid.part(*n)).collect();
    let plan = compose_plan(sources.len());
    let last = plan.len() - 1;
    let mut result = None;
    for (r, groups) in plan.into_iter().enumerate() {
        let mut next = Vec::with_capacity(groups.len());
        for (g, range) in groups.into_iter().enumerate() {
            if r == last {
                result = Some(compose(
                    bucket,
                    key,
                    &sources[range],
                    meta::resource(None, &uid.opts),
                    &cond,
                )?);
            } else {
                let name = format!("{}r{r}-{g:05}", uid.folder());
                compose(
                    bucket,
                    &name,
                    &sources[range],
                    serde_json::json!({}),
                    &Conditions::default(),
                )?;
                next.push(name);
            }
        }
        sources = next;
    }
    let _ = remove_temp(bucket, &uid);
    let o = result.ok_or_else(|| Error::Internal("compose: no result".into()))?;
    Ok(meta::info(&o))
}

fn remove_temp(bucket: &str, id: &UploadId) -> Result<(), Error> {
    for o in temp_objects(bucket, &id.folder())? {
        crate::objects::delete(bucket, &o.name)?;
    }
    Ok(())
}

pub fn abort(bucket: &str, id: &str) -> Result<(), Error> {
    let uid = UploadId::decode(id)?;
    remove_temp(bucket, &uid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_rounds_respect_the_32_source_limit() {
        assert_eq!(compose_plan(1), vec![vec![0..1]]);
        assert_eq!(compose_plan(32), vec![vec![0..32]]);
        assert_eq!(compose_plan(33), vec![vec![0..32, 32..33], vec![0..2]]);
        let p = compose_plan(10_000);
        assert_eq!(p.len(), 3); // 10000 → 313 → 10 → 1
        assert_eq!(p[0].len(), 313);
        assert_eq!(p[1].len(), 10);
        assert_eq!(p[2], vec![0..10]);
        for round in &p {
            assert!(round
                .iter()
                .all(|g| g.len() <= COMPOSE_MAX && !g.is_empty()));
        }
    }

    #[test]
    fn upload_ids_carry_the_put_options() {
        let opts = PutOptions {
            content_type: Some("video/mp4".into()),
            headers: trove_driver_cloud::headers_from_pairs(&[(
                "content-disposition".into(),
                "attachment".into(),
            )]),
            metadata: vec![
                ("Origin".into(), "multipart".into()),
                ("a".into(), "b".into()),
            ],
            if_none_match: Some("*".into()),
            if_match: None,
            size: None,
        };
        let id = UploadId::new("b", "k", opts.clone());
        let back = UploadId::decode(&id.encode()).unwrap();
        assert_eq!(back.nonce, id.nonce);
        assert_eq!(back.opts.content_type, opts.content_type);
        assert_eq!(back.opts.metadata, opts.metadata);
        let pairs = trove_driver_cloud::headers_to_pairs;
        assert_eq!(pairs(&back.opts.headers), pairs(&opts.headers));
        assert_eq!(back.opts.if_none_match, opts.if_none_match);
        assert_eq!(back.opts.if_match, opts.if_match);
        assert_ne!(UploadId::new("b", "k", opts.clone()).nonce, id.nonce);
        assert!(UploadId::decode("nope").is_err());
        assert!(UploadId::decode("0123456789abcdef01234567.!!").is_err());
    }

    #[test]
    fn related_bodies_frame_the_resource_and_the_bytes() {
        let r = serde_json::json!({"name": "k"});
        let (ct, body) = related_body(&r, "text/plain", b"hello");
        let boundary = ct.strip_prefix("multipart/related; boundary=").unwrap();
        let text = String::from_utf8(body).unwrap();
        assert_eq!(
            text,
            format!(
                "--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{{\"name\":\"k\"}}\r\n\
                 --{boundary}\r\nContent-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
            )
        );
        // Data containing the first choice of boundary gets another one.
        let first = boundary.to_string();
        let (ct2, _) = related_body(&r, "text/plain", format!("x--{first}").as_bytes());
        assert!(!ct2.ends_with(&first));
    }
}
