//! Range reads: spans at the start, middle and end, suffixes, clipping at the
//! end, and offsets past the end.

use trove_host::{ByteRange, ErrorKind, GetOptions};

use crate::data;
use crate::harness::*;

pub(crate) const CASES: &[Case] = &[
    case!("range/start", start),
    case!("range/middle", middle),
    case!("range/to-end", to_end),
    case!("range/last-byte", last_byte),
    case!("range/suffix", suffix),
    case!("range/beyond-end", beyond_end),
    case!("range/suffix-larger-than-object", suffix_larger_than_object),
    case!("range/offset-at-end", offset_at_end),
    case!("range/offset-past-end", offset_past_end),
    case!("range/empty-object", empty_object),
    case!("range/zero-length", zero_length),
];

const SEED: u64 = 0x5EED_0001;
const SIZE: usize = 10_000;

/// A bucket holding `obj`: 10,000 deterministic bytes.
async fn setup(ctx: &Ctx) -> CaseResult<(String, Vec<u8>)> {
    let b = ctx.bucket().await?;
    let body = data::bytes(SEED, SIZE);
    ctx.put(&b, "obj", body.clone()).await?;
    Ok((b, body))
}

fn span(offset: u64, length: Option<u64>) -> ByteRange {
    ByteRange::Span { offset, length }
}

async fn check_range(ctx: &Ctx, b: &str, range: ByteRange, want: &[u8]) -> CaseResult {
    let got = ctx.get_range(b, "obj", range).await?;
    check_bytes(format_args!("get range {range:?}"), &got, want)
}

async fn start(ctx: Ctx) -> CaseResult {
    let (b, body) = setup(&ctx).await?;
    check_range(&ctx, &b, span(0, Some(10)), &body[..10]).await?;
    check_range(&ctx, &b, span(0, None), &body).await
}

async fn middle(ctx: Ctx) -> CaseResult {
    let (b, body) = setup(&ctx).await?;
    check_range(&ctx, &b, span(4000, Some(1234)), &body[4000..5234]).await?;
    check_range(&ctx, &b, span(1, Some(1)), &body[1..2]).await
}

async fn to_end(ctx: Ctx) -> CaseResult {
    let (b, body) = setup(&ctx).await?;
    check_range(&ctx, &b, span(9000, None), &body[9000..]).await
}

async fn last_byte(ctx: Ctx) -> CaseResult {
    let (b, body) = setup(&ctx).await?;
    check_range(&ctx, &b, span(SIZE as u64 - 1, Some(1)), &body[SIZE - 1..]).await?;
    check_range(&ctx, &b, span(SIZE as u64 - 1, None), &body[SIZE - 1..]).await?;
    check_range(&ctx, &b, ByteRange::Suffix(1), &body[SIZE - 1..]).await
}

async fn suffix(ctx: Ctx) -> CaseResult {
    let (b, body) = setup(&ctx).await?;
    check_range(&ctx, &b, ByteRange::Suffix(100), &body[SIZE - 100..]).await?;
    check_range(&ctx, &b, ByteRange::Suffix(SIZE as u64), &body).await
}

async fn beyond_end(ctx: Ctx) -> CaseResult {
    let (b, body) = setup(&ctx).await?;
    // A span running past the end is clipped at the end.
    check_range(&ctx, &b, span(9990, Some(100)), &body[9990..]).await?;
    check_range(&ctx, &b, span(0, Some(1 << 40)), &body).await
}

async fn suffix_larger_than_object(ctx: Ctx) -> CaseResult {
    let (b, body) = setup(&ctx).await?;
    check_range(&ctx, &b, ByteRange::Suffix(20_000), &body).await
}

async fn expect_invalid(ctx: &Ctx, b: &str, key: &str, range: ByteRange) -> CaseResult {
    let opts = GetOptions {
        range: Some(range),
        ..Default::default()
    };
    let res = ctx.d.get_bytes(b, key, opts).await;
    expect_err(
        res,
        ErrorKind::InvalidArgument,
        format_args!("get {key:?} range {range:?}"),
    )
}

async fn offset_at_end(ctx: Ctx) -> CaseResult {
    let (b, _) = setup(&ctx).await?;
    expect_invalid(&ctx, &b, "obj", span(SIZE as u64, None)).await?;
    expect_invalid(&ctx, &b, "obj", span(SIZE as u64, Some(5))).await
}

async fn offset_past_end(ctx: Ctx) -> CaseResult {
    let (b, _) = setup(&ctx).await?;
    expect_invalid(&ctx, &b, "obj", span(20_000, Some(1))).await?;
    expect_invalid(&ctx, &b, "obj", span(u64::MAX / 2, None)).await
}

async fn empty_object(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    ctx.put(&b, "empty", Vec::new()).await?;
    // Offset 0 of an empty object is its (empty) whole, as is any suffix.
    let got = ctx.get_range(&b, "empty", span(0, None)).await?;
    check_bytes("get empty object range 0-", &got, b"")?;
    let got = ctx.get_range(&b, "empty", ByteRange::Suffix(10)).await?;
    check_bytes("get empty object suffix 10", &got, b"")?;
    expect_invalid(&ctx, &b, "empty", span(1, None)).await
}

/// A span of length 0 is either the empty body or `invalid-argument`; the
/// contract does not pick one. What must not happen is the whole object.
async fn zero_length(ctx: Ctx) -> CaseResult {
    let (b, _) = setup(&ctx).await?;
    let opts = GetOptions {
        range: Some(span(5, Some(0))),
        ..Default::default()
    };
    match ctx.d.get_bytes(&b, "obj", opts).await {
        Ok((_, data)) => {
            ensure!(
                data.is_empty(),
                "get range offset 5 length 0: expected no bytes, got {} bytes",
                data.len()
            );
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::InvalidArgument => Ok(()),
        Err(e) => fail!(
            "get range offset 5 length 0: expected an empty body or invalid-argument, got {}: {e}",
            e.kind()
        ),
    }
}
