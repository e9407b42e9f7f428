//! The `http` host import: a driver's only way to the network. Requests go out
//! through reqwest (rustls, no system proxy, no redirects), one client per
//! opened driver shared by its instances, and are checked against the
//! driver's [`HttpGrant`] on every request (the checks are in
//! [`crate::http_policy`]): scheme, host and port of the URL, then the
//! resolved addresses (loopback, private, link-local and cloud-metadata
//! addresses are refused unless the DSN itself named that host).
//!
//! The import is implemented on [`HttpView`]: the resource table, the grant
//! and the driver's name, nothing else of the store.
//!
//! Bodies stream both ways: a request body may be a host stream the driver got
//! from `stream-put` (sent unread), and the response body comes back as a host
//! input-stream that a driver can return unread from `get`.
//!
//! Timeouts: connect, first byte (the response head, counted from the last
//! byte of request body sent) and idle (no body byte for that long). Response
//! heads larger than [`MAX_RESPONSE_HEADER_BYTES`] are refused. Debug logs
//! (`RUST_LOG=trove::http=debug`) never show `Authorization`, signatures or
//! other secrets.

use crate::bindings::trove::driver::http as wit_http;
use crate::bindings::wit::Error as WitError;
use crate::http_policy::{headers_for_log, request_headers, GuardedResolver, HttpGrant, Refused};
use crate::progress::{with_progress, Progress};
use bytes::Bytes;
use futures::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::{HasData, Resource, ResourceTable};
use wasmtime_wasi::p2::pipe::AsyncReadStream;
use wasmtime_wasi::p2::{DynInputStream, StreamError};

/// The most a response head (status line excluded) may hold.
pub const MAX_RESPONSE_HEADER_BYTES: usize = 64 << 10;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(30);
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Chunk size when a host stream is sent as a request body.
const BODY_CHUNK: usize = 1 << 20;

/// Map a reqwest failure to the contract's error; a grant refusal found in
/// the error chain is `permission-denied`.
fn map_error(e: &reqwest::Error, what: &str) -> WitError {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return WitError::PermissionDenied(r.0.clone());
        }
        src = s.source();
    }
    let chain = {
        let mut parts = vec![e.to_string()];
        let mut s = std::error::Error::source(e);
        while let Some(x) = s {
            parts.push(x.to_string());
            s = x.source();
        }
        crate::dsn::redact(&parts.join(": "))
    };
    if e.is_timeout() {
        WitError::Timeout(format!("{what}: {chain}"))
    } else {
        WitError::Unavailable(format!("{what}: {chain}"))
    }
}

/// A host stream as a request body, counting bytes as they go.
fn stream_body(stream: DynInputStream, progress: Progress) -> reqwest::Body {
    let s = futures::stream::unfold(Some(stream), move |state| {
        let progress = progress.clone();
        async move {
            let mut stream = state?;
            loop {
                match stream.blocking_read(BODY_CHUNK).await {
                    Ok(b) if b.is_empty() => continue,
                    Ok(b) => {
                        progress.add(b.len());
                        return Some((Ok::<Bytes, std::io::Error>(b), Some(stream)));
                    }
                    Err(StreamError::Closed) => return None,
                    Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
                }
            }
        }
    });
    reqwest::Body::wrap_stream(s)
}

/// What the `http` import sees of the store.
pub(crate) struct HttpView<'a> {
    pub(crate) table: &'a mut ResourceTable,
    pub(crate) grant: Option<&'a HttpGrant>,
    pub(crate) driver: &'a str,
}

/// The `http` import's [`HasData`]: its functions get an [`HttpView`].
pub(crate) struct HttpImport;

impl HasData for HttpImport {
    type Data<'a> = HttpView<'a>;
}

/// The client shared by every instance of one opened driver.
fn client(grant: &HttpGrant) -> Result<reqwest::Client, String> {
    grant
        .client
        .get_or_init(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(CONNECT_TIMEOUT)
                .read_timeout(IDLE_TIMEOUT)
                // Below Node's 5 s keep-alive (Azurite): a connection the server
                // closed while idle is never reused.
                .pool_idle_timeout(Duration::from_secs(4))
                .pool_max_idle_per_host(32)
                .dns_resolver(Arc::new(GuardedResolver {
                    private_hosts: grant.private_hosts.clone(),
                }))
                .build()
                .map_err(|e| format!("building the HTTP client: {e}"))
        })
        .clone()
}

