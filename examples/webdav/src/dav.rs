//! The WebDAV side: the opened endpoint, requests with its credentials, and
//! PROPFIND answers.

use trove_driver::web::{self, Answer, Body, Upload};
use trove_driver::{Dsn, Error, Timestamp};
use trove_driver_common::{codec, dates, xml};

/// The opened DSN: where the share is and how to log in.
pub struct Dav {
    /// The `endpoint` parameter without a trailing `/`: `http://host:port[/base]`.
    base: String,
    /// `Basic …` when the DSN has a user.
    authorization: Option<String>,
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

impl Dav {
    pub fn open(dsn: &Dsn) -> Result<Dav, Error> {
        Ok(Dav {
            base: web::endpoint(dsn)?,
            authorization: web::basic_auth(dsn),
        })
    }

    fn headers<'a>(&'a self, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut h = extra.to_vec();
        if let Some(a) = &self.authorization {
            h.push(("authorization", a));
        }
        h
    }

    /// One request to `path` (below the endpoint, escaped, starting with `/`).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Body,
    ) -> Result<Answer, Error> {
        let url = format!("{}{path}", self.base);
        web::send(method, &url, &self.headers(headers), body)
    }

    /// A request without headers or body.
    pub fn call(&self, method: &str, path: &str) -> Result<Answer, Error> {
        self.send(method, path, &[], Body::Empty)
    }

    /// A PUT whose body is written as it comes.
    pub fn start_put(&self, path: &str) -> Result<Upload, Error> {
        let url = format!("{}{path}", self.base);
        web::start("PUT", &url, &self.headers(&[]), None)
    }

    /// MOVE or COPY `from` onto `to`, replacing what is there.
    pub fn transfer(&self, method: &str, from: &str, to: &str) -> Result<(), Error> {
        let dest = format!("{}{to}", self.base);
        let h = [("destination", dest.as_str()), ("overwrite", "T")];
        self.send(method, from, &h, Body::Empty)?
            .success(&format!("{method} {from}"))?;
        Ok(())
    }

    /// PROPFIND with `Depth: 1` of the collection at `path`: its members
    /// (itself left out), or `None` when it does not exist.
    pub fn members(&self, path: &str) -> Result<Option<Vec<Entry>>, Error> {
        let a = self.propfind(path, "1")?;
        if a.status == 404 {
            return Ok(None);
        }
        let a = a.success(&format!("PROPFIND {path}"))?;
        let doc = xml::parse(&a.read_all()?)
            .map_err(|e| Error::Internal(format!("PROPFIND {path}: {e}")))?;
        // Hrefs are paths or absolute URLs, escaped as the server likes:
        // compare paths, percent-decoded.
        let own =
            codec::uri_decode(url_path(&format!("{}{path}", self.base)).trim_end_matches('/'));
        let mut out = Vec::new();
        for r in doc.all("response") {
            let href = codec::uri_decode(url_path(r.text_of("href").unwrap_or_default()));
            let href = href.trim_end_matches('/');
            let Some(name) = href
                .rsplit('/')
                .next()
                .filter(|n| href != own && !n.is_empty())
            else {
                continue;
            };
            let props: Vec<&xml::Element> =
                r.all("propstat").filter_map(|p| p.child("prop")).collect();
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

    /// Whether the collection at `path` exists (PROPFIND with `Depth: 0`).
    pub fn exists(&self, path: &str) -> Result<bool, Error> {
        let a = self.propfind(path, "0")?;
        match a.status {
            404 => Ok(false),
            _ => a.success(&format!("PROPFIND {path}")).map(|_| true),
        }
    }

    fn propfind(&self, path: &str, depth: &str) -> Result<Answer, Error> {
        let h = [
            ("depth", depth),
            ("content-type", "application/xml; charset=utf-8"),
        ];
        self.send("PROPFIND", path, &h, Body::Bytes(PROPFIND_BODY.into()))
    }
}

/// The path of a URL (`/` when it has none); a path stays as it is.
fn url_path(u: &str) -> &str {
    match u.find("://") {
        Some(i) => u[i + 3..].find('/').map_or("/", |j| &u[i + 3 + j..]),
        None => u,
    }
}
