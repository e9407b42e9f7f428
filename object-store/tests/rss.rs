//! Memory stays flat through `TroveStore`: a 1 GiB `put_multipart` and a
//! streamed get of it on the file driver (mem would hold the object in its
//! guest), with the peak RSS of this process under 150 MiB. Its own test
//! binary, with one test, so that nothing else counts; the peak is reset
//! (`clear_refs`) after the driver is opened, so it measures the transfer.
//! `TROVE_RSS_TEST_MIB` changes the size.

use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use trove_host::{Host, HostConfig};
use trove_object_store::TroveStore;

const MIB: usize = 1 << 20;
/// A `put_part` this size at a time, as `WriteMultipart` does.
const PART: usize = 8 * MIB;

fn size_mib() -> usize {
    std::env::var("TROVE_RSS_TEST_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}

/// Peak RSS (VmHWM) of this process, in MiB.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib / 1024
}

/// MiB number `i`: a pattern with `i` in its first 8 bytes.
fn block(i: usize) -> bytes::Bytes {
    static BASE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let base = BASE.get_or_init(|| {
        (0..MIB as u32)
            .map(|j| (j.wrapping_mul(2654435761) >> 24) as u8)
            .collect()
    });
    let mut b = base.clone();
    b[..8].copy_from_slice(&(i as u64).to_le_bytes());
    b.into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gib_put_multipart_and_streamed_get_keep_rss_under_150_mib() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(HostConfig {
        cache_dir: Some(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("compile-cache")),
        ..Default::default()
    })
    .unwrap();
    let driver = host
        .open(&format!("file://{}", dir.path().display()))
        .await
        .unwrap();
    driver.create_bucket("big").await.unwrap();
    let store = TroveStore::new(driver, "big");
    let path = Path::from("big/object.bin");
    let mib = size_mib();
    // Start counting here: the engine and the compiled driver are not the transfer.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = peak_rss_mib();

    let t = std::time::Instant::now();
    let mut upload = store.put_multipart(&path).await.unwrap();
    for p in 0..mib.div_ceil(PART / MIB) {
        let first = p * PART / MIB;
        let part: PutPayload = (first..(first + PART / MIB).min(mib)).map(block).collect();
        upload.put_part(part).await.unwrap();
    }
    upload.complete().await.unwrap();
    let put_s = t.elapsed().as_secs_f64();

    let t = std::time::Instant::now();
    let got = store.get(&path).await.unwrap();
    assert_eq!(got.meta.size, (mib * MIB) as u64);
    let mut body = got.into_stream();
    let mut pos = 0usize;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.unwrap();
        // Each MiB starts with its number (where the 8 bytes are in one chunk).
        let mut m = pos.div_ceil(MIB) * MIB;
        while m + 8 <= pos + chunk.len() {
            let at = m - pos;
            let n = u64::from_le_bytes(chunk[at..at + 8].try_into().unwrap());
            assert_eq!(n as usize, m / MIB, "MiB {} came back wrong", m / MIB);
            m += MIB;
        }
        pos += chunk.len();
    }
    assert_eq!(pos, mib * MIB);
    let get_s = t.elapsed().as_secs_f64();
    let peak = peak_rss_mib();
    println!(
        "{mib} MiB through TroveStore (file driver): put_multipart {put_s:.1}s ({:.0} MiB/s), \
         streamed get {get_s:.1}s ({:.0} MiB/s), peak RSS {peak} MiB (before the transfer {before} MiB)",
        mib as f64 / put_s,
        mib as f64 / get_s
    );
    assert!(peak < 150, "peak RSS {peak} MiB is not under 150 MiB");
}
