//! The gateway through its public API: the S3 service it builds, called with
//! plain HTTP requests (no socket), in front of the built-in mem driver.

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use trove_gateway::{Credentials, Gateway, S3Service};

async fn call(
    svc: &S3Service,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (StatusCode, http::HeaderMap, Bytes) {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "127.0.0.1");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b.body(s3s::Body::from(body.to_vec())).unwrap();
    let res = svc.call(req).await.expect("the service answers");
    let (parts, mut body) = res.into_parts();
    let bytes = body.store_all_limited(1 << 20).await.expect("a small body");
    (parts.status, parts.headers, bytes)
}

async fn mem_service(creds: Option<Credentials>) -> S3Service {
    let d = trove_host::Driver::open("mem://")
        .await
        .expect("the mem driver opens");
    Gateway::new(d, None)
        .expect("a spool folder")
        .service(creds)
}

#[tokio::test]
async fn bucket_object_round_trip() {
    let svc = mem_service(None).await;
    let (s, _, _) = call(&svc, Method::PUT, "/bkt", &[], b"").await;
    assert_eq!(s, StatusCode::OK);
    let (s, h, _) = call(
        &svc,
        Method::PUT,
        "/bkt/dir/k.txt",
        &[("content-type", "text/plain"), ("x-amz-meta-owner", "ann")],
        b"hello world",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(h.contains_key("etag"));

    let (s, h, b) = call(
        &svc,
        Method::GET,
        "/bkt/dir/k.txt",
        &[("range", "bytes=6-")],
        b"",
    )
    .await;
    assert_eq!(s, StatusCode::PARTIAL_CONTENT);
    assert_eq!(&b[..], b"world");
    assert_eq!(h["content-range"], "bytes 6-10/11");
    assert_eq!(h["x-amz-meta-owner"], "ann");

    let (s, _, b) = call(&svc, Method::GET, "/bkt?list-type=2&delimiter=/", &[], b"").await;
    assert_eq!(s, StatusCode::OK);
    let xml = String::from_utf8_lossy(&b);
    assert!(xml.contains("<Prefix>dir/</Prefix>"), "{xml}");

    let (s, _, b) = call(&svc, Method::DELETE, "/bkt", &[], b"").await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(String::from_utf8_lossy(&b).contains("BucketNotEmpty"));

    let (s, _, _) = call(&svc, Method::DELETE, "/bkt/dir/k.txt", &[], b"").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, b) = call(&svc, Method::GET, "/bkt/dir/k.txt", &[], b"").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&b).contains("NoSuchKey"));
    let (s, _, _) = call(&svc, Method::DELETE, "/bkt", &[], b"").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, b) = call(&svc, Method::GET, "/bkt?list-type=2", &[], b"").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&b).contains("NoSuchBucket"));
}

#[tokio::test]
async fn unsigned_requests_are_refused_with_credentials() {
    let svc = mem_service(Some(Credentials::new("ak", "sk"))).await;
    let (s, _, b) = call(&svc, Method::GET, "/", &[], b"").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{}", String::from_utf8_lossy(&b));
    // and the secret never appears in Debug output
    assert!(!format!("{:?}", Credentials::new("ak", "sk-secret")).contains("sk-secret"));
}

/// The hostile test driver (drivers/testing/hostile), built by host/build.rs.
fn hostile() -> String {
    std::path::Path::new(trove_host::GUEST_DIR)
        .join("trove_driver_hostile.wasm")
        .display()
        .to_string()
}

/// A listing whose cursor never gets anywhere ends in an S3 error, and other
/// requests are served while the gateway walks it. One worker thread: a walk
/// that never yielded would hold it (and every other request) for ever, so
/// the answers are awaited from outside the runtime, with a deadline.
#[test]
fn a_listing_that_does_not_advance_is_an_error_and_others_are_served() {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let svc = rt.block_on(async {
        let host = trove_host::Host::new(trove_host::HostConfig {
            cache_dir: Some(concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache").into()),
            ..Default::default()
        })
        .unwrap();
        let d = host
            .open_with(&hostile(), "hostile://")
            .await
            .expect("the hostile driver opens");
        Gateway::new(d, None).expect("a spool folder").service(None)
    });
    let (tx, rx) = mpsc::channel();
    let t0 = Instant::now();
    // `empty-cursor`: empty pages with a new cursor each, for ever, so
    // skipping to start-after never ends (the page budget does);
    // `stuck`: the key `a` and the same cursor every time (caught at once);
    // then a plain request, sent while the first walk goes on.
    for (name, uri, method) in [
        (
            "empty-cursor",
            "/empty-cursor?list-type=2&start-after=b",
            Method::GET,
        ),
        ("stuck", "/stuck?list-type=2&start-after=b", Method::GET),
        ("other", "/other", Method::HEAD),
    ] {
        let svc = svc.clone();
        let tx = tx.clone();
        rt.spawn(async move {
            let answer = call(&svc, method, uri, &[], b"").await;
            let _ = tx.send((name, answer, t0.elapsed()));
        });
    }
    let mut answers = Vec::new();
    for _ in 0..3 {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(a) => answers.push(a),
            Err(_) => {
                let got: Vec<_> = answers.iter().map(|a| a.0).collect();
                // The runtime's worker may be stuck: do not wait for it.
                rt.shutdown_background();
                panic!("only {got:?} answered within 30 s");
            }
        }
    }
    for (name, (status, _, body), t) in &answers {
        println!(
            "{name}: {status} after {t:.1?}: {}",
            String::from_utf8_lossy(body)
        );
    }
    let order: Vec<&str> = answers.iter().map(|a| a.0).collect();
    let by = |n: &str| answers.iter().find(|a| a.0 == n).unwrap();
    let (_, (status, _, _), _) = by("other");
    assert_eq!(*status, StatusCode::OK);
    for name in ["stuck", "empty-cursor"] {
        let (_, (status, _, body), t) = by(name);
        let body = String::from_utf8_lossy(body);
        assert_eq!(*status, StatusCode::INTERNAL_SERVER_ERROR, "{name}: {body}");
        assert!(
            body.contains("<Code>InternalError</Code>"),
            "{name}: {body}"
        );
        assert!(
            body.contains("the driver&apos;s listing did not advance")
                || body.contains("the driver's listing did not advance"),
            "{name}: {body}"
        );
        assert!(*t < Duration::from_secs(20), "{name} took {t:?}");
    }
    // the plain request did not wait for the long walk
    let pos = |n: &str| order.iter().position(|o| *o == n).unwrap();
    assert!(
        pos("other") < pos("empty-cursor"),
        "answered in order {order:?}"
    );
    rt.shutdown_background();
}
