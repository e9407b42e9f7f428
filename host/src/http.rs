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
//! input-stream that a driver can return unread from `get`. A driver may also
//! write a body as it produces it (`start` and a [`BodyWriter`]), and keep
//! several requests in flight (`send-async`, [`PendingRequest`]): each runs
//! in its own task, bounded per opened driver by [`MAX_IN_FLIGHT`](crate::http_policy::MAX_IN_FLIGHT) requests
//! and [`MAX_IN_FLIGHT_BYTES`] of `bytes` bodies ([`Flights`](crate::http_policy::Flights)).
//!
//! Timeouts: connect, and idle (`--http-idle-timeout`): no byte moved either
//! way for that long, counted from the last request body byte the connection
//! took (twice as long once the body is all taken: the kernel may still
//! hold some) until the response head, then between response body chunks. A request whose body
//! moves steadily is never cut off however long it takes. Response heads
//! larger than [`MAX_RESPONSE_HEADER_BYTES`] are refused. Debug logs
//! (`RUST_LOG=trove::http=debug`) never show `Authorization`, signatures or
//! other secrets.
//!
//! Retries: a request the host can send again unchanged (no body, or a
//! `bytes` body the host holds whole) is sent again when the answer is 429
//! or 503 (the server did not take it), and, for GET, HEAD, PUT and DELETE,
//! when no answer came (refused, reset, timed out) or it is 502 or 504,
//! under the call's retry budget
//! ([`crate::retry`], which honours `Retry-After`). The driver sees the last
//! answer only when the budget is spent. Streamed bodies are never retried
//! here (the host does not keep them); the call around them may be.

use crate::bindings::trove::driver::http as wit_http;
use crate::bindings::wit::Error as WitError;
use crate::http_policy::{
    headers_for_log, request_headers, GuardedResolver, HttpGrant, Refused, MAX_IN_FLIGHT_BYTES,
};
use crate::progress::{with_progress_by, Progress};
use crate::retry::CallCtx;
use bytes::Bytes;
use futures::StreamExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, OwnedSemaphorePermit};
use wasmtime::component::{HasData, Resource, ResourceTable};
use wasmtime_wasi::p2::pipe::AsyncReadStream;
use wasmtime_wasi::p2::{DynInputStream, DynPollable, Pollable, StreamError};

/// The most a response head (status line excluded) may hold.
pub const MAX_RESPONSE_HEADER_BYTES: usize = 64 << 10;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Chunk size when a host stream is sent as a request body.
const BODY_CHUNK: usize = 1 << 20;
/// Chunk size when a `bytes` body is sent (each chunk counts as progress).
const BYTES_CHUNK: usize = 64 << 10;

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

/// A request body handed to reqwest in pieces of at most [`BYTES_CHUNK`],
/// each counted as progress when reqwest takes it: it takes the next only
/// once it has written what it holds, so the count follows the socket
/// (a whole 1 MiB chunk counted at once would run ahead of the wire).
fn paced<S>(source: S, progress: Progress, sent: Arc<AtomicBool>) -> reqwest::Body
where
    S: futures::Stream<Item = std::io::Result<Bytes>> + Send + Unpin + 'static,
{
    let s = futures::stream::unfold((source, Bytes::new()), move |(mut source, mut rest)| {
        let (progress, sent) = (progress.clone(), sent.clone());
        async move {
            while rest.is_empty() {
                let Some(next) = source.next().await else {
                    sent.store(true, Ordering::Release);
                    return None;
                };
                match next {
                    Ok(b) => rest = b,
                    Err(e) => return Some((Err(e), (source, rest))),
                }
            }
            let piece = rest.split_to(rest.len().min(BYTES_CHUNK));
            progress.add(piece.len());
            Some((Ok(piece), (source, rest)))
        }
    });
    reqwest::Body::wrap_stream(s)
}

/// A host stream as a request body.
fn stream_body(stream: DynInputStream, progress: Progress, sent: Arc<AtomicBool>) -> reqwest::Body {
    let s = futures::stream::unfold(Some(stream), |state| async move {
        let mut stream = state?;
        loop {
            match stream.blocking_read(BODY_CHUNK).await {
                Ok(b) if b.is_empty() => continue,
                Ok(b) => return Some((Ok::<Bytes, std::io::Error>(b), Some(stream))),
                Err(StreamError::Closed) => return None,
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
            }
        }
    });
    paced(Box::pin(s), progress, sent)
}

