//! One authorized Azure Blob request through the host's `http` import, and
//! Azure's errors (`x-ms-error-code`) mapped onto the contract's kinds.

use crate::config::{Auth, Config};
use crate::sharedkey::{self, Canonical};
use crate::trove::driver::http::RequestBody;
use crate::Error;
use trove_driver_cloud::Body;

pub use trove_driver_cloud::Resp;

/// A request to `container`/`blob` (either absent for the account- or
/// container-level calls), built with the shared builder.
pub type Req<'a> = trove_driver_cloud::Request<'a, trove_driver_cloud::Object<'a>>;

/// What only Azure reads from an answer.
pub trait AzureResp {
    /// The XML body, parsed.
    fn xml(&self) -> Result<crate::xml::Element, Error>;
    /// Azure's error code: the `x-ms-error-code` header (also on HEAD
    /// answers, which have no body), else the XML body's `<Code>`.
    fn code(&self) -> String;
    /// This (failed) answer as the contract's error.
    fn error(&self, what: &str) -> Error;
}

impl AzureResp for Resp {
    fn xml(&self) -> Result<crate::xml::Element, Error> {
        let body = self.read_all()?;
        crate::xml::parse(&body).map_err(|e| Error::Internal(format!("Azure answer: {e}")))
    }

    fn code(&self) -> String {
        self.header("x-ms-error-code")
            .unwrap_or_default()
            .to_string()
    }

    fn error(&self, what: &str) -> Error {
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
    let detail = trove_driver_cloud::error_detail(what, status, code, message);
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
    let (method, url, headers, body) = authorized(cfg, req)?;
    trove_driver_cloud::send("Azure", method, url, headers, body)
}

/// Authorize `req` and start sending it; the answer comes from `Sent::wait`.
pub fn send_async(cfg: &Config, req: Req<'_>) -> Result<trove_driver_cloud::Sent, Error> {
    let (method, url, headers, body) = authorized(cfg, req)?;
    Ok(trove_driver_cloud::send_async(
        "Azure", method, url, headers, body,
    ))
}

/// The URL, the authorized headers and the body of `req`.
fn authorized<'a>(
    cfg: &Config,
    req: Req<'a>,
) -> Result<(&'a str, String, Vec<(String, String)>, RequestBody), Error> {
    let (container, blob) = (req.target.bucket, req.target.key);
    let url = url(cfg, container, blob, &req.query);
    let mut headers = req.headers;
    headers.push((
        "x-ms-date".into(),
        crate::common::dates::http_date(crate::common::dates::now()),
    ));
    headers.push(("x-ms-version".into(), sharedkey::VERSION.into()));
    let body = match req.body {
        Body::Empty => Vec::new(),
        Body::Bytes(b) => b,
        Body::Stream(..) => {
            return Err(Error::Internal(
                "the azblob driver sends no streamed request bodies".into(),
            ))
        }
    };
    if let Auth::Key(key) = &cfg.auth {
        let path = cfg.path(container, blob);
        let auth = sharedkey::authorization(
            &cfg.account,
            key,
            &Canonical {
                method: req.method,
                path: &path,
                query: &req.query,
                headers: &headers,
                content_length: body.len() as u64,
            },
        );
        headers.push(("authorization".into(), auth));
    }
    let body = if body.is_empty() {
        RequestBody::Empty
    } else {
        RequestBody::Bytes(body)
    };
    Ok((req.method, url, headers, body))
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
