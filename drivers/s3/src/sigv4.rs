//! AWS Signature Version 4 for S3: the `Authorization` header of a request,
//! and presigned URLs. Pure functions, tested natively.

use crate::common::codec::hmac_sha256 as hmac;
pub use crate::common::codec::{hex, sha256_hex, uri_encode};

/// The SHA-256 of an empty payload.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
}

/// A header value as SigV4 signs it ("Trimall"): no leading or trailing
/// spaces, and each run of spaces inside turned into one (a metadata value
/// "a   b" is signed as "a b").
fn trimall(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical (and sent) query string: pairs encoded and sorted.
pub fn canonical_query(query: &[(String, String)]) -> String {
    let mut q: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
        .collect();
    q.sort();
    q.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `20240102T030405Z` and `20240102`.
pub struct Stamp {
    pub datetime: String,
    pub date: String,
}

impl Stamp {
    pub fn at(unix_seconds: i64) -> Stamp {
        let (date, datetime) = crate::common::dates::stamp(unix_seconds);
        Stamp { datetime, date }
    }
}

fn signing_key(secret: &str, date: &str, region: &str) -> [u8; 32] {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, b"s3");
    hmac(&k, b"aws4_request")
}

fn signature(
    creds: &Credentials,
    region: &str,
    stamp: &Stamp,
    canonical_request: &str,
) -> (String, String) {
    let scope = format!("{}/{region}/s3/aws4_request", stamp.date);
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        stamp.datetime,
        sha256_hex(canonical_request.as_bytes())
    );
    let key = signing_key(&creds.secret_key, &stamp.date, region);
    (scope, hex(&hmac(&key, to_sign.as_bytes())))
}

/// Adds `x-amz-date`, `x-amz-content-sha256` and `Authorization` to
/// `headers` (which must hold `host`). Every header in `headers` is signed.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    creds: &Credentials,
    region: &str,
    stamp: &Stamp,
    method: &str,
    canonical_uri: &str,
    query: &str,
    headers: &mut Vec<(String, String)>,
    payload_sha256: &str,
) {
    headers.push(("x-amz-date".into(), stamp.datetime.clone()));
    headers.push(("x-amz-content-sha256".into(), payload_sha256.into()));
    let mut canon: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), trimall(v)))
        .collect();
    canon.sort();
    let signed: Vec<&str> = canon.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let canon_headers: String = canon.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let request =
        format!("{method}\n{canonical_uri}\n{query}\n{canon_headers}\n{signed}\n{payload_sha256}");
    let (scope, sig) = signature(creds, region, stamp, &request);
    headers.push((
        "authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={sig}",
            creds.access_key
        ),
    ));
}

/// The query string of a presigned URL (only `host` signed, payload unsigned).
pub fn presign_query(
    creds: &Credentials,
    region: &str,
    stamp: &Stamp,
    method: &str,
    canonical_uri: &str,
    host: &str,
    expires: u32,
) -> String {
    let mut q = vec![
        (
            "X-Amz-Algorithm".to_string(),
            "AWS4-HMAC-SHA256".to_string(),
        ),
        (
            "X-Amz-Credential".to_string(),
            format!(
                "{}/{}/{region}/s3/aws4_request",
                creds.access_key, stamp.date
            ),
        ),
        ("X-Amz-Date".to_string(), stamp.datetime.clone()),
        ("X-Amz-Expires".to_string(), expires.to_string()),
        ("X-Amz-SignedHeaders".to_string(), "host".to_string()),
    ];
    let query = canonical_query(&q);
    let request =
        format!("{method}\n{canonical_uri}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD");
    let (_, sig) = signature(creds, region, stamp, &request);
    q.push(("X-Amz-Signature".to_string(), sig));
    canonical_query(&q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_signed_trimmed_with_inner_runs_of_spaces_folded() {
        assert_eq!(trimall("  hello   world \t"), "hello world");
        assert_eq!(trimall("a"), "a");
    }

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    /// The GET Object example of the AWS SigV4 documentation.
    #[test]
    fn signs_the_documented_example() {
        let creds = Credentials {
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        };
        let stamp = Stamp {
            datetime: "20130524T000000Z".into(),
            date: "20130524".into(),
        };
        let mut h = vec![
            (
                "host".to_string(),
                "examplebucket.s3.amazonaws.com".to_string(),
            ),
            ("range".to_string(), "bytes=0-9".to_string()),
        ];
        sign(
            &creds,
            "us-east-1",
            &stamp,
            "GET",
            "/test.txt",
            "",
            &mut h,
            EMPTY_SHA256,
        );
        let auth = &h.last().unwrap().1;
        assert!(
            auth.ends_with(
                "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
            ),
            "{auth}"
        );
    }

    #[test]
    fn encodes_like_sigv4() {
        assert_eq!(uri_encode("a b+c/d~", true), "a%20b%2Bc/d~");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(uri_encode("ü", false), "%C3%BC");
    }
}