/// A body the host holds whole (a slow upload of a large part is not idle).
fn bytes_body(data: Bytes, progress: Progress, sent: Arc<AtomicBool>) -> reqwest::Body {
    paced(futures::stream::iter([Ok(data)]), progress, sent)
}

/// A response body that fails when no chunk comes for `idle`. A failure
/// mid-body is the contract's `unavailable` (the connection broke) or
/// `timeout` (it went idle), so that the caller knows a new get may succeed.
fn response_body(resp: reqwest::Response, idle: Duration, what: String) -> DynInputStream {
    let fail = |kind, msg: String| {
        Err::<Bytes, _>(std::io::Error::other(crate::error::Error::new(kind, msg)))
    };
    let s = futures::stream::unfold(Some((resp.bytes_stream(), 0u64)), move |state| {
        let what = what.clone();
        async move {
            let (mut body, seen) = state?;
            match tokio::time::timeout(idle, body.next()).await {
                Ok(Some(Ok(b))) => {
                    let n = seen + b.len() as u64;
                    Some((Ok(b), Some((body, n))))
                }
                Ok(None) => None,
                Ok(Some(Err(e))) => {
                    let e = map_error(&e, "");
                    let msg = format!("{what}: the response body broke after {seen} bytes: {e:?}");
                    Some((fail(crate::error::ErrorKind::Unavailable, msg), None))
                }
                Err(_) => {
                    let msg =
                        format!("{what}: no response body byte for {idle:?} after {seen} bytes");
                    Some((fail(crate::error::ErrorKind::Timeout, msg), None))
                }
            }
        }
    });
    let reader = tokio_util::io::StreamReader::new(s);
    Box::new(AsyncReadStream::new(reader))
}

/// What the `http` import sees of the store.
pub(crate) struct HttpView<'a> {
    pub(crate) table: &'a mut ResourceTable,
    pub(crate) grant: Option<&'a HttpGrant>,
    pub(crate) driver: &'a str,
    /// No byte either way for this long fails a request (`timeout`).
    pub(crate) idle: Duration,
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
                // No read_timeout: reqwest's runs from the request's start
                // to the response head, however steadily the body moves.
                // The idle timeouts are ours (`execute`, `response_body`).
                // Below Node's 5 s keep-alive (Azurite): a connection the server
                // closed while idle is never reused.
                .pool_idle_timeout(Duration::from_secs(4))
                .pool_max_idle_per_host(32)
                // HTTP/1.1 only, whatever features other crates turn on in
                // reqwest (object_store's `aws` enables `http2` under
                // `cargo test --workspace`): the idle and progress accounting
                // is per connection, one request at a time.
                .http1_only()
                .dns_resolver(Arc::new(GuardedResolver {
                    private_hosts: grant.private_hosts.clone(),
                }))
                .build()
                .map_err(|e| format!("building the HTTP client: {e}"))
        })
        .clone()
}

/// A checked request, ready to go: the builder and what its logs say.
struct Outgoing {
    driver: String,
    method: reqwest::Method,
    url: reqwest::Url,
    rb: reqwest::RequestBuilder,
    progress: Progress,
    /// Set when the whole request body was handed to the connection.
    sent: Arc<AtomicBool>,
    idle: Duration,
}

type Answer = Result<(wit_http::Response, DynInputStream), WitError>;

