//! AWS Signature V4 for the test clients (header form), as any S3 client
//! signs: the gateway checks every request against its one key pair.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const REGION: &str = "us-east-1";

#[derive(Clone)]
pub struct Signer {
    pub access_key: String,
    pub secret_key: String,
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// S3's URI encoding of one path segment or query value.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl Signer {
    /// The headers that sign `method host path?query` with a payload hash
    /// (hex SHA-256, or `UNSIGNED-PAYLOAD`): `path` is encoded already,
    /// `query` pairs are raw.
    pub fn headers(
        &self,
        method: &str,
        host: &str,
        path: &str,
        query: &[(&str, &str)],
        payload: &str,
    ) -> Vec<(String, String)> {
        let now = time::OffsetDateTime::now_utc();
        let amz_date = now
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .unwrap();
        let day = &amz_date[..8];
        let mut q: Vec<(String, String)> =
            query.iter().map(|(k, v)| (encode(k), encode(v))).collect();
        q.sort();
        let canonical_query = q
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let canonical = format!(
            "{method}\n{path}\n{canonical_query}\nhost:{host}\nx-amz-content-sha256:{payload}\n\
             x-amz-date:{amz_date}\n\nhost;x-amz-content-sha256;x-amz-date\n{payload}"
        );
        let scope = format!("{day}/{REGION}/s3/aws4_request");
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            sha256_hex(canonical.as_bytes())
        );
        let k = hmac(format!("AWS4{}", self.secret_key).as_bytes(), day);
        let k = hmac(&k, REGION);
        let k = hmac(&k, "s3");
        let k = hmac(&k, "aws4_request");
        let signature = hex::encode(hmac(&k, &to_sign));
        vec![
            ("x-amz-date".into(), amz_date.clone()),
            ("x-amz-content-sha256".into(), payload.to_string()),
            (
                "authorization".into(),
                format!(
                    "AWS4-HMAC-SHA256 Credential={}/{scope}, \
                     SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}",
                    self.access_key
                ),
            ),
        ]
    }
}
