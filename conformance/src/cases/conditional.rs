//! Conditional requests: if-none-match / if-match on put and on get.

use trove_host::{ErrorKind, GetOptions, PutOptions};

use crate::harness::*;

pub(crate) const CASES: &[Case] = &[
    case!(
        "cond/put-if-none-match-star-new-key",
        put_if_none_match_star_new_key
    ),
    case!(
        "cond/put-if-none-match-star-existing",
        put_if_none_match_star_existing
    ),
    case!("cond/put-if-match-right-etag", put_if_match_right_etag),
    case!("cond/put-if-match-wrong-etag", put_if_match_wrong_etag),
    case!("cond/put-if-match-missing-key", put_if_match_missing_key),
    case!("cond/get-if-match-right-etag", get_if_match_right_etag),
    case!("cond/get-if-match-wrong-etag", get_if_match_wrong_etag),
    case!("cond/get-if-none-match-etag", get_if_none_match_etag),
    case!("cond/get-if-none-match-star", get_if_none_match_star),
    case!(
        "cond/get-if-none-match-other-etag",
        get_if_none_match_other_etag
    ),
];

fn create_only() -> PutOptions {
    PutOptions {
        if_none_match: Some("*".into()),
        ..Default::default()
    }
}

fn put_if_match(etag: &str) -> PutOptions {
    PutOptions {
        if_match: Some(etag.into()),
        ..Default::default()
    }
}

/// A bucket with `k` = "current" and `other` = "something else", returning
/// their ETags. The second gives a well-formed ETag that is wrong for `k`.
async fn setup(ctx: &Ctx) -> CaseResult<(String, String, String)> {
    let b = ctx.bucket().await?;
    let current = ctx.put(&b, "k", "current").await?.etag;
    let other = ctx.put(&b, "other", "something else").await?.etag;
    ensure!(
        current != other,
        "different content got the same etag {current:?}"
    );
    Ok((b, current, other))
}

async fn unchanged(ctx: &Ctx, b: &str, what: &str) -> CaseResult {
    let (_, data) = ctx.get(b, "k").await?;
    check_bytes(format_args!("get after {what}"), &data, b"current")
}

async fn put_if_none_match_star_new_key(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    ctx.put_opts(&b, "fresh", "created", create_only()).await?;
    let (_, data) = ctx.get(&b, "fresh").await?;
    check_bytes("get after create-only put", &data, b"created")
}

async fn put_if_none_match_star_existing(ctx: Ctx) -> CaseResult {
    let (b, _, _) = setup(&ctx).await?;
    let res = ctx.d.put_bytes(&b, "k", "replacement", create_only()).await;
    expect_err(
        res,
        ErrorKind::PreconditionFailed,
        "put if-none-match * on an existing key",
    )?;
    unchanged(&ctx, &b, "the refused put").await
}

async fn put_if_match_right_etag(ctx: Ctx) -> CaseResult {
    let (b, current, _) = setup(&ctx).await?;
    let info = ctx
        .put_opts(&b, "k", "replaced", put_if_match(&current))
        .await?;
    ensure!(
        info.etag != current,
        "the etag did not change after replacing the content"
    );
    let (_, data) = ctx.get(&b, "k").await?;
    check_bytes("get after put if-match", &data, b"replaced")
}

async fn put_if_match_wrong_etag(ctx: Ctx) -> CaseResult {
    let (b, _, other) = setup(&ctx).await?;
    let res = ctx
        .d
        .put_bytes(&b, "k", "replacement", put_if_match(&other))
        .await;
    expect_err(
        res,
        ErrorKind::PreconditionFailed,
        "put if-match with a wrong etag",
    )?;
    unchanged(&ctx, &b, "the refused put").await
}

async fn put_if_match_missing_key(ctx: Ctx) -> CaseResult {
    let (b, current, _) = setup(&ctx).await?;
    let res = ctx
        .d
        .put_bytes(&b, "absent", "x", put_if_match(&current))
        .await;
    expect_err(
        res,
        ErrorKind::PreconditionFailed,
        "put if-match on a missing key",
    )?;
    expect_err(
        ctx.d.head(&b, "absent").await,
        ErrorKind::ObjectNotFound,
        "head after the refused put",
    )
}

async fn get_if_match_right_etag(ctx: Ctx) -> CaseResult {
    let (b, current, _) = setup(&ctx).await?;
    let opts = GetOptions {
        if_match: Some(current.clone()),
        ..Default::default()
    };
    let (info, data) = ctx
        .d
        .get_bytes(&b, "k", opts)
        .await
        .ctx("get if-match with the current etag")?;
    check_bytes("get if-match with the current etag", &data, b"current")?;
    check_eq("get if-match: etag", &info.etag, &current)
}

async fn get_if_match_wrong_etag(ctx: Ctx) -> CaseResult {
    let (b, _, other) = setup(&ctx).await?;
    let opts = GetOptions {
        if_match: Some(other),
        ..Default::default()
    };
    let res = ctx.d.get_bytes(&b, "k", opts).await;
    expect_err(
        res,
        ErrorKind::PreconditionFailed,
        "get if-match with a wrong etag",
    )
}

async fn get_if_none_match_etag(ctx: Ctx) -> CaseResult {
    let (b, current, _) = setup(&ctx).await?;
    let opts = GetOptions {
        if_none_match: Some(current),
        ..Default::default()
    };
    let res = ctx.d.get_bytes(&b, "k", opts).await;
    expect_err(
        res,
        ErrorKind::PreconditionFailed,
        "get if-none-match with the current etag",
    )
}

async fn get_if_none_match_star(ctx: Ctx) -> CaseResult {
    let (b, _, _) = setup(&ctx).await?;
    let opts = GetOptions {
        if_none_match: Some("*".into()),
        ..Default::default()
    };
    let res = ctx.d.get_bytes(&b, "k", opts).await;
    expect_err(
        res,
        ErrorKind::PreconditionFailed,
        "get if-none-match * on an existing key",
    )
}

async fn get_if_none_match_other_etag(ctx: Ctx) -> CaseResult {
    let (b, _, other) = setup(&ctx).await?;
    let opts = GetOptions {
        if_none_match: Some(other),
        ..Default::default()
    };
    let (_, data) = ctx
        .d
        .get_bytes(&b, "k", opts)
        .await
        .ctx("get if-none-match with another etag")?;
    check_bytes("get if-none-match with another etag", &data, b"current")
}
