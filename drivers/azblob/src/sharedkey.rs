//! Azure Storage authorization, in pure Rust: SharedKey request signing
//! (HMAC-SHA256 over the canonical request, keyed by the account key) and
//! service SAS tokens for presigned URLs. Pure functions, tested natively.

pub use crate::common::codec::{
    base64 as base64_encode, base64_decode, hex, hex_decode, hmac_sha256, uri_encode,
};

/// The REST API version every request (and SAS) is made with.
pub const VERSION: &str = "2021-12-02";

/// The query string as sent: pairs encoded, in the order given.
pub fn query_string(query: &[(String, String)]) -> String {
    query
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k, false), uri_encode(v, false)))
        .collect::<Vec<_>>()
        .join("&")
}

/// What SharedKey signs of one request.
pub struct Canonical<'a> {
    pub method: &'a str,
    /// The encoded URL path as sent (path-style: starting with `/ACCOUNT`).
    pub path: &'a str,
    /// Query parameters, decoded.
    pub query: &'a [(String, String)],
    /// Every header sent (lower-case names), `x-ms-date` and `x-ms-version` included.
    pub headers: &'a [(String, String)],
    pub content_length: u64,
}

/// The SharedKey string-to-sign (version 2015-02-21 and later: a zero
/// Content-Length is the empty string).
pub fn string_to_sign(account: &str, c: &Canonical<'_>) -> String {
    let h = |name: &str| {
        c.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let length = if c.content_length == 0 {
        String::new()
    } else {
        c.content_length.to_string()
    };
    let mut s = format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
        c.method,
        h("content-encoding"),
        h("content-language"),
        length,
        h("content-md5"),
        h("content-type"),
        h("date"),
        h("if-modified-since"),
        h("if-match"),
        h("if-none-match"),
        h("if-unmodified-since"),
        h("range"),
    );
    // Canonicalized headers: every x-ms- header, lower-case, sorted, values
    // trimmed but otherwise as sent: Azure's SDKs and Azurite keep inner runs
    // of spaces (a metadata value "a   b" signed folded is refused).
    let mut ms: Vec<(String, String)> = c
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .filter(|(k, _)| k.starts_with("x-ms-"))
        .map(|(k, v)| (k, v.trim().to_string()))
        .collect();
    ms.sort();
    for (k, v) in &ms {
        s.push_str(&format!("{k}:{v}\n"));
    }
    // Canonicalized resource: /ACCOUNT + the encoded path, then each query
    // parameter (name lower-case, sorted; values decoded, sorted, joined by commas).
    s.push('/');
    s.push_str(account);
    s.push_str(c.path);
    let mut names: Vec<String> = c
        .query
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    for n in names {
        let mut values: Vec<&str> = c
            .query
            .iter()
            .filter(|(k, _)| k.to_ascii_lowercase() == n)
            .map(|(_, v)| v.as_str())
            .collect();
        values.sort();
        s.push_str(&format!("\n{n}:{}", values.join(",")));
    }
    s
}

/// The `Authorization` header value of a request.
pub fn authorization(account: &str, key: &[u8], c: &Canonical<'_>) -> String {
    let sts = string_to_sign(account, c);
    let sig = base64_encode(&hmac_sha256(key, sts.as_bytes()));
    format!("SharedKey {account}:{sig}")
}

