//! What the cloud drivers (s3, gs, azblob) share around the host's `http`
//! import.
//!
//! The bindings of the imports they have in common (`trove:driver/types`,
//! `http`, `log` and the `wasi:io` streams) are generated here, once; each
//! driver's own `generate!` maps those interfaces onto these modules with
//! `with: { ... }`, so the types (`Error`, `InputStream`, the http records)
//! are the same in every driver and the helpers below can take them.
//!
//! - [`Request`]: one request being built (method, the driver's own
//!   addressing, query, headers, body); each driver signs and sends it;
//! - [`send`]: one request through the host, answering a [`Resp`];
//! - [`send_async`] and [`InFlight`]: requests kept in flight while the
//!   driver goes on (multipart parts), answered in order;
//! - [`Resp`]: an answer, with header lookup and the body read with a cap;
//! - [`PartBuffer`] and [`read_upload`]: an upload's bytes collected into parts.
//!
//! Signing, endpoints, XML/JSON and the mapping of each service's error
//! codes stay in the drivers.

wit_bindgen::generate!({
    path: "../../wit",
    inline: "
        package trove:driver-cloud;

        world imports {
            import trove:driver/types@0.2.0;
            import trove:driver/log@0.2.0;
            import trove:driver/http@0.2.0;
        }
    ",
    world: "trove:driver-cloud/imports",
    // Every type of `types`, not only those `http` uses: the drivers'
    // exports use them through this module.
    generate_unused_types: true,
    generate_all,
});

/// The bindings of a cloud driver's `world`: its exports generated in the
/// calling crate, its imports mapped onto this crate's modules. Expands to
/// `wit_bindgen::generate!` (the calling crate depends on `wit-bindgen`).
#[macro_export]
macro_rules! driver_bindings {
    ($world:literal) => {
        wit_bindgen::generate!({
            path: "../../wit",
            world: $world,
            with: {
                "trove:driver/types@0.2.0": trove_driver_cloud::trove::driver::types,
                "trove:driver/log@0.2.0": trove_driver_cloud::trove::driver::log,
                "trove:driver/http@0.2.0": trove_driver_cloud::trove::driver::http,
                "wasi:io/error@0.2.12": trove_driver_cloud::wasi::io::error,
                "wasi:io/poll@0.2.12": trove_driver_cloud::wasi::io::poll,
                "wasi:io/streams@0.2.12": trove_driver_cloud::wasi::io::streams,
            },
            generate_all,
        });
    };
}

use trove::driver::http::{self, RequestBody};
use trove::driver::types::Error;
use wasi::io::streams::{InputStream, StreamError};

trove_driver_common::content_header_conversions!(trove::driver::types::ContentHeaders);

/// A DSN query parameter (the last one when repeated).
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The largest answer read into the guest whole (XML, JSON, errors).
pub const MAX_ANSWER: usize = 16 << 20;

/// A request body.
pub enum Body {
    Empty,
    Bytes(Vec<u8>),
    /// A host stream of exactly this many bytes, sent unread.
    Stream(InputStream, u64),
}

impl Body {
    /// The body for the host, as it is (`Bytes` stays `Bytes` when empty).
    pub fn into_http(self) -> RequestBody {
        match self {
            Body::Empty => RequestBody::Empty,
            Body::Bytes(b) => RequestBody::Bytes(b),
            Body::Stream(s, n) => RequestBody::Stream((s, Some(n))),
        }
    }
}

/// One request being built: the method, where it goes (`T`: the driver's
/// own addressing), the query (unencoded, in order), headers (names
/// lowercased) and the body. The driver signs and sends it.
pub struct Request<'a, T> {
    pub method: &'a str,
    pub target: T,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl<'a, T> Request<'a, T> {
    pub fn to(method: &'a str, target: T) -> Self {
        Request {
            method,
            target,
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    pub fn query(mut self, k: &str, v: &str) -> Self {
        self.query.push((k.into(), v.into()));
        self
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_ascii_lowercase(), v.into()));
        self
    }

    pub fn headers(mut self, h: Vec<(String, String)>) -> Self {
        self.headers.extend(h);
        self
    }

    pub fn body(mut self, b: Vec<u8>) -> Self {
        self.body = Body::Bytes(b);
        self
    }

    /// A host stream of exactly `size` bytes as the body, sent unread.
    pub fn stream(mut self, data: InputStream, size: u64) -> Self {
        self.body = Body::Stream(data, size);
        self
    }
}

