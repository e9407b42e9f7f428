//! 1,000 crashes of a hostile driver leave the host's memory flat. Its own
//! test binary, so that no other test allocates in the process meanwhile.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use trove_host::{ErrorKind, Host, HostConfig, Limits};

/// Resident set size of this process, in KiB (Linux).
fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

const REPETITIONS: usize = 1000;
/// Allowed growth over 1,000 crashes (allocator noise, lazily grown pools).
const TOLERANCE_MIB: u64 = 32;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_crashes_leave_rss_flat() {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("compile-cache");
    let host = Host::new(HostConfig {
        limits: Limits {
            memory_bytes: 64 << 20,
            // Short, so that the timeouts among the crashes keep the test
            // quick, yet long enough for an instantiation on a busy machine.
            call_timeout: Duration::from_millis(500),
            ..Limits::default()
        },
        cache_dir: Some(cache),
        ..Default::default()
    })
    .unwrap();
    let wasm = Path::new(env!("TROVE_GUEST_DIR")).join("trove_driver_hostile.wasm");
    let d = host
        .open_with(&wasm.display().to_string(), "hostile://")
        .await
        .unwrap();
    let attacks = [
        "panic",
        "stack",
        "oom",
        "handles",
        "huge-string",
        "panic-mid",
        "endless",
    ];
    let crash = |i: usize| {
        let d = d.clone();
        async move {
            // One in 50 is a CPU timeout (each costs the whole deadline).
            let attack = if i % 50 == 49 {
                "spin"
            } else {
                attacks[i % attacks.len()]
            };
            let err = match attack {
                "panic-mid" | "endless" => {
                    let (_, body) = d.get(attack, "k", Default::default()).await.unwrap();
                    body.read_all().await.unwrap_err()
                }
                _ => d.head(attack, "100").await.unwrap_err(),
            };
            assert!(
                matches!(
                    err.kind(),
                    ErrorKind::DriverCrashed | ErrorKind::Timeout | ErrorKind::Internal
                ),
                "{attack}: {err}"
            );
            assert_eq!(d.head("fine", "k").await.unwrap().key, "k");
        }
    };
    // Warm up: pools, caches and the allocator reach their steady size.
    for i in 0..2 * attacks.len() * 4 {
        crash(i).await;
    }
    let before = vm_rss_kib();
    let started = Instant::now();
    for i in 0..REPETITIONS {
        crash(i).await;
    }
    let after = vm_rss_kib();
    let grew = after.saturating_sub(before) / 1024;
    println!(
        "{REPETITIONS} crashes ({}, spin) in {:.1?}: VmRSS {} MiB before, {} MiB after (+{grew} MiB)",
        attacks.join(", "),
        started.elapsed(),
        before / 1024,
        after / 1024
    );
    assert!(
        grew <= TOLERANCE_MIB,
        "RSS grew by {grew} MiB over {REPETITIONS} crashes (tolerance {TOLERANCE_MIB} MiB)"
    );
}
