//! The `objstore` rows: object_store's API over `TroveStore` against
//! object_store's own stores, in the same run — the s3 driver against
//! `AmazonS3` on the same s3s-fs server, and the file driver against
//! `LocalFileSystem`. Both sides are called the same way (`put` of a
//! payload, `get` drained as a stream and read with `bytes()`), so the ratio
//! is what the trove layers cost.

use super::{label, measure, push_pair, Row, KIB, MIB};
use bytes::Bytes;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::sync::Arc;
use trove_object_store::TroveStore;

/// Puts and gets per round: 64 MiB objects 4 times, 1 KiB puts `small_n`.
const BIG_REPS: usize = 4;

/// The body of a put: the first `size` bytes of `data`, in parts of 1 MiB
/// (shared, not copied).
fn payload(data: &Bytes, size: u64) -> PutPayload {
    let (size, part) = (size as usize, MIB as usize);
    (0..size)
        .step_by(part)
        .map(|at| data.slice(at..(at + part).min(size)))
        .collect()
}

/// `size` bytes that differ from MiB to MiB. The bodies used to be one
/// 1 MiB block 64 times over: `LocalFileSystem` then wrote from a source
/// that stayed in the CPU's cache (2 MiB of L2 here), which no real upload
/// does, and put 64 MiB at 5.5–6.0 GB/s against 4.5–4.8 GB/s for 64
/// distinct MiB.
fn distinct(size: u64) -> Bytes {
    (0..size as usize)
        .map(|i| (i / MIB as usize * 37 + i % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// How a get is read.
#[derive(Clone, Copy, PartialEq)]
enum Read {
    /// `into_stream()`, drained chunk by chunk.
    Stream,
    /// `bytes()`: the whole body in memory.
    Bytes,
}

async fn drain(store: &dyn ObjectStore, path: &Path, how: Read) -> u64 {
    let r = store.get(path).await.expect("get");
    if how == Read::Bytes {
        return r.bytes().await.expect("body").len() as u64;
    }
    let mut s = r.into_stream();
    let mut total = 0;
    while let Some(c) = s.next().await {
        total += c.expect("body").len() as u64;
    }
    total
}

fn key(size: u64, i: usize) -> Path {
    Path::from(format!("os-{size}-{i}"))
}

/// One round of `n` puts of new objects of `size` on each store, in turns
/// of `turn` puts, the stores taking turns, each turn after `sync()` (so
/// neither starts with the other's dirty pages still being written back):
/// each side's seconds (summed over its turns) and peak RSS. A disk's slow spell (writeback on a
/// shared virtual disk halves a put's speed for seconds at a time, on either
/// side) then falls on both sides alike, not on whichever round it hits.
async fn puts(
    stores: [&dyn ObjectStore; 2],
    data: &Bytes,
    size: u64,
    n: usize,
    turn: usize,
) -> [(f64, u64); 2] {
    let mut out = [(0.0, 0); 2];
    for first in (0..n).step_by(turn) {
        let last = (first + turn).min(n);
        for (store, side) in stores.iter().zip(out.iter_mut()) {
            // Every put makes a new object: a put over an old 64 MiB file
            // pays for freeing it (30 ms in `rename`), on both sides, and
            // only in the rounds after the first, so the rounds measured
            // different things.
            for i in first..last {
                match store.delete(&key(size, i)).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => panic!("delete: {e}"),
                }
            }
            unsafe { libc::sync() };
            let (secs, rss) = measure(async {
                for i in first..last {
                    store
                        .put(&key(size, i), payload(data, size))
                        .await
                        .expect("put");
                }
            })
            .await;
            side.0 += secs;
            side.1 = side.1.max(rss);
        }
    }
    out
}

/// Gets of the `n` objects on one store, streamed then with `bytes()`.
async fn gets(store: &dyn ObjectStore, size: u64, n: usize) -> [(f64, u64); 2] {
    let mut out = [(0.0, 0); 2];
    for (phase, how) in out.iter_mut().zip([Read::Stream, Read::Bytes]) {
        *phase = measure(async {
            for i in 0..n {
                assert_eq!(drain(store, &key(size, i), how).await, size);
            }
        })
        .await;
    }
    out
}

/// Rounds per row (the machine is shared, so each side keeps its fastest
/// round, as the other rows do).
const ROUNDS: usize = 5;

/// Each phase's best over `ROUNDS` rounds, (put, streamed get, `bytes()`
/// get) for (trove, native): puts in turns of `turn` (see [`puts`]), then
/// each side's gets, the sides alternating.
#[allow(clippy::type_complexity)]
async fn alternate(
    trove: &dyn ObjectStore,
    native: &dyn ObjectStore,
    data: &Bytes,
    size: u64,
    n: usize,
    turn: usize,
    with_get: bool,
) -> ([(f64, u64); 3], [(f64, u64); 3]) {
    let keep = |best: Option<[(f64, u64); 3]>, r: [(f64, u64); 3]| match best {
        None => r,
        Some(b) => std::array::from_fn(|i| if r[i].0 < b[i].0 { r[i] } else { b[i] }),
    };
    let none = (f64::INFINITY, 0);
    let (mut t, mut nat) = (None, None);
    for _ in 0..ROUNDS {
        let [tp, np] = puts([trove, native], data, size, n, turn).await;
        let ([tg, tb], [ng, nb]) = match with_get {
            true => (gets(trove, size, n).await, gets(native, size, n).await),
            false => ([none; 2], [none; 2]),
        };
        t = Some(keep(t, [tp, tg, tb]));
        nat = Some(keep(nat, [np, ng, nb]));
    }
    (t.expect("a round"), nat.expect("a round"))
}

/// Rows for `trove` against `native`: 64 MiB put and get, 1 KiB puts.
async fn compare(
    rows: &mut Vec<Row>,
    name: &str,
    trove: &dyn ObjectStore,
    native: &dyn ObjectStore,
    baseline: &'static str,
    small_n: usize,
) {
    let size = 64 * MIB;
    let data = distinct(size);
    let ([tp, tg, tb], [np, ng, nb]) =
        alternate(trove, native, &data, size, BIG_REPS, 1, true).await;
    let l = label(size);
    push_pair(
        rows,
        &format!("object_store {name} put {l}"),
        size,
        BIG_REPS,
        tp,
        np,
        baseline,
    );
    push_pair(
        rows,
        &format!("object_store {name} get {l}"),
        size,
        BIG_REPS,
        tg,
        ng,
        baseline,
    );
    push_pair(
        rows,
        &format!("object_store {name} get {l}, bytes()"),
        size,
        BIG_REPS,
        tb,
        nb,
        baseline,
    );
    let ([tp, _, _], [np, _, _]) =
        alternate(trove, native, &data, KIB, small_n, small_n / 10, false).await;
    push_pair(
        rows,
        &format!("object_store {name} put {}", label(KIB)),
        KIB,
        small_n,
        tp,
        np,
        baseline,
    );
}

/// The file rows: the file driver against `LocalFileSystem`, each in its own folder.
pub async fn file(rows: &mut Vec<Row>, host: &trove_host::Host, dir: &std::path::Path) {
    let troot = dir.join("os-trove-fs");
    let nroot = dir.join("os-native-fs");
    std::fs::create_dir_all(&nroot).unwrap();
    let d = host
        .open(&format!("file://{}", troot.display()))
        .await
        .unwrap();
    let _ = d.create_bucket("bench").await;
    let trove = TroveStore::new(d, "bench");
    let native = object_store::local::LocalFileSystem::new_with_prefix(&nroot).unwrap();
    compare(
        rows,
        "file",
        &trove,
        &native,
        "object_store LocalFileSystem",
        2_000,
    )
    .await;
}

/// The s3 rows: the s3 driver against `AmazonS3`, on the same server.
pub async fn s3(rows: &mut Vec<Row>, host: &trove_host::Host, dsn: &str) {
    let var = |n: &str| std::env::var(n).expect(n);
    let d = host.open(dsn).await.unwrap();
    for b in ["bench-os", "bench-os-native"] {
        let _ = d.create_bucket(b).await;
    }
    let trove = TroveStore::new(d, "bench-os");
    let native: Arc<dyn ObjectStore> = Arc::new(
        object_store::aws::AmazonS3Builder::new()
            .with_endpoint(var("TROVE_TEST_S3S_ENDPOINT"))
            .with_allow_http(true)
            .with_region("us-east-1")
            .with_bucket_name("bench-os-native")
            .with_access_key_id(var("TROVE_TEST_S3S_ACCESS_KEY"))
            .with_secret_access_key(var("TROVE_TEST_S3S_SECRET_KEY"))
            // As the trove s3 driver sends bodies of 1 MiB and more: not
            // hashed (object_store's default hashes every body to sign it).
            .with_unsigned_payload(true)
            .build()
            .expect("AmazonS3"),
    );
    compare(
        rows,
        "s3",
        &trove,
        native.as_ref(),
        "object_store AmazonS3",
        300,
    )
    .await;
}