impl wit_http::Host for HttpView<'_> {
    async fn send(
        &mut self,
        req: wit_http::Request,
        body: wit_http::RequestBody,
    ) -> wasmtime::Result<Result<(wit_http::Response, Resource<DynInputStream>), WitError>> {
        let driver = self.driver.to_string();
        // Take a streamed body out of the table first, so it is freed whatever happens.
        let (body, length) = match body {
            wit_http::RequestBody::Empty => (ReqBody::Empty, Some(0)),
            wit_http::RequestBody::Bytes(b) => {
                let n = b.len() as u64;
                (ReqBody::Bytes(b), Some(n))
            }
            wit_http::RequestBody::Stream((res, len)) => {
                let stream = self.table.delete(res)?;
                (ReqBody::Stream(stream), len)
            }
        };
        let Some(grant) = self.grant.cloned() else {
            return Ok(Err(WitError::PermissionDenied(format!(
                "refused by the host: driver {driver} has no http grant for this DSN \
                 (it declares none, or the user did not allow it)"
            ))));
        };
        let url = match reqwest::Url::parse(&req.url) {
            Ok(u) => u,
            Err(e) => {
                return Ok(Err(WitError::InvalidArgument(format!(
                    "bad request URL {}: {e}",
                    crate::dsn::redact(&req.url)
                ))))
            }
        };
        if let Err(m) = grant.check(&url) {
            tracing::debug!(target: "trove::http", driver, url = %crate::dsn::redact(url.as_str()), "{m}");
            return Ok(Err(WitError::PermissionDenied(m)));
        }
        let client = match client(&grant) {
            Ok(c) => c,
            Err(m) => return Ok(Err(WitError::Internal(m))),
        };
        let method = match reqwest::Method::from_bytes(req.method.as_bytes()) {
            Ok(m) => m,
            Err(_) => {
                return Ok(Err(WitError::InvalidArgument(format!(
                    "bad HTTP method {:?}",
                    req.method
                ))))
            }
        };
        let headers = match request_headers(&req.headers) {
            Ok(h) => h,
            Err(m) => return Ok(Err(WitError::InvalidArgument(m))),
        };
        let mut rb = client.request(method.clone(), url.clone()).headers(headers);
        let progress = Progress::default();
        // reqwest sends no Content-Length for an empty body, and Azure
        // refuses a PUT or POST without one (411; Azurite: 400).
        let needs_length = matches!(
            method,
            reqwest::Method::PUT | reqwest::Method::POST | reqwest::Method::PATCH
        );
        rb = match body {
            ReqBody::Empty if needs_length => rb.header(reqwest::header::CONTENT_LENGTH, 0),
            ReqBody::Bytes(b) if b.is_empty() && needs_length => {
                rb.header(reqwest::header::CONTENT_LENGTH, 0)
            }
            ReqBody::Empty => rb,
            ReqBody::Bytes(b) => rb.body(b),
            ReqBody::Stream(s) => {
                let mut rb = rb.body(stream_body(s, progress.clone()));
                if let Some(n) = length {
                    rb = rb.header(reqwest::header::CONTENT_LENGTH, n);
                }
                rb
            }
        };
        tracing::debug!(
            target: "trove::http",
            driver,
            "-> {method} {} [{}] body={}",
            crate::dsn::redact(url.as_str()),
            headers_for_log(&req.headers),
            length.map_or("streamed".to_string(), |n| format!("{n} bytes"))
        );
        let started = Instant::now();
        let resp = match with_progress(FIRST_BYTE_TIMEOUT, &progress, rb.send()).await {
            Err(_) => {
                return Ok(Err(WitError::Timeout(format!(
                    "{method} {}: no response within {FIRST_BYTE_TIMEOUT:?}",
                    crate::dsn::redact(url.as_str())
                ))))
            }
            Ok(Err(e)) => {
                let err = map_error(&e, &format!("{method} {}", url.host_str().unwrap_or("")));
                tracing::debug!(target: "trove::http", driver, "<- {method} failed: {err:?}");
                return Ok(Err(err));
            }
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        let mut size = 0usize;
        let mut headers = Vec::with_capacity(resp.headers().len());
        for (k, v) in resp.headers() {
            size += k.as_str().len() + v.len() + 4;
            headers.push((
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            ));
        }
        if size > MAX_RESPONSE_HEADER_BYTES {
            return Ok(Err(WitError::Unavailable(format!(
                "response head of {size} bytes exceeds the host's limit of {MAX_RESPONSE_HEADER_BYTES}"
            ))));
        }
        tracing::debug!(
            target: "trove::http",
            driver,
            "<- {status} {method} {} in {:?} [{}]",
            crate::dsn::redact(url.as_str()),
            started.elapsed(),
            headers_for_log(&headers)
        );
        let body = resp
            .bytes_stream()
            .map(|r| r.map_err(std::io::Error::other));
        let reader = tokio_util::io::StreamReader::new(body);
        let stream: DynInputStream = Box::new(AsyncReadStream::new(reader));
        let res = self.table.push(stream)?;
        Ok(Ok((wit_http::Response { status, headers }, res)))
    }
}

enum ReqBody {
    Empty,
    Bytes(Vec<u8>),
    Stream(DynInputStream),
}
