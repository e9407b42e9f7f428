//! Helpers for a driver over HTTP, on the host's `http` import (declare
//! `{"http":[["{endpoint}"]]}` with [`declare_grants!`](crate::declare_grants);
//! the user allows it with `--allow SCHEME:http`). See `docs/http-import.md`
//! for what the host does with each request.
//!
//! - [`send`]: one request, answered with an [`Answer`] whatever its status;
//! - [`start`]: a request whose body the driver writes as it produces it
//!   ([`Upload::write`]), never held whole;
//! - [`send_async`]: a request started now and awaited later ([`Sent`]);
//! - [`status_error`]: an HTTP status as the contract's [`Error`];
//! - [`endpoint`] and [`basic_auth`]: what a DSN says about the server;
//! - [`encode_segment`]: a name made safe for one URL path segment.

use crate::bindings::trove::driver::http;
use crate::bindings::wasi::io::streams::StreamError;
use crate::{Error, InputStream};

/// The largest answer [`Answer::read_all`] reads into the guest.
pub const MAX_ANSWER: usize = 16 << 20;

/// A request body.
pub enum Body {
    /// No body (a PUT or POST still says `Content-Length: 0`).
    Empty,
    /// Bytes from guest memory.
    Bytes(Vec<u8>),
    /// A host stream sent unread, with its length when known.
    Stream(InputStream, Option<u64>),
}

impl Body {
    fn into_http(self) -> http::RequestBody {
        match self {
            Body::Empty => http::RequestBody::Empty,
            Body::Bytes(b) => http::RequestBody::Bytes(b),
            Body::Stream(s, n) => http::RequestBody::Stream((s, n)),
        }
    }
}

/// One answer: status, headers and the body as a host stream (read it, or
/// hand it back unread from [`Backend::read_stream`](crate::Backend::read_stream)).
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: InputStream,
}

impl Answer {
    fn from((r, body): (http::Response, InputStream)) -> Answer {
        Answer {
            status: r.status,
            headers: r.headers,
            body,
        }
    }

    /// The first header of that name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        trove_driver_common::headers::find(&self.headers, name)
    }

    /// A 2xx status.
    pub fn ok(&self) -> bool {
        trove_driver_common::headers::success(self.status)
    }

    /// This answer when it is a 2xx, else [`status_error`] for `what`.
    pub fn success(self, what: &str) -> Result<Answer, Error> {
        if self.ok() {
            Ok(self)
        } else {
            Err(status_error(self.status, what))
        }
    }

    /// The whole body, at most [`MAX_ANSWER`] bytes.
    pub fn read_all(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        loop {
            match self.body.blocking_read(1 << 16) {
                Ok(b) if out.len() + b.len() > MAX_ANSWER => {
                    return Err(Error::Internal(format!(
                        "an answer larger than {} MiB",
                        MAX_ANSWER >> 20
                    )))
                }
                Ok(b) => out.extend_from_slice(&b),
                Err(StreamError::Closed) => return Ok(out),
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(Error::Unavailable(format!(
                        "reading an answer: {}",
                        e.to_debug_string()
                    )))
                }
            }
        }
    }
}

fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> http::Request {
    http::Request {
        method: method.into(),
        url: url.into(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect(),
    }
}

/// Sends one request; any HTTP status comes back as an [`Answer`]. The host
/// already retried what it retries: an `unavailable` here is final for
/// this call.
pub fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Body,
) -> Result<Answer, Error> {
    http::send(&request(method, url, headers), body.into_http()).map(Answer::from)
}

/// A request the host is sending while the driver goes on.
pub struct Sent(http::Pending);

impl Sent {
    /// Waits for its answer.
    pub fn wait(self) -> Result<Answer, Error> {
        self.0.wait().map(Answer::from)
    }
}

/// Starts one request and returns at once; [`Sent::wait`] gives the answer.
pub fn send_async(method: &str, url: &str, headers: &[(&str, &str)], body: Body) -> Sent {
    Sent(http::send_async(
        &request(method, url, headers),
        body.into_http(),
    ))
}

