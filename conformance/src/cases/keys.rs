//! Keys: characters that need escaping somewhere (unicode, spaces,
//! `+%?#&=`), deep nesting, the length limit, and invalid keys.

use trove_host::{ErrorKind, GetOptions, ListOptions, PutOptions};

use crate::harness::*;

pub(crate) const CASES: &[Case] = &[
    case!("keys/unicode", unicode),
    case!("keys/spaces", spaces),
    case!("keys/special-chars", special_chars),
    case!("keys/plus-vs-space", plus_vs_space),
    case!("keys/percent-literal", percent_literal),
    case!("keys/deep-nesting", deep_nesting),
    case!("keys/max-length", max_length),
    case!("keys/list-special", list_special),
    case!("keys/copy-special", copy_special),
    case!("keys/empty-key", empty_key),
    case!("keys/too-long", too_long),
    case!("keys/nul-byte", nul_byte),
];

const UNICODE: &[&str] = &[
    "ünïcødé.txt",
    "日本語/ファイル.txt",
    "emoji-🚀-ok",
    "mixed/Ωmega-ß-ç",
];
const SPACES: &[&str] = &["with space.txt", "dir with space/inner  two  spaces.txt"];
const SPECIAL: &[&str] = &[
    "plus+sign",
    "percent%25literal",
    "query?x=1&y=2",
    "hash#fragment",
    "equals=and&amp",
    "all +%?#&= together",
];

/// Puts `key`, then reads it back through get, head and a list with the key
/// as prefix, checking that the key comes back exactly.
async fn round_trip(ctx: &Ctx, b: &str, key: &str) -> CaseResult {
    let body = format!("body of {key}");
    let put = ctx.put(b, key, body.as_bytes()).await?;
    check_eq(format_args!("put {key:?}: key"), put.key.as_str(), key)?;
    let (info, data) = ctx.get(b, key).await?;
    check_bytes(format_args!("get {key:?}"), &data, body.as_bytes())?;
    check_eq(format_args!("get {key:?}: key"), info.key.as_str(), key)?;
    let head = ctx.head(b, key).await?;
    check_eq(format_args!("head {key:?}: key"), head.key.as_str(), key)?;
    check_eq(
        format_args!("head {key:?}: size"),
        &head.size,
        &(body.len() as u64),
    )?;
    let page = ctx
        .d
        .list(
            b,
            ListOptions {
                prefix: Some(key.to_string()),
                ..Default::default()
            },
        )
        .await
        .ctx(format_args!("list with prefix {key:?}"))?;
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    check_eq(format_args!("list with prefix {key:?}"), &keys, &vec![key])
}

async fn unicode(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    for key in UNICODE {
        round_trip(&ctx, &b, key).await?;
    }
    Ok(())
}

async fn spaces(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    for key in SPACES {
        round_trip(&ctx, &b, key).await?;
    }
    Ok(())
}

async fn special_chars(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    for key in SPECIAL {
        round_trip(&ctx, &b, key).await?;
    }
    Ok(())
}

async fn plus_vs_space(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    ctx.put(&b, "a+b", "plus").await?;
    ctx.put(&b, "a b", "space").await?;
    let (_, plus) = ctx.get(&b, "a+b").await?;
    let (_, space) = ctx.get(&b, "a b").await?;
    check_bytes("get \"a+b\"", &plus, b"plus")?;
    check_bytes("get \"a b\"", &space, b"space")?;
    let all = ctx.list_all(&b, ListOptions::default()).await?;
    check_eq(
        "list",
        &all.keys(),
        &vec!["a b".to_string(), "a+b".to_string()],
    )
}

