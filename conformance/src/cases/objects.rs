//! Single-object operations: put, get, head, delete, overwrite, metadata,
//! content type, ETags, timestamps, and uploads whose body breaks.

use std::time::{Duration, SystemTime};

use trove_host::{ContentHeaders, ErrorKind, GetOptions, ListOptions, PutOptions};

use crate::data::PrngReader;
use crate::harness::*;

pub(crate) const CASES: &[Case] = &[
    case!("object/put-get", put_get),
    case!("object/overwrite", overwrite),
    case!(
        "object/overwrite-changes-size-etag",
        overwrite_changes_size_etag
    ),
    case!("object/metadata-round-trip", metadata_round_trip),
    case!("object/metadata-case-and-order", metadata_case_and_order),
    case!("object/metadata-large-value", metadata_large_value),
    case!("object/content-type", content_type),
    case!("object/content-headers", content_headers),
    case!("object/get-not-found", get_not_found),
    case!("object/head", head),
    case!("object/head-not-found", head_not_found),
    case!("object/delete-idempotent", delete_idempotent),
    case!("object/delete-then-get", delete_then_get),
    case!("object/empty-object", empty_object),
    case!("object/etag-content-derived", etag_content_derived),
    case!("object/last-modified", last_modified),
    case!("object/put-info-matches-head", put_info_matches_head),
    case!("object/broken-body-keeps-old", broken_body_keeps_old),
    case!("object/broken-body-new-key", broken_body_new_key),
];

