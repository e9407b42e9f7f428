//! What the gateway checks on a request before s3s sees it: the rules of
//! S3 that s3s (0.14) does not apply, answered as S3 answers them.
//!
//! - A presigned URL valid for more than 7 days is refused (400
//!   `AuthorizationQueryParametersError`), and one that has expired is
//!   `AccessDenied` (403), not s3s's 400.
//! - An empty `Content-MD5` is `InvalidDigest`.
//! - A SigV4 request dated by `Date` alone (no `X-Amz-Date`), which SigV4
//!   allows, gets the `X-Amz-Date` s3s needs, from its `Date`.
//! - A PUT sent with `Transfer-Encoding: chunked` and no `Content-Length`
//!   (which s3s refuses) is first written to a temporary file, up to S3's
//!   5 GiB, and then handed on with its length.

use http::{HeaderValue, Request, StatusCode};
use std::time::{Duration, SystemTime};

/// The longest a presigned URL may be valid, as S3 allows.
pub const PRESIGN_MAX: Duration = Duration::from_secs(7 * 24 * 3600);

/// A request refused here: its status, S3 code and message.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl Refused {
    pub fn response(&self) -> s3s::HttpResponse {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{}</Code><Message>{}</Message></Error>",
            self.code,
            xml_escape(&self.message)
        );
        let mut r = http::Response::new(s3s::Body::from(xml));
        *r.status_mut() = self.status;
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        );
        r
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Checks (and where needed completes) `req`; `Some` when it is refused.
pub fn request<B>(req: &mut Request<B>, now: SystemTime) -> Option<Refused> {
    if let Some(r) = presigned(req.uri().query().unwrap_or(""), now) {
        return Some(r);
    }
    if req
        .headers()
        .get("content-md5")
        .is_some_and(|v| v.as_bytes().iter().all(u8::is_ascii_whitespace))
    {
        return Some(Refused {
            status: StatusCode::BAD_REQUEST,
            code: "InvalidDigest",
            message: "Content-MD5 is empty".into(),
        });
    }
    date_for_sigv4(req);
    None
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn presigned(query: &str, now: SystemTime) -> Option<Refused> {
    let expires = query_param(query, "X-Amz-Expires")?;
    let date = query_param(query, "X-Amz-Date")?;
    let bad = |m: String| Refused {
        status: StatusCode::BAD_REQUEST,
        code: "AuthorizationQueryParametersError",
        message: m,
    };
    let expired = || Refused {
        status: StatusCode::FORBIDDEN,
        code: "AccessDenied",
        message: "Request has expired".into(),
    };
    let Ok(secs) = expires.parse::<i64>() else {
        return Some(bad(format!(
            "X-Amz-Expires must be a number of seconds, not {expires:?}"
        )));
    };
    // A negative lifetime has always expired.
    let Ok(secs) = u64::try_from(secs) else {
        return Some(expired());
    };
    if secs > PRESIGN_MAX.as_secs() {
        return Some(bad(format!(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds, not {secs}"
        )));
    }
    let signed = parse_amz_date(date)?;
    if now > signed + Duration::from_secs(secs) {
        return Some(expired());
    }
    None
}

/// The form of `X-Amz-Date`: ISO 8601 basic, UTC.
macro_rules! amz_date {
    () => {
        time::macros::format_description!("[year][month][day]T[hour][minute][second]Z")
    };
}

/// `YYYYMMDDTHHMMSSZ` as a time.
fn parse_amz_date(s: &str) -> Option<SystemTime> {
    time::PrimitiveDateTime::parse(s, amz_date!())
        .ok()
        .map(|t| t.assume_utc().into())
}

/// SigV4 takes the request time from `X-Amz-Date`, or else from `Date`;
/// s3s reads only the first, so a request signed with `Date` gets it.
fn date_for_sigv4<B>(req: &mut Request<B>) {
    let h = req.headers();
    let sigv4 = h
        .get(http::header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes().starts_with(b"AWS4-HMAC-SHA256"));
    if !sigv4 || h.contains_key("x-amz-date") {
        return;
    }
    let Some(t) = h
        .get(http::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
    else {
        return;
    };
    let Ok(v) = time::OffsetDateTime::from(t).format(amz_date!()) else {
        return;
    };
    if let Ok(v) = HeaderValue::from_str(&v) {
        req.headers_mut().insert("x-amz-date", v);
    }
}

/// The largest body of unknown length taken (S3's single-PUT limit).
pub const UNSIZED_MAX: u64 = 5 << 30;

/// The request, its body now of known length when it was sent chunked
/// without one (see the module's notes); a refusal when it is too large or
/// cannot be read.
pub async fn unsized_body<B>(req: Request<B>) -> Result<s3s::HttpRequest, Refused>
where
    B: http_body::Body<Data = bytes::Bytes> + Send + Sync + Unpin + 'static,
    B::Error: std::fmt::Display,
    s3s::StdError: From<B::Error>,
{
    let h = req.headers();
    let chunked = h
        .get(http::header::TRANSFER_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let no_length = req.method() == http::Method::PUT
        && chunked
        && !h.contains_key(http::header::CONTENT_LENGTH)
        && !h.contains_key("x-amz-decoded-content-length");
    if !no_length {
        return Ok(req.map(s3s::Body::http_body));
    }
    let (parts, body) = req.into_parts();
    let (file, len) = spool_body(body).await?;
    Ok(spooled(parts, file, len))
}

/// The request with its spooled body, of known length now.
fn spooled(mut parts: http::request::Parts, file: tokio::fs::File, len: u64) -> s3s::HttpRequest {
    parts.headers.remove(http::header::TRANSFER_ENCODING);
    parts
        .headers
        .insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
    let stream = tokio_util::io::ReaderStream::with_capacity(file, 256 << 10);
    let body = http_body_util::StreamBody::new(futures::TryStreamExt::map_ok(
        stream,
        hyper::body::Frame::data,
    ));
    Request::from_parts(parts, s3s::Body::http_body(body))
}

async fn spool_body<B>(mut body: B) -> Result<(tokio::fs::File, u64), Refused>
where
    B: http_body::Body<Data = bytes::Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    use http_body_util::BodyExt;
    use tokio::io::{AsyncSeekExt, AsyncWriteExt};
    let io = |e: std::io::Error| Refused {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "InternalError",
        message: format!("spooling a body of unknown length: {e}"),
    };
    let mut file = tokio::fs::File::from_std(tempfile::tempfile().map_err(io)?);
    let mut len = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Refused {
            status: StatusCode::BAD_REQUEST,
            code: "IncompleteBody",
            message: format!("reading the body: {e}"),
        })?;
        if let Ok(data) = frame.into_data() {
            len += data.len() as u64;
            if len > UNSIZED_MAX {
                return Err(Refused {
                    status: StatusCode::BAD_REQUEST,
                    code: "EntityTooLarge",
                    message: format!("a body of unknown length is taken up to {UNSIZED_MAX} bytes"),
                });
            }
            file.write_all(&data).await.map_err(io)?;
        }
    }
    file.flush().await.map_err(io)?;
    file.seek(std::io::SeekFrom::Start(0)).await.map_err(io)?;
    Ok((file, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> SystemTime {
        parse_amz_date(s).unwrap()
    }

    #[test]
    fn presigned_urls() {
        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261202T100000Z&X-Amz-Expires=60";
        assert_eq!(presigned(q, at("20261202T100030Z")), None);
        let r = presigned(q, at("20261202T100101Z")).unwrap();
        assert_eq!((r.status, r.code), (StatusCode::FORBIDDEN, "AccessDenied"));
        let q = "X-Amz-Date=20261202T100000Z&X-Amz-Expires=604801";
        let r = presigned(q, at("20261202T100000Z")).unwrap();
        assert_eq!(r.code, "AuthorizationQueryParametersError");
        let q = "X-Amz-Date=20261202T100000Z&X-Amz-Expires=604800";
        assert_eq!(presigned(q, at("20261202T100000Z")), None);
        assert_eq!(presigned("a=b", at("20261202T100000Z")), None);
        let q = "X-Amz-Date=20261202T100000Z&X-Amz-Expires=-1000";
        let r = presigned(q, at("20261202T100000Z")).unwrap();
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }

    #[test]
    fn dates() {
        let t = at("20240229T235959Z");
        let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs, 1709251199);
        assert_eq!(parse_amz_date("20240230T000000Z"), None);
        let mut req = Request::builder()
            .header("authorization", "AWS4-HMAC-SHA256 Credential=x")
            .header("date", "Thu, 29 Feb 2024 23:59:59 GMT")
            .body(())
            .unwrap();
        assert_eq!(request(&mut req, SystemTime::now()), None);
        assert_eq!(req.headers()["x-amz-date"], "20240229T235959Z");
    }
}
