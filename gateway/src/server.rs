//! The HTTP side: SigV4 credentials, the accept loop (HTTP/1.1 and HTTP/2),
//! one access-log line per request, and a graceful shutdown; the limits
//! that keep slow or hostile clients from starving the others
//! ([`ServeLimits`]: connections at once, the time a request head may take,
//! the time a request body may go quiet).

use crate::s3::Gateway;
use futures::future::BoxFuture;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// How long in-flight requests get to finish after the shutdown signal.
const DRAIN: Duration = Duration::from_secs(10);

/// The most a request head (line and headers) may hold; hyper's read
/// buffer, so also the most it reads at once.
const MAX_HEAD: usize = 64 << 10;

/// What the HTTP side allows a client (`trove-host serve` flags).
#[derive(Debug, Clone)]
pub struct ServeLimits {
    /// Connections served at once; further ones wait in the listen backlog
    /// until one closes (`--max-connections`, default 1024).
    pub max_connections: usize,
    /// A request head (line and headers) must arrive within this, counted
    /// from its first byte, or from the end of the previous response on a
    /// kept-alive connection (which is thus closed when idle this long);
    /// else the connection is closed (`--header-timeout`, default 30 s).
    pub header_timeout: Duration,
    /// A request body that sends nothing for this long fails with
    /// `RequestTimeout`; the put is aborted and nothing is stored
    /// (`--body-idle-timeout`, default 60 s).
    pub body_idle_timeout: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(30),
            body_idle_timeout: Duration::from_secs(60),
        }
    }
}

/// The one key pair requests must be signed with (SigV4).
#[derive(Clone)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
}

