//! One authorized Azure Blob request through the host's `http` import, and
//! Azure's errors (`x-ms-error-code`) mapped onto the contract's kinds.

use crate::config::{Auth, Config};
use crate::sharedkey::{self, Canonical};
use crate::trove::driver::http::{self, Request, RequestBody};
use crate::wasi::io::streams::{InputStream, StreamError};
use crate::Error;

pub struct Req<'a> {
    pub method: &'a str,
    pub container: Option<&'a str>,
    pub blob: Option<&'a str>,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl<'a> Req<'a> {
    pub fn new(method: &'a str, container: Option<&'a str>, blob: Option<&'a str>) -> Self {
        Req {
            method,
            container,
            blob,
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
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
        self.body = b;
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
                        return Err(Error::Internal("Azure answer larger than 16 MiB".into()));
                    }
                    out.extend_from_slice(&b)
                }
                Err(StreamError::Closed) => return Ok(out),
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(Error::Unavailable(format!(
                        "reading the Azure answer: {}",
                        e.to_debug_string()
                    )))
                }
            }
        }
    }

    /// The XML body, parsed.
    pub fn xml(&self) -> Result<crate::xml::Element, Error> {
        let body = self.read_all()?;
        crate::xml::parse(&body).map_err(|e| Error::Internal(format!("Azure answer: {e}")))
    }

    /// Azure's error code: the `x-ms-error-code` header (also on HEAD
    /// answers, which have no body), else the XML body's `<Code>`.
    pub fn code(&self) -> String {
        self.header("x-ms-error-code")
            .unwrap_or_default()
            .to_string()
    }

    /// This (failed) answer as the contract's error.
    pub fn error(&self, what: &str) -> Error {
        let mut code = self.code();
        let mut message = String::new();
        if let Some(x) = self
            .read_all()
            .ok()
            .filter(|b| !b.is_empty())
            .and_then(|b| crate::xml::parse(&b).ok())
        {
            if code.is_empty() {
                code = x.text_of("Code").unwrap_or_default().to_string();
            }
            // The first line; the rest is a request id and a time.
            message = x
                .text_of("Message")
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
        }
        map_error(self.status, &code, &message, what)
    }
}

/// Azure's error code (or, without one, its status) as the contract's kind.
pub fn map_error(status: u16, code: &str, message: &str, what: &str) -> Error {
    let detail = match (code.is_empty(), message.is_empty()) {
        (true, _) => format!("{what}: HTTP {status}"),
        (false, true) => format!("{what}: {code} (HTTP {status})"),
        (false, false) => format!("{what}: {code}: {message} (HTTP {status})"),
    };
    match code {
        "BlobNotFound" => Error::ObjectNotFound(detail),
        "CannotVerifyCopySource" if status == 404 => Error::ObjectNotFound(detail),
        "ContainerNotFound" => Error::BucketNotFound(detail),
        "ContainerAlreadyExists" => Error::BucketExists(detail),
        // Deleting a container takes a while on Azure; creating it again
        // meanwhile fails with this: retryable.
        "ContainerBeingDeleted" | "ContainerDisabled" => Error::Unavailable(detail),
        "ConditionNotMet"
        | "SourceConditionNotMet"
        | "TargetConditionNotMet"
        | "BlobAlreadyExists"
        | "LeaseIdMissing"
        | "LeaseIdMismatch"
        | "LeaseAlreadyPresent" => Error::PreconditionFailed(detail),
        "AuthenticationFailed"
        | "AuthorizationFailure"
        | "AuthorizationPermissionMismatch"
        | "AuthorizationProtocolMismatch"
        | "AuthorizationResourceTypeMismatch"
        | "AuthorizationServiceMismatch"
        | "AuthorizationSourceIPMismatch"
        | "InsufficientAccountPermissions"
        | "AccountIsDisabled"
        | "NoAuthenticationInformation"
        | "InvalidAuthenticationInfo" => Error::PermissionDenied(detail),
        "InvalidResourceName"
        | "InvalidMetadata"
        | "MetadataTooLarge"
        | "InvalidRange"
        | "InvalidBlockList"
        | "InvalidBlockId"
        | "InvalidBlobOrBlock"
        | "InvalidQueryParameterValue"
        | "InvalidHeaderValue"
        | "InvalidInput"
        | "InvalidUri"
        | "InvalidXmlDocument"
        | "InvalidXmlNodeValue"
        | "InvalidMd5"
        | "Md5Mismatch"
        | "OutOfRangeInput"
        | "OutOfRangeQueryParameterValue"
        | "RequestBodyTooLarge"
        | "MissingRequiredHeader"
        | "MissingRequiredQueryParameter"
        | "MissingRequiredXmlNode"
        | "EmptyMetadataKey"
        | "InvalidBlobType"
        | "InvalidSourceBlobUrl"
        | "InvalidSourceBlobType" => Error::InvalidArgument(detail),
        "ServerBusy" | "InternalError" => Error::Unavailable(detail),
        "OperationTimedOut" => Error::Timeout(detail),
        "UnsupportedHeader"
        | "UnsupportedQueryParameter"
        | "UnsupportedHttpVerb"
        | "FeatureVersionMismatch"
        | "NotImplemented" => Error::Unsupported(detail),
        _ => match status {
            304 | 412 => Error::PreconditionFailed(detail),
            401 | 403 => Error::PermissionDenied(detail),
            404 => Error::ObjectNotFound(detail),
            409 => Error::PreconditionFailed(detail),
            416 => Error::InvalidArgument(detail),
            400 | 411 | 413 | 414 => Error::InvalidArgument(detail),
            501 => Error::Unsupported(detail),
            408 => Error::Timeout(detail),
            429 | 500..=599 => Error::Unavailable(detail),
            _ => Error::Internal(detail),
        },
    }
}

