//! One request through the host's `http` import (with the bearer token when
//! there is one), and GCS's errors mapped onto the contract's kinds.

use crate::codec::pct;
use crate::config::Config;
use crate::trove::driver::http::{self, Request, RequestBody};
use crate::wasi::io::streams::{InputStream, StreamError};
use crate::Error;

/// The largest JSON answer read into the guest.
const MAX_ANSWER: usize = 16 << 20;

pub struct Req {
    pub method: &'static str,
    /// Absolute URL; query parameters are appended by [`Req::query`].
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    has_query: bool,
}

impl Req {
    /// A request to `path` (already encoded) under the configured endpoint.
    pub fn api(cfg: &Config, method: &'static str, path: &str) -> Req {
        Req::url(method, format!("{}{path}", cfg.base()))
    }

    /// A request to an absolute URL (a resumable session, the token endpoint).
    pub fn url(method: &'static str, url: String) -> Req {
        let has_query = url.contains('?');
        Req {
            method,
            url,
            headers: Vec::new(),
            body: Vec::new(),
            has_query,
        }
    }

    pub fn query(mut self, k: &str, v: &str) -> Self {
        self.url.push(if self.has_query { '&' } else { '?' });
        self.has_query = true;
        self.url.push_str(&pct(k, false));
        self.url.push('=');
        self.url.push_str(&pct(v, false));
        self
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_ascii_lowercase(), v.into()));
        self
    }

    pub fn body(mut self, b: Vec<u8>) -> Self {
        self.body = b;
        self
    }

    pub fn json(self, v: &serde_json::Value) -> Self {
        self.header("content-type", "application/json; charset=UTF-8")
            .body(v.to_string().into_bytes())
    }
}

/// `/storage/v1/b/{bucket}`.
pub fn bucket_path(bucket: &str) -> String {
    format!("/storage/v1/b/{}", pct(bucket, false))
}

/// `/storage/v1/b/{bucket}/o/{object}` (the name fully encoded, `/` too).
pub fn object_path(bucket: &str, key: &str) -> String {
    format!("{}/o/{}", bucket_path(bucket), pct(key, false))
}

/// `/upload/storage/v1/b/{bucket}/o`.
pub fn upload_path(bucket: &str) -> String {
    format!("/upload/storage/v1/b/{}/o", pct(bucket, false))
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: InputStream,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The whole body (JSON answers and errors: small).
    pub fn read_all(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        loop {
            match self.body.blocking_read(1 << 16) {
                Ok(b) => {
                    if out.len() + b.len() > MAX_ANSWER {
                        return Err(Error::Internal("GCS answer larger than 16 MiB".into()));
                    }
                    out.extend_from_slice(&b)
                }
                Err(StreamError::Closed) => return Ok(out),
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(Error::Unavailable(format!(
                        "reading the GCS answer: {}",
                        e.to_debug_string()
                    )))
                }
            }
        }
    }

    /// The JSON body as `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, Error> {
        let body = self.read_all()?;
        serde_json::from_slice(&body)
            .map_err(|e| Error::Internal(format!("{what}: unexpected GCS answer: {e}")))
    }

    /// This (failed) answer as the contract's error. A 404 is
    /// `object-not-found`; callers that can tell a missing bucket refine it.
    pub fn error(&self, what: &str) -> Error {
        let body = self.read_all().unwrap_or_default();
        let (reason, message) = crate::json::error_of(&body);
        map_error(self.status, &reason, &message, what)
    }
}

/// A GCS status (and error reason) as the contract's kind.
pub fn map_error(status: u16, reason: &str, message: &str, what: &str) -> Error {
    let detail = match (reason.is_empty(), message.is_empty()) {
        (true, true) => format!("{what}: HTTP {status}"),
        (false, true) => format!("{what}: {reason} (HTTP {status})"),
        (_, false) => format!("{what}: {message} (HTTP {status})"),
    };
    match status {
        304 | 412 => Error::PreconditionFailed(detail),
        401 | 403 => Error::PermissionDenied(detail),
        404 | 410 => Error::ObjectNotFound(detail),
        408 => Error::Timeout(detail),
        409 => Error::PreconditionFailed(detail),
        400 | 411 | 413 | 414 | 416 => Error::InvalidArgument(detail),
        501 => Error::Unsupported(detail),
        429 | 500..=599 => Error::Unavailable(detail),
        _ => Error::Internal(detail),
    }
}

/// Sends `req` with the configured authorisation; any HTTP status comes back
/// as a `Resp`.
pub fn send(cfg: &Config, req: Req) -> Result<Resp, Error> {
    let mut headers = req.headers;
    if let Some(token) = crate::auth::bearer(cfg)? {
        headers.push(("authorization".into(), format!("Bearer {token}")));
    }
    let resp = send_raw(req.method, req.url, headers, req.body)?;
    if resp.status == 401 {
        // A token revoked or expired early: the next call exchanges anew.
        crate::auth::forget();
    }
    Ok(resp)
}

/// Sends a request as it is (no authorisation added).
pub fn send_raw(
    method: &str,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
) -> Result<Resp, Error> {
    let body = if body.is_empty() && matches!(method, "GET" | "HEAD" | "DELETE") {
        RequestBody::Empty
    } else {
        RequestBody::Bytes(body)
    };
    let request = Request {
        method: method.to_string(),
        url,
        headers,
    };
    let (resp, body) = http::send(&request, body)?;
    Ok(Resp {
        status: resp.status,
        headers: resp.headers,
        body,
    })
}
