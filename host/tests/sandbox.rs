//! A driver that misbehaves gets a typed error within the deadline, its
//! instance is thrown away, and the host goes on serving. The hostile
//! driver is built from drivers/testing/hostile.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use trove_host::{ErrorKind, Host, HostConfig, Limits};

fn guest(name: &str) -> String {
    Path::new(env!("TROVE_GUEST_DIR"))
        .join(name)
        .display()
        .to_string()
}

fn host() -> Host {
    let limits = Limits {
        memory_bytes: 64 << 20,
        call_timeout: Duration::from_secs(2),
        ..Limits::default()
    };
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("compile-cache");
    Host::new(HostConfig {
        limits,
        cache_dir: Some(cache),
        ..Default::default()
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_misbehaviour_ends_in_a_typed_error_and_the_host_keeps_serving() {
    let host = host();
    let d = host
        .open_with(&guest("trove_driver_hostile.wasm"), "hostile://")
        .await
        .unwrap();
    let mem = host.open("mem://").await.unwrap();
    mem.create_bucket("alive").await.unwrap();
    for (bucket, kind, text) in [
        ("spin", ErrorKind::Timeout, "deadline"),
        ("sleep", ErrorKind::Timeout, "deadline"),
        ("panic", ErrorKind::DriverCrashed, "panics on purpose"),
        (
            "oom",
            ErrorKind::DriverCrashed,
            "memory limit of 64 MiB reached",
        ),
        // Rust keeps its stack in linear memory: overflowing it runs off the
        // bottom of memory, which traps as an out-of-bounds access.
        (
            "stack",
            ErrorKind::DriverCrashed,
            "out of bounds memory access",
        ),
    ] {
        let started = Instant::now();
        let err = d.head(bucket, "k").await.unwrap_err();
        let took = started.elapsed();
        println!("{bucket}: {} after {took:?}: {err}", err.kind());
        assert_eq!(err.kind(), kind, "{bucket}: {err}");
        assert!(err.to_string().contains(text), "{bucket}: {err}");
        if kind == ErrorKind::DriverCrashed {
            assert!(err.to_string().starts_with("driver crashed: "), "{err}");
        }
        assert!(took < Duration::from_secs(4), "{bucket} took {took:?}");
        assert_eq!(err.to_string().lines().count(), 1, "{err}");
        // The same driver answers again (a fresh instance), and so do others.
        assert_eq!(d.head("fine", "k").await.unwrap().key, "k");
        mem.list("alive", Default::default()).await.unwrap();
    }
}

#[tokio::test]
async fn a_driver_sees_no_environment_arguments_or_files() {
    std::env::set_var("TROVE_SECRET_FOR_TEST", "x");
    let d = host()
        .open_with(&guest("trove_driver_hostile.wasm"), "hostile://")
        .await
        .unwrap();
    let seen = d.head("env", "k").await.unwrap();
    assert_eq!(seen.key, "vars=0 args=0 root=0");
}

#[tokio::test]
async fn components_of_other_contracts_are_refused_clearly() {
    let err = host()
        .open_with(&guest("trove_driver_other_contract.wasm"), "x://")
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::InvalidDriver);
    let msg = err.to_string();
    assert!(msg.contains("not a driver for trove:driver@0.1.0"), "{msg}");
    assert!(msg.contains("trove:driver/core@0.2.0"), "{msg}");
}
