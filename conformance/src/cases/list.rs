//! Listing: order, prefixes, delimiters and common prefixes, max-keys and
//! cursors (including the exact-fit last page and 1,001 keys).

use trove_host::{ErrorKind, ListOptions};

use crate::harness::*;

pub(crate) const CASES: &[Case] = &[
    case!("list/empty", empty),
    case!("list/multiple", multiple),
    case!("list/prefix", prefix),
    case!("list/pagination", pagination),
    case!("list/bucket-not-found", bucket_not_found),
    case!("list/byte-order", byte_order),
    case!("list/delimiter", delimiter),
    case!("list/delimiter-with-prefix", delimiter_with_prefix),
    case!("list/delimiter-paging", delimiter_paging),
    case!("list/exact-fit-page", exact_fit_page),
    case!("list/paging-1001-keys", paging_1001_keys),
    case!("list/max-keys-1", max_keys_1),
    case!("list/prefix-paging", prefix_paging),
    case!("list/cursor-round-trip", cursor_round_trip),
    case!("list/prefix-no-match", prefix_no_match),
    case!("list/prefix-mid-segment", prefix_mid_segment),
    case!("list/after-delete", after_delete),
    case!("list/churn-between-listings", churn_between_listings),
    case!("list/entries-match-head", entries_match_head),
];

fn with_prefix(p: &str) -> ListOptions {
    ListOptions {
        prefix: Some(p.into()),
        ..Default::default()
    }
}

fn with_delimiter(prefix: Option<&str>, d: &str) -> ListOptions {
    ListOptions {
        prefix: prefix.map(Into::into),
        delimiter: Some(d.into()),
        ..Default::default()
    }
}

fn with_max(n: u32) -> ListOptions {
    ListOptions {
        max_keys: Some(n),
        ..Default::default()
    }
}

async fn put_keys(ctx: &Ctx, b: &str, keys: &[&str]) -> CaseResult {
    ctx.put_many(b, keys.iter().map(|s| s.to_string()), |k| {
        k.as_bytes().to_vec()
    })
    .await
}

async fn empty(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let page = ctx.d.list(&b, ListOptions::default()).await.ctx("list")?;
    ensure!(
        page.objects.is_empty(),
        "list of an empty bucket returned {} objects",
        page.objects.len()
    );
    ensure!(
        page.common_prefixes.is_empty(),
        "list of an empty bucket returned common prefixes"
    );
    ensure!(
        page.next_cursor.is_none(),
        "list of an empty bucket returned a next-cursor"
    );
    let page = ctx
        .d
        .list(&b, with_delimiter(None, "/"))
        .await
        .ctx("list with delimiter")?;
    ensure!(
        page.objects.is_empty() && page.common_prefixes.is_empty() && page.next_cursor.is_none(),
        "list with delimiter of an empty bucket is not empty"
    );
    Ok(())
}

async fn multiple(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let mut etags = Vec::new();
    // Put out of order, with distinct sizes.
    for (key, body) in [
        ("c.txt", "ccc"),
        ("a.txt", "a"),
        ("e.txt", "eeeee"),
        ("b.txt", "bb"),
        ("d.txt", "dddd"),
    ] {
        let info = ctx.put(&b, key, body).await?;
        etags.push((key, info.etag));
    }
    let page = ctx.d.list(&b, ListOptions::default()).await.ctx("list")?;
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    check_eq(
        "list: keys",
        &keys,
        &vec!["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"],
    )?;
    ensure!(
        page.next_cursor.is_none(),
        "list of 5 objects returned a next-cursor"
    );
    for (i, o) in page.objects.iter().enumerate() {
        check_eq(
            format_args!("list: size of {}", o.key),
            &o.size,
            &(i as u64 + 1),
        )?;
        let want = &etags
            .iter()
            .find(|(k, _)| *k == o.key)
            .map(|(_, e)| e.clone())
            .unwrap_or_default();
        check_eq(format_args!("list: etag of {}", o.key), &o.etag, want)?;
    }
    Ok(())
}

