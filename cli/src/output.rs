//! Rendering results for people (plain text) and machines (`--json`).

use serde_json::{json, Map, Value};
use std::time::{SystemTime, UNIX_EPOCH};
use trove_host::{printable, BucketInfo, ObjectInfo};

/// RFC 3339 UTC with second precision, e.g. `2026-11-26T05:39:06Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn time_json(t: Option<SystemTime>) -> Value {
    t.map(|t| Value::String(rfc3339(t))).unwrap_or(Value::Null)
}

pub fn object_json(o: &ObjectInfo) -> Value {
    let mut meta = Map::new();
    for (k, v) in &o.metadata {
        meta.insert(k.clone(), Value::String(v.clone()));
    }
    let headers: Map<String, Value> = o
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), Value::String(v.to_string())))
        .collect();
    json!({
        "key": o.key,
        "size": o.size,
        "etag": o.etag,
        "content_type": o.content_type,
        "headers": headers,
        "last_modified": time_json(o.last_modified),
        "metadata": meta,
        "version_id": o.version_id,
    })
}

pub fn buckets_json(b: &[BucketInfo]) -> Value {
    Value::Array(
        b.iter()
            .map(|b| json!({"name": b.name, "created": time_json(b.created)}))
            .collect(),
    )
}

/// `head` in text: every string the driver supplied goes through
/// [`printable`], so no control or bidi character reaches the terminal.
pub fn object_text(o: &ObjectInfo) -> String {
    let mut s = format!(
        "key:           {}\nsize:          {}\netag:          {}\n",
        printable(&o.key),
        o.size,
        printable(&o.etag)
    );
    if let Some(ct) = &o.content_type {
        s += &format!("content-type:  {}\n", printable(ct));
    }
    for (name, v) in o.headers.iter() {
        let label = format!("{}:", name.to_ascii_lowercase());
        s += &format!("{label:<14} {}\n", printable(v));
    }
    if let Some(t) = o.last_modified {
        s += &format!("last-modified: {}\n", rfc3339(t));
    }
    if let Some(v) = &o.version_id {
        s += &format!("version-id:    {}\n", printable(v));
    }
    for (k, v) in &o.metadata {
        s += &format!("meta:          {}={}\n", printable(k), printable(v));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_671_546)),
            "2026-11-26T05:39:06Z"
        );
    }
}
