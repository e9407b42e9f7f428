//! Object info from S3's response headers and listing XML, and the request
//! headers of put options. User metadata names keep their case and order
//! through an extra header, `x-amz-meta-trove-names` (the names, encoded,
//! comma-separated), because S3 itself lowercases names.

use crate::sigv4::uri_encode;
use crate::types::{ObjectInfo, PutOptions, Timestamp};
use crate::xml::Element;

const META: &str = "x-amz-meta-";
const NAMES: &str = "x-amz-meta-trove-names";

pub fn unquote(etag: &str) -> String {
    let e = etag.trim();
    let e = e.strip_prefix("W/").unwrap_or(e);
    e.trim_matches('"').to_string()
}

/// An ETag as a precondition header wants it (`*` stays bare).
pub fn quote(etag: &str) -> String {
    if etag == "*" || etag.starts_with('"') {
        etag.to_string()
    } else {
        format!("\"{etag}\"")
    }
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Content type, content headers, metadata and preconditions of a put, as headers.
pub fn put_headers(opts: &PutOptions, preconditions: bool) -> Vec<(String, String)> {
    let mut h = Vec::new();
    if let Some(ct) = &opts.content_type {
        h.push(("content-type".to_string(), ct.clone()));
    }
    h.extend(trove_driver_cloud::headers_to_pairs(&opts.headers));
    if !opts.metadata.is_empty() {
        for (k, v) in &opts.metadata {
            h.push((format!("{META}{}", k.to_ascii_lowercase()), v.clone()));
        }
        let names: Vec<String> = opts
            .metadata
            .iter()
            .map(|(k, _)| uri_encode(k, false))
            .collect();
        h.push((NAMES.to_string(), names.join(",")));
    }
    if preconditions {
        if let Some(v) = &opts.if_none_match {
            h.push(("if-none-match".to_string(), quote(v)));
        }
        if let Some(v) = &opts.if_match {
            h.push(("if-match".to_string(), quote(v)));
        }
    }
    h
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// User metadata from response headers, in the order and case of the put.
pub fn metadata(headers: &[(String, String)]) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| {
            let lk = k.to_ascii_lowercase();
            let name = lk.strip_prefix(META)?;
            (lk != NAMES).then(|| (name.to_string(), v.clone()))
        })
        .collect();
    match header(headers, NAMES) {
        Some(names) => {
            let mut out = Vec::new();
            for n in names.split(',').filter(|n| !n.is_empty()) {
                let orig = decode(n);
                let lower = orig.to_ascii_lowercase();
                if let Some(pos) = found.iter().position(|(k, _)| *k == lower) {
                    out.push((orig, found.remove(pos).1));
                }
            }
            found.sort();
            out.extend(found);
            out
        }
        None => {
            found.sort();
            found
        }
    }
}

/// The info of `key` from a HEAD or GET answer. `size` is the object's
/// size (a ranged GET passes the total from Content-Range).
pub fn from_headers(key: &str, headers: &[(String, String)], size: u64) -> ObjectInfo {
    ObjectInfo {
        key: key.to_string(),
        size,
        etag: header(headers, "etag").map(unquote).unwrap_or_default(),
        content_type: header(headers, "content-type").map(str::to_string),
        headers: trove_driver_cloud::headers_from_pairs(headers),
        last_modified: header(headers, "last-modified")
            .and_then(crate::common::dates::parse_http_date)
            .map(|s| Timestamp {
                seconds: s,
                nanoseconds: 0,
            }),
        metadata: metadata(headers),
        version_id: header(headers, "x-amz-version-id")
            .filter(|v| *v != "null")
            .map(str::to_string),
        storage_class: header(headers, "x-amz-storage-class").map(str::to_string),
    }
}

pub fn content_length(headers: &[(String, String)]) -> u64 {
    header(headers, "content-length")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// The total size from `Content-Range: bytes a-b/total`.
pub fn range_total(headers: &[(String, String)]) -> Option<u64> {
    header(headers, "content-range")?
        .rsplit('/')
        .next()?
        .trim()
        .parse()
        .ok()
}

pub fn iso_time(s: &str) -> Option<Timestamp> {
    crate::common::dates::parse_rfc3339(s).map(|(seconds, nanoseconds)| Timestamp {
        seconds,
        nanoseconds,
    })
}

/// One `<Contents>` of a ListObjectsV2 answer.
pub fn from_listing(c: &Element) -> ObjectInfo {
    ObjectInfo {
        key: c.text_of("Key").unwrap_or_default().to_string(),
        size: c
            .text_of("Size")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0),
        etag: c.text_of("ETag").map(unquote).unwrap_or_default(),
        content_type: None,
        headers: trove_driver_cloud::headers_from_pairs(&[]),
        last_modified: c.text_of("LastModified").and_then(iso_time),
        metadata: Vec::new(),
        version_id: None,
        storage_class: c.text_of("StorageClass").map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_keeps_case_and_order() {
        let opts = PutOptions {
            content_type: None,
            headers: trove_driver_cloud::headers_from_pairs(&[]),
            metadata: vec![("Zeta".into(), "z".into()), ("alpha".into(), "a".into())],
            if_none_match: None,
            if_match: None,
            size: None,
        };
        let h = put_headers(&opts, false);
        assert_eq!(metadata(&h), opts.metadata);
    }

    #[test]
    fn content_headers_go_out_and_come_back() {
        let sent = vec![
            ("cache-control".to_string(), "no-cache".to_string()),
            (
                "expires".to_string(),
                "Thu, 01 Dec 1994 16:00:00 GMT".to_string(),
            ),
        ];
        let opts = PutOptions {
            content_type: None,
            headers: trove_driver_cloud::headers_from_pairs(&sent),
            metadata: Vec::new(),
            if_none_match: None,
            if_match: None,
            size: None,
        };
        let h = put_headers(&opts, false);
        assert_eq!(h, sent);
        let back = from_headers("k", &[("Cache-Control".into(), "no-cache".into())], 0);
        assert_eq!(back.headers.cache_control.as_deref(), Some("no-cache"));
        assert!(back.headers.expires.is_none() && back.metadata.is_empty());
        assert_eq!(unquote("\"abc\""), "abc");
        assert_eq!(decode("a%2Db"), "a-b");
    }
}
