//! One signed S3 request through the host's `http` import, and S3's errors
//! mapped onto the contract's kinds.

use crate::config::Config;
use crate::sigv4::{self, Stamp};
use crate::Error;
use trove_driver_cloud::Body;

pub use trove_driver_cloud::Resp;

/// A request to `bucket`/`key` (either absent for the service- or
/// bucket-level calls), built with the shared builder.
pub type Req<'a> = trove_driver_cloud::Request<'a, trove_driver_cloud::Object<'a>>;

/// What only S3 reads from an answer.
pub trait S3Resp {
    /// The XML body, parsed.
    fn xml(&self) -> Result<crate::xml::Element, Error>;
    /// This (failed) answer as the contract's error.
    fn error(&self, what: &str) -> Error;
}

impl S3Resp for Resp {
    fn xml(&self) -> Result<crate::xml::Element, Error> {
        let body = self.read_all()?;
        crate::xml::parse(&body).map_err(|e| Error::Internal(format!("S3 answer: {e}")))
    }

    fn error(&self, what: &str) -> Error {
        let (code, message) = if self.status == 304 {
            (String::new(), String::new())
        } else {
            match self
                .read_all()
                .ok()
                .and_then(|b| crate::xml::parse(&b).ok())
            {
                Some(e) => (
                    e.text_of("Code").unwrap_or_default().to_string(),
                    e.text_of("Message").unwrap_or_default().to_string(),
                ),
                None => (String::new(), String::new()),
            }
        };
        map_error(self.status, &code, &message, what)
    }
}

/// S3's error code (or, without one, its status) as the contract's kind.
pub fn map_error(status: u16, code: &str, message: &str, what: &str) -> Error {
    let detail = trove_driver_cloud::error_detail(what, status, code, message);
    match code {
        "NoSuchKey" => Error::ObjectNotFound(detail),
        "NoSuchBucket" => Error::BucketNotFound(detail),
        "NoSuchUpload" => Error::ObjectNotFound(detail),
        "BucketAlreadyOwnedByYou" | "BucketAlreadyExists" => Error::BucketExists(detail),
        "BucketNotEmpty" => Error::BucketNotEmpty(detail),
        "PreconditionFailed" | "ConditionalRequestConflict" => Error::PreconditionFailed(detail),
        "AccessDenied"
        | "SignatureDoesNotMatch"
        | "InvalidAccessKeyId"
        | "AllAccessDisabled"
        | "ExpiredToken"
        | "InvalidToken"
        | "RequestTimeTooSkewed" => Error::PermissionDenied(detail),
        "InvalidBucketName" | "InvalidArgument" | "InvalidRange" | "KeyTooLongError"
        | "EntityTooSmall" | "EntityTooLarge" | "InvalidPart" | "InvalidPartOrder"
        | "MetadataTooLarge" | "InvalidRequest" | "MalformedXML" => Error::InvalidArgument(detail),
        "SlowDown" | "ServiceUnavailable" | "InternalError" => Error::Unavailable(detail),
        "RequestTimeout" => Error::Timeout(detail),
        "NotImplemented" => Error::Unsupported(detail),
        _ => match status {
            304 | 412 => Error::PreconditionFailed(detail),
            401 | 403 => Error::PermissionDenied(detail),
            404 => Error::ObjectNotFound(detail),
            409 => Error::PreconditionFailed(detail),
            416 => Error::InvalidArgument(detail),
            400 | 411 | 413 | 414 => Error::InvalidArgument(detail),
            501 => Error::Unsupported(detail),
            429 | 500..=599 => Error::Unavailable(detail),
            _ => Error::Internal(detail),
        },
    }
}

/// In-memory bodies from this size on are sent with `UNSIGNED-PAYLOAD`.
const UNSIGNED_FROM: usize = 1 << 20;

/// Sign and send `req`; any HTTP status comes back as a `Resp`.
pub fn send(cfg: &Config, req: Req<'_>) -> Result<Resp, Error> {
    let (method, url, headers, body) = signed(cfg, req);
    trove_driver_cloud::send("S3", method, url, headers, body)
}

/// Sign `req` and start sending it; the answer comes from `Sent::wait`.
pub fn send_async(cfg: &Config, req: Req<'_>) -> trove_driver_cloud::Sent {
    let (method, url, headers, body) = signed(cfg, req);
    trove_driver_cloud::send_async("S3", method, url, headers, body)
}

/// The URL, the signed headers and the body of `req`.
fn signed<'a>(
    cfg: &Config,
    req: Req<'a>,
) -> (
    &'a str,
    String,
    Vec<(String, String)>,
    trove_driver_cloud::trove::driver::http::RequestBody,
) {
    let (authority, path) = cfg.locate(req.target.bucket, req.target.key);
    let query = sigv4::canonical_query(&req.query);
    let url = if query.is_empty() {
        format!("{}://{authority}{path}", cfg.scheme)
    } else {
        format!("{}://{authority}{path}?{query}", cfg.scheme)
    };
    let mut headers = req.headers;
    let payload_hash = match &req.body {
        Body::Empty => sigv4::EMPTY_SHA256.to_string(),
        // Bodies of a MiB and more (multipart parts) go `UNSIGNED-PAYLOAD`,
        // as streamed ones do: hashing 8 MiB in the guest cost more than
        // sending it (the part's integrity is the transport's, as for a
        // streamed put).
        Body::Bytes(b) if b.len() < UNSIGNED_FROM => sigv4::sha256_hex(b),
        // `UNSIGNED-PAYLOAD`: the guest never sees the bytes to hash them.
        Body::Bytes(_) | Body::Stream(..) => "UNSIGNED-PAYLOAD".to_string(),
    };
    if let Some(creds) = &cfg.credentials {
        headers.push(("host".into(), authority.clone()));
        sigv4::sign(
            creds,
            &cfg.region,
            &Stamp::at(crate::common::dates::now()),
            req.method,
            &path,
            &query,
            &mut headers,
            &payload_hash,
        );
        headers.retain(|(k, _)| k != "host");
    }
    (req.method, url, headers, req.body.into_http())
}

/// A presigned URL for `method` on `bucket/key`.
pub fn presign(
    cfg: &Config,
    method: &str,
    bucket: &str,
    key: &str,
    expires: u32,
) -> Result<String, Error> {
    let creds = cfg.credentials.as_ref().ok_or_else(|| {
        Error::InvalidArgument(
            "presigning needs credentials (DSN user:password or --credentials-env)".into(),
        )
    })?;
    let (authority, path) = cfg.locate(Some(bucket), Some(key));
    let q = sigv4::presign_query(
        creds,
        &cfg.region,
        &Stamp::at(crate::common::dates::now()),
        method,
        &path,
        &authority,
        expires,
    );
    Ok(format!("{}://{authority}{path}?{q}", cfg.scheme))
}
