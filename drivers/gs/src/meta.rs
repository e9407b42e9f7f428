//! Object info from GCS object resources, and the resource a put sends.
//!
//! - **ETag**: derived from the content, as the contract wants: the hex of
//!   the object's MD5 (`md5Hash`), or, for composite objects that have none,
//!   `crc32c-` and the hex of its CRC32C. (GCS's own `etag` changes with
//!   metadata and generation, not only content, so it is not used.)
//! - **Metadata**: GCS keeps names' case in the `metadata` map but not their
//!   order; when the order of a put is not already sorted, the names in
//!   order go in one extra entry, `trove-names` (encoded, comma-separated),
//!   which reading hides again.
//! - **Content headers**: Cache-Control, Content-Disposition, Content-Encoding
//!   and Content-Language are the resource's own fields. GCS has no Expires:
//!   it is kept in the `metadata` map as `trove-expires`, which reading hides.

use crate::codec::{base64_decode, hex, pct, unpct};
use crate::json::Object;
use crate::types::{ContentHeaders, ObjectInfo, PutOptions, Timestamp};

/// The metadata entry that keeps the order of names.
pub const NAMES: &str = "trove-names";
/// The metadata entry that keeps an object's Expires header.
pub const EXPIRES: &str = "trove-expires";

/// The content-derived ETag of an object resource.
pub fn etag(o: &Object) -> String {
    if let Some(md5) = o.md5_hash.as_deref().and_then(base64_decode) {
        if !md5.is_empty() {
            return hex(&md5);
        }
    }
    if let Some(crc) = o.crc32c.as_deref().and_then(base64_decode) {
        if !crc.is_empty() {
            return format!("crc32c-{}", hex(&crc));
        }
    }
    String::new()
}

pub fn time(s: &str) -> Option<Timestamp> {
    crate::common::dates::parse_rfc3339(s).map(|(seconds, nanoseconds)| Timestamp {
        seconds,
        nanoseconds,
    })
}

/// User metadata in the order of the put (or sorted by name without an order entry).
pub fn metadata(o: &Object) -> Vec<(String, String)> {
    let Some(map) = &o.metadata else {
        return Vec::new();
    };
    let mut found: Vec<(String, String)> = map
        .iter()
        .filter(|(k, _)| k.as_str() != NAMES && k.as_str() != EXPIRES)
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect();
    found.sort();
    let Some(names) = map.get(NAMES).and_then(|v| v.as_str()) else {
        return found;
    };
    let mut out = Vec::with_capacity(found.len());
    for n in names.split(',').filter(|n| !n.is_empty()) {
        let name = unpct(n);
        if let Some(pos) = found.iter().position(|(k, _)| *k == name) {
            out.push(found.remove(pos));
        }
    }
    out.extend(found);
    out
}

/// The contract's info of an object resource.
pub fn info(o: &Object) -> ObjectInfo {
    ObjectInfo {
        key: o.name.clone(),
        size: o.size(),
        etag: etag(o),
        content_type: o.content_type.clone().filter(|c| !c.is_empty()),
        headers: headers(o),
        last_modified: o
            .updated
            .as_deref()
            .or(o.time_created.as_deref())
            .and_then(time),
        metadata: metadata(o),
        version_id: None,
        storage_class: o.storage_class.clone(),
    }
}

/// The content headers of an object resource.
pub fn headers(o: &Object) -> ContentHeaders {
    let some = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    ContentHeaders {
        cache_control: some(&o.cache_control),
        content_disposition: some(&o.content_disposition),
        content_encoding: some(&o.content_encoding),
        content_language: some(&o.content_language),
        expires: o
            .metadata
            .as_ref()
            .and_then(|m| m.get(EXPIRES))
            .and_then(|v| v.as_str())
            .map(str::to_string),
    }
}

