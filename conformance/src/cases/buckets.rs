//! Bucket lifecycle, bucket names, and object operations on a missing bucket.

use trove_host::{ErrorKind, GetOptions, ListOptions, PutOptions};

use crate::harness::*;

pub(crate) const CASES: &[Case] = &[
    case!("bucket/create-and-delete", create_and_delete),
    case!("bucket/create-existing", create_existing),
    case!("bucket/delete-missing", delete_missing),
    case!("bucket/delete-non-empty", delete_non_empty),
    case!("bucket/recreate-after-delete", recreate_after_delete),
    case!("bucket/list-sorted", list_sorted),
    case!("bucket/name-max-length", name_max_length),
    case!("bucket/invalid-name-slash", invalid_name_slash),
    case!("bucket/invalid-name-uppercase", invalid_name_uppercase),
    case!("bucket/invalid-name-empty", invalid_name_empty),
    case!("bucket/invalid-name-too-long", invalid_name_too_long),
    case!("bucket/invalid-name-leading-dot", invalid_name_leading_dot),
    case!("bucket/put-missing-bucket", put_missing_bucket),
    case!("bucket/get-missing-bucket", get_missing_bucket),
    case!("bucket/head-missing-bucket", head_missing_bucket),
    case!(
        "bucket/delete-object-missing-bucket",
        delete_object_missing_bucket
    ),
];

async fn listed(ctx: &Ctx, name: &str) -> CaseResult<bool> {
    let buckets = ctx.d.list_buckets().await.ctx("list-buckets")?;
    Ok(buckets.iter().any(|b| b.name == name))
}

async fn create_and_delete(ctx: Ctx) -> CaseResult {
    let name = ctx.bucket_name();
    ctx.track_bucket(&name);
    ctx.d.create_bucket(&name).await.ctx("create-bucket")?;
    ensure!(
        listed(&ctx, &name).await?,
        "list-buckets after create-bucket: {name} is missing"
    );
    let page = ctx
        .d
        .list(&name, ListOptions::default())
        .await
        .ctx("list new bucket")?;
    ensure!(
        page.objects.is_empty(),
        "a new bucket lists {} objects",
        page.objects.len()
    );
    ctx.d.delete_bucket(&name).await.ctx("delete-bucket")?;
    ensure!(
        !listed(&ctx, &name).await?,
        "list-buckets after delete-bucket: {name} is still listed"
    );
    expect_err(
        ctx.d.list(&name, ListOptions::default()).await,
        ErrorKind::BucketNotFound,
        "list deleted bucket",
    )
}

async fn create_existing(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    expect_err(
        ctx.d.create_bucket(&b).await,
        ErrorKind::BucketExists,
        "create-bucket again",
    )
}

async fn delete_missing(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket_name();
    expect_err(
        ctx.d.delete_bucket(&b).await,
        ErrorKind::BucketNotFound,
        "delete-bucket of a missing bucket",
    )
}

async fn delete_non_empty(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    ctx.put(&b, "dir/keep.txt", "x").await?;
    expect_err(
        ctx.d.delete_bucket(&b).await,
        ErrorKind::BucketNotEmpty,
        "delete-bucket with an object in it",
    )?;
    // The refused delete must not have removed anything.
    let (_, data) = ctx.get(&b, "dir/keep.txt").await?;
    check_bytes("get after refused delete-bucket", &data, b"x")?;
    ctx.d
        .delete(&b, "dir/keep.txt")
        .await
        .ctx("delete object")?;
    ctx.d
        .delete_bucket(&b)
        .await
        .ctx("delete-bucket once empty")
}

async fn recreate_after_delete(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    ctx.put(&b, "old", "old").await?;
    ctx.d.delete(&b, "old").await.ctx("delete old")?;
    ctx.d.delete_bucket(&b).await.ctx("delete-bucket")?;
    ctx.d
        .create_bucket(&b)
        .await
        .ctx("create-bucket again after delete")?;
    let page = ctx
        .d
        .list(&b, ListOptions::default())
        .await
        .ctx("list recreated bucket")?;
    ensure!(
        page.objects.is_empty(),
        "the recreated bucket still lists {:?}",
        page.objects.iter().map(|o| &o.key).collect::<Vec<_>>()
    );
    Ok(())
}