/// An object store's addressing: a bucket (container) and a key (blob)
/// under it, either absent for the account-level or bucket-level requests.
#[derive(Clone, Copy)]
pub struct Object<'a> {
    pub bucket: Option<&'a str>,
    pub key: Option<&'a str>,
}

impl<'a> Request<'a, Object<'a>> {
    pub fn new(method: &'a str, bucket: Option<&'a str>, key: Option<&'a str>) -> Self {
        Request::to(method, Object { bucket, key })
    }
}

/// Sends one request through the host's `http` import as it is; any HTTP
/// status comes back as a [`Resp`]. `service` names the service in the
/// messages about its answers ("S3", "GCS", "Azure").
pub fn send(
    service: &'static str,
    method: &str,
    url: String,
    headers: Vec<(String, String)>,
    body: RequestBody,
) -> Result<Resp, Error> {
    let request = http::Request {
        method: method.to_string(),
        url,
        headers,
    };
    let (resp, body) = http::send(&request, body)?;
    Ok(Resp {
        service,
        status: resp.status,
        headers: resp.headers,
        body,
    })
}

/// A request the host is sending while the driver goes on
/// (`http.send-async`); [`Sent::wait`] gives its answer.
pub struct Sent {
    service: &'static str,
    pending: http::Pending,
}

impl Sent {
    /// Waits for the answer; any HTTP status comes back as a [`Resp`].
    pub fn wait(self) -> Result<Resp, Error> {
        let (resp, body) = self.pending.wait()?;
        Ok(Resp {
            service: self.service,
            status: resp.status,
            headers: resp.headers,
            body,
        })
    }
}

/// Starts one request and returns at once (see [`send`]); the host keeps a
/// bounded number in flight per driver and waits when they are all taken.
pub fn send_async(
    service: &'static str,
    method: &str,
    url: String,
    headers: Vec<(String, String)>,
    body: RequestBody,
) -> Sent {
    let request = http::Request {
        method: method.to_string(),
        url,
        headers,
    };
    Sent {
        service,
        pending: http::send_async(&request, body),
    }
}

/// Requests in flight, answered in the order they were started, at most
/// `depth` at a time: a multipart upload's parts. Each carries a tag (the
/// part number).
pub struct InFlight<T> {
    depth: usize,
    queue: std::collections::VecDeque<(T, Sent)>,
}

impl<T> InFlight<T> {
    /// At most `depth` (at least 1) requests in flight.
    pub fn new(depth: usize) -> Self {
        InFlight {
            depth: depth.max(1),
            queue: Default::default(),
        }
    }

    /// Adds a request; when `depth` are already in flight, first waits for
    /// the oldest and hands its answer to `done`.
    pub fn push(
        &mut self,
        tag: T,
        sent: Sent,
        done: impl FnMut(T, Resp) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut done = done;
        if self.queue.len() >= self.depth {
            self.next(&mut done)?;
        }
        self.queue.push_back((tag, sent));
        Ok(())
    }

    /// Waits for every request left, in order.
    pub fn drain(
        &mut self,
        mut done: impl FnMut(T, Resp) -> Result<(), Error>,
    ) -> Result<(), Error> {
        while !self.queue.is_empty() {
            self.next(&mut done)?;
        }
        Ok(())
    }

    fn next(&mut self, done: &mut impl FnMut(T, Resp) -> Result<(), Error>) -> Result<(), Error> {
        let (tag, sent) = self.queue.pop_front().expect("a request in flight");
        let r = sent.wait().and_then(|resp| done(tag, resp));
        if r.is_err() {
            // Dropping the others cancels them.
            self.queue.clear();
        }
        r
    }

    /// Cancels every request still in flight.
    pub fn cancel(&mut self) {
        self.queue.clear();
    }
}

/// One answer: status, headers and the body as a host stream.
pub struct Resp {
    /// The service, for messages ("S3", "GCS", "Azure").
    pub service: &'static str,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: InputStream,
}

impl Resp {
    /// The first header of that name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        trove_driver_common::headers::find(&self.headers, name)
    }

    /// A 2xx status.
    pub fn ok(&self) -> bool {
        trove_driver_common::headers::success(self.status)
    }

    /// The whole body (XML or JSON answers and errors: small), at most
    /// [`MAX_ANSWER`] bytes; a failed read is `unavailable`.
    pub fn read_all(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        loop {
            match self.body.blocking_read(1 << 16) {
                Ok(b) => {
                    if out.len() + b.len() > MAX_ANSWER {
                        return Err(Error::Internal(format!(
                            "{} answer larger than {} MiB",
                            self.service,
                            MAX_ANSWER >> 20
                        )));
                    }
                    out.extend_from_slice(&b)
                }
                Err(StreamError::Closed) => return Ok(out),
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(Error::Unavailable(format!(
                        "reading the {} answer: {}",
                        self.service,
                        e.to_debug_string()
                    )))
                }
            }
        }
    }
}