async fn percent_literal(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    // "x%2Fy" is a key of its own, not an escaped "x/y".
    ctx.put(&b, "x/y", "slash").await?;
    ctx.put(&b, "x%2Fy", "escaped").await?;
    ctx.put(&b, "100%", "percent").await?;
    let (_, slash) = ctx.get(&b, "x/y").await?;
    let (_, escaped) = ctx.get(&b, "x%2Fy").await?;
    let (_, percent) = ctx.get(&b, "100%").await?;
    check_bytes("get \"x/y\"", &slash, b"slash")?;
    check_bytes("get \"x%2Fy\"", &escaped, b"escaped")?;
    check_bytes("get \"100%\"", &percent, b"percent")?;
    let all = ctx.list_all(&b, ListOptions::default()).await?;
    let want: Vec<String> = ["100%", "x%2Fy", "x/y"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    check_eq("list", &all.keys(), &want)
}

async fn deep_nesting(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let key = "d1/d2/d3/d4/d5/d6/d7/d8/file.txt";
    round_trip(&ctx, &b, key).await?;
    let page = ctx
        .d
        .list(
            &b,
            ListOptions {
                delimiter: Some("/".into()),
                ..Default::default()
            },
        )
        .await
        .ctx("list with delimiter")?;
    check_eq(
        "list with delimiter: common-prefixes",
        &page.common_prefixes,
        &vec!["d1/".to_string()],
    )?;
    ensure!(
        page.objects.is_empty(),
        "list with delimiter: unexpected objects at the top level"
    );
    let page = ctx
        .d
        .list(
            &b,
            ListOptions {
                prefix: Some("d1/d2/d3/".into()),
                ..Default::default()
            },
        )
        .await
        .ctx("list with prefix d1/d2/d3/")?;
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    check_eq("list with prefix d1/d2/d3/", &keys, &vec![key])
}

/// A 1,024-byte key: the longest allowed. Built of 100-byte segments so that
/// drivers over file systems (255 bytes per name) can hold it.
fn longest_key() -> String {
    let mut key = String::new();
    for i in 0..10 {
        key.push_str(&format!("segment-{i}-"));
        while key.len() % 100 != 99 {
            key.push('s');
        }
        key.push('/');
    }
    while key.len() < 1024 {
        key.push('f');
    }
    key
}

async fn max_length(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let key = longest_key();
    ensure!(key.len() == 1024, "suite bug: key is {} bytes", key.len());
    round_trip(&ctx, &b, &key).await
}

async fn list_special(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let mut keys: Vec<String> = UNICODE
        .iter()
        .chain(SPACES)
        .chain(SPECIAL)
        .map(|s| s.to_string())
        .collect();
    ctx.put_many(&b, keys.clone(), |k| k.as_bytes().to_vec())
        .await?;
    keys.sort();
    let all = ctx.list_all(&b, ListOptions::default()).await?;
    check_eq(
        "list (sorted by byte order, keys exact)",
        &all.keys(),
        &keys,
    )?;
    for o in &all.objects {
        check_eq(
            format_args!("list: size of {:?}", o.key),
            &o.size,
            &(o.key.len() as u64),
        )?;
    }
    Ok(())
}

async fn copy_special(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let src = "src +%?#&=ü.txt";
    let dst = "dst/ü +%?#&=.txt";
    ctx.put(&b, src, "copied body").await?;
    let info = ctx.d.copy(&b, src, &b, dst).await.ctx("copy")?;
    check_eq("copy: key", info.key.as_str(), dst)?;
    let (_, data) = ctx.get(&b, dst).await?;
    check_bytes("get copy", &data, b"copied body")
}

async fn empty_key(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let res = ctx.d.put_bytes(&b, "", "x", PutOptions::default()).await;
    expect_err(res, ErrorKind::InvalidArgument, "put with an empty key")?;
    let res = ctx.d.get_bytes(&b, "", GetOptions::default()).await;
    expect_err(res, ErrorKind::InvalidArgument, "get with an empty key")?;
    expect_err(
        ctx.d.head(&b, "").await,
        ErrorKind::InvalidArgument,
        "head with an empty key",
    )?;
    expect_err(
        ctx.d.delete(&b, "").await,
        ErrorKind::InvalidArgument,
        "delete with an empty key",
    )
}

async fn too_long(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let key = format!("{}g", longest_key());
    let res = ctx.d.put_bytes(&b, &key, "x", PutOptions::default()).await;
    expect_err(res, ErrorKind::InvalidArgument, "put with a 1,025-byte key")?;
    expect_err(
        ctx.d.head(&b, &key).await,
        ErrorKind::InvalidArgument,
        "head with a 1,025-byte key",
    )
}

async fn nul_byte(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let res = ctx
        .d
        .put_bytes(&b, "nul\0byte", "x", PutOptions::default())
        .await;
    expect_err(res, ErrorKind::InvalidArgument, "put with a NUL in the key")?;
    expect_err(
        ctx.d.head(&b, "nul\0byte").await,
        ErrorKind::InvalidArgument,
        "head with a NUL in the key",
    )
}
