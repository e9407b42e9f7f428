//! The `http` host import: a driver's only way to the network. Requests go out
//! through reqwest (rustls, no system proxy, no redirects), one client per
//! opened driver shared by its instances, and are checked against the DSN's
//! [`HttpGrant`] on every request: scheme, host and port of the URL, then the
//! resolved addresses (loopback, private, link-local and cloud-metadata
//! addresses are refused unless the DSN's own endpoint named such an address).
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
use crate::state::HostState;
use bytes::Bytes;
use futures::StreamExt;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use wasmtime::component::Resource;
use wasmtime_wasi::p2::pipe::AsyncReadStream;
use wasmtime_wasi::p2::{DynInputStream, StreamError};

/// The most a response head (status line excluded) may hold.
pub const MAX_RESPONSE_HEADER_BYTES: usize = 64 << 10;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(30);
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Chunk size when a host stream is sent as a request body.
const BODY_CHUNK: usize = 1 << 20;

/// Where a driver may send HTTP: derived from its DSN by `Grants::for_dsn`.
#[derive(Clone, Default)]
pub struct HttpGrant {
    /// Allowed (scheme, host, port); a host `*.example.com` allows exactly
    /// one more label in front of `example.com`.
    pub origins: Vec<Origin>,
    /// The DSN's endpoint named a loopback/private/link-local/metadata
    /// address (or `localhost`), so such resolved addresses are allowed.
    pub allow_private: bool,
    client: Arc<OnceLock<Result<reqwest::Client, String>>>,
}

impl PartialEq for HttpGrant {
    fn eq(&self, other: &Self) -> bool {
        self.origins == other.origins && self.allow_private == other.allow_private
    }
}
impl Eq for HttpGrant {}

impl fmt::Debug for HttpGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpGrant")
            .field("origins", &self.origins)
            .field("allow_private", &self.allow_private)
            .finish()
    }
}

impl fmt::Display for HttpGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.origins.iter().map(|o| o.to_string()).collect();
        write!(f, "{}", list.join(", "))?;
        if self.allow_private {
            write!(f, " (the endpoint names a local/private address: allowed)")
        } else {
            write!(
                f,
                " (resolved loopback, private, link-local and metadata addresses refused)"
            )
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    /// Lowercase; IPv6 without brackets; `*.` prefix for one wildcard label.
    pub host: String,
    pub port: u16,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "{}://[{}]:{}", self.scheme, self.host, self.port)
        } else {
            write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

impl Origin {
    /// The origin of an `http(s)://host[:port]` URL.
    pub fn parse(url: &str) -> Result<Origin, String> {
        let u = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
        Origin::of(&u)
    }

    fn of(u: &reqwest::Url) -> Result<Origin, String> {
        let scheme = u.scheme().to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(format!("scheme {scheme:?} is not http or https"));
        }
        let host = match u.host() {
            Some(url::Host::Domain(d)) => d.to_ascii_lowercase(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            None => return Err("the URL has no host".into()),
        };
        if host.is_empty() {
            return Err("the URL has no host".into());
        }
        let port = u
            .port_or_known_default()
            .ok_or_else(|| "the URL has no port".to_string())?;
        Ok(Origin { scheme, host, port })
    }

    fn allows(&self, o: &Origin) -> bool {
        if self.scheme != o.scheme || self.port != o.port {
            return false;
        }
        match self.host.strip_prefix("*.") {
            Some(parent) => o
                .host
                .strip_suffix(parent)
                .and_then(|l| l.strip_suffix('.'))
                .is_some_and(|label| !label.is_empty() && !label.contains('.')),
            None => self.host == o.host,
        }
    }

    /// Whether this origin's host is a literal address that only a local
    /// endpoint would name (loopback, private, link-local, metadata) or `localhost`.
    pub fn names_local_address(&self) -> bool {
        if self.host == "localhost" || self.host.ends_with(".localhost") {
            return true;
        }
        self.host.parse::<IpAddr>().is_ok_and(is_restricted)
    }
}

/// Loopback, private, link-local, unspecified, shared (CGNAT) and cloud
/// metadata addresses.
pub fn is_restricted(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => restricted_v4(a),
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return restricted_v4(v4);
            }
            let seg = a.segments();
            a.is_loopback()
                || a.is_unspecified()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local, incl. fd00:ec2::254
                || (seg[0] & 0xffc0) == 0xfe80 // link-local
                || a == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)
        }
    }
}

