//! Object info from Azure's response headers and List Blobs XML, and the
//! request headers of put options.
//!
//! **Metadata names.** Azure takes only C#-identifier names
//! (`[A-Za-z_][A-Za-z0-9_]*`), compares them without case, and Azurite
//! (like any HTTP/2 hop) hands them back lower-cased. So a name that is a
//! plain identifier is stored as itself, and any other name (`Zeta-Last`, a
//! second name differing only in case, a name starting with `trove`) as
//! `trove_` + the hex of its UTF-8 bytes; one more entry, `trovenames`,
//! holds the original names, percent-encoded, comma-separated, in order, so
//! case and order come back exactly. Other tools see readable names where
//! the name allows it.
//!
//! **ETags.** The contract wants an ETag derived from the content; Azure's
//! own ETag (`0x8D...`) changes on every write, even of the same bytes. The
//! driver therefore computes the MD5 of every put as the bytes pass and
//! stores it as the blob's Content-MD5 property (`Content-MD5` on Put Blob,
//! checked by Azure; `x-ms-blob-content-md5` on Put Block List), which Azure
//! returns on Get Blob (`x-ms-blob-content-md5` on ranged reads), Get Blob
//! Properties and List Blobs, and which Copy Blob carries over. The ETag is
//! its hex form (the same as S3's for a single-part upload). A blob
//! assembled by the `multipart` capability has no whole-content MD5 (the
//! parts arrive one by one, possibly to different instances): its ETag is
//! S3-style, the MD5 of the parts' MD5s plus `-N`, kept in the metadata
//! entry `troveetag`. A blob another tool wrote without Content-MD5 falls
//! back to Azure's ETag. Conditions on the contract's ETag are evaluated by
//! the driver, and made atomic by sending Azure's ETag of the version that
//! was checked (`If-Match`).
//!
//! **Content headers.** Cache-Control, Content-Disposition, Content-Encoding
//! and Content-Language are the blob's own properties (`x-ms-blob-*` on a
//! put). Azure has no Expires: it is kept in the metadata entry
//! `troveexpires`, which reading hides.

use crate::sharedkey::{base64_decode, hex, uri_encode};
use crate::types::{ContentHeaders, ObjectInfo, PutOptions, Timestamp};
use crate::xml::Element;

const META: &str = "x-ms-meta-";
/// The entry holding the original names, in order.
pub const NAMES: &str = "trovenames";
/// The entry holding a multipart blob's ETag.
pub const ETAG: &str = "troveetag";
/// The entry holding the Expires header (Azure has no such property).
pub const EXPIRES: &str = "troveexpires";
const ENCODED: &str = "trove_";

pub fn unquote(etag: &str) -> String {
    let e = etag.trim();
    let e = e.strip_prefix("W/").unwrap_or(e);
    e.trim_matches('"').to_string()
}

fn decode_percent(s: &str) -> String {
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

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The stored (Azure) names of `names`, in order: each distinct without case.
fn stored_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut used = std::collections::HashSet::new();
    names
        .map(|n| {
            let lower = n.to_ascii_lowercase();
            if is_identifier(n) && !lower.starts_with("trove") && used.insert(lower) {
                n.to_string()
            } else {
                format!("{ENCODED}{}", hex(n.as_bytes()))
            }
        })
        .collect()
}

/// The `x-ms-meta-*` headers of user metadata (plus `trovenames`).
pub fn metadata_headers(metadata: &[(String, String)]) -> Vec<(String, String)> {
    if metadata.is_empty() {
        return Vec::new();
    }
    let stored = stored_names(metadata.iter().map(|(k, _)| k.as_str()));
    let mut h: Vec<(String, String)> = stored
        .into_iter()
        .zip(metadata)
        .map(|(s, (_, v))| (format!("{META}{s}"), v.clone()))
        .collect();
    let names: Vec<String> = metadata.iter().map(|(k, _)| uri_encode(k, false)).collect();
    h.push((format!("{META}{NAMES}"), names.join(",")));
    h
}