/// A request whose body the driver writes (see [`start`]).
pub struct Upload {
    writer: http::BodyWriter,
    sent: Sent,
}

impl Upload {
    /// Appends bytes to the body (the host sends them as they come, holding
    /// at most a few chunks).
    pub fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        self.writer.write(data)
    }

    /// Ends the body and waits for the answer.
    pub fn finish(self) -> Result<Answer, Error> {
        self.writer.finish()?;
        self.sent.wait()
    }
}

/// Starts a request whose body the driver writes with [`Upload::write`]
/// (`length`: sent as `Content-Length` when known, else the body is chunked).
/// Dropping the [`Upload`] unfinished aborts the request.
pub fn start(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    length: Option<u64>,
) -> Result<Upload, Error> {
    let (writer, pending) = http::start(&request(method, url, headers), length)?;
    Ok(Upload {
        writer,
        sent: Sent(pending),
    })
}

/// The contract's error for a failed HTTP status, `what` saying which call.
/// 404 and 410 are `object-not-found` (a driver maps a missing bucket
/// itself), 412 and 304 `precondition-failed`, 408 `timeout`, 429 and 5xx
/// `unavailable` (retryable), 501 `unsupported`.
pub fn status_error(status: u16, what: &str) -> Error {
    let m = format!("{what}: HTTP {status}");
    match status {
        304 | 412 => Error::PreconditionFailed(m),
        401 | 403 => Error::PermissionDenied(m),
        404 | 410 => Error::ObjectNotFound(m),
        408 => Error::Timeout(m),
        400 | 411 | 413 | 414 | 416 => Error::InvalidArgument(m),
        501 => Error::Unsupported(m),
        429 | 500..=599 => Error::Unavailable(m),
        _ => Error::Internal(m),
    }
}

/// `Basic …` for the DSN's user and password (HTTP Basic auth), if it has a
/// user. Never log it.
pub fn basic_auth(dsn: &crate::Dsn) -> Option<String> {
    let user = dsn.user.as_ref()?;
    let pair = format!("{user}:{}", dsn.password.as_deref().unwrap_or(""));
    Some(format!(
        "Basic {}",
        trove_driver_common::codec::base64(pair.as_bytes())
    ))
}

/// The DSN's `endpoint` parameter (without a trailing `/`), which must be an
/// `http://` or `https://` URL: what a driver declaring `{endpoint}` may reach.
pub fn endpoint(dsn: &crate::Dsn) -> Result<String, Error> {
    let e = crate::param(dsn, "endpoint").ok_or_else(|| {
        Error::InvalidArgument("the DSN needs ?endpoint=http://HOST:PORT[/BASE]".into())
    })?;
    if !(e.starts_with("http://") || e.starts_with("https://")) {
        return Err(Error::InvalidArgument(format!(
            "endpoint {e:?} is not an http:// or https:// URL"
        )));
    }
    Ok(e.trim_end_matches('/').to_string())
}

/// `name` percent-encoded for one URL path segment: every byte outside
/// `A-Z a-z 0-9 - . _ ~` (so `/` too).
pub fn encode_segment(name: &str) -> String {
    trove_driver_common::codec::uri_encode(name, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        for (s, want) in [
            (404, "ObjectNotFound"),
            (412, "PreconditionFailed"),
            (403, "PermissionDenied"),
            (503, "Unavailable"),
            (429, "Unavailable"),
            (416, "InvalidArgument"),
            (501, "Unsupported"),
            (418, "Internal"),
        ] {
            let e = format!("{:?}", status_error(s, "get b/k"));
            let e = e.trim_start_matches("Error::");
            assert!(e.starts_with(want), "{s}: {e}");
            assert!(e.contains(&format!("get b/k: HTTP {s}")), "{e}");
        }
    }

    #[test]
    fn segments() {
        assert_eq!(encode_segment("a b/c%"), "a%20b%2Fc%25");
        assert_eq!(encode_segment("A-z.0_~"), "A-z.0_~");
    }
}
