//! Clients that misbehave, on raw sockets: dribbled headers and stalled
//! bodies (slowloris), oversized headers, a bad signature, a body longer or
//! shorter than its Content-Length. Each gets a clean answer (or a closed
//! connection) and stores nothing; the gateway keeps serving the others.

use crate::client::S3;
use crate::sigv4::{sha256_hex, Signer};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A signed request head for `PUT /bucket/key` with `payload` as its hash.
pub fn head(signer: &Signer, addr: SocketAddr, path: &str, len: usize, payload: &str) -> String {
    let host = addr.to_string();
    let mut h = format!("PUT {path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: {len}\r\n");
    for (k, v) in signer.headers("PUT", &host, path, &[], payload) {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str("\r\n");
    h
}

/// What the server answered on `s`: its status line, or `closed`.
pub async fn answer(s: &mut TcpStream, within: Duration) -> String {
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    let read = async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    got.extend_from_slice(&buf[..n]);
                    if got.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    };
    let _ = tokio::time::timeout(within, read).await;
    let text = String::from_utf8_lossy(&got).into_owned();
    match text.lines().next() {
        Some(l) if l.starts_with("HTTP/1.1 ") => l.to_string(),
        _ => "closed".to_string(),
    }
}

/// Connections that send their head a byte at a time, never finishing.
pub async fn dribblers(
    addr: SocketAddr,
    n: usize,
    for_: Duration,
) -> Vec<tokio::task::JoinHandle<bool>> {
    (0..n)
        .map(|_| {
            tokio::spawn(async move {
                let Ok(mut s) = TcpStream::connect(addr).await else {
                    return true;
                };
                let line = b"PUT /slow/loris HTTP/1.1\r\nhost: x\r\nx-padding: ";
                let t0 = Instant::now();
                for b in line.iter().chain(std::iter::repeat(&b'a')) {
                    if t0.elapsed() > for_ || s.write_all(&[*b]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                // whether the server closed it (a write failed) before the end
                t0.elapsed() <= for_
            })
        })
        .collect()
}

/// Signed PUTs of `len` bytes whose body stops after 1 KiB: the answer each
/// got (RequestTimeout expected, or a closed connection).
pub async fn stalled_bodies(
    signer: &Signer,
    addr: SocketAddr,
    bucket: &str,
    n: usize,
) -> Vec<tokio::task::JoinHandle<String>> {
    (0..n)
        .map(|i| {
            let h = head(
                signer,
                addr,
                &format!("/{bucket}/stalled-{i}"),
                1 << 20,
                "UNSIGNED-PAYLOAD",
            );
            tokio::spawn(async move {
                let mut s = TcpStream::connect(addr).await.unwrap();
                s.write_all(h.as_bytes()).await.unwrap();
                s.write_all(&[7u8; 1024]).await.unwrap();
                answer(&mut s, Duration::from_secs(30)).await
            })
        })
        .collect()
}

/// One malformed request on a raw connection: the status line answered.
pub async fn raw(addr: SocketAddr, bytes: &[u8], close_write: bool) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let _ = s.write_all(bytes).await;
    if close_write {
        let _ = s.shutdown().await;
    }
    answer(&mut s, Duration::from_secs(10)).await
}

/// A key must not exist on the gateway.
pub async fn absent(s3: &S3, bucket: &str, key: &str) {
    let r = s3.get(bucket, key).await.unwrap();
    assert_eq!(r.status, 404, "{key} was stored: {} bytes", r.body.len());
}

/// The malformed requests, one by one: a clean answer and nothing stored.
pub async fn malformed(s3: &S3, bucket: &str) -> Vec<(String, String)> {
    let addr = s3.addr;
    let mut rows = Vec::new();
    // a 128 KiB header
    let big = format!(
        "PUT /{bucket}/big-header HTTP/1.1\r\nhost: {addr}\r\nx-big: {}\r\ncontent-length: 0\r\n\r\n",
        "a".repeat(128 << 10)
    );
    let st = raw(addr, big.as_bytes(), false).await;
    assert!(
        st.starts_with("HTTP/1.1 431") || st == "closed",
        "oversized header: {st}"
    );
    absent(s3, bucket, "big-header").await;
    rows.push(("128 KiB header".into(), st));
    // a bad signature
    let wrong = Signer {
        access_key: s3.signer.access_key.clone(),
        secret_key: "not-the-secret".into(),
    };
    let body = b"0123456789";
    let h = head(
        &wrong,
        addr,
        &format!("/{bucket}/bad-sig"),
        10,
        &sha256_hex(body),
    );
    let st = raw(addr, &[h.as_bytes(), body].concat(), false).await;
    assert!(st.starts_with("HTTP/1.1 403"), "bad signature: {st}");
    absent(s3, bucket, "bad-sig").await;
    rows.push(("bad SigV4 signature".into(), st));
    // a body longer than its Content-Length (signed for the whole body)
    let long = b"0123456789abcdefghij";
    let h = head(
        &s3.signer,
        addr,
        &format!("/{bucket}/too-long"),
        10,
        &sha256_hex(long),
    );
    let st = raw(addr, &[h.as_bytes(), long].concat(), false).await;
    assert!(
        st.starts_with("HTTP/1.1 400"),
        "body longer than Content-Length: {st}"
    );
    absent(s3, bucket, "too-long").await;
    rows.push(("body longer than Content-Length".into(), st));
    // a body shorter than its Content-Length, then the client hangs up
    let h = head(
        &s3.signer,
        addr,
        &format!("/{bucket}/too-short"),
        20,
        "UNSIGNED-PAYLOAD",
    );
    let st = raw(addr, &[h.as_bytes(), body].concat(), true).await;
    assert!(
        st.starts_with("HTTP/1.1 4") || st == "closed",
        "body shorter: {st}"
    );
    absent(s3, bucket, "too-short").await;
    rows.push(("body shorter than Content-Length".into(), st));
    rows
}