/// The content headers of a put as Put Blob / Put Block List headers.
pub fn content_headers(opts: &PutOptions) -> Vec<(String, String)> {
    let h = &opts.headers;
    let mut out: Vec<(String, String)> = [
        ("x-ms-blob-cache-control", &h.cache_control),
        ("x-ms-blob-content-disposition", &h.content_disposition),
        ("x-ms-blob-content-encoding", &h.content_encoding),
        ("x-ms-blob-content-language", &h.content_language),
    ]
    .into_iter()
    .filter_map(|(n, v)| v.as_ref().map(|v| (n.to_string(), v.clone())))
    .collect();
    if let Some(e) = &h.expires {
        out.push((format!("{META}{EXPIRES}"), e.clone()));
    }
    out
}

/// The content headers of a blob: its properties (`get` names them as a
/// response does, with the `Content-*` names) and the Expires entry.
fn stored_headers(
    get: impl Fn(&str) -> Option<String>,
    entries: &[(String, String)],
) -> ContentHeaders {
    let some = |name: &str| get(name).filter(|v| !v.is_empty());
    ContentHeaders {
        cache_control: some("Cache-Control"),
        content_disposition: some("Content-Disposition"),
        content_encoding: some("Content-Encoding"),
        content_language: some("Content-Language"),
        expires: entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(EXPIRES))
            .map(|(_, v)| v.clone()),
    }
}

/// User metadata from stored entries (names in any case), in the order and
/// case of the put. Entries the driver keeps for itself are left out.
pub fn decode_metadata(entries: &[(String, String)]) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = entries
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .filter(|(k, _)| k != NAMES && k != ETAG && k != EXPIRES)
        .collect();
    let names = entries
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(NAMES))
        .map(|(_, v)| v.as_str());
    let mut out = Vec::new();
    if let Some(names) = names {
        let originals: Vec<String> = names
            .split(',')
            .filter(|n| !n.is_empty())
            .map(decode_percent)
            .collect();
        let stored = stored_names(originals.iter().map(String::as_str));
        for (orig, s) in originals.into_iter().zip(stored) {
            let lower = s.to_ascii_lowercase();
            if let Some(pos) = found.iter().position(|(k, _)| *k == lower) {
                out.push((orig, found.remove(pos).1));
            }
        }
    }
    // Entries written by other tools (or without the names entry).
    let mut rest: Vec<(String, String)> = found
        .into_iter()
        .map(|(k, v)| {
            let name = k
                .strip_prefix(ENCODED)
                .and_then(crate::sharedkey::hex_decode)
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or(k);
            (name, v)
        })
        .collect();
    rest.sort();
    out.extend(rest);
    out
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The contract's ETag: the multipart ETag, else the hex of Content-MD5,
/// else Azure's ETag (see the module's comment).
pub fn etag(
    troveetag: Option<&str>,
    content_md5: Option<&str>,
    azure_etag: Option<&str>,
) -> String {
    if let Some(e) = troveetag.filter(|e| !e.is_empty()) {
        return e.to_string();
    }
    if let Some(md5) = content_md5
        .and_then(|m| base64_decode(m.trim()))
        .filter(|m| m.len() == 16)
    {
        return hex(&md5);
    }
    azure_etag.map(unquote).unwrap_or_default()
}

/// Azure's own ETag of a HEAD/GET answer (for `If-Match`).
pub fn azure_etag(headers: &[(String, String)]) -> Option<String> {
    header(headers, "etag").map(str::to_string)
}

/// The info of `key` from a HEAD or GET answer. `size` is the blob's size
/// (a ranged GET passes the total from Content-Range).
pub fn from_headers(key: &str, headers: &[(String, String)], size: u64) -> ObjectInfo {
    let entries: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| {
            let lk = k.to_ascii_lowercase();
            lk.strip_prefix(META).map(|n| (n.to_string(), v.clone()))
        })
        .collect();
    let md5 = header(headers, "x-ms-blob-content-md5").or_else(|| header(headers, "content-md5"));
    ObjectInfo {
        key: key.to_string(),
        size,
        etag: etag(
            header(headers, &format!("{META}{ETAG}")),
            md5,
            header(headers, "etag"),
        ),
        content_type: header(headers, "content-type").map(str::to_string),
        headers: stored_headers(|n| header(headers, n).map(str::to_string), &entries),
        last_modified: header(headers, "last-modified").and_then(http_time),
        metadata: decode_metadata(&entries),
        version_id: header(headers, "x-ms-version-id").map(str::to_string),
        storage_class: header(headers, "x-ms-access-tier").map(str::to_string),
    }
}