/// The URL of `container`/`blob` with `query` (encoded), plus the SAS token
/// when that is how the DSN authorizes.
pub fn url(
    cfg: &Config,
    container: Option<&str>,
    blob: Option<&str>,
    query: &[(String, String)],
) -> String {
    let mut q = sharedkey::query_string(query);
    if let Auth::Sas(sas) = &cfg.auth {
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(sas);
    }
    let base = cfg.url(container, blob);
    if q.is_empty() {
        base
    } else {
        format!("{base}?{q}")
    }
}

/// Authorize and send `req`; any HTTP status comes back as a `Resp`.
pub fn send(cfg: &Config, req: Req<'_>) -> Result<Resp, Error> {
    let url = url(cfg, req.container, req.blob, &req.query);
    let mut headers = req.headers;
    headers.push((
        "x-ms-date".into(),
        crate::common::dates::http_date(crate::common::dates::now()),
    ));
    headers.push(("x-ms-version".into(), sharedkey::VERSION.into()));
    if let Auth::Key(key) = &cfg.auth {
        let path = cfg.path(req.container, req.blob);
        let auth = sharedkey::authorization(
            &cfg.account,
            key,
            &Canonical {
                method: req.method,
                path: &path,
                query: &req.query,
                headers: &headers,
                content_length: req.body.len() as u64,
            },
        );
        headers.push(("authorization".into(), auth));
    }
    let body = if req.body.is_empty() {
        RequestBody::Empty
    } else {
        RequestBody::Bytes(req.body)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_azure_codes() {
        let kind = |status, code| match map_error(status, code, "", "op") {
            Error::ObjectNotFound(_) => "object-not-found",
            Error::BucketNotFound(_) => "bucket-not-found",
            Error::BucketExists(_) => "bucket-exists",
            Error::PreconditionFailed(_) => "precondition-failed",
            Error::PermissionDenied(_) => "permission-denied",
            Error::Unavailable(_) => "unavailable",
            Error::InvalidArgument(_) => "invalid-argument",
            Error::Timeout(_) => "timeout",
            _ => "other",
        };
        assert_eq!(kind(404, "BlobNotFound"), "object-not-found");
        assert_eq!(kind(404, "CannotVerifyCopySource"), "object-not-found");
        assert_eq!(kind(404, "ContainerNotFound"), "bucket-not-found");
        assert_eq!(kind(409, "ContainerAlreadyExists"), "bucket-exists");
        assert_eq!(kind(409, "ContainerBeingDeleted"), "unavailable");
        assert_eq!(kind(412, "ConditionNotMet"), "precondition-failed");
        assert_eq!(kind(409, "BlobAlreadyExists"), "precondition-failed");
        assert_eq!(kind(403, "AuthenticationFailed"), "permission-denied");
        assert_eq!(kind(503, "ServerBusy"), "unavailable");
        assert_eq!(kind(500, "InternalError"), "unavailable");
        assert_eq!(kind(429, ""), "unavailable");
        assert_eq!(kind(500, "OperationTimedOut"), "timeout");
        assert_eq!(kind(400, "InvalidMetadata"), "invalid-argument");
        assert_eq!(kind(403, ""), "permission-denied");
    }
}