fn restricted_v4(a: Ipv4Addr) -> bool {
    let o = a.octets();
    a.is_loopback()
        || a.is_private()
        || a.is_link_local() // 169.254.0.0/16, incl. 169.254.169.254
        || a.is_unspecified()
        || a.is_broadcast()
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10
        || a == Ipv4Addr::new(169, 254, 169, 254)
}

/// A refusal by the grant checks (carried through reqwest's error chain).
#[derive(Debug)]
struct Refused(String);
impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Refused {}

/// Resolves names and refuses restricted addresses unless the grant allows them.
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow {
                if let Some(bad) = addrs.iter().find(|a| is_restricted(a.ip())) {
                    return Err(Box::new(Refused(format!(
                        "refused by the host: {host} resolves to {}, a loopback/private/\
                         link-local/metadata address the DSN's endpoint does not name",
                        bad.ip()
                    )))
                        as Box<dyn std::error::Error + Send + Sync>);
                }
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

impl HttpGrant {
    pub fn new(origins: Vec<Origin>, allow_private: bool) -> HttpGrant {
        HttpGrant {
            origins,
            allow_private,
            client: Arc::default(),
        }
    }

    /// Check one URL against the grant; the message says why it is refused.
    fn check(&self, url: &reqwest::Url) -> Result<(), String> {
        let o = Origin::of(url).map_err(|e| format!("refused by the host: {e}"))?;
        if !self.origins.iter().any(|g| g.allows(&o)) {
            return Err(format!(
                "refused by the host: {o} is not granted to this driver (granted: {})",
                self.origins
                    .iter()
                    .map(|g| g.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if let Ok(ip) = o.host.parse::<IpAddr>() {
            if is_restricted(ip) && !self.allow_private {
                return Err(format!(
                    "refused by the host: {ip} is a loopback/private/link-local/metadata address"
                ));
            }
        }
        Ok(())
    }

    /// The client shared by every instance of one opened driver.
    fn client(&self) -> Result<reqwest::Client, String> {
        self.client
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
                        allow_private: self.allow_private,
                    }))
                    .build()
                    .map_err(|e| format!("building the HTTP client: {e}"))
            })
            .clone()
    }
}

/// The header names whose values are never logged.
fn is_secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "authorization"
        || n == "proxy-authorization"
        || n == "cookie"
        || n == "set-cookie"
        || n.contains("token")
        || n.contains("signature")
        || n.contains("credential")
        || n.contains("secret")
        || n.contains("key")
}