pub fn http_time(s: &str) -> Option<Timestamp> {
    crate::common::dates::parse_http_date(s).map(|seconds| Timestamp {
        seconds,
        nanoseconds: 0,
    })
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

/// One `<Blob>` of a List Blobs answer (listed with `include=metadata`).
pub fn from_listing(b: &Element) -> ObjectInfo {
    let empty = Element::default();
    let p = b.child("Properties").unwrap_or(&empty);
    let entries: Vec<(String, String)> = b
        .child("Metadata")
        .map(|m| {
            m.children
                .iter()
                .map(|e| (e.name.clone(), e.text.clone()))
                .collect()
        })
        .unwrap_or_default();
    let troveetag = entries
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(ETAG))
        .map(|(_, v)| v.as_str());
    ObjectInfo {
        key: b.text_of("Name").unwrap_or_default().to_string(),
        size: p
            .text_of("Content-Length")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0),
        etag: etag(troveetag, p.text_of("Content-MD5"), p.text_of("Etag")),
        content_type: p
            .text_of("Content-Type")
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        headers: stored_headers(|n| p.text_of(n).map(str::to_string), &entries),
        last_modified: p.text_of("Last-Modified").and_then(http_time),
        metadata: decode_metadata(&entries),
        version_id: b.text_of("VersionId").map(str::to_string),
        storage_class: p.text_of("AccessTier").map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// What Azurite hands back: the stored names, lower-cased.
    fn round_trip(md: &[(String, String)]) -> Vec<(String, String)> {
        let stored: Vec<(String, String)> = metadata_headers(md)
            .into_iter()
            .map(|(k, v)| (k[META.len()..].to_ascii_lowercase(), v))
            .collect();
        decode_metadata(&stored)
    }

    #[test]
    fn metadata_keeps_case_and_order() {
        let md = pairs(&[
            ("Zeta-Last", "z"),
            ("alpha", "a"),
            ("MiXeD-Case", "Value With Case"),
            ("b2", "2"),
            ("Color", "blue"),
            ("color", "second"),
            ("trove_x", "mine"),
            ("ünï", "u"),
        ]);
        assert_eq!(round_trip(&md), md);
        let h = metadata_headers(&md);
        assert_eq!(h[1], ("x-ms-meta-alpha".to_string(), "a".to_string()));
        assert_eq!(h[0].0, format!("x-ms-meta-trove_{}", hex(b"Zeta-Last")));
        assert_eq!(h[5].0, format!("x-ms-meta-trove_{}", hex(b"color")));
        assert!(metadata_headers(&[]).is_empty());
    }

    #[test]
    fn foreign_metadata_is_kept_sorted() {
        let got = decode_metadata(&pairs(&[
            ("zeta", "1"),
            ("alpha", "2"),
            (&format!("trove_{}", hex(b"a-b")), "3"),
            (ETAG, "x"),
        ]));
        assert_eq!(got, pairs(&[("a-b", "3"), ("alpha", "2"), ("zeta", "1")]));
    }

    #[test]
    fn etags() {
        // MD5("hello") = 5d41402abc4b2a76b9719d911017c592.
        assert_eq!(
            etag(None, Some("XUFAKrxLKna5cZ2REBfFkg=="), Some("\"0x1\"")),
            "5d41402abc4b2a76b9719d911017c592"
        );
        assert_eq!(
            etag(Some("abc-2"), Some("XUFAKrxLKna5cZ2REBfFkg=="), None),
            "abc-2"
        );
        assert_eq!(etag(None, None, Some("\"0x8D1\"")), "0x8D1");
        assert_eq!(unquote("\"abc\""), "abc");
        assert_eq!(decode_percent("a%2Db%"), "a-b%");
    }
}