async fn prefix(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    put_keys(
        &ctx,
        &b,
        &[
            "photos/2024/a.jpg",
            "photos/2024/b.jpg",
            "photos/2025/c.jpg",
            "docs/readme.md",
            "photosynthesis.txt",
        ],
    )
    .await?;
    let all = ctx.list_all(&b, with_prefix("photos/")).await?;
    check_eq(
        "list prefix photos/",
        &all.keys(),
        &strings(&[
            "photos/2024/a.jpg",
            "photos/2024/b.jpg",
            "photos/2025/c.jpg",
        ]),
    )?;
    ensure!(
        all.prefixes.is_empty(),
        "list without delimiter returned common prefixes {:?}",
        all.prefixes
    );
    let all = ctx.list_all(&b, with_prefix("photos/2024/")).await?;
    check_eq(
        "list prefix photos/2024/",
        &all.keys(),
        &strings(&["photos/2024/a.jpg", "photos/2024/b.jpg"]),
    )?;
    let all = ctx.list_all(&b, with_prefix("photo")).await?;
    check_eq(
        "list prefix photo",
        &all.keys(),
        &strings(&[
            "photos/2024/a.jpg",
            "photos/2024/b.jpg",
            "photos/2025/c.jpg",
            "photosynthesis.txt",
        ]),
    )
}

async fn pagination(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let keys = ["k1", "k2", "k3", "k4", "k5"];
    put_keys(&ctx, &b, &keys).await?;
    let all = ctx.list_all(&b, with_max(2)).await?;
    check_eq(
        "list max-keys 2: keys over all pages",
        &all.keys(),
        &strings(&keys),
    )?;
    check_eq(
        "list max-keys 2: page sizes",
        &all.page_sizes(),
        &vec![2, 2, 1],
    )?;
    check_eq(
        "list max-keys 2: next-cursor present",
        &all.cursors(),
        &vec![true, true, false],
    )
}

async fn bucket_not_found(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket_name();
    expect_err(
        ctx.d.list(&b, ListOptions::default()).await,
        ErrorKind::BucketNotFound,
        "list of a missing bucket",
    )
}

