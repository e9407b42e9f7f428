//! The optional interfaces: multipart, presign, versioning. Each case runs
//! only when the driver exports the interface (the table gates them).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trove_host::{ErrorKind, GetOptions, ListOptions, PresignMethod, PutOptions};

use crate::data;
use crate::harness::*;

pub(crate) const CASES: &[Case] = &[
    case!("multipart/complete", multipart_complete, needs Multipart),
    case!("multipart/abort", multipart_abort, needs Multipart),
    case!("multipart/list-parts", multipart_list_parts, needs Multipart),
    case!("multipart/keeps-content-type-and-metadata", multipart_keeps_content_type_and_metadata, needs Multipart),
    case!("multipart/missing-bucket", multipart_missing_bucket, needs Multipart),
    case!("presign/get", presign_get, needs Presign),
    case!("presign/put", presign_put, needs Presign),
    case!("versioning/list-versions", versioning_list_versions, needs Versioning),
    case!("versioning/get-version", versioning_get_version, needs Versioning),
    case!("versioning/delete-version", versioning_delete_version, needs Versioning),
];

/// Every part but the last must be at least 5 MiB on S3.
const PART: usize = 5 << 20;

async fn create_upload(ctx: &Ctx, b: &str, key: &str, opts: PutOptions) -> CaseResult<String> {
    let id = ctx
        .d
        .create_multipart(b, key, opts)
        .await
        .ctx("create-multipart")?;
    ensure!(
        !id.is_empty(),
        "create-multipart returned an empty upload id"
    );
    ctx.track_upload(b, key, &id);
    Ok(id)
}

async fn multipart_complete(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let key = "multi/part.bin";
    let seed = 0x3A_3A;
    let last = 1031;
    let id = create_upload(&ctx, &b, key, PutOptions::default()).await?;
    let p1 = ctx
        .d
        .upload_part(&b, key, &id, 1, data::bytes(seed, PART))
        .await
        .ctx("upload-part 1")?;
    let p2 = ctx
        .d
        .upload_part(&b, key, &id, 2, data::slice(seed, PART as u64, last))
        .await
        .ctx("upload-part 2")?;
    check_eq("upload-part 1: part number", &p1.part_number, &1)?;
    check_eq("upload-part 1: size", &p1.size, &(PART as u64))?;
    check_eq("upload-part 2: size", &p2.size, &(last as u64))?;
    let total = (PART + last) as u64;
    let info = ctx
        .d
        .complete_multipart(&b, key, &id, vec![(1, p1.etag), (2, p2.etag)])
        .await
        .ctx("complete-multipart")?;
    ctx.untrack_upload(&id);
    check_eq("complete-multipart: size", &info.size, &total)?;
    let head = ctx.head(&b, key).await?;
    check_eq("head: size", &head.size, &total)?;
    let whole = data::sha256_hex(&data::bytes(seed, PART + last));
    let (_, mut reader) = ctx.d.get(&b, key, GetOptions::default()).await.ctx("get")?;
    let (n, got) = match data::read_sha256(&mut reader, 256 * 1024).await {
        Ok(r) => r,
        Err(e) => fail!("reading the completed object: {e}"),
    };
    check_eq("get: bytes read", &n, &total)?;
    check_eq("get: sha256 of the two parts", &got, &whole)
}

async fn multipart_abort(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let id = create_upload(&ctx, &b, "aborted", PutOptions::default()).await?;
    ctx.d
        .upload_part(&b, "aborted", &id, 1, data::bytes(9, 4096))
        .await
        .ctx("upload-part 1")?;
    ctx.d
        .abort_multipart(&b, "aborted", &id)
        .await
        .ctx("abort-multipart")?;
    ctx.untrack_upload(&id);
    expect_err(
        ctx.d.head(&b, "aborted").await,
        ErrorKind::ObjectNotFound,
        "head after abort-multipart",
    )?;
    let page = ctx
        .d
        .list(&b, ListOptions::default())
        .await
        .ctx("list after abort-multipart")?;
    ensure!(
        page.objects.is_empty(),
        "the aborted upload left objects in the listing"
    );
    Ok(())
}

