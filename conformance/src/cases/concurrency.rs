//! Concurrent operations through one driver handle (N = `SuiteOptions::concurrency`).

use std::sync::Arc;

use tokio::sync::Barrier;
use tokio::task::JoinSet;
use trove_host::{GetOptions, ListOptions, PutOptions};

use crate::data;
use crate::harness::*;

pub(crate) const CASES: &[Case] = &[
    case!("concurrency/puts", concurrent_puts),
    case!("concurrency/reads", concurrent_reads),
    case!("concurrency/same-key-puts", same_key_puts),
];

fn body(i: usize) -> Vec<u8> {
    data::bytes(1000 + i as u64, 10_000 + i)
}

/// Waits for every task; the first failure (or panic) wins. Dropping the set
/// on the way out aborts what is still running.
async fn join_all(mut set: JoinSet<CaseResult>) -> CaseResult {
    while let Some(res) = set.join_next().await {
        match res {
            Ok(r) => r?,
            Err(e) => fail!("a concurrent task failed: {e}"),
        }
    }
    Ok(())
}

async fn concurrent_puts(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let n = ctx.opts.concurrency.max(1);
    let start = Arc::new(Barrier::new(n));
    let mut set = JoinSet::new();
    for i in 0..n {
        let (d, b, start) = (ctx.d.clone(), b.clone(), start.clone());
        set.spawn(async move {
            start.wait().await;
            let key = format!("c/{i:03}");
            let info = d
                .put_bytes(&b, &key, body(i), PutOptions::default())
                .await
                .ctx(format_args!("put {key}"))?;
            check_eq(
                format_args!("put {key}: size"),
                &info.size,
                &(body(i).len() as u64),
            )
        });
    }
    join_all(set).await?;
    let all = ctx.list_all(&b, ListOptions::default()).await?;
    let want: Vec<String> = (0..n).map(|i| format!("c/{i:03}")).collect();
    check_eq("list after concurrent puts", &all.keys(), &want)?;
    for (i, key) in want.iter().enumerate() {
        let (_, got) = ctx.get(&b, key).await?;
        check_bytes(format_args!("get {key}"), &got, &body(i))?;
    }
    Ok(())
}

async fn concurrent_reads(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let n = ctx.opts.concurrency.max(1);
    let content = Arc::new(data::bytes(77, 256 * 1024));
    ctx.put(&b, "shared", content.to_vec()).await?;
    let start = Arc::new(Barrier::new(n));
    let mut set = JoinSet::new();
    for i in 0..n {
        let (d, b, start, content) = (ctx.d.clone(), b.clone(), start.clone(), content.clone());
        set.spawn(async move {
            start.wait().await;
            let (_, got) = d
                .get_bytes(&b, "shared", GetOptions::default())
                .await
                .ctx(format_args!("reader {i}: get"))?;
            check_bytes(format_args!("reader {i}: get"), &got, &content)
        });
    }
    join_all(set).await
}

/// Concurrent puts of different content to one key: afterwards the key holds
/// exactly one of the bodies, whole, with that body's ETag.
async fn same_key_puts(ctx: Ctx) -> CaseResult {
    let b = ctx.bucket().await?;
    let n = ctx.opts.concurrency.clamp(2, 10);
    let start = Arc::new(Barrier::new(n));
    let mut set = JoinSet::new();
    for i in 0..n {
        let (d, b, start) = (ctx.d.clone(), b.clone(), start.clone());
        set.spawn(async move {
            start.wait().await;
            let body = data::bytes(500 + i as u64, 64 * 1024);
            d.put_bytes(&b, "contended", body, PutOptions::default())
                .await
                .ctx(format_args!("writer {i}: put"))?;
            Ok(())
        });
    }
    join_all(set).await?;
    let (info, got) = ctx.get(&b, "contended").await?;
    let winner = (0..n).find(|&i| got == data::bytes(500 + i as u64, 64 * 1024));
    let Some(winner) = winner else {
        fail!(
            "after {n} concurrent puts the key holds {} bytes matching none of the bodies",
            got.len()
        );
    };
    // The winner's body written again elsewhere must have the same ETag.
    let reference = ctx
        .put(&b, "reference", data::bytes(500 + winner as u64, 64 * 1024))
        .await?;
    check_eq("etag of the surviving body", &info.etag, &reference.etag)
}
