//! Keys and folders: a folder marker (`dir/`, a key ending in '/', as an S3
//! console's "Create folder", s3fs `mkdir` and rclone make them) is a key like
//! any other, and a key may be an object and a prefix of other keys at once
//! (`a/b` and `a/b/c`). A driver that stores keys as paths may be unable to
//! hold either: it then answers `invalid-argument` saying why, and the case is
//! skipped with that message (after checking that the refusal stored nothing).

use trove_host::{ErrorKind, ListOptions, ObjectInfo, PutOptions};

use crate::harness::*;

pub(crate) const CASES: &[Case] = &[
    case!("keys/folder-marker", folder_marker),
    case!("keys/object-and-prefix", object_and_prefix),
];

fn delimited(prefix: Option<&str>) -> ListOptions {
    ListOptions {
        prefix: prefix.map(str::to_string),
        delimiter: Some("/".into()),
        ..Default::default()
    }
}

/// One listing page (the case's listings are small), as (keys, common prefixes).
async fn page(ctx: &Ctx, b: &str, opts: ListOptions) -> CaseResult<(Vec<String>, Vec<String>)> {
    let what = format!(
        "list prefix {:?} delimiter {:?}",
        opts.prefix, opts.delimiter
    );
    let all = ctx.list_all(b, opts).await?;
    ensure!(all.pages.len() == 1, "{what}: {} pages", all.pages.len());
    Ok((all.keys(), all.prefixes))
}

/// The key, size, content type and metadata `info` (from `what`) should have.
fn check_info(
    what: &str,
    info: &ObjectInfo,
    key: &str,
    size: u64,
    opts: &PutOptions,
) -> CaseResult {
    check_eq(format_args!("{what}: key"), info.key.as_str(), key)?;
    check_eq(format_args!("{what}: size"), &info.size, &size)?;
    check_eq(
        format_args!("{what}: content-type"),
        &info.content_type,
        &opts.content_type,
    )?;
    check_eq(
        format_args!("{what}: metadata"),
        &info.metadata,
        &opts.metadata,
    )
}

async fn folder_marker(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    for key in ["dir-x", "dir/a.txt", "dir/sub/b.txt", "dir0"] {
        ctx.put(&b, key, key).await?;
    }
    // A marker with a body, a content type and metadata, put after the folder's keys...
    let body = b"a folder marker may have a body";
    let opts = PutOptions {
        content_type: Some("application/x-directory".into()),
        metadata: vec![("origin".into(), "conformance".into())],
        ..Default::default()
    };
    let put = ctx.d.put_bytes(&b, "dir/", &body[..], opts.clone()).await;
    let put = refused(put, "put \"dir/\"")?;
    check_eq("put \"dir/\": key", put.key.as_str(), "dir/")?;
    // ... and an empty one before any key under it, as `mkdir` makes them.
    ctx.put(&b, "empty/", "").await?;

    let head = ctx.head(&b, "dir/").await?;
    check_info("head \"dir/\"", &head, "dir/", body.len() as u64, &opts)?;
    check_eq("head \"dir/\": etag", &head.etag, &put.etag)?;
    let (info, data) = ctx.get(&b, "dir/").await?;
    check_bytes("get \"dir/\"", &data, body)?;
    check_info("get \"dir/\"", &info, "dir/", body.len() as u64, &opts)?;
    let (info, data) = ctx.get(&b, "empty/").await?;
    check_bytes("get \"empty/\"", &data, b"")?;
    check_eq("get \"empty/\": key", info.key.as_str(), "empty/")?;

    // Without a delimiter a marker sorts where its key does: "dir/" before "dir/a.txt";
    // also across pages of one key each.
    let want = strings(&[
        "dir-x",
        "dir/",
        "dir/a.txt",
        "dir/sub/b.txt",
        "dir0",
        "empty/",
    ]);
    let all = ctx.list_all(&b, ListOptions::default()).await?;
    check_eq("list", &all.keys(), &want)?;
    let listed = &all.objects[1];
    check_eq("list: size of \"dir/\"", &listed.size, &(body.len() as u64))?;
    check_eq("list: etag of \"dir/\"", &listed.etag, &head.etag)?;
    let one = ListOptions {
        max_keys: Some(1),
        ..Default::default()
    };
    let paged = ctx.list_all(&b, one).await?;
    check_eq("list with max-keys 1", &paged.keys(), &want)?;
    // With one, it rolls up into the common prefix of its folder, like its keys.
    let (keys, prefixes) = page(&ctx, &b, delimited(None)).await?;
    check_eq(
        "list with delimiter: keys",
        &keys,
        &strings(&["dir-x", "dir0"]),
    )?;
    check_eq(
        "list with delimiter: common prefixes",
        &prefixes,
        &strings(&["dir/", "empty/"]),
    )?;
    let (keys, prefixes) = page(&ctx, &b, delimited(Some("dir/"))).await?;
    check_eq(
        "list prefix \"dir/\" with delimiter: keys",
        &keys,
        &strings(&["dir/", "dir/a.txt"]),
    )?;
    check_eq(
        "list prefix \"dir/\" with delimiter: common prefixes",
        &prefixes,
        &strings(&["dir/sub/"]),
    )?;

    // Copies to and from a marker keep bytes, content type and metadata.
    let copied = ctx.d.copy(&b, "dir/", &b, "copied/").await;
    let copied = refused(copied, "copy \"dir/\" to \"copied/\"")?;
    check_eq("copy to \"copied/\": key", copied.key.as_str(), "copied/")?;
    let (info, data) = ctx.get(&b, "copied/").await?;
    check_bytes("get \"copied/\"", &data, body)?;
    check_info(
        "get \"copied/\"",
        &info,
        "copied/",
        body.len() as u64,
        &opts,
    )?;
    ctx.d
        .copy(&b, "copied/", &b, "plain")
        .await
        .ctx("copy \"copied/\" to \"plain\"")?;
    let (_, data) = ctx.get(&b, "plain").await?;
    check_bytes("get \"plain\"", &data, body)?;

    // Deleting the last key under a folder leaves its marker...
    ctx.put(&b, "empty/only", "x").await?;
    ctx.d
        .delete(&b, "empty/only")
        .await
        .ctx("delete \"empty/only\"")?;
    let head = ctx.head(&b, "empty/").await?;
    check_eq(
        "head \"empty/\" after deleting \"empty/only\": size",
        &head.size,
        &0,
    )?;
    // ... and deleting a marker leaves the keys under it.
    ctx.d.delete(&b, "dir/").await.ctx("delete \"dir/\"")?;
    expect_err(
        ctx.d.head(&b, "dir/").await,
        ErrorKind::ObjectNotFound,
        "head \"dir/\" after delete",
    )?;
    let (_, data) = ctx.get(&b, "dir/a.txt").await?;
    check_bytes(
        "get \"dir/a.txt\" after deleting \"dir/\"",
        &data,
        b"dir/a.txt",
    )?;
    let all = ctx.list_all(&b, ListOptions::default()).await?;
    let want = strings(&[
        "copied/",
        "dir-x",
        "dir/a.txt",
        "dir/sub/b.txt",
        "dir0",
        "empty/",
        "plain",
    ]);
    check_eq("list after deleting \"dir/\"", &all.keys(), &want)
}

