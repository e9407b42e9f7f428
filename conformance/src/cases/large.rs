//! Large bodies, streamed both ways and checked by SHA-256. No case holds a
//! large object in memory: uploads come from a deterministic generator and
//! downloads are hashed chunk by chunk as they are read.

use trove_host::{ByteRange, GetOptions, PutOptions};

use crate::data::{self, PrngReader};
use crate::harness::*;

pub(crate) const CASES: &[Case] = &[
    case!("large/one-mib", one_mib),
    case!("large/streamed-64mib-sha256", streamed_64mib_sha256),
    case!("large/uneven-chunks", uneven_chunks),
    case!("large/known-size-24mib", known_size_24mib),
    case!(
        "large/size-mismatch-stores-nothing",
        size_mismatch_stores_nothing
    ),
    case!("large/range-in-large-object", range_in_large_object),
];

const READ_CHUNK: usize = 256 * 1024;

/// The SHA-256 of the generated stream, computed on a blocking thread while
/// the case goes on (hashing 64 MiB would otherwise stall the runtime).
fn expected_sha256(seed: u64, size: u64) -> impl std::future::Future<Output = CaseResult<String>> {
    let task = tokio::task::spawn_blocking(move || data::stream_sha256(seed, size));
    async move {
        match task.await {
            Ok(h) => Ok(h),
            Err(e) => fail!("hashing the expected data: {e}"),
        }
    }
}

/// Gets `key` (optionally a range) and hashes the body as it streams in.
async fn get_hashed(
    ctx: &Ctx,
    b: &str,
    key: &str,
    range: Option<ByteRange>,
    chunk: usize,
) -> CaseResult<(u64, String)> {
    let opts = GetOptions {
        range,
        ..Default::default()
    };
    let (_, mut reader) = ctx
        .d
        .get(b, key, opts)
        .await
        .ctx(format_args!("get {key:?} {range:?}"))?;
    match data::read_sha256(&mut reader, chunk).await {
        Ok(r) => Ok(r),
        Err(e) => fail!("reading the body of {key:?}: {e}"),
    }
}

async fn one_mib(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let body = data::bytes(0x1_0000, 1 << 20);
    let info = ctx.put(&b, "one-mib.bin", body.clone()).await?;
    check_eq("put: size", &info.size, &(1 << 20))?;
    let (info, got) = ctx.get(&b, "one-mib.bin").await?;
    check_eq("get: size", &info.size, &(1 << 20))?;
    check_bytes("get", &got, &body)
}

async fn streamed_64mib_sha256(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let size = ctx.opts.large_object_size;
    let seed = 0x0064_6464;
    let want = expected_sha256(seed, size);
    let opts = PutOptions {
        content_type: Some("application/octet-stream".into()),
        ..Default::default()
    };
    let info = ctx
        .d
        .put(&b, "big.bin", PrngReader::new(seed, size), opts)
        .await
        .ctx("streamed put")?;
    check_eq("put: size", &info.size, &size)?;
    let head = ctx.head(&b, "big.bin").await?;
    check_eq("head: size", &head.size, &size)?;
    let (n, got) = get_hashed(&ctx, &b, "big.bin", None, READ_CHUNK).await?;
    check_eq("get: bytes read", &n, &size)?;
    check_eq("get: sha256", &got, &want.await?)
}

/// A put whose size the caller announced (`opts.size`, as for a file): a
/// driver may send it as one streamed request (s3 does).
async fn known_size_24mib(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let size = 24 * (1 << 20) + 5;
    let seed = 0x0024_2424;
    let want = expected_sha256(seed, size);
    let opts = PutOptions {
        size: Some(size),
        metadata: vec![("Origin".into(), "known size".into())],
        ..Default::default()
    };
    let info = ctx
        .d
        .put(&b, "sized.bin", PrngReader::new(seed, size), opts)
        .await
        .ctx("put with a known size")?;
    check_eq("put: size", &info.size, &size)?;
    let head = ctx.head(&b, "sized.bin").await?;
    check_eq("head: size", &head.size, &size)?;
    check_eq("head: etag", &head.etag, &info.etag)?;
    check_eq(
        "head: metadata",
        &head.metadata,
        &vec![("Origin".to_string(), "known size".to_string())],
    )?;
    let (n, got) = get_hashed(&ctx, &b, "sized.bin", None, READ_CHUNK).await?;
    check_eq("get: bytes read", &n, &size)?;
    check_eq("get: sha256", &got, &want.await?)
}

/// A body shorter or longer than its announced size fails the put, and
/// nothing is stored (the old object stays).
async fn size_mismatch_stores_nothing(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    ctx.put(&b, "kept", "old").await?;
    for (announced, actual) in [(3 << 20, 1 << 20), (1 << 10, 3 << 20)] {
        let opts = PutOptions {
            size: Some(announced),
            ..Default::default()
        };
        let r = ctx
            .d
            .put(&b, "kept", PrngReader::new(7, actual), opts.clone())
            .await;
        expect_err(
            r,
            trove_host::ErrorKind::Io,
            format_args!("put of {actual} bytes announced as {announced}"),
        )?;
        let r = ctx.d.put(&b, "new", PrngReader::new(7, actual), opts).await;
        expect_err(r, trove_host::ErrorKind::Io, "put of a new key, wrong size")?;
    }
    let (_, data) = ctx.get(&b, "kept").await?;
    check_bytes("the old object after failed puts", &data, b"old")?;
    expect_err(
        ctx.d.head(&b, "new").await,
        trove_host::ErrorKind::ObjectNotFound,
        "head of a key whose only put failed",
    )
}

async fn uneven_chunks(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let size = 5 * (1 << 20) + 3;
    let seed = 0x000C_40C4;
    let want = expected_sha256(seed, size);
    let body = PrngReader::new(seed, size).with_chunks(&[1, 4095, 65_537, 7, 300_000, 1 << 20]);
    let info = ctx
        .d
        .put(&b, "uneven.bin", body, PutOptions::default())
        .await
        .ctx("put fed in uneven chunks")?;
    check_eq("put: size", &info.size, &size)?;
    // Read back through small, odd-sized reads.
    let (n, got) = get_hashed(&ctx, &b, "uneven.bin", None, 999).await?;
    check_eq("get: bytes read", &n, &size)?;
    check_eq("get: sha256", &got, &want.await?)
}

async fn range_in_large_object(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let size: u64 = 8 << 20;
    let seed = 0x008A_11CE;
    let info = ctx
        .d
        .put(
            &b,
            "eight.bin",
            PrngReader::new(seed, size),
            PutOptions::default(),
        )
        .await
        .ctx("put")?;
    check_eq("put: size", &info.size, &size)?;
    let cases = [
        (
            ByteRange::Span {
                offset: 3_000_001,
                length: Some(1_500_000),
            },
            3_000_001,
            1_500_000,
        ),
        (
            ByteRange::Span {
                offset: size - 10,
                length: None,
            },
            size - 10,
            10,
        ),
        (ByteRange::Suffix(1_000_000), size - 1_000_000, 1_000_000),
    ];
    for (range, offset, len) in cases {
        let want = data::sha256_hex(&data::slice(seed, offset, len as usize));
        let (n, got) = get_hashed(&ctx, &b, "eight.bin", Some(range), READ_CHUNK).await?;
        check_eq(format_args!("get {range:?}: bytes read"), &n, &len)?;
        check_eq(format_args!("get {range:?}: sha256"), &got, &want)?;
    }
    Ok(())
}