impl Credentials {
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Credentials {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

impl Gateway {
    /// The S3 service. With credentials, every request must carry a valid
    /// SigV4 signature (header or presigned) for them; without, requests are
    /// anonymous and all allowed.
    pub fn service(self, credentials: Option<Credentials>) -> S3Service {
        let mut b = S3ServiceBuilder::new(self);
        b.set_validation(S3Names);
        if let Some(c) = credentials {
            b.set_auth(SimpleAuth::from_single(c.access_key, c.secret_key));
        }
        b.build()
    }
}

/// Bucket names: S3's rule, the one boto3 and other clients check too and
/// the one s3s applies to `x-amz-copy-source`: s3s's check, and no '.'
/// next to another '.' or a '-' (S3 refuses `a..b`, `a.-b`, `a-.b`).
struct S3Names;

impl s3s::validation::NameValidation for S3Names {
    fn validate_bucket_name(&self, name: &str) -> bool {
        s3s::validation::AwsNameValidation::new().validate_bucket_name(name)
            && !name.contains("..")
            && !name.contains(".-")
            && !name.contains("-.")
    }
}

/// The S3 service with an access-log line per request, and the request
/// body's idle timeout.
#[derive(Clone)]
struct Logged {
    inner: S3Service,
    peer: SocketAddr,
    body_idle: Duration,
}

impl hyper::service::Service<http::Request<Incoming>> for Logged {
    type Response = s3s::HttpResponse;
    type Error = s3s::HttpError;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn call(&self, mut req: http::Request<Incoming>) -> Self::Future {
        let method = req.method().clone();
        let refused = crate::precheck::request(&mut req, std::time::SystemTime::now());
        // The path only: a presigned URL's query carries its signature.
        let path = req.uri().path().to_string();
        let peer = self.peer;
        let body_idle = self.body_idle;
        let fut = match refused {
            None => {
                let inner = self.inner.clone();
                Some(async move {
                    let flag = crate::idle::BodyIdle::default();
                    req.extensions_mut().insert(flag.clone());
                    let req = req.map(|b| crate::idle::IdleBody::new(b, body_idle, flag));
                    match crate::precheck::unsized_body(req).await {
                        Ok(req) => inner.call(req).await,
                        Err(r) => Ok(r.response()),
                    }
                })
            }
            Some(_) => None,
        };
        Box::pin(async move {
            let t0 = Instant::now();
            let id = request_id();
            let mut res = match (fut, refused) {
                (Some(fut), _) => fut.await,
                (None, Some(r)) => Ok(r.response()),
                (None, None) => unreachable!(),
            };
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            if let Ok(r) = &mut res {
                tag_request(r, &id);
            }
            match &res {
                Ok(r) => tracing::info!(
                    target: "trove_gateway::access",
                    %peer, %method, path = %path, status = r.status().as_u16(), ms = format_args!("{ms:.1}"),
                    request_id = %id,
                    "request"
                ),
                Err(e) => tracing::warn!(
                    target: "trove_gateway::access",
                    %peer, %method, path = %path, error = ?e, ms = format_args!("{ms:.1}"),
                    "request failed"
                ),
            }
            res
        })
    }
}

/// A fresh request id: 16 uppercase hex digits, as S3's look.
fn request_id() -> String {
    use rand::RngCore;
    let mut raw = [0u8; 8];
    rand::rng().fill_bytes(&mut raw);
    raw.iter().map(|b| format!("{b:02X}")).collect()
}

/// Every answer carries `x-amz-request-id`, and an error's XML its
/// `<RequestId>`, so a client's report can be found in the access log.
fn tag_request(r: &mut s3s::HttpResponse, id: &str) {
    if let Ok(v) = http::HeaderValue::from_str(id) {
        r.headers_mut().insert("x-amz-request-id", v);
    }
    if !(r.status().is_client_error() || r.status().is_server_error()) {
        return;
    }
    let Some(body) = r.body().bytes() else { return };
    if body.len() > 64 << 10
        || !body.ends_with(b"</Error>")
        || body.windows(11).any(|w| w == b"<RequestId>")
    {
        return;
    }
    let mut out = body[..body.len() - b"</Error>".len()].to_vec();
    out.extend_from_slice(format!("<RequestId>{id}</RequestId></Error>").as_bytes());
    if let Ok(v) = http::HeaderValue::from_str(&out.len().to_string()) {
        r.headers_mut().insert(http::header::CONTENT_LENGTH, v);
    }
    *r.body_mut() = s3s::Body::from(out);
}

/// Serve `service` on `listener` until `shutdown` resolves, then stop
/// accepting and give in-flight requests a few seconds to finish.
pub async fn serve(
    listener: TcpListener,
    service: S3Service,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(listener, service, ServeLimits::default(), shutdown).await
}

/// [`serve`] under `limits`.
pub async fn serve_with(
    listener: TcpListener,
    service: S3Service,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut http = ConnBuilder::new(TokioExecutor::new());
    http.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        // a request head larger than this is answered 431 (S3 allows 8 KiB)
        .max_buf_size(MAX_HEAD);
    http.http2().timer(TokioTimer::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A free slot first: over the limit, connections wait in the backlog.
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => s.expect("the semaphore is never closed"),
            () = shutdown.as_mut() => break,
        };
        let (socket, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    // e.g. out of file descriptors: do not spin
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.as_mut() => break,
        };
        let _ = socket.set_nodelay(true);
        let svc = Logged {
            inner: service.clone(),
            peer,
            body_idle: limits.body_idle_timeout,
        };
        let conn = http
            .serve_connection(TokioIo::new(socket), svc)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tracing::info!("shutting down: waiting for in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(DRAIN) => tracing::warn!("in-flight requests did not finish in {DRAIN:?}; stopping anyway"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use s3s::validation::NameValidation;

    #[test]
    fn bucket_names_follow_s3() {
        let v = super::S3Names;
        for ok in ["abc", "my.bucket-1", "a".repeat(63).as_str()] {
            assert!(v.validate_bucket_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            "a_b",
            "Abc",
            "a..b",
            "a.-b",
            "a-.b",
            "192.168.1.1",
            "-ab",
            "ab-",
            &"a".repeat(64),
        ] {
            assert!(!v.validate_bucket_name(bad), "{bad}");
        }
    }
}