/// Checks one request against the grant and builds it (no I/O).
fn prepare(
    driver: &str,
    grant: Option<&HttpGrant>,
    req: wit_http::Request,
    body: ReqBody,
    length: Option<u64>,
    idle: Duration,
    progress: Progress,
) -> Result<Outgoing, WitError> {
    let driver = driver.to_string();
    let Some(grant) = grant else {
        return Err(WitError::PermissionDenied(format!(
            "refused by the host: driver {driver} has no http grant for this DSN \
             (it declares none, or the user did not allow it)"
        )));
    };
    let url = reqwest::Url::parse(&req.url).map_err(|e| {
        WitError::InvalidArgument(format!(
            "bad request URL {}: {e}",
            crate::dsn::redact(&req.url)
        ))
    })?;
    if let Err(m) = grant.check(&url) {
        tracing::debug!(target: "trove::http", driver, url = %crate::dsn::redact(url.as_str()), "{m}");
        return Err(WitError::PermissionDenied(m));
    }
    let client = client(grant).map_err(WitError::Internal)?;
    let method = reqwest::Method::from_bytes(req.method.as_bytes())
        .map_err(|_| WitError::InvalidArgument(format!("bad HTTP method {:?}", req.method)))?;
    let headers = request_headers(&req.headers).map_err(WitError::InvalidArgument)?;
    let mut rb = client.request(method.clone(), url.clone()).headers(headers);
    // reqwest sends no Content-Length for an empty body, and Azure
    // refuses a PUT or POST without one (411; Azurite: 400).
    let needs_length = matches!(
        method,
        reqwest::Method::PUT | reqwest::Method::POST | reqwest::Method::PATCH
    );
    let streamed = !matches!(body, ReqBody::Empty);
    let sent = Arc::new(AtomicBool::new(false));
    if matches!(&body, ReqBody::Empty) || matches!(&body, ReqBody::Bytes(b) if b.is_empty()) {
        sent.store(true, Ordering::Release);
    }
    rb = match body {
        ReqBody::Empty if needs_length => rb.header(reqwest::header::CONTENT_LENGTH, 0),
        ReqBody::Bytes(b) if b.is_empty() && needs_length => {
            rb.header(reqwest::header::CONTENT_LENGTH, 0)
        }
        ReqBody::Empty => rb,
        ReqBody::Bytes(b) if b.is_empty() => rb,
        ReqBody::Bytes(b) => rb.body(bytes_body(b, progress.clone(), sent.clone())),
        ReqBody::Stream(s) => rb.body(stream_body(s, progress.clone(), sent.clone())),
        ReqBody::Written(rx, finished) => {
            rb.body(written_body(rx, finished, progress.clone(), sent.clone()))
        }
    };
    if let (Some(n), true) = (length, streamed) {
        rb = rb.header(reqwest::header::CONTENT_LENGTH, n);
    }
    tracing::debug!(
        target: "trove::http",
        driver,
        "-> {method} {} [{}] body={}",
        crate::dsn::redact(url.as_str()),
        headers_for_log(&req.headers),
        length.map_or("streamed".to_string(), |n| format!("{n} bytes"))
    );
    Ok(Outgoing {
        driver,
        method,
        url,
        rb,
        progress,
        sent,
        idle,
    })
}

/// Sends a prepared request and waits for its head.
async fn execute(o: Outgoing) -> Answer {
    let Outgoing {
        driver,
        method,
        url,
        rb,
        progress,
        sent,
        idle,
    } = o;
    let started = Instant::now();
    // Progress counts bytes the connection took, not bytes on the wire:
    // once the last is taken, the kernel may still hold a few MiB of the
    // body (Linux lets a send buffer grow to 4 MiB), which leave at the
    // link's pace before the server can answer. So the answer may take
    // twice the idle timeout after the body's end.
    let window = || match sent.load(Ordering::Acquire) {
        true => idle * 2,
        false => idle,
    };
    let resp = match with_progress_by(window, &progress, rb.send()).await {
        Err(_) => {
            return Err(WitError::Timeout(format!(
                "{method} {}: no byte moved for {:?} ({} body bytes sent, no response)",
                crate::dsn::redact(url.as_str()),
                window(),
                progress.get()
            )))
        }
        Ok(Err(e)) => {
            let err = map_error(&e, &format!("{method} {}", url.host_str().unwrap_or("")));
            tracing::debug!(target: "trove::http", driver, "<- {method} failed: {err:?}");
            return Err(err);
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
        return Err(WitError::Unavailable(format!(
            "response head of {size} bytes exceeds the host's limit of {MAX_RESPONSE_HEADER_BYTES}"
        )));
    }
    tracing::debug!(
        target: "trove::http",
        driver,
        "<- {status} {method} {} in {:?} [{}]",
        crate::dsn::redact(url.as_str()),
        started.elapsed(),
        headers_for_log(&headers)
    );
    let what = format!("{method} {}", crate::dsn::redact(url.as_str()));
    let stream = response_body(resp, idle, what);
    Ok((wit_http::Response { status, headers }, stream))
}

/// A request the host can send again unchanged: a body it holds whole (or
/// none).
fn held_whole(body: &ReqBody) -> bool {
    matches!(body, ReqBody::Empty | ReqBody::Bytes(_))
}

/// A method whose request may be sent twice with the effect of once.
fn idempotent(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "PUT" | "DELETE")
}