async fn multipart_list_parts(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let key = "listed";
    let id = create_upload(&ctx, &b, key, PutOptions::default()).await?;
    let p1 = ctx
        .d
        .upload_part(&b, key, &id, 1, data::bytes(1, PART))
        .await
        .ctx("upload-part 1")?;
    let p2 = ctx
        .d
        .upload_part(&b, key, &id, 2, data::bytes(2, 777))
        .await
        .ctx("upload-part 2")?;
    let parts = ctx.d.list_parts(&b, key, &id).await.ctx("list-parts")?;
    check_eq("list-parts", &parts, &vec![p1, p2])?;
    ctx.d
        .abort_multipart(&b, key, &id)
        .await
        .ctx("abort-multipart")?;
    ctx.untrack_upload(&id);
    Ok(())
}

async fn multipart_keeps_content_type_and_metadata(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let md = vec![("Origin".to_string(), "multipart".to_string())];
    let headers = super::objects::sample_headers();
    let opts = PutOptions {
        content_type: Some("video/mp4".into()),
        headers: headers.clone(),
        metadata: md.clone(),
        ..Default::default()
    };
    let id = create_upload(&ctx, &b, "movie.mp4", opts).await?;
    // A single part may be small: it is also the last.
    let p1 = ctx
        .d
        .upload_part(&b, "movie.mp4", &id, 1, data::bytes(3, 2048))
        .await
        .ctx("upload-part 1")?;
    ctx.d
        .complete_multipart(&b, "movie.mp4", &id, vec![(1, p1.etag)])
        .await
        .ctx("complete-multipart")?;
    ctx.untrack_upload(&id);
    let head = ctx.head(&b, "movie.mp4").await?;
    check_eq("head: size", &head.size, &2048)?;
    check_eq(
        "head: content-type",
        &head.content_type.as_deref(),
        &Some("video/mp4"),
    )?;
    check_eq("head: metadata", &head.metadata, &md)?;
    check_eq("head: content headers", &head.headers, &headers)
}

async fn multipart_missing_bucket(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket_name();
    let res = ctx.d.create_multipart(&b, "k", PutOptions::default()).await;
    if let Ok(id) = &res {
        ctx.track_upload(&b, "k", id);
    }
    expect_err(
        res,
        ErrorKind::BucketNotFound,
        "create-multipart in a missing bucket",
    )
}