async fn list_sorted(ctx: Ctx) -> CaseResult {
    // Three buckets whose names sort c > a > b by suffix, created out of order.
    let base = ctx.bucket_name();
    let names: Vec<String> = ["c", "a", "b"]
        .iter()
        .map(|s| format!("{base}-{s}"))
        .collect();
    for n in &names {
        ctx.track_bucket(n);
        ctx.d
            .create_bucket(n)
            .await
            .ctx(format_args!("create-bucket {n}"))?;
    }
    let all = ctx.d.list_buckets().await.ctx("list-buckets")?;
    let listed: Vec<&str> = all.iter().map(|b| b.name.as_str()).collect();
    for n in &names {
        ensure!(listed.contains(&n.as_str()), "list-buckets: {n} is missing");
    }
    if let Some(w) = listed
        .windows(2)
        .find(|w| w[0].as_bytes() >= w[1].as_bytes())
    {
        fail!(
            "list-buckets is not sorted by name: {:?} comes before {:?}",
            w[0],
            w[1]
        );
    }
    Ok(())
}

async fn name_max_length(ctx: Ctx) -> CaseResult {
    let mut name = ctx.bucket_name();
    while name.len() < 63 {
        name.push('z');
    }
    ctx.track_bucket(&name);
    ctx.d
        .create_bucket(&name)
        .await
        .ctx("create-bucket with a 63-character name")?;
    ctx.put(&name, "k", "v").await?;
    let (_, data) = ctx.get(&name, "k").await?;
    check_bytes("get from the 63-character bucket", &data, b"v")
}

/// `create-bucket` of an invalid name is refused with `invalid-argument`, and
/// so is an object operation naming it. Should the driver create the bucket
/// anyway, the cleanup removes it.
async fn invalid_name(ctx: &Ctx, name: &str) -> CaseResult {
    if !name.is_empty() {
        ctx.track_bucket(name);
    }
    expect_err(
        ctx.d.create_bucket(name).await,
        ErrorKind::InvalidArgument,
        format_args!("create-bucket {name:?}"),
    )?;
    let res = ctx.d.put_bytes(name, "k", "v", PutOptions::default()).await;
    expect_err(
        res,
        ErrorKind::InvalidArgument,
        format_args!("put into bucket {name:?}"),
    )
}

async fn invalid_name_slash(ctx: Ctx) -> CaseResult {
    invalid_name(&ctx, &format!("tc-bad/name-{}", random_hex())).await
}

async fn invalid_name_uppercase(ctx: Ctx) -> CaseResult {
    invalid_name(&ctx, &format!("tc-Bad-Name-{}", random_hex())).await
}

async fn invalid_name_empty(ctx: Ctx) -> CaseResult {
    invalid_name(&ctx, "").await
}

async fn invalid_name_too_long(ctx: Ctx) -> CaseResult {
    let mut name = ctx.bucket_name();
    while name.len() < 64 {
        name.push('z');
    }
    invalid_name(&ctx, &name).await
}

async fn invalid_name_leading_dot(ctx: Ctx) -> CaseResult {
    invalid_name(&ctx, &format!(".{}", ctx.bucket_name())).await
}

async fn put_missing_bucket(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket_name();
    let res = ctx.d.put_bytes(&b, "k", "v", PutOptions::default()).await;
    expect_err(res, ErrorKind::BucketNotFound, "put into a missing bucket")
}

async fn get_missing_bucket(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket_name();
    let res = ctx.d.get_bytes(&b, "k", GetOptions::default()).await;
    expect_err(res, ErrorKind::BucketNotFound, "get from a missing bucket")
}

async fn head_missing_bucket(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket_name();
    expect_err(
        ctx.d.head(&b, "k").await,
        ErrorKind::BucketNotFound,
        "head in a missing bucket",
    )
}

async fn delete_object_missing_bucket(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket_name();
    expect_err(
        ctx.d.delete(&b, "k").await,
        ErrorKind::BucketNotFound,
        "delete in a missing bucket",
    )
}