/// The message of a failed answer whose body names an error code (S3,
/// Azure): `what: code: message (HTTP status)`, leaving out what is empty
/// (without a code, only the status).
pub fn error_detail(what: &str, status: u16, code: &str, message: &str) -> String {
    match (code.is_empty(), message.is_empty()) {
        (true, _) => format!("{what}: HTTP {status}"),
        (false, true) => format!("{what}: {code} (HTTP {status})"),
        (false, false) => format!("{what}: {code}: {message} (HTTP {status})"),
    }
}

/// Collects an upload's bytes into parts of `part` bytes. A full part is
/// handed out only once more bytes follow it, so the last part (or the
/// whole body, when it fits in one) stays buffered for the end.
pub struct PartBuffer {
    buf: Vec<u8>,
    part: usize,
}

impl PartBuffer {
    pub fn new(part: usize) -> Self {
        PartBuffer {
            buf: Vec::new(),
            part,
        }
    }

    /// Moves bytes from the front of `chunk` into the buffer until it is
    /// full; answers true when it holds a full part and `chunk` has more
    /// bytes: the caller then sends the part (emptying the buffer with
    /// [`PartBuffer::take`]) and calls again, until false (all of `chunk`
    /// taken): `while buf.fill(&mut chunk) { send(buf.take())? }`.
    pub fn fill(&mut self, chunk: &mut &[u8]) -> bool {
        while !chunk.is_empty() {
            if self.buf.len() == self.part {
                return true;
            }
            let n = (self.part - self.buf.len()).min(chunk.len());
            self.buf.extend_from_slice(&chunk[..n]);
            *chunk = &chunk[n..];
        }
        false
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The buffered bytes, leaving the buffer empty.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}

/// Reads an upload's host stream to its end, handing each read to `write`;
/// a failed read is the caller's (`invalid-argument`).
pub fn read_upload(
    data: &InputStream,
    mut write: impl FnMut(&[u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    loop {
        match data.blocking_read(1 << 20) {
            Ok(b) => write(&b)?,
            Err(StreamError::Closed) => return Ok(()),
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(Error::InvalidArgument(format!(
                    "reading the upload: {}",
                    e.to_debug_string()
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(part: usize, writes: &[&[u8]]) -> (Vec<Vec<u8>>, Vec<u8>) {
        let mut buf = PartBuffer::new(part);
        let mut out = Vec::new();
        for w in writes {
            let mut chunk = *w;
            while buf.fill(&mut chunk) {
                out.push(buf.take());
            }
            assert!(chunk.is_empty());
        }
        (out, buf.take())
    }

    #[test]
    fn error_details() {
        assert_eq!(
            error_detail("get b/k", 503, "", "busy"),
            "get b/k: HTTP 503"
        );
        assert_eq!(
            error_detail("get b/k", 404, "NoSuchKey", ""),
            "get b/k: NoSuchKey (HTTP 404)"
        );
        assert_eq!(
            error_detail("get b/k", 404, "NoSuchKey", "gone"),
            "get b/k: NoSuchKey: gone (HTTP 404)"
        );
    }

    #[test]
    fn a_full_part_waits_for_more_bytes() {
        let (sent, rest) = parts(4, &[b"abcd"]);
        assert!(sent.is_empty());
        assert_eq!(rest, b"abcd");
        let (sent, rest) = parts(4, &[b"abcd", b""]);
        assert!(sent.is_empty());
        assert_eq!(rest, b"abcd");
    }

    #[test]
    fn splits_across_writes() {
        let (sent, rest) = parts(4, &[b"ab", b"cdefghij", b"k"]);
        assert_eq!(sent, vec![b"abcd".to_vec(), b"efgh".to_vec()]);
        assert_eq!(rest, b"ijk");
        let (sent, rest) = parts(3, &[b"abcdefghi"]);
        assert_eq!(sent, vec![b"abc".to_vec(), b"def".to_vec()]);
        assert_eq!(rest, b"ghi");
    }
}
