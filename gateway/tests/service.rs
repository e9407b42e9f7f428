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