/// Whether an answer is worth another attempt, with the server's
/// `Retry-After`. 429 and 503 say the server did not take the request (S3's
/// SlowDown), so any method is sent again, as the AWS SDKs do (a POST that
/// creates a multipart upload, or completes one). No answer at all
/// (refused, reset, timed out), 502 and 504 may come after the server acted:
/// only an idempotent method is sent again. A 500 is not retried: servers
/// answer it for failures that do not go away (the call around may still
/// retry what the driver maps to `unavailable`).
fn retryable(method: &str, a: &Answer) -> Option<Option<Duration>> {
    let hint = |r: &wit_http::Response| {
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
            .and_then(|(_, v)| crate::retry::retry_after(v))
    };
    match a {
        Ok((r, _)) if matches!(r.status, 429 | 503) => Some(hint(r)),
        Ok((r, _)) if matches!(r.status, 502 | 504) && idempotent(method) => Some(hint(r)),
        Err(WitError::Unavailable(_) | WitError::Timeout(_)) if idempotent(method) => Some(None),
        _ => None,
    }
}

/// A request with what it needs to be sent again.
struct Attempts {
    driver: String,
    grant: Option<HttpGrant>,
    req: wit_http::Request,
    body: ReqBody,
    length: Option<u64>,
    idle: Duration,
    /// The call's context, or the request's own when it was sent outside one.
    ctx: Arc<CallCtx>,
}

impl Attempts {
    fn new(
        view: &HttpView<'_>,
        req: wit_http::Request,
        body: ReqBody,
        length: Option<u64>,
    ) -> Self {
        Attempts {
            driver: view.driver.to_string(),
            grant: view.grant.cloned(),
            req,
            body,
            length,
            idle: view.idle,
            ctx: CallCtx::current().unwrap_or_else(|| CallCtx::new(view.idle * 2)),
        }
    }

    /// Sends the request, again while the answer is retryable and the
    /// budget allows.
    async fn run(self) -> Answer {
        let Attempts {
            driver,
            grant,
            req,
            body,
            length,
            idle,
            ctx,
        } = self;
        if !held_whole(&body) {
            // A request's bytes are progress of the call that sent it.
            let progress = ctx.progress.child();
            let o = prepare(&driver, grant.as_ref(), req, body, length, idle, progress)?;
            return ctx.scope(execute(o)).await;
        }
        loop {
            let progress = ctx.progress.child();
            let o = prepare(
                &driver,
                grant.as_ref(),
                req.clone(),
                body.replay(),
                length,
                idle,
                progress,
            )?;
            let a = ctx.scope(execute(o)).await;
            let Some(hint) = retryable(&req.method, &a) else {
                // Only an answer the server took ends a streak of failures
                // (a failure not worth retrying here must not reset the
                // budget of the call that may retry it).
                if matches!(&a, Ok((r, _)) if r.status < 500 && r.status != 429) {
                    ctx.budget.success();
                }
                return a;
            };
            let Some(delay) = ctx.budget.next_delay(hint) else {
                return a;
            };
            let why = match &a {
                Ok((r, _)) => format!("HTTP {}", r.status),
                Err(e) => format!("{e:?}"),
            };
            tracing::debug!(
                target: "trove::http",
                driver,
                "{} {}: retrying in {delay:?} after {why}",
                req.method,
                crate::dsn::redact(&req.url)
            );
            drop(a);
            tokio::time::sleep(delay).await;
        }
    }
}

/// Chunks a `body-writer` may have written and the host not yet sent.
const WRITER_DEPTH: usize = 4;

/// A request on its way: the task sending it, then its answer.
pub(crate) struct PendingRequest {
    task: Option<tokio::task::JoinHandle<Answer>>,
    answer: Option<Answer>,
    taken: bool,
}

