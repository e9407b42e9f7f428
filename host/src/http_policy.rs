//! The `http` import's policy, as plain data and pure checks (no engine, no
//! sockets): the granted origins ([`HttpGrant`], [`Origin`]), the
//! private-address rule ([`is_restricted`], the resolver guard), the request
//! headers a driver may set, the header values never logged, and the bounds on
//! requests in flight ([`Flights`]).
//!
//! Rules: a request's scheme, host and port must be a granted origin; a
//! host that is (or resolves to) a loopback, private, link-local or metadata
//! address is refused unless the DSN itself named that host; there are no
//! redirects and no proxy (see [`crate::http`]).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

/// Where a driver may send HTTP: the origins its declared templates resolved
/// to for this DSN (see [`crate::grants`]).
#[derive(Clone, Default)]
pub struct HttpGrant {
    /// Allowed (scheme, host, port); a host `*.example.com` allows exactly
    /// one more label in front of `example.com`.
    pub origins: Vec<Origin>,
    /// The granted hosts the DSN itself named that are loopback, private,
    /// link-local or metadata addresses (or `localhost`): only these may be
    /// (or resolve to) such addresses.
    pub private_hosts: Vec<String>,
    /// The HTTP client shared by every instance of one opened driver (built
    /// by the `http` import on first use).
    pub(crate) client: Arc<OnceLock<Result<reqwest::Client, String>>>,
    /// The requests of one opened driver in flight (`send-async`, `start`)
    /// and the host memory their bodies hold.
    pub(crate) flights: Arc<Flights>,
}

/// Most requests of one opened driver in flight at a time (`send-async`, `start`).
pub const MAX_IN_FLIGHT: usize = 16;
/// Most host memory the `bytes` bodies of requests in flight may hold.
pub const MAX_IN_FLIGHT_BYTES: usize = 64 << 20;
/// What one opened driver has in flight: permits for requests and for the
/// bytes their bodies hold.
pub(crate) struct Flights {
    pub(crate) requests: Arc<Semaphore>,
    pub(crate) bytes: Arc<Semaphore>,
}

impl Default for Flights {
    fn default() -> Self {
        Flights {
            requests: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            bytes: Arc::new(Semaphore::new(MAX_IN_FLIGHT_BYTES)),
        }
    }
}

impl PartialEq for HttpGrant {
    fn eq(&self, other: &Self) -> bool {
        self.origins == other.origins && self.private_hosts == other.private_hosts
    }
}
impl Eq for HttpGrant {}

impl fmt::Debug for HttpGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpGrant")
            .field("origins", &self.origins)
            .field("private_hosts", &self.private_hosts)
            .finish()
    }
}

impl fmt::Display for HttpGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.origins.iter().map(|o| o.to_string()).collect();
        write!(f, "{}", list.join(", "))?;
        if self.private_hosts.is_empty() {
            write!(
                f,
                " (resolved loopback, private, link-local and metadata addresses refused)"
            )
        } else {
            write!(
                f,
                " (local/private address allowed only for {}, which the DSN names; no redirects, no proxy)",
                self.private_hosts.join(", ")
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

    pub(crate) fn of(u: &reqwest::Url) -> Result<Origin, String> {
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
pub(crate) struct Refused(pub(crate) String);
impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Refused {}

/// Resolves names and refuses restricted addresses unless the grant names
/// the host as one the DSN pointed at.
pub(crate) struct GuardedResolver {
    pub(crate) private_hosts: Vec<String>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let allow = self.private_hosts.contains(&host);
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
    pub fn new(origins: Vec<Origin>, private_hosts: Vec<String>) -> HttpGrant {
        HttpGrant {
            origins,
            private_hosts,
            client: Arc::default(),
            flights: Arc::default(),
        }
    }

    /// Check one URL against the grant; the message says why it is refused.
    pub(crate) fn check(&self, url: &reqwest::Url) -> Result<(), String> {
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
            if is_restricted(ip) && !self.private_hosts.contains(&o.host) {
                return Err(format!(
                    "refused by the host: {ip} is a loopback/private/link-local/metadata address"
                ));
            }
        }
        Ok(())
    }
}

/// The header names whose values are never logged.
pub(crate) fn is_secret_header(name: &str) -> bool {
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

pub(crate) fn headers_for_log(headers: &[(String, String)]) -> String {
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

/// The request headers a driver set, checked: `Host`, `Content-Length` and
/// `Transfer-Encoding` are the host's to set (dropped); a bad name or value
/// is refused with a message.
pub(crate) fn request_headers(
    headers: &[(String, String)],
) -> Result<reqwest::header::HeaderMap, String> {
    let mut map = reqwest::header::HeaderMap::with_capacity(headers.len());
    for (k, v) in headers {
        let lk = k.to_ascii_lowercase();
        if lk == "host" || lk == "content-length" || lk == "transfer-encoding" {
            continue;
        }
        let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| format!("bad header name {:?}", crate::text::printable(k)))?;
        let value = reqwest::header::HeaderValue::from_str(v)
            .map_err(|_| format!("bad value for header {name}"))?;
        map.append(name, value);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> reqwest::Url {
        reqwest::Url::parse(s).unwrap()
    }

    #[test]
    fn grants_scheme_host_and_port_only() {
        let g = HttpGrant::new(
            vec![Origin::parse("http://127.0.0.1:9000").unwrap()],
            vec!["127.0.0.1".into()],
        );
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
            vec![],
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