fn headers_for_log(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .map(|(k, v)| {
            if is_secret_header(k) {
                format!("{k}: ***")
            } else {
                format!("{k}: {v}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

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

/// A counter of bytes moved, to tell a slow transfer from a stuck one.
#[derive(Clone, Default)]
pub(crate) struct Progress(Arc<AtomicU64>);

impl Progress {
    pub(crate) fn add(&self, n: usize) {
        self.0.fetch_add(n as u64, Ordering::Relaxed);
    }
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Await `fut`, failing only when `window` passes with no progress.
pub(crate) async fn with_progress<F: std::future::Future>(
    window: Duration,
    progress: &Progress,
    fut: F,
) -> Result<F::Output, tokio::time::error::Elapsed> {
    tokio::pin!(fut);
    let mut seen = progress.get();
    loop {
        match tokio::time::timeout(window, &mut fut).await {
            Ok(v) => return Ok(v),
            Err(elapsed) => {
                let now = progress.get();
                if now == seen {
                    return Err(elapsed);
                }
                seen = now;
            }
        }
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

impl wit_http::Host for HostState {
    async fn send(
        &mut self,
        req: wit_http::Request,
        body: wit_http::RequestBody,
    ) -> wasmtime::Result<Result<(wit_http::Response, Resource<DynInputStream>), WitError>> {
        let driver = self.driver.clone();
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
        let Some(grant) = self.http.clone() else {
            return Ok(Err(WitError::PermissionDenied(format!(
                "refused by the host: driver {driver} has no http grant for this DSN"
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
        let client = match grant.client() {
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
        let mut rb = client.request(method.clone(), url.clone());
        for (k, v) in &req.headers {
            // The host sets these itself from the URL and the body.
            let lk = k.to_ascii_lowercase();
            if lk == "host" || lk == "content-length" || lk == "transfer-encoding" {
                continue;
            }
            let name = match reqwest::header::HeaderName::from_bytes(k.as_bytes()) {
                Ok(n) => n,
                Err(_) => {
                    return Ok(Err(WitError::InvalidArgument(format!(
                        "bad header name {k:?}"
                    ))))
                }
            };
            let value = match reqwest::header::HeaderValue::from_str(v) {
                Ok(v) => v,
                Err(_) => {
                    return Ok(Err(WitError::InvalidArgument(format!(
                        "bad value for header {k}"
                    ))))
                }
            };
            rb = rb.header(name, value);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> reqwest::Url {
        reqwest::Url::parse(s).unwrap()
    }

    #[test]
    fn grants_scheme_host_and_port_only() {
        let g = HttpGrant::new(vec![Origin::parse("http://127.0.0.1:9000").unwrap()], true);
        assert!(g.check(&url("http://127.0.0.1:9000/b/k?x=1")).is_ok());
        assert!(g.check(&url("https://127.0.0.1:9000/b")).is_err());
        assert!(g.check(&url("http://127.0.0.1:9001/b")).is_err());
        assert!(g.check(&url("http://b.localhost:9000/")).is_err());
        assert!(g
            .check(&url("http://169.254.169.254/latest/meta-data"))
            .is_err());
        assert!(g.check(&url("data:text/plain,x")).is_err());
    }

    #[test]
    fn a_wildcard_allows_one_label() {
        let g = HttpGrant::new(
            vec![
                Origin::parse("https://s3.us-east-1.amazonaws.com").unwrap(),
                Origin {
                    scheme: "https".into(),
                    host: "*.s3.us-east-1.amazonaws.com".into(),
                    port: 443,
                },
            ],
            false,
        );
        assert!(g
            .check(&url("https://s3.us-east-1.amazonaws.com/b/k"))
            .is_ok());
        assert!(g
            .check(&url("https://bucket.s3.us-east-1.amazonaws.com/k"))
            .is_ok());
        assert!(g
            .check(&url("https://a.b.s3.us-east-1.amazonaws.com/k"))
            .is_err());
        assert!(g
            .check(&url("https://evil-s3.us-east-1.amazonaws.com/k"))
            .is_err());
        assert!(g
            .check(&url("http://bucket.s3.us-east-1.amazonaws.com/k"))
            .is_err());
        assert!(g
            .check(&url("https://s3.us-east-1.amazonaws.com.evil.com/"))
            .is_err());
    }

    #[test]
    fn restricted_addresses() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_restricted(a.parse().unwrap()), "{a}");
        }
        for a in ["52.216.0.1", "2600:1f18::1", "8.8.8.8"] {
            assert!(!is_restricted(a.parse().unwrap()), "{a}");
        }
        assert!(Origin::parse("http://localhost:9000")
            .unwrap()
            .names_local_address());
        assert!(!Origin::parse("https://s3.amazonaws.com")
            .unwrap()
            .names_local_address());
    }

    #[test]
    fn secret_headers_are_not_logged() {
        let h = vec![
            (
                "Authorization".to_string(),
                "AWS4-HMAC-SHA256 Credential=AK/..., Signature=SECRETSIG".to_string(),
            ),
            (
                "x-amz-security-token".to_string(),
                "SECRETTOKEN".to_string(),
            ),
            ("x-amz-date".to_string(), "20240101T000000Z".to_string()),
        ];
        let line = headers_for_log(&h);
        assert!(!line.contains("SECRET"), "{line}");
        assert!(line.contains("x-amz-date: 20240101T000000Z"));
    }
}