async fn byte_order(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let mut keys = strings(&[
        "b", "B", "a", "_x", "0", "~tilde", "aa", "a-b", "é", "Z9", "a.b",
    ]);
    put_keys(
        &ctx,
        &b,
        &keys.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await?;
    keys.sort(); // String's Ord is byte order for UTF-8.
    let all = ctx.list_all(&b, ListOptions::default()).await?;
    check_eq("list (sorted by byte order)", &all.keys(), &keys)
}

async fn delimiter(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    put_keys(
        &ctx,
        &b,
        &["dir1/a", "dir1/b", "dir2/sub/c", "top1", "top2"],
    )
    .await?;
    let page = ctx
        .d
        .list(&b, with_delimiter(None, "/"))
        .await
        .ctx("list with delimiter /")?;
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    check_eq("list with delimiter: objects", &keys, &vec!["top1", "top2"])?;
    check_eq(
        "list with delimiter: common-prefixes",
        &page.common_prefixes,
        &strings(&["dir1/", "dir2/"]),
    )?;
    ensure!(
        page.next_cursor.is_none(),
        "list with delimiter: unexpected next-cursor"
    );
    // A delimiter that no key contains rolls nothing up.
    let page = ctx
        .d
        .list(&b, with_delimiter(None, "|"))
        .await
        .ctx("list with delimiter |")?;
    ensure!(
        page.common_prefixes.is_empty(),
        "delimiter | produced common prefixes {:?}",
        page.common_prefixes
    );
    check_eq(
        "list with delimiter |: object count",
        &page.objects.len(),
        &5,
    )
}

async fn delimiter_with_prefix(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    put_keys(
        &ctx,
        &b,
        &["p/x/1", "p/x/2", "p/y", "p/z/deep/3", "q/1", "p-other"],
    )
    .await?;
    let page = ctx
        .d
        .list(&b, with_delimiter(Some("p/"), "/"))
        .await
        .ctx("list prefix p/ delimiter /")?;
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    check_eq("list prefix p/ delimiter /: objects", &keys, &vec!["p/y"])?;
    check_eq(
        "list prefix p/ delimiter /: common-prefixes",
        &page.common_prefixes,
        &strings(&["p/x/", "p/z/"]),
    )?;
    let page = ctx
        .d
        .list(&b, with_delimiter(Some("p/z/"), "/"))
        .await
        .ctx("list prefix p/z/ delimiter /")?;
    ensure!(
        page.objects.is_empty(),
        "list prefix p/z/ delimiter /: unexpected objects"
    );
    check_eq(
        "list prefix p/z/ delimiter /: common-prefixes",
        &page.common_prefixes,
        &strings(&["p/z/deep/"]),
    )
}

async fn delimiter_paging(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    put_keys(&ctx, &b, &["a/1", "a/2", "b/1", "c", "d/1", "d/2", "e"]).await?;
    let opts = ListOptions {
        delimiter: Some("/".into()),
        max_keys: Some(2),
        ..Default::default()
    };
    let all = ctx.list_all(&b, opts).await?;
    // max-keys counts objects and common prefixes together.
    check_eq(
        "entries over all pages",
        &all.entries(),
        &strings(&["a/", "b/", "c", "d/", "e"]),
    )?;
    check_eq(
        "page sizes (objects + common prefixes)",
        &all.page_sizes(),
        &vec![2, 2, 1],
    )?;
    check_eq(
        "next-cursor present",
        &all.cursors(),
        &vec![true, true, false],
    )
}

async fn exact_fit_page(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let keys = ["f1", "f2", "f3", "f4"];
    put_keys(&ctx, &b, &keys).await?;
    let all = ctx.list_all(&b, with_max(2)).await?;
    check_eq("max-keys 2 over 4 keys: keys", &all.keys(), &strings(&keys))?;
    check_eq(
        "max-keys 2 over 4 keys: page sizes",
        &all.page_sizes(),
        &vec![2, 2],
    )?;
    check_eq(
        "max-keys 2 over 4 keys: next-cursor present",
        &all.cursors(),
        &vec![true, false],
    )?;
    let page = ctx.d.list(&b, with_max(4)).await.ctx("list max-keys 4")?;
    check_eq(
        "max-keys 4 over 4 keys: object count",
        &page.objects.len(),
        &4,
    )?;
    ensure!(
        page.next_cursor.is_none(),
        "max-keys 4 over 4 keys: a full last page has a next-cursor"
    );
    Ok(())
}

async fn paging_1001_keys(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let keys: Vec<String> = (0..1001).map(|i| format!("obj-{i:04}")).collect();
    ctx.put_many(&b, keys.clone(), |_| b"x".to_vec()).await?;
    // The default max-keys is 1,000.
    let all = ctx.list_all(&b, ListOptions::default()).await?;
    check_eq(
        "page sizes with the default max-keys",
        &all.page_sizes(),
        &vec![1000, 1],
    )?;
    check_eq("next-cursor present", &all.cursors(), &vec![true, false])?;
    ensure!(
        all.keys() == keys,
        "the keys over both pages are not the 1,001 keys in order"
    );
    let all = ctx.list_all(&b, with_max(250)).await?;
    check_eq(
        "page sizes with max-keys 250",
        &all.page_sizes(),
        &vec![250, 250, 250, 250, 1],
    )?;
    ensure!(
        all.keys() == keys,
        "max-keys 250: the keys over all pages are not the 1,001 keys in order"
    );
    Ok(())
}

async fn max_keys_1(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    put_keys(&ctx, &b, &["m1", "m2", "m3"]).await?;
    let all = ctx.list_all(&b, with_max(1)).await?;
    check_eq(
        "max-keys 1: keys",
        &all.keys(),
        &strings(&["m1", "m2", "m3"]),
    )?;
    check_eq("max-keys 1: page sizes", &all.page_sizes(), &vec![1, 1, 1])?;
    check_eq(
        "max-keys 1: next-cursor present",
        &all.cursors(),
        &vec![true, true, false],
    )
}

async fn prefix_paging(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    put_keys(
        &ctx,
        &b,
        &["o/1", "p/1", "p/2", "p/3", "p/4", "p/5", "q/1", "q/2"],
    )
    .await?;
    let opts = ListOptions {
        prefix: Some("p/".into()),
        max_keys: Some(2),
        ..Default::default()
    };
    let all = ctx.list_all(&b, opts).await?;
    check_eq(
        "prefix p/ max-keys 2: keys",
        &all.keys(),
        &strings(&["p/1", "p/2", "p/3", "p/4", "p/5"]),
    )?;
    check_eq(
        "prefix p/ max-keys 2: page sizes",
        &all.page_sizes(),
        &vec![2, 2, 1],
    )
}

async fn cursor_round_trip(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    put_keys(&ctx, &b, &["r1", "r2", "r3", "r4", "r5", "r6"]).await?;
    let first = ctx.d.list(&b, with_max(3)).await.ctx("list page 1")?;
    let keys1: Vec<&str> = first.objects.iter().map(|o| o.key.as_str()).collect();
    check_eq("page 1", &keys1, &vec!["r1", "r2", "r3"])?;
    let Some(cursor) = first.next_cursor.clone() else {
        fail!("page 1 of 2 has no next-cursor");
    };
    // The same cursor, passed back twice, yields the same page.
    for attempt in 1..=2 {
        let opts = ListOptions {
            max_keys: Some(3),
            cursor: Some(cursor.clone()),
            ..Default::default()
        };
        let page = ctx
            .d
            .list(&b, opts)
            .await
            .ctx(format_args!("list page 2 (attempt {attempt})"))?;
        let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
        check_eq(
            format_args!("page 2 (attempt {attempt})"),
            &keys,
            &vec!["r4", "r5", "r6"],
        )?;
        ensure!(
            page.next_cursor.is_none(),
            "page 2 (attempt {attempt}) is the last but has a next-cursor"
        );
    }
    Ok(())
}

async fn prefix_no_match(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    put_keys(&ctx, &b, &["present/1", "present/2"]).await?;
    for opts in [
        with_prefix("absent/"),
        with_prefix("present/3"),
        with_delimiter(Some("nothing"), "/"),
    ] {
        let page = ctx
            .d
            .list(&b, opts.clone())
            .await
            .ctx(format_args!("list {opts:?}"))?;
        ensure!(
            page.objects.is_empty()
                && page.common_prefixes.is_empty()
                && page.next_cursor.is_none(),
            "list with prefix {:?} matched something: {:?} {:?}",
            opts.prefix,
            page.objects.iter().map(|o| &o.key).collect::<Vec<_>>(),
            page.common_prefixes
        );
    }
    Ok(())
}

async fn prefix_mid_segment(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    put_keys(&ctx, &b, &["abc", "abd", "ab/x", "b"]).await?;
    let all = ctx.list_all(&b, with_prefix("ab")).await?;
    check_eq(
        "list prefix ab",
        &all.keys(),
        &strings(&["ab/x", "abc", "abd"]),
    )?;
    let page = ctx
        .d
        .list(&b, with_delimiter(Some("ab"), "/"))
        .await
        .ctx("list prefix ab delimiter /")?;
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    check_eq(
        "list prefix ab delimiter /: objects",
        &keys,
        &vec!["abc", "abd"],
    )?;
    check_eq(
        "list prefix ab delimiter /: common-prefixes",
        &page.common_prefixes,
        &strings(&["ab/"]),
    )
}

async fn after_delete(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    put_keys(&ctx, &b, &["d/x", "d/y/z", "y"]).await?;
    ctx.d.delete(&b, "d/x").await.ctx("delete d/x")?;
    ctx.d.delete(&b, "d/y/z").await.ctx("delete d/y/z")?;
    let all = ctx.list_all(&b, ListOptions::default()).await?;
    check_eq("list after deletes", &all.keys(), &strings(&["y"]))?;
    // No key is left under d/, so there is no common prefix d/ either.
    let page = ctx
        .d
        .list(&b, with_delimiter(None, "/"))
        .await
        .ctx("list with delimiter after deletes")?;
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    check_eq(
        "list with delimiter after deletes: objects",
        &keys,
        &vec!["y"],
    )?;
    check_eq(
        "list with delimiter after deletes: common-prefixes",
        &page.common_prefixes,
        &Vec::new(),
    )
}

/// Keys deleted, put again and overwritten between two listings are listed
/// once each, in order, on one page and across pages.
async fn churn_between_listings(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    put_keys(&ctx, &b, &["a", "b"]).await?;
    let first = ctx.list_all(&b, ListOptions::default()).await?;
    check_eq("first listing", &first.keys(), &strings(&["a", "b"]))?;
    ctx.d.delete(&b, "a").await.ctx("delete a")?;
    put_keys(&ctx, &b, &["c", "a"]).await?;
    ctx.d.delete(&b, "b").await.ctx("delete b")?;
    put_keys(&ctx, &b, &["b", "b", "d"]).await?;
    ctx.d.delete(&b, "c").await.ctx("delete c")?;
    ctx.d.delete(&b, "d").await.ctx("delete d")?;
    put_keys(&ctx, &b, &["d"]).await?;
    let all = ctx.list_all(&b, ListOptions::default()).await?;
    check_eq(
        "listing after churn",
        &all.keys(),
        &strings(&["a", "b", "d"]),
    )?;
    let paged = ctx.list_all(&b, with_max(1)).await?;
    check_eq(
        "listing after churn, one key a page",
        &paged.keys(),
        &strings(&["a", "b", "d"]),
    )
}

async fn entries_match_head(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    put_keys(&ctx, &b, &["h/one", "h/three", "h/seventeen-bytes"]).await?;
    let all = ctx.list_all(&b, ListOptions::default()).await?;
    check_eq("list: count", &all.objects.len(), &3)?;
    for o in &all.objects {
        let head = ctx.head(&b, &o.key).await?;
        check_eq(
            format_args!("list vs head of {}: size", o.key),
            &o.size,
            &head.size,
        )?;
        check_eq(
            format_args!("list vs head of {}: etag", o.key),
            &o.etag,
            &head.etag,
        )?;
        check_eq(
            format_args!("list: size of {}", o.key),
            &o.size,
            &(o.key.len() as u64),
        )?;
    }
    Ok(())
}