impl PendingRequest {
    /// Runs `answer` in a task that holds `permits` until the answer's head
    /// is in.
    fn spawn(
        answer: impl std::future::Future<Output = Answer> + Send + 'static,
        permits: Vec<OwnedSemaphorePermit>,
    ) -> Self {
        PendingRequest {
            task: Some(tokio::spawn(async move {
                let answer = answer.await;
                drop(permits);
                answer
            })),
            answer: None,
            taken: false,
        }
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for PendingRequest {
    async fn ready(&mut self) {
        if let Some(task) = self.task.as_mut() {
            let answer = task.await.unwrap_or_else(|e| {
                Err(WitError::Internal(format!("the request's task ended: {e}")))
            });
            self.task = None;
            self.answer = Some(answer);
        }
    }
}

impl Drop for PendingRequest {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

/// The driver's end of a body it writes: chunks go through a bounded
/// channel to the request's body stream.
pub(crate) struct BodyWriter {
    tx: Option<mpsc::Sender<Bytes>>,
    finished: Arc<AtomicBool>,
    written: u64,
    length: Option<u64>,
}

/// The request body fed by a [`BodyWriter`]; it fails unless the writer
/// finished (a dropped writer must not look like a complete body).
fn written_body(
    rx: mpsc::Receiver<Bytes>,
    finished: Arc<AtomicBool>,
    progress: Progress,
    sent: Arc<AtomicBool>,
) -> reqwest::Body {
    let s = futures::stream::unfold(Some(rx), move |state| {
        let finished = finished.clone();
        async move {
            let mut rx = state?;
            match rx.recv().await {
                Some(b) => Some((Ok::<Bytes, std::io::Error>(b), Some(rx))),
                None if finished.load(Ordering::Acquire) => None,
                None => Some((
                    Err(std::io::Error::other(
                        "the driver dropped the body before finishing it",
                    )),
                    None,
                )),
            }
        }
    });
    paced(Box::pin(s), progress, sent)
}

/// The WIT handle of a host object in the table, and back (by rep).
fn own<T: 'static, U: 'static>(r: Resource<T>) -> Resource<U> {
    Resource::new_own(r.rep())
}

fn borrow<T: 'static, U: 'static>(r: &Resource<T>) -> Resource<U> {
    Resource::new_borrow(r.rep())
}

type WitResult<T> = wasmtime::Result<Result<T, WitError>>;

impl HttpView<'_> {
    /// Takes a streamed body out of the table first, so it is freed whatever happens.
    fn body(&mut self, body: wit_http::RequestBody) -> wasmtime::Result<(ReqBody, Option<u64>)> {
        Ok(match body {
            wit_http::RequestBody::Empty => (ReqBody::Empty, Some(0)),
            wit_http::RequestBody::Bytes(b) => {
                let n = b.len() as u64;
                (ReqBody::Bytes(Bytes::from(b)), Some(n))
            }
            wit_http::RequestBody::Stream((res, len)) => {
                let stream = self.table.delete(res)?;
                (ReqBody::Stream(stream), len)
            }
        })
    }

    /// An answer as `send` returns it: the body stream into the table.
    fn answer(&mut self, a: Answer) -> WitResult<(wit_http::Response, Resource<DynInputStream>)> {
        Ok(match a {
            Ok((resp, stream)) => Ok((resp, self.table.push(stream)?)),
            Err(e) => Err(e),
        })
    }
}

impl wit_http::Host for HttpView<'_> {
    async fn send(
        &mut self,
        req: wit_http::Request,
        body: wit_http::RequestBody,
    ) -> WitResult<(wit_http::Response, Resource<DynInputStream>)> {
        let (body, length) = self.body(body)?;
        let a = Attempts::new(self, req, body, length).run().await;
        self.answer(a)
    }

    async fn send_async(
        &mut self,
        req: wit_http::Request,
        body: wit_http::RequestBody,
    ) -> wasmtime::Result<Resource<wit_http::Pending>> {
        let (body, length) = self.body(body)?;
        let mut permits = Vec::new();
        if let Some(g) = self.grant {
            let held = match &body {
                ReqBody::Bytes(b) => b.len().clamp(1, MAX_IN_FLIGHT_BYTES),
                _ => 0,
            };
            permits.push(g.flights.requests.clone().acquire_owned().await?);
            if held > 0 {
                permits.push(
                    g.flights
                        .bytes
                        .clone()
                        .acquire_many_owned(held as u32)
                        .await?,
                );
            }
        }
        let a = Attempts::new(self, req, body, length);
        let r = self.table.push(PendingRequest::spawn(a.run(), permits))?;
        Ok(own(r))
    }

    async fn start(
        &mut self,
        req: wit_http::Request,
        length: Option<u64>,
    ) -> WitResult<(Resource<wit_http::BodyWriter>, Resource<wit_http::Pending>)> {
        let (tx, rx) = mpsc::channel(WRITER_DEPTH);
        let finished = Arc::new(AtomicBool::new(false));
        let body = ReqBody::Written(rx, finished.clone());
        // A written body is not held by the host: one attempt only.
        let ctx = CallCtx::current().unwrap_or_else(|| CallCtx::new(self.idle * 2));
        let progress = ctx.progress.child();
        let o = match prepare(
            self.driver,
            self.grant,
            req,
            body,
            length,
            self.idle,
            progress,
        ) {
            Ok(o) => o,
            Err(e) => return Ok(Err(e)),
        };
        let mut permits = Vec::new();
        if let Some(g) = self.grant {
            permits.push(g.flights.requests.clone().acquire_owned().await?);
        }
        let answer = async move { ctx.scope(execute(o)).await };
        let pending = self.table.push(PendingRequest::spawn(answer, permits))?;
        let writer = self.table.push(BodyWriter {
            tx: Some(tx),
            finished,
            written: 0,
            length,
        })?;
        Ok(Ok((own(writer), own(pending))))
    }
}

impl wit_http::HostPending for HttpView<'_> {
    async fn subscribe(
        &mut self,
        p: Resource<wit_http::Pending>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        wasmtime_wasi::p2::subscribe(self.table, borrow::<_, PendingRequest>(&p))
    }