/// A service SAS for one blob (`sr=b`): the query string of a presigned URL.
/// `permissions` is `r` (read) or `cw` (create, write); `start` and `expiry`
/// are ISO 8601 UTC (`2026-01-02T03:04:05Z`). The canonicalized resource is
/// `/blob/ACCOUNT/CONTAINER/BLOB` with the blob name decoded.
#[allow(clippy::too_many_arguments)]
pub fn service_sas(
    account: &str,
    key: &[u8],
    container: &str,
    blob: &str,
    permissions: &str,
    start: &str,
    expiry: &str,
    protocol: &str,
) -> String {
    let resource = format!("/blob/{account}/{container}/{blob}");
    // Version 2020-12-06 and later: ... signedResource, snapshot time,
    // encryption scope, then the five response-header overrides.
    let sts = format!(
        "{permissions}\n{start}\n{expiry}\n{resource}\n\n\n{protocol}\n{VERSION}\nb\n\n\n\n\n\n\n"
    );
    let sig = base64_encode(&hmac_sha256(key, sts.as_bytes()));
    let q = vec![
        ("sv".to_string(), VERSION.to_string()),
        ("spr".to_string(), protocol.to_string()),
        ("st".to_string(), start.to_string()),
        ("se".to_string(), expiry.to_string()),
        ("sr".to_string(), "b".to_string()),
        ("sp".to_string(), permissions.to_string()),
        ("sig".to_string(), sig),
    ];
    query_string(&q)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn base64_round_trips() {
        for (plain, enc) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(plain), enc);
            assert_eq!(base64_decode(enc).unwrap(), plain);
        }
        assert_eq!(base64_decode(KEY).unwrap().len(), 64);
        assert_eq!(base64_encode(&base64_decode(KEY).unwrap()), KEY);
        assert!(base64_decode("not base64!").is_none());
    }

    /// A request Azurite accepted (signed by an independent implementation,
    /// Python's hmac, and checked against Azurite 3.35): a path-style Put
    /// Blob with metadata, whose canonical resource names the account twice.
    #[test]
    fn signs_a_request_azurite_accepted() {
        let key = base64_decode(KEY).unwrap();
        let headers = vec![
            ("x-ms-blob-type".to_string(), "BlockBlob".to_string()),
            ("x-ms-meta-alpha".to_string(), "a".to_string()),
            ("x-ms-meta-zeta_last".to_string(), "z".to_string()),
            ("content-type".to_string(), "text/plain".to_string()),
            (
                "x-ms-date".to_string(),
                "Thu, 26 Nov 2026 08:29:15 GMT".to_string(),
            ),
            ("x-ms-version".to_string(), "2021-08-06".to_string()),
        ];
        let c = Canonical {
            method: "PUT",
            path: "/devstoreaccount1/probe1/a%20b/%C3%BC%2B%25.txt",
            query: &[],
            headers: &headers,
            content_length: 5,
        };
        let sts = string_to_sign("devstoreaccount1", &c);
        assert_eq!(
            sts,
            "PUT\n\n\n5\n\ntext/plain\n\n\n\n\n\n\n\
             x-ms-blob-type:BlockBlob\nx-ms-date:Thu, 26 Nov 2026 08:29:15 GMT\n\
             x-ms-meta-alpha:a\nx-ms-meta-zeta_last:z\nx-ms-version:2021-08-06\n\
             /devstoreaccount1/devstoreaccount1/probe1/a%20b/%C3%BC%2B%25.txt"
        );
        assert_eq!(
            authorization("devstoreaccount1", &key, &c),
            "SharedKey devstoreaccount1:yfF4XGC/LyMsT9rOhrnon/Dkf+LI6QujDWTfJaDxB08="
        );
    }

    #[test]
    fn canonical_query_is_sorted_lowercase_and_decoded() {
        let q = vec![
            ("restype".to_string(), "container".to_string()),
            ("comp".to_string(), "list".to_string()),
            ("prefix".to_string(), "a b".to_string()),
        ];
        let headers = vec![];
        let c = Canonical {
            method: "GET",
            path: "/c",
            query: &q,
            headers: &headers,
            content_length: 0,
        };
        assert!(string_to_sign("acc", &c)
            .ends_with("\n/acc/c\ncomp:list\nprefix:a b\nrestype:container"));
    }

    #[test]
    fn encodes_urls() {
        assert_eq!(uri_encode("a b+c/d~", true), "a%20b%2Bc/d~");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(uri_encode("ü", false), "%C3%BC");
    }
}
