//! A small S3 client for the tests: path-style requests signed with SigV4,
//! over one pooled HTTP client (reqwest).

use crate::sigv4::{encode, sha256_hex, Signer};
use std::net::SocketAddr;

#[derive(Clone)]
pub struct S3 {
    pub http: reqwest::Client,
    pub addr: SocketAddr,
    pub signer: Signer,
}

/// An answer: its status, body and ETag.
pub struct Reply {
    pub status: u16,
    pub body: bytes::Bytes,
    pub etag: Option<String>,
}

/// What a request came to: an answer, or the transport's failure.
pub type Answer = Result<Reply, String>;

impl S3 {
    pub fn new(addr: SocketAddr, signer: Signer) -> S3 {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(256)
            .build()
            .unwrap();
        S3 { http, addr, signer }
    }

    fn path(bucket: &str, key: Option<&str>) -> String {
        match key {
            None => format!("/{bucket}"),
            Some(k) => format!(
                "/{bucket}/{}",
                k.split('/').map(encode).collect::<Vec<_>>().join("/")
            ),
        }
    }

    /// Sends a signed request; `body` is signed by its SHA-256.
    pub async fn send(
        &self,
        method: &str,
        bucket: &str,
        key: Option<&str>,
        query: &[(&str, &str)],
        body: bytes::Bytes,
    ) -> Answer {
        let path = Self::path(bucket, key);
        let host = self.addr.to_string();
        let headers = self
            .signer
            .headers(method, &host, &path, query, &sha256_hex(&body));
        let q: Vec<String> = query
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    encode(k)
                } else {
                    format!("{}={}", encode(k), encode(v))
                }
            })
            .collect();
        let url = match q.is_empty() {
            true => format!("http://{host}{path}"),
            false => format!("http://{host}{path}?{}", q.join("&")),
        };
        let mut rb = self.http.request(method.parse().unwrap(), url).body(body);
        for (k, v) in headers {
            rb = rb.header(k, v);
        }
        let resp = rb.send().await.map_err(|e| format!("{e}"))?;
        let status = resp.status().as_u16();
        let etag = resp
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = resp.bytes().await.map_err(|e| format!("{e}"))?;
        Ok(Reply { status, body, etag })
    }

    pub async fn put(&self, bucket: &str, key: &str, body: bytes::Bytes) -> Answer {
        self.send("PUT", bucket, Some(key), &[], body).await
    }

    pub async fn get(&self, bucket: &str, key: &str) -> Answer {
        self.send("GET", bucket, Some(key), &[], bytes::Bytes::new())
            .await
    }

    pub async fn delete(&self, bucket: &str, key: &str) -> Answer {
        self.send("DELETE", bucket, Some(key), &[], bytes::Bytes::new())
            .await
    }

    pub async fn list(&self, bucket: &str, prefix: &str) -> Answer {
        let q = [("list-type", "2"), ("prefix", prefix)];
        self.send("GET", bucket, None, &q, bytes::Bytes::new())
            .await
    }

    pub async fn create_bucket(&self, bucket: &str) {
        let r = self
            .send("PUT", bucket, None, &[], bytes::Bytes::new())
            .await
            .unwrap();
        assert_eq!(
            r.status,
            200,
            "create bucket: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
}

pub fn between<'a>(s: &'a str, a: &str, b: &str) -> Option<&'a str> {
    let i = s.find(a)? + a.len();
    let j = s[i..].find(b)? + i;
    Some(&s[i..j])
}

/// The keys of a ListObjectsV2 answer.
pub fn keys(xml: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(xml);
    text.split("<Key>")
        .skip(1)
        .filter_map(|s| s.split("</Key>").next())
        .map(str::to_string)
        .collect()
}

/// The S3 error code of an answer's XML body.
pub fn code(body: &[u8]) -> String {
    between(&String::from_utf8_lossy(body), "<Code>", "</Code>")
        .unwrap_or("?")
        .to_string()
}