async fn object_and_prefix(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    ctx.put(&b, "a/b", "object").await?;
    let nested = ctx
        .d
        .put_bytes(&b, "a/b/c", "under it", PutOptions::default())
        .await;
    if let Err(e) = &nested {
        if e.kind() == ErrorKind::InvalidArgument {
            // The refusal must have left things as they were.
            let (_, data) = ctx.get(&b, "a/b").await?;
            check_bytes("get \"a/b\" after the refused put", &data, b"object")?;
            expect_err(
                ctx.d.head(&b, "a/b/c").await,
                ErrorKind::ObjectNotFound,
                "head \"a/b/c\" after the refused put",
            )?;
            let all = ctx.list_all(&b, ListOptions::default()).await?;
            check_eq(
                "list after the refused put",
                &all.keys(),
                &strings(&["a/b"]),
            )?;
        }
    }
    refused(nested, "put \"a/b/c\" while \"a/b\" is an object")?;

    let (_, data) = ctx.get(&b, "a/b").await?;
    check_bytes("get \"a/b\"", &data, b"object")?;
    let (_, data) = ctx.get(&b, "a/b/c").await?;
    check_bytes("get \"a/b/c\"", &data, b"under it")?;
    let all = ctx.list_all(&b, ListOptions::default()).await?;
    check_eq("list", &all.keys(), &strings(&["a/b", "a/b/c"]))?;
    let (keys, prefixes) = page(&ctx, &b, delimited(Some("a/"))).await?;
    check_eq(
        "list prefix \"a/\" with delimiter: keys",
        &keys,
        &strings(&["a/b"]),
    )?;
    check_eq(
        "list prefix \"a/\" with delimiter: common prefixes",
        &prefixes,
        &strings(&["a/b/"]),
    )?;

    // The other order, and deleting either leaves the other.
    ctx.put(&b, "p/q/r", "deeper").await?;
    ctx.put(&b, "p/q", "over it").await?;
    ctx.d.delete(&b, "a/b").await.ctx("delete \"a/b\"")?;
    let (_, data) = ctx.get(&b, "a/b/c").await?;
    check_bytes("get \"a/b/c\" after deleting \"a/b\"", &data, b"under it")?;
    ctx.d.delete(&b, "p/q/r").await.ctx("delete \"p/q/r\"")?;
    let (_, data) = ctx.get(&b, "p/q").await?;
    check_bytes("get \"p/q\" after deleting \"p/q/r\"", &data, b"over it")?;
    let all = ctx.list_all(&b, ListOptions::default()).await?;
    check_eq(
        "list after the deletes",
        &all.keys(),
        &strings(&["a/b/c", "p/q"]),
    )
}