    async fn wait(
        &mut self,
        p: Resource<wit_http::Pending>,
    ) -> WitResult<(wit_http::Response, Resource<DynInputStream>)> {
        let pending: &mut PendingRequest = self.table.get_mut(&borrow(&p))?;
        if pending.taken {
            return Ok(Err(WitError::InvalidArgument(
                "this request's answer was already taken by an earlier wait".into(),
            )));
        }
        pending.ready().await;
        pending.taken = true;
        let a = pending.answer.take().expect("ready leaves an answer");
        self.answer(a)
    }

    async fn drop(&mut self, p: Resource<wit_http::Pending>) -> wasmtime::Result<()> {
        self.table.delete(own::<_, PendingRequest>(p))?;
        Ok(())
    }
}

impl wit_http::HostBodyWriter for HttpView<'_> {
    async fn write(&mut self, w: Resource<wit_http::BodyWriter>, data: Vec<u8>) -> WitResult<()> {
        let w: &mut BodyWriter = self.table.get_mut(&borrow(&w))?;
        let n = data.len() as u64;
        if let Some(len) = w.length {
            if w.written + n > len {
                w.tx = None;
                return Ok(Err(WitError::InvalidArgument(format!(
                    "the body would be longer than the {len} bytes given to start"
                ))));
            }
        }
        let Some(tx) = w.tx.clone() else {
            return Ok(Err(WitError::InvalidArgument(
                "this body is finished or was aborted".into(),
            )));
        };
        if tx.send(Bytes::from(data)).await.is_err() {
            w.tx = None;
            return Ok(Err(WitError::Unavailable(
                "the request ended before its body was written (wait on its pending for why)"
                    .into(),
            )));
        }
        w.written += n;
        Ok(Ok(()))
    }

    async fn finish(&mut self, w: Resource<wit_http::BodyWriter>) -> WitResult<()> {
        let w: &mut BodyWriter = self.table.get_mut(&borrow(&w))?;
        let Some(tx) = w.tx.take() else {
            return Ok(Err(WitError::InvalidArgument(
                "this body is finished or was aborted".into(),
            )));
        };
        if let Some(len) = w.length.filter(|l| *l != w.written) {
            drop(tx); // not finished: the request fails
            return Ok(Err(WitError::InvalidArgument(format!(
                "the body is {} bytes, not the {len} given to start",
                w.written
            ))));
        }
        w.finished.store(true, Ordering::Release);
        drop(tx);
        Ok(Ok(()))
    }

    async fn drop(&mut self, w: Resource<wit_http::BodyWriter>) -> wasmtime::Result<()> {
        self.table.delete(own::<_, BodyWriter>(w))?;
        Ok(())
    }
}

enum ReqBody {
    Empty,
    Bytes(Bytes),
    Stream(DynInputStream),
    /// Written by the driver through a [`BodyWriter`].
    Written(mpsc::Receiver<Bytes>, Arc<AtomicBool>),
}

impl ReqBody {
    /// The same body again (only for those [`replayable`] allows).
    fn replay(&self) -> ReqBody {
        match self {
            ReqBody::Bytes(b) => ReqBody::Bytes(b.clone()),
            _ => ReqBody::Empty,
        }
    }
}
