//! One request through the host's `http` import (with the bearer token when
//! there is one), and GCS's errors mapped onto the contract's kinds.

use crate::codec::pct;
use crate::config::Config;
use crate::trove::driver::http::RequestBody;
use crate::Error;
use trove_driver_cloud::Body;

pub use trove_driver_cloud::Resp;

/// A request to an absolute URL (query parameters, added with
/// [`Req::query`], are appended when it is sent), built with the shared
/// builder.
pub type Req = trove_driver_cloud::Request<'static, String>;

/// How GCS requests start, and their JSON bodies.
pub trait GsReq {
    /// A request to `path` (already encoded) under the configured endpoint.
    fn api(cfg: &Config, method: &'static str, path: &str) -> Req;
    /// A request to an absolute URL (a resumable session, the token endpoint).
    fn url(method: &'static str, url: String) -> Req;
    /// `v` as the JSON body.
    fn json(self, v: &serde_json::Value) -> Req;
}

impl GsReq for Req {
    fn api(cfg: &Config, method: &'static str, path: &str) -> Req {
        Req::url(method, format!("{}{path}", cfg.base()))
    }

    fn url(method: &'static str, url: String) -> Req {
        Req::to(method, url)
    }

    fn json(self, v: &serde_json::Value) -> Req {
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

/// What only GCS reads from an answer.
pub trait GsResp {
    /// The JSON body as `T`.
    fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, Error>;
    /// This (failed) answer as the contract's error. A 404 is
    /// `object-not-found`; callers that can tell a missing bucket refine it.
    fn error(&self, what: &str) -> Error;
}

impl GsResp for Resp {
    fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, Error> {
        let body = self.read_all()?;
        serde_json::from_slice(&body)
            .map_err(|e| Error::Internal(format!("{what}: unexpected GCS answer: {e}")))
    }

    fn error(&self, what: &str) -> Error {
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
    let mut url = req.target;
    let mut sep = if url.contains('?') { '&' } else { '?' };
    for (k, v) in &req.query {
        url.push(sep);
        sep = '&';
        url.push_str(&pct(k, false));
        url.push('=');
        url.push_str(&pct(v, false));
    }
    let mut headers = req.headers;
    if let Some(token) = crate::auth::bearer(cfg)? {
        headers.push(("authorization".into(), format!("Bearer {token}")));
    }
    let body = match req.body {
        Body::Empty => request_body(req.method, Vec::new()),
        Body::Bytes(b) => request_body(req.method, b),
        stream @ Body::Stream(..) => stream.into_http(),
    };
    let resp = trove_driver_cloud::send("GCS", req.method, url, headers, body)?;
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
    let body = request_body(method, body);
    trove_driver_cloud::send("GCS", method, url, headers, body)
}

/// No body at all for an empty GET, HEAD or DELETE.
fn request_body(method: &str, body: Vec<u8>) -> RequestBody {
    if body.is_empty() && matches!(method, "GET" | "HEAD" | "DELETE") {
        RequestBody::Empty
    } else {
        RequestBody::Bytes(body)
    }
}