async fn presign_get(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    ctx.put(&b, "shared file.txt", "presigned body").await?;
    let url = ctx
        .d
        .presign(PresignMethod::Get, &b, "shared file.txt", 300)
        .await
        .ctx("presign get")?;
    ensure!(url.contains("://"), "presign get: {url:?} is not a URL");
    // A plain-HTTP URL (a server on loopback) is fetched; HTTPS is only checked for form.
    if url.starts_with("http://") {
        let (status, body) = match http_fetch("GET", &url, &[]).await {
            Ok(r) => r,
            Err(e) => fail!("fetching the presigned GET URL: {e}"),
        };
        ensure!(
            status == 200,
            "GET on the presigned URL answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
        check_bytes(
            "body fetched through the presigned URL",
            &body,
            b"presigned body",
        )?;
    }
    Ok(())
}

async fn presign_put(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let url = ctx
        .d
        .presign(PresignMethod::Put, &b, "uploaded.txt", 300)
        .await
        .ctx("presign put")?;
    ensure!(url.contains("://"), "presign put: {url:?} is not a URL");
    if url.starts_with("http://") {
        let (status, body) = match http_fetch("PUT", &url, b"sent through a presigned URL").await {
            Ok(r) => r,
            Err(e) => fail!("PUT on the presigned URL: {e}"),
        };
        // S3 answers 200, Azure 201 Created.
        ensure!(
            (200..300).contains(&status),
            "PUT on the presigned URL answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
        let (_, got) = ctx.get(&b, "uploaded.txt").await?;
        check_bytes(
            "get after the presigned PUT",
            &got,
            b"sent through a presigned URL",
        )?;
    }
    Ok(())
}

/// A minimal HTTP/1.1 client for `http://` URLs, enough to try a presigned
/// URL against a server on loopback. Returns the status and the body.
async fn http_fetch(method: &str, url: &str, body: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let rest = url.strip_prefix("http://").ok_or("not an http:// URL")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    if method != "GET" {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        // Azure refuses a PUT to a SAS URL without the blob type; S3 and GCS
        // ignore a header they did not sign.
        request.push_str("x-ms-blob-type: BlockBlob\r\n");
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    stream.write_all(body).await.map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .map_err(|e| e.to_string())?;
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers in the response")?;
    let head = String::from_utf8_lossy(&response[..end]).to_string();
    let mut payload = response[end + 4..].to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("bad status line in {head:?}"))?;
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        payload = dechunk(&payload)?;
    }
    Ok((status, payload))
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk header")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size_hex = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| format!("bad chunk size {size_hex:?}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err("truncated chunk".into());
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Puts two versions of `doc` and returns the bucket and the versions, newest first.
async fn two_versions(ctx: &Ctx) -> CaseResult<(String, Vec<trove_host::ObjectInfo>)> {
    let b = ctx.bucket().await?;
    ctx.put(&b, "doc", "version one").await?;
    ctx.put(&b, "doc", "version two!").await?;
    let opts = ListOptions {
        prefix: Some("doc".into()),
        ..Default::default()
    };
    let page = ctx.d.list_versions(&b, opts).await.ctx("list-versions")?;
    let versions: Vec<_> = page
        .versions
        .into_iter()
        .filter(|v| v.key == "doc")
        .collect();
    check_eq("list-versions: versions of doc", &versions.len(), &2)?;
    for v in &versions {
        ensure!(
            v.version_id.as_deref().is_some_and(|id| !id.is_empty()),
            "list-versions: a version without an id"
        );
    }
    ensure!(
        versions[0].version_id != versions[1].version_id,
        "list-versions: two versions share an id"
    );
    Ok((b, versions))
}

async fn versioning_list_versions(ctx: Ctx) -> CaseResult {
    let (_, versions) = two_versions(&ctx).await?;
    // Newest first: "version two!" is 12 bytes, "version one" 11.
    check_eq("list-versions: size of the newest", &versions[0].size, &12)?;
    check_eq("list-versions: size of the oldest", &versions[1].size, &11)
}

async fn versioning_get_version(ctx: Ctx) -> CaseResult {
    let (b, versions) = two_versions(&ctx).await?;
    let old = versions[1].version_id.clone().unwrap_or_default();
    let (info, mut reader) = ctx
        .d
        .get_version(&b, "doc", &old, GetOptions::default())
        .await
        .ctx("get-version of the oldest")?;
    let mut body = Vec::new();
    if let Err(e) = reader.read_to_end(&mut body).await {
        fail!("reading the old version: {e}");
    }
    check_bytes("get-version of the oldest", &body, b"version one")?;
    check_eq("get-version: version-id", &info.version_id, &Some(old))?;
    let (_, current) = ctx.get(&b, "doc").await?;
    check_bytes("get of the current version", &current, b"version two!")
}

async fn versioning_delete_version(ctx: Ctx) -> CaseResult {
    let (b, versions) = two_versions(&ctx).await?;
    let old = versions[1].version_id.clone().unwrap_or_default();
    ctx.d
        .delete_version(&b, "doc", &old)
        .await
        .ctx("delete-version of the oldest")?;
    let opts = ListOptions {
        prefix: Some("doc".into()),
        ..Default::default()
    };
    let page = ctx
        .d
        .list_versions(&b, opts)
        .await
        .ctx("list-versions after delete-version")?;
    let ids: Vec<_> = page
        .versions
        .iter()
        .filter(|v| v.key == "doc")
        .map(|v| v.version_id.clone())
        .collect();
    check_eq("versions left", &ids, &vec![versions[0].version_id.clone()])?;
    let (_, current) = ctx.get(&b, "doc").await?;
    check_bytes("get of the current version", &current, b"version two!")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunks_bodies() {
        assert_eq!(
            dechunk(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n").unwrap(),
            b"hello world"
        );
        assert!(dechunk(b"5\r\nhel").is_err());
    }

    #[tokio::test]
    async fn fetches_over_plain_http() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut req = vec![0u8; 4096];
            let n = s.read(&mut req).await.unwrap();
            s.write_all(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            )
            .await
            .unwrap();
            String::from_utf8_lossy(&req[..n]).to_string()
        });
        let (status, body) = http_fetch("GET", &format!("http://{addr}/b/k%20x?sig=1"), &[])
            .await
            .unwrap();
        assert_eq!((status, body.as_slice()), (200, &b"abc"[..]));
        let req = server.await.unwrap();
        assert!(req.starts_with("GET /b/k%20x?sig=1 HTTP/1.1\r\n"), "{req}");
        assert!(req.contains(&format!("Host: {addr}\r\n")), "{req}");
    }
}