fn meta(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn put_get(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let body: &[u8] = b"hello, trove";
    let info = ctx.put(&b, "greeting.txt", body).await?;
    check_eq("put: key", info.key.as_str(), "greeting.txt")?;
    check_eq("put: size", &info.size, &12)?;
    ensure!(!info.etag.is_empty(), "put: empty etag");
    let (got, data) = ctx.get(&b, "greeting.txt").await?;
    check_bytes("get", &data, body)?;
    check_eq("get: key", got.key.as_str(), "greeting.txt")?;
    check_eq("get: size", &got.size, &12)?;
    check_eq("get: etag", &got.etag, &info.etag)?;
    check_eq("get: metadata", &got.metadata, &Vec::new())
}

async fn overwrite(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    ctx.put(&b, "doc", "first version").await?;
    ctx.put(&b, "doc", "second, longer version").await?;
    let (info, data) = ctx.get(&b, "doc").await?;
    check_bytes("get after overwrite", &data, b"second, longer version")?;
    check_eq("get after overwrite: size", &info.size, &22)?;
    // Overwriting with something shorter must truncate.
    ctx.put(&b, "doc", "3rd").await?;
    let (_, data) = ctx.get(&b, "doc").await?;
    check_bytes("get after shorter overwrite", &data, b"3rd")
}

async fn overwrite_changes_size_etag(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let first = ctx.put(&b, "k", "0123456789").await?;
    let before = ctx.head(&b, "k").await?;
    let second = ctx.put(&b, "k", "abc").await?;
    let after = ctx.head(&b, "k").await?;
    check_eq("head before overwrite: size", &before.size, &10)?;
    check_eq("head after overwrite: size", &after.size, &3)?;
    ensure!(
        first.etag != second.etag,
        "put returned the same etag {:?} for different content",
        first.etag
    );
    ensure!(
        before.etag != after.etag,
        "head: etag {:?} did not change when the content did",
        before.etag
    );
    check_eq("head after overwrite: etag", &after.etag, &second.etag)
}

async fn metadata_round_trip(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    // Runs of spaces inside a value stay (a signature over headers must not
    // fold them where the server does not).
    let md = meta(&[
        ("owner", "alice"),
        ("purpose", "conformance test"),
        ("spaced", "hello   world"),
    ]);
    let opts = PutOptions {
        metadata: md.clone(),
        ..Default::default()
    };
    ctx.put_opts(&b, "with-meta", "x", opts).await?;
    let head = ctx.head(&b, "with-meta").await?;
    check_eq("head: metadata", &head.metadata, &md)?;
    let (info, _) = ctx.get(&b, "with-meta").await?;
    check_eq("get: metadata", &info.metadata, &md)
}

async fn metadata_case_and_order(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let md = meta(&[
        ("Zeta-Last", "z"),
        ("alpha", "a"),
        ("MiXeD-Case", "Value With Case"),
        ("b2", "2"),
    ]);
    let opts = PutOptions {
        metadata: md.clone(),
        ..Default::default()
    };
    ctx.put_opts(&b, "k", "x", opts).await?;
    let head = ctx.head(&b, "k").await?;
    check_eq(
        "head: metadata (names keep case and order)",
        &head.metadata,
        &md,
    )?;
    let (info, _) = ctx.get(&b, "k").await?;
    check_eq(
        "get: metadata (names keep case and order)",
        &info.metadata,
        &md,
    )
}

async fn metadata_large_value(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    // 1,000 printable bytes: large, yet inside S3's 2 KiB budget for user metadata.
    let big: String = "abcdefghijklmnopqrstuvwxyz0123456789"
        .chars()
        .cycle()
        .take(1000)
        .collect();
    let md = vec![
        ("big".to_string(), big),
        ("small".to_string(), "s".to_string()),
    ];
    let opts = PutOptions {
        metadata: md.clone(),
        ..Default::default()
    };
    ctx.put_opts(&b, "k", "x", opts).await?;
    let head = ctx.head(&b, "k").await?;
    check_eq("head: metadata", &head.metadata, &md)
}

async fn content_type(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let opts = PutOptions {
        content_type: Some("application/json".into()),
        ..Default::default()
    };
    let put = ctx.put_opts(&b, "data.json", r#"{"a":1}"#, opts).await?;
    check_eq(
        "put: content-type",
        &put.content_type.as_deref(),
        &Some("application/json"),
    )?;
    let head = ctx.head(&b, "data.json").await?;
    check_eq(
        "head: content-type",
        &head.content_type.as_deref(),
        &Some("application/json"),
    )?;
    let (info, _) = ctx.get(&b, "data.json").await?;
    check_eq(
        "get: content-type",
        &info.content_type.as_deref(),
        &Some("application/json"),
    )
}

/// All five content headers, as a put gives them (the copy and multipart
/// cases use them too).
pub(crate) fn sample_headers() -> ContentHeaders {
    ContentHeaders {
        cache_control: Some("public, max-age=14400".into()),
        content_disposition: Some("attachment; filename=\"notes.txt\"".into()),
        content_encoding: Some("gzip".into()),
        content_language: Some("en-GB, cy".into()),
        expires: Some("Thu, 01 Dec 2033 16:00:00 GMT".into()),
    }
}

/// "trove: content headers\n", gzip-compressed (with no name and time 0):
/// a `content-encoding: gzip` object's bytes are stored and returned as
/// given, never decoded on the way.
pub(crate) const GZIPPED: [u8; 43] = [
    31, 139, 8, 0, 0, 0, 0, 0, 2, 255, 43, 41, 202, 47, 75, 181, 82, 72, 206, 207, 43, 73, 205, 43,
    81, 200, 72, 77, 76, 73, 45, 42, 230, 2, 0, 10, 222, 43, 241, 23, 0, 0, 0,
];

async fn content_headers(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let headers = sample_headers();
    let md = meta(&[("Kind", "notes")]);
    let opts = PutOptions {
        content_type: Some("text/plain".into()),
        headers: headers.clone(),
        metadata: md.clone(),
        ..Default::default()
    };
    let put = ctx.put_opts(&b, "notes.txt.gz", GZIPPED, opts).await?;
    check_eq("put: content headers", &put.headers, &headers)?;
    let head = ctx.head(&b, "notes.txt.gz").await?;
    check_eq("head: content headers", &head.headers, &headers)?;
    check_eq("head: metadata (no header among it)", &head.metadata, &md)?;
    let (info, body) = ctx.get(&b, "notes.txt.gz").await?;
    check_eq("get: content headers", &info.headers, &headers)?;
    check_eq(
        "get: the bytes as stored (not decoded)",
        &body,
        &GZIPPED.to_vec(),
    )?;
    // Headers are not kept past an overwrite that gives none.
    ctx.put(&b, "notes.txt.gz", "plain").await?;
    let head = ctx.head(&b, "notes.txt.gz").await?;
    check_eq(
        "head after an overwrite without headers",
        &head.headers,
        &ContentHeaders::default(),
    )
}

async fn get_not_found(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    ctx.put(&b, "present", "x").await?;
    let res = ctx.d.get_bytes(&b, "absent", GetOptions::default()).await;
    expect_err(res, ErrorKind::ObjectNotFound, "get of a missing key")?;
    let res = ctx
        .d
        .get_bytes(&b, "dir/absent", GetOptions::default())
        .await;
    expect_err(
        res,
        ErrorKind::ObjectNotFound,
        "get of a missing nested key",
    )
}

async fn head(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let opts = PutOptions {
        content_type: Some("text/plain".into()),
        ..Default::default()
    };
    let put = ctx
        .put_opts(&b, "notes/today.txt", "some notes", opts)
        .await?;
    let head = ctx.head(&b, "notes/today.txt").await?;
    check_eq("head: key", head.key.as_str(), "notes/today.txt")?;
    check_eq("head: size", &head.size, &10)?;
    check_eq("head: etag", &head.etag, &put.etag)?;
    check_eq(
        "head: content-type",
        &head.content_type.as_deref(),
        &Some("text/plain"),
    )
}

async fn head_not_found(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    expect_err(
        ctx.d.head(&b, "absent").await,
        ErrorKind::ObjectNotFound,
        "head of a missing key",
    )
}

async fn delete_idempotent(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    ctx.d
        .delete(&b, "never-existed")
        .await
        .ctx("delete of a missing key")?;
    ctx.put(&b, "k", "x").await?;
    ctx.d.delete(&b, "k").await.ctx("delete")?;
    ctx.d.delete(&b, "k").await.ctx("second delete")
}

async fn delete_then_get(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    ctx.put(&b, "gone/soon", "x").await?;
    ctx.put(&b, "stays", "y").await?;
    ctx.d.delete(&b, "gone/soon").await.ctx("delete")?;
    let res = ctx
        .d
        .get_bytes(&b, "gone/soon", GetOptions::default())
        .await;
    expect_err(res, ErrorKind::ObjectNotFound, "get after delete")?;
    expect_err(
        ctx.d.head(&b, "gone/soon").await,
        ErrorKind::ObjectNotFound,
        "head after delete",
    )?;
    let page = ctx
        .d
        .list(&b, ListOptions::default())
        .await
        .ctx("list after delete")?;
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    check_eq("list after delete", &keys, &vec!["stays"])
}

async fn empty_object(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let put = ctx.put(&b, "empty", Vec::new()).await?;
    check_eq("put: size", &put.size, &0)?;
    ensure!(!put.etag.is_empty(), "put of an empty object: empty etag");
    let (info, data) = ctx.get(&b, "empty").await?;
    check_eq("get: size", &info.size, &0)?;
    check_bytes("get", &data, b"")?;
    let head = ctx.head(&b, "empty").await?;
    check_eq("head: size", &head.size, &0)?;
    check_eq("head: etag", &head.etag, &put.etag)
}

async fn etag_content_derived(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let one = ctx.put(&b, "one", "abcd").await?;
    let two = ctx.put(&b, "two", "abcd").await?;
    let other = ctx.put(&b, "other", "abce").await?;
    check_eq(
        "etag of the same content under another key",
        &two.etag,
        &one.etag,
    )?;
    ensure!(
        other.etag != one.etag,
        "different content of the same length has the same etag {:?}",
        one.etag
    );
    // Re-writing the same content keeps the etag.
    let again = ctx.put(&b, "one", "abcd").await?;
    check_eq(
        "etag after re-writing the same content",
        &again.etag,
        &one.etag,
    )
}

async fn last_modified(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    ctx.put(&b, "k", "x").await?;
    let head = ctx.head(&b, "k").await?;
    let Some(t) = head.last_modified else {
        fail!("head: last-modified is not set");
    };
    let now = SystemTime::now();
    let slack = Duration::from_secs(3600);
    ensure!(
        t > now - slack && t < now + slack,
        "head: last-modified {t:?} is more than an hour away from now ({now:?})"
    );
    Ok(())
}

async fn put_info_matches_head(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let opts = PutOptions {
        content_type: Some("text/plain".into()),
        metadata: meta(&[("Color", "blue")]),
        ..Default::default()
    };
    let put = ctx.put_opts(&b, "k", "twelve bytes", opts).await?;
    let head = ctx.head(&b, "k").await?;
    check_eq("put vs head: key", &put.key, &head.key)?;
    check_eq("put vs head: size", &put.size, &head.size)?;
    check_eq("put vs head: etag", &put.etag, &head.etag)?;
    check_eq(
        "put vs head: content-type",
        &put.content_type,
        &head.content_type,
    )?;
    check_eq("put vs head: metadata", &put.metadata, &head.metadata)
}

async fn broken_body_keeps_old(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let old = ctx.put(&b, "k", "original").await?;
    let body = PrngReader::new(1, 1 << 20).failing_at(300_000);
    let res = ctx.d.put(&b, "k", body, PutOptions::default()).await;
    expect_err(
        res,
        ErrorKind::Io,
        "put whose body breaks after 300,000 bytes",
    )?;
    let (info, data) = ctx.get(&b, "k").await?;
    check_bytes("get after the aborted put", &data, b"original")?;
    check_eq("etag after the aborted put", &info.etag, &old.etag)
}

async fn broken_body_new_key(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let body = PrngReader::new(2, 1 << 20).failing_at(300_000);
    let res = ctx.d.put(&b, "new/key", body, PutOptions::default()).await;
    expect_err(
        res,
        ErrorKind::Io,
        "put whose body breaks after 300,000 bytes",
    )?;
    expect_err(
        ctx.d.head(&b, "new/key").await,
        ErrorKind::ObjectNotFound,
        "head after the aborted put",
    )?;
    let page = ctx
        .d
        .list(&b, ListOptions::default())
        .await
        .ctx("list after the aborted put")?;
    ensure!(
        page.objects.is_empty() && page.common_prefixes.is_empty(),
        "the aborted put left {:?} in the listing",
        page.objects.iter().map(|o| &o.key).collect::<Vec<_>>()
    );
    Ok(())
}
