//! GCS's JSON answers, as serde types (only the fields the driver reads).

use serde::Deserialize;

/// An object resource (`storage#object`).
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Object {
    pub name: String,
    /// Decimal, as a string.
    #[serde(default)]
    pub size: Option<String>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub md5_hash: Option<String>,
    pub crc32c: Option<String>,
    pub generation: Option<String>,
    pub metageneration: Option<String>,
    pub updated: Option<String>,
    pub time_created: Option<String>,
    pub storage_class: Option<String>,
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Object {
    pub fn size(&self) -> u64 {
        self.size
            .as_deref()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }
}

/// A page of `objects.list`.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Objects {
    #[serde(default)]
    pub items: Vec<Object>,
    #[serde(default)]
    pub prefixes: Vec<String>,
    pub next_page_token: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    pub name: String,
    pub time_created: Option<String>,
    #[serde(default)]
    pub versioning: Option<Versioning>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Versioning {
    #[serde(default)]
    pub enabled: bool,
}

/// A page of `buckets.list`.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Buckets {
    #[serde(default)]
    pub items: Vec<Bucket>,
    pub next_page_token: Option<String>,
}

/// The answer of `objects.rewrite`: done, or a token to call again with.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Rewrite {
    #[serde(default)]
    pub done: bool,
    pub rewrite_token: Option<String>,
    pub resource: Option<Object>,
}

/// The token endpoint's answer.
#[derive(Deserialize, Debug)]
pub struct Token {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<i64>,
}

/// (reason, message) of an error body: GCS's `{"error": {"message",
/// "errors": [{"reason"}]}}` or OAuth2's `{"error", "error_description"}`.
pub fn error_of(body: &[u8]) -> (String, String) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        return (String::new(), text.chars().take(200).collect());
    };
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    match &v["error"] {
        serde_json::Value::Object(e) => (
            s(&e.get("errors")
                .and_then(|x| x.get(0))
                .map(|x| x["reason"].clone())
                .unwrap_or_default()),
            s(e.get("message").unwrap_or(&serde_json::Value::Null)),
        ),
        serde_json::Value::String(code) => (code.clone(), s(&v["error_description"])),
        _ => (String::new(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_both_shapes() {
        assert_eq!(
            error_of(br#"{"error":{"code":404,"message":"No such object: b/k","errors":[{"reason":"notFound"}]}}"#),
            ("notFound".into(), "No such object: b/k".into())
        );
        assert_eq!(
            error_of(br#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#),
            ("invalid_grant".into(), "Invalid JWT Signature.".into())
        );
        assert_eq!(error_of(b"Not Found\n"), ("".into(), "Not Found".into()));
    }

    #[test]
    fn objects_parse() {
        let o: Object = serde_json::from_str(
            r#"{"name":"a","size":"5","md5Hash":"XUFAKrxLKna5cZ2REBfFkg==","metadata":{"B":"1"}}"#,
        )
        .unwrap();
        assert_eq!(o.size(), 5);
        assert_eq!(o.metadata.unwrap()["B"], "1");
    }
}
