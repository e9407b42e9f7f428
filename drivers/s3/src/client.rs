//! One signed S3 request through the host's `http` import, and S3's errors
//! mapped onto the contract's kinds.

use crate::config::Config;
use crate::sigv4::{self, Stamp};
use crate::trove::driver::http::{self, Request, RequestBody};
use crate::wasi::io::streams::{InputStream, StreamError};
use crate::Error;

pub enum Payload {
    Empty,
    Bytes(Vec<u8>),
    /// A host stream of exactly this many bytes, sent unread
    /// (`UNSIGNED-PAYLOAD`: the guest never sees the bytes to hash them).
    Stream(InputStream, u64),
}

pub struct Req<'a> {
    pub method: &'a str,
    pub bucket: Option<&'a str>,
    pub key: Option<&'a str>,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub payload: Payload,
}

impl<'a> Req<'a> {
    pub fn new(method: &'a str, bucket: Option<&'a str>, key: Option<&'a str>) -> Self {
        Req {
            method,
            bucket,
            key,
            query: Vec::new(),
            headers: Vec::new(),
            payload: Payload::Empty,
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

    pub fn body(mut self, b: Vec<u8>) -> Self {
        self.payload = Payload::Bytes(b);
        self
    }
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

    /// The whole body (XML answers and errors: small).
    pub fn read_all(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        loop {
            match self.body.blocking_read(1 << 16) {
                Ok(b) => {
                    if out.len() + b.len() > (16 << 20) {
                        return Err(Error::Internal("S3 answer larger than 16 MiB".into()));
                    }
                    out.extend_from_slice(&b)
                }
                Err(StreamError::Closed) => return Ok(out),
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(Error::Unavailable(format!(
                        "reading the S3 answer: {}",
                        e.to_debug_string()
                    )))
                }
            }
        }
    }

    /// The XML body, parsed.
    pub fn xml(&self) -> Result<crate::xml::Element, Error> {
        let body = self.read_all()?;
        crate::xml::parse(&body).map_err(|e| Error::Internal(format!("S3 answer: {e}")))
    }

    /// This (failed) answer as the contract's error.
    pub fn error(&self, what: &str) -> Error {
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
    let detail = match (code.is_empty(), message.is_empty()) {
        (true, _) => format!("{what}: HTTP {status}"),
        (false, true) => format!("{what}: {code} (HTTP {status})"),
        (false, false) => format!("{what}: {code}: {message} (HTTP {status})"),
    };
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

/// Sign and send `req`; any HTTP status comes back as a `Resp`.
pub fn send(cfg: &Config, req: Req<'_>) -> Result<Resp, Error> {
    let (authority, path) = cfg.locate(req.bucket, req.key);
    let query = sigv4::canonical_query(&req.query);
    let url = if query.is_empty() {
        format!("{}://{authority}{path}", cfg.scheme)
    } else {
        format!("{}://{authority}{path}?{query}", cfg.scheme)
    };
    let mut headers = req.headers;
    let payload_hash = match &req.payload {
        Payload::Empty => sigv4::EMPTY_SHA256.to_string(),
        Payload::Bytes(b) => sigv4::sha256_hex(b),
        Payload::Stream(..) => "UNSIGNED-PAYLOAD".to_string(),
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
    let body = match req.payload {
        Payload::Empty => RequestBody::Empty,
        Payload::Bytes(b) => RequestBody::Bytes(b),
        Payload::Stream(s, n) => RequestBody::Stream((s, Some(n))),
    };
    let request = Request {
        method: req.method.to_string(),
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