/// The `metadata` map of a put (with the order entry when needed, and the
/// Expires entry).
pub fn metadata_json(
    md: &[(String, String)],
    expires: Option<&str>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::new();
    if let Some(e) = expires {
        map.insert(EXPIRES.into(), e.into());
    }
    for (k, v) in md {
        map.insert(k.clone(), v.clone().into());
    }
    let sorted = md.windows(2).all(|w| w[0].0 < w[1].0);
    if !sorted {
        let names: Vec<String> = md.iter().map(|(k, _)| pct(k, false)).collect();
        map.insert(NAMES.into(), names.join(",").into());
    }
    map
}

/// The object resource sent with an upload or a compose: name (optional),
/// content type, content headers and metadata.
pub fn resource(name: Option<&str>, opts: &PutOptions) -> serde_json::Value {
    let mut r = serde_json::Map::new();
    if let Some(n) = name {
        r.insert("name".into(), n.into());
    }
    if let Some(ct) = &opts.content_type {
        r.insert("contentType".into(), ct.clone().into());
    }
    let h = &opts.headers;
    for (field, value) in [
        ("cacheControl", &h.cache_control),
        ("contentDisposition", &h.content_disposition),
        ("contentEncoding", &h.content_encoding),
        ("contentLanguage", &h.content_language),
    ] {
        if let Some(v) = value {
            r.insert(field.into(), v.clone().into());
        }
    }
    if !opts.metadata.is_empty() || h.expires.is_some() {
        let md = metadata_json(&opts.metadata, h.expires.as_deref());
        r.insert("metadata".into(), serde_json::Value::Object(md));
    }
    serde_json::Value::Object(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(md: &[(&str, &str)]) -> PutOptions {
        PutOptions {
            content_type: None,
            headers: trove_driver_cloud::headers_from_pairs(&[]),
            metadata: md
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            if_none_match: None,
            if_match: None,
            size: None,
        }
    }

    fn stored(opts: &PutOptions) -> Object {
        // As the server keeps it: a map, whatever its order.
        let r = resource(None, opts);
        serde_json::from_value(serde_json::json!({"name": "k", "metadata": r["metadata"]})).unwrap()
    }

    #[test]
    fn content_headers_are_fields_and_expires_is_hidden_metadata() {
        let mut o = opts(&[("b", "1")]);
        o.headers.content_encoding = Some("gzip".into());
        o.headers.expires = Some("Thu, 01 Dec 1994 16:00:00 GMT".into());
        let r = resource(None, &o);
        assert_eq!(r["contentEncoding"], "gzip");
        let back: Object = serde_json::from_value(serde_json::json!({
            "name": "k", "contentEncoding": "gzip", "metadata": r["metadata"]
        }))
        .unwrap();
        let pairs = trove_driver_cloud::headers_to_pairs;
        assert_eq!(pairs(&headers(&back)), pairs(&o.headers));
        assert_eq!(metadata(&back), o.metadata);
    }

    #[test]
    fn metadata_keeps_case_and_order() {
        let o = opts(&[("Zeta", "z"), ("alpha", "a"), ("a,b%c", "x")]);
        let back = metadata(&stored(&o));
        assert_eq!(back, o.metadata);
        // Sorted names need no order entry.
        let o = opts(&[("A", "1"), ("B", "2")]);
        assert!(!resource(None, &o)["metadata"]
            .as_object()
            .unwrap()
            .contains_key(NAMES));
        assert_eq!(metadata(&stored(&o)), o.metadata);
    }

    #[test]
    fn etags_come_from_content_hashes() {
        let o: Object = serde_json::from_str(
            r#"{"name":"k","md5Hash":"XUFAKrxLKna5cZ2REBfFkg==","crc32c":"mnG7TA==","etag":"CJ+Fgen"}"#,
        )
        .unwrap();
        assert_eq!(etag(&o), "5d41402abc4b2a76b9719d911017c592");
        let composite: Object =
            serde_json::from_str(r#"{"name":"k","crc32c":"mnG7TA=="}"#).unwrap();
        assert_eq!(etag(&composite), "crc32c-9a71bb4c");
    }
}
