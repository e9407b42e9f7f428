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

use crate::codec::{base64_decode, hex, pct, unpct};
use crate::json::Object;
use crate::types::{ObjectInfo, PutOptions, Timestamp};

/// The metadata entry that keeps the order of names.
pub const NAMES: &str = "trove-names";

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
        .filter(|(k, _)| k.as_str() != NAMES)
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

/// The `metadata` map of a put (with the order entry when needed).
pub fn metadata_json(md: &[(String, String)]) -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::new();
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
/// content type and metadata.
pub fn resource(name: Option<&str>, opts: &PutOptions) -> serde_json::Value {
    let mut r = serde_json::Map::new();
    if let Some(n) = name {
        r.insert("name".into(), n.into());
    }
    if let Some(ct) = &opts.content_type {
        r.insert("contentType".into(), ct.clone().into());
    }
    if !opts.metadata.is_empty() {
        r.insert(
            "metadata".into(),
            serde_json::Value::Object(metadata_json(&opts.metadata)),
        );
    }
    serde_json::Value::Object(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(md: &[(&str, &str)]) -> PutOptions {
        PutOptions {
            content_type: None,
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
