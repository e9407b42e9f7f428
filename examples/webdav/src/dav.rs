//! The WebDAV side: the opened endpoint, one request through the host's `http`
//! import, HTTP statuses as the contract's errors, and PROPFIND answers.

use crate::common::{codec, dates, xml};
use std::cell::RefCell;
use trove_driver_cloud::trove::driver::http::RequestBody;
use trove_driver_cloud::trove::driver::types::{Dsn, Error, Timestamp};
use trove_driver_cloud::Resp;

/// The opened DSN: where the share is and how to log in.
struct Endpoint {
    /// The `endpoint` parameter without a trailing `/`: `http://host:port[/base]`.
    base: String,
    /// `Basic …` when the DSN has a user.
    authorization: Option<String>,
}

thread_local! {
    static ENDPOINT: RefCell<Option<Endpoint>> = const { RefCell::new(None) };
}

pub fn open(dsn: &Dsn) -> Result<(), Error> {
    let endpoint = trove_driver_cloud::param(&dsn.params, "endpoint").ok_or_else(|| {
        Error::InvalidArgument("the DSN needs ?endpoint=http://HOST:PORT[/BASE]".into())
    })?;
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        return Err(Error::InvalidArgument(format!(
            "endpoint {endpoint:?} is not an http:// or https:// URL"
        )));
    }
    let authorization = dsn.user.as_ref().map(|user| {
        let pair = format!("{user}:{}", dsn.password.as_deref().unwrap_or(""));
        format!("Basic {}", codec::base64(pair.as_bytes()))
    });
    let e = Endpoint {
        base: endpoint.trim_end_matches('/').to_string(),
        authorization,
    };
    ENDPOINT.with(|c| *c.borrow_mut() = Some(e));
    Ok(())
}

/// The URL of a path below the endpoint (`path` starts with `/`, already escaped).
pub fn url(path: &str) -> Result<String, Error> {
    ENDPOINT.with(|c| match &*c.borrow() {
        Some(e) => Ok(format!("{}{path}", e.base)),
        None => Err(Error::Internal("the webdav driver was not opened".into())),
    })
}

/// Sends one request; any HTTP status comes back as a [`Resp`].
pub fn send(
    method: &str,
    url: &str,
    mut headers: Vec<(String, String)>,
    body: Vec<u8>,
) -> Result<Resp, Error> {
    if let Some(auth) = ENDPOINT.with(|c| c.borrow().as_ref().and_then(|e| e.authorization.clone()))
    {
        headers.push(("authorization".into(), auth));
    }
    let body = if body.is_empty() {
        RequestBody::Empty
    } else {
        RequestBody::Bytes(body)
    };
    trove_driver_cloud::send("WebDAV", method, url.to_string(), headers, body)
}

/// A request without headers or body.
pub fn call(method: &str, url: &str) -> Result<Resp, Error> {
    send(method, url, Vec::new(), Vec::new())
}

/// A failed answer as the contract's error. A 404 is `object-not-found` here; the
/// callers that know better (a missing bucket) say so themselves.
pub fn error(resp: &Resp, what: &str) -> Error {
    let m = format!("{what}: HTTP {}", resp.status);
    match resp.status {
        401 | 403 => Error::PermissionDenied(m),
        404 => Error::ObjectNotFound(m),
        412 => Error::PreconditionFailed(m),
        400 | 414 | 416 => Error::InvalidArgument(m),
        501 => Error::Unsupported(m),
        408 => Error::Timeout(m),
        423 | 429 | 500..=599 => Error::Unavailable(m),
        _ => Error::Internal(m),
    }
}

/// One member of a collection as PROPFIND describes it.
pub struct Entry {
    /// The last segment of its path, percent-decoded: the name on the server.
    pub name: String,
    pub collection: bool,
    pub created: Option<Timestamp>,
}

const PROPFIND_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<propfind xmlns="DAV:"><prop><resourcetype/><creationdate/></prop></propfind>"#;

/// PROPFIND with `Depth: 1` of the collection at `path`: its members (itself left
/// out), or `None` when it does not exist.
pub fn members(path: &str) -> Result<Option<Vec<Entry>>, Error> {
    let resp = propfind(path, "1")?;
    if resp.status == 404 {
        return Ok(None);
    }
    if resp.status != 207 {
        return Err(error(&resp, &format!("PROPFIND {path}")));
    }
    let doc = xml::parse(&resp.read_all()?)
        .map_err(|e| Error::Internal(format!("PROPFIND {path}: {e}")))?;
    // Hrefs are paths or absolute URLs, escaped as the server likes: compare paths,
    // percent-decoded.
    let own = codec::uri_decode(url_path(&url(path)?).trim_end_matches('/'));
    let mut out = Vec::new();
    for r in doc.all("response") {
        let href = url_path(r.text_of("href").unwrap_or_default());
        let href = codec::uri_decode(href.trim_end_matches('/'));
        if href == own {
            continue; // the collection itself
        }
        let Some(name) = href.rsplit('/').next().filter(|n| !n.is_empty()) else {
            continue;
        };
        let props: Vec<&xml::Element> = r.all("propstat").filter_map(|p| p.child("prop")).collect();
        let collection = props
            .iter()
            .filter_map(|p| p.child("resourcetype"))
            .any(|t| t.child("collection").is_some());
        let created = props
            .iter()
            .filter_map(|p| p.text_of("creationdate"))
            .find_map(dates::parse_rfc3339)
            .map(|(seconds, nanoseconds)| Timestamp {
                seconds,
                nanoseconds,
            });
        out.push(Entry {
            name: name.to_string(),
            collection,
            created,
        });
    }
    Ok(Some(out))
}

/// The path of a URL (`/` when it has none); a path stays as it is.
fn url_path(u: &str) -> &str {
    match u.find("://") {
        Some(i) => u[i + 3..].find('/').map_or("/", |j| &u[i + 3 + j..]),
        None => u,
    }
}

/// Whether the collection at `path` exists (PROPFIND with `Depth: 0`).
pub fn exists(path: &str) -> Result<bool, Error> {
    let resp = propfind(path, "0")?;
    match resp.status {
        207 => Ok(true),
        404 => Ok(false),
        _ => Err(error(&resp, &format!("PROPFIND {path}"))),
    }
}

fn propfind(path: &str, depth: &str) -> Result<Resp, Error> {
    let headers = vec![
        ("depth".to_string(), depth.to_string()),
        (
            "content-type".to_string(),
            "application/xml; charset=utf-8".to_string(),
        ),
    ];
    send("PROPFIND", &url(path)?, headers, PROPFIND_BODY.into())
}
