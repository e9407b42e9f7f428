//! Server-side copy: within and across buckets, what it keeps, and what it
//! reports when the source or the destination bucket is missing.

use trove_host::{ErrorKind, PutOptions};

use crate::harness::*;

pub(crate) const CASES: &[Case] = &[
    case!("copy/within-bucket", within_bucket),
    case!("copy/across-buckets", across_buckets),
    case!("copy/missing-source", missing_source),
    case!("copy/missing-source-bucket", missing_source_bucket),
    case!(
        "copy/missing-destination-bucket",
        missing_destination_bucket
    ),
    case!(
        "copy/keeps-content-type-and-metadata",
        keeps_content_type_and_metadata
    ),
    case!("copy/head-after-copy", head_after_copy),
    case!("copy/overwrites-destination", overwrites_destination),
];

async fn within_bucket(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    ctx.put(&b, "src/original.txt", "copy me").await?;
    let info = ctx
        .d
        .copy(&b, "src/original.txt", &b, "dst/copy.txt")
        .await
        .ctx("copy")?;
    check_eq("copy: key", info.key.as_str(), "dst/copy.txt")?;
    check_eq("copy: size", &info.size, &7)?;
    let (_, data) = ctx.get(&b, "dst/copy.txt").await?;
    check_bytes("get copy", &data, b"copy me")?;
    let (_, data) = ctx.get(&b, "src/original.txt").await?;
    check_bytes("get source after copy", &data, b"copy me")
}

async fn across_buckets(ctx: Ctx) -> CaseResult {
    let src = ctx.bucket().await?;
    let dst = ctx.bucket().await?;
    ctx.put(&src, "k", "across").await?;
    ctx.d
        .copy(&src, "k", &dst, "k2")
        .await
        .ctx("copy across buckets")?;
    let (_, data) = ctx.get(&dst, "k2").await?;
    check_bytes("get copy in the other bucket", &data, b"across")?;
    let (_, data) = ctx.get(&src, "k").await?;
    check_bytes("get source after copy", &data, b"across")
}

async fn missing_source(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let res = ctx.d.copy(&b, "absent", &b, "dst").await;
    expect_err(res, ErrorKind::ObjectNotFound, "copy from a missing key")?;
    expect_err(
        ctx.d.head(&b, "dst").await,
        ErrorKind::ObjectNotFound,
        "head of the destination after a failed copy",
    )
}

async fn missing_source_bucket(ctx: Ctx) -> CaseResult {
    let dst = ctx.bucket().await?;
    let missing = ctx.bucket_name();
    let res = ctx.d.copy(&missing, "k", &dst, "k").await;
    expect_err(res, ErrorKind::BucketNotFound, "copy from a missing bucket")
}

async fn missing_destination_bucket(ctx: Ctx) -> CaseResult {
    let src = ctx.bucket().await?;
    ctx.put(&src, "k", "x").await?;
    let missing = ctx.bucket_name();
    let res = ctx.d.copy(&src, "k", &missing, "k").await;
    expect_err(res, ErrorKind::BucketNotFound, "copy into a missing bucket")
}

async fn keeps_content_type_and_metadata(ctx: Ctx) -> CaseResult {
    let src = ctx.bucket().await?;
    let dst = ctx.bucket().await?;
    let md = vec![
        ("Author".to_string(), "Ada".to_string()),
        ("edition".to_string(), "2".to_string()),
    ];
    let headers = super::objects::sample_headers();
    let opts = PutOptions {
        content_type: Some("text/markdown".into()),
        headers: headers.clone(),
        metadata: md.clone(),
        ..Default::default()
    };
    // The body is gzip, as its Content-Encoding says (Azurite, copying with a
    // SAS token, reads the source through a client that decodes it).
    let body = super::objects::GZIPPED;
    ctx.put_opts(&src, "book.md", body, opts).await?;
    for (bucket, key) in [(&src, "book-copy.md"), (&dst, "book.md")] {
        let info = ctx
            .d
            .copy(&src, "book.md", bucket, key)
            .await
            .ctx(format_args!("copy to {bucket}/{key}"))?;
        check_eq(
            format_args!("copy to {key}: returned content-type"),
            &info.content_type.as_deref(),
            &Some("text/markdown"),
        )?;
        check_eq(
            format_args!("copy to {key}: returned metadata"),
            &info.metadata,
            &md,
        )?;
        let head = ctx.head(bucket, key).await?;
        check_eq(
            format_args!("head of copy {key}: content-type"),
            &head.content_type.as_deref(),
            &Some("text/markdown"),
        )?;
        check_eq(
            format_args!("head of copy {key}: metadata"),
            &head.metadata,
            &md,
        )?;
        check_eq(
            format_args!("head of copy {key}: content headers"),
            &head.headers,
            &headers,
        )?;
    }
    Ok(())
}

async fn head_after_copy(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let src = ctx.put(&b, "a.bin", vec![7u8; 1000]).await?;
    let copy = ctx.d.copy(&b, "a.bin", &b, "b.bin").await.ctx("copy")?;
    let head = ctx.head(&b, "b.bin").await?;
    check_eq("head of copy: key", head.key.as_str(), "b.bin")?;
    check_eq("head of copy: size", &head.size, &1000)?;
    // The ETag is derived from the content, which is the same.
    check_eq(
        "head of copy: etag (same content as the source)",
        &head.etag,
        &src.etag,
    )?;
    check_eq(
        "head of copy vs copy's result: etag",
        &head.etag,
        &copy.etag,
    )?;
    ensure!(
        head.last_modified.is_some(),
        "head of copy: last-modified is not set"
    );
    Ok(())
}

async fn overwrites_destination(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let opts = PutOptions {
        content_type: Some("text/x-new".into()),
        ..Default::default()
    };
    ctx.put_opts(&b, "src", "new content", opts).await?;
    let opts = PutOptions {
        content_type: Some("text/x-old".into()),
        ..Default::default()
    };
    ctx.put_opts(&b, "dst", "old content that is longer", opts)
        .await?;
    ctx.d
        .copy(&b, "src", &b, "dst")
        .await
        .ctx("copy over an existing key")?;
    let (info, data) = ctx.get(&b, "dst").await?;
    check_bytes("get overwritten destination", &data, b"new content")?;
    check_eq("overwritten destination: size", &info.size, &11)?;
    check_eq(
        "overwritten destination: content-type (the source's)",
        &info.content_type.as_deref(),
        &Some("text/x-new"),
    )
}
