//! A driver that misbehaves gets a typed error within the deadline, its
//! instance is thrown away, and the host goes on serving. The hostile
//! driver is built from drivers/testing/hostile; its doc comment lists
//! every attack. Run with `--nocapture` to see each attack, the error it
//! produced and the time it took to stop (the figures of the issue's note).

use std::path::PathBuf;
use std::time::{Duration, Instant};
use trove_host::{Driver, Error, ErrorKind, Host, HostConfig, Limits, ListOptions};

/// The call deadline of the test hosts.
const DEADLINE: Duration = Duration::from_secs(2);
/// How long stopping may take beyond the deadline: about 0.05 s on an idle
/// machine, but up to 8 s was seen with every test sharing 2 loaded cores.
const SLACK: Duration = Duration::from_secs(10);

mod common;
use common::{guest, hostile};

fn host_with(limits: Limits) -> Host {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("compile-cache");
    Host::new(HostConfig {
        limits,
        cache_dir: Some(cache),
        registry: common::registry(),
        ..Default::default()
    })
    .unwrap()
}

/// A small sandbox: 64 MiB of memory, a 2 s deadline.
fn host() -> Host {
    host_with(Limits {
        memory_bytes: 64 << 20,
        call_timeout: DEADLINE,
        ..Limits::default()
    })
}

/// The deadline of [`host_defaults`]: building a million-entry answer takes
/// the guest a while on a busy machine, and it must be the size, not the
/// time, that stops it.
const LONG_DEADLINE: Duration = Duration::from_secs(8);

/// The default limits (1 GiB memory, 64 MiB hostcall data), an 8 s deadline:
/// a driver has room to build a huge answer in its own memory, and the host
/// must still refuse to take it.
fn host_defaults() -> Host {
    host_with(Limits {
        call_timeout: LONG_DEADLINE,
        ..Limits::default()
    })
}

/// Check and print one attack's outcome: its kind, a telling part of the
/// message, one line, within the deadline.
fn check(attack: &str, started: Instant, err: &Error, kind: ErrorKind, text: &str) {
    check_within(DEADLINE, attack, started, err, kind, text)
}

fn check_within(
    deadline: Duration,
    attack: &str,
    started: Instant,
    err: &Error,
    kind: ErrorKind,
    text: &str,
) {
    let took = started.elapsed();
    println!(
        "ATTACK {attack:<40} | {:<15} | {took:>10.2?} | {err}",
        err.kind().to_string()
    );
    assert_eq!(err.kind(), kind, "{attack}: {err}");
    assert!(err.to_string().contains(text), "{attack}: {err}");
    if kind == ErrorKind::DriverCrashed {
        assert!(err.to_string().starts_with("driver crashed: "), "{err}");
    }
    assert!(took < deadline + SLACK, "{attack} took {took:?}");
    assert_eq!(err.to_string().lines().count(), 1, "{err}");
    assert!(
        err.to_string().len() < 4096,
        "{attack}: a {} byte message",
        err.to_string().len()
    );
}

/// The driver and another one still answer.
async fn still_serving(d: &Driver, mem: &Driver) {
    assert_eq!(d.head("fine", "k").await.unwrap().key, "k");
    mem.list("alive", Default::default()).await.unwrap();
}

/// The hostile driver on a file DSN, granted (as `dir`) a new folder.
async fn hostile_on_a_folder(host: &Host) -> (tempfile::TempDir, Driver) {
    let root = tempfile::tempdir().unwrap();
    let dsn = format!("file://{}", root.path().display());
    let hostile = common::declaring(&hostile(), r#"{"dir":"{path}"}"#);
    let d = host.open_with(&hostile, &dsn).await.unwrap();
    (root, d)
}

async fn mem(host: &Host) -> Driver {
    let mem = host.open("mem://").await.unwrap();
    mem.create_bucket("alive").await.unwrap();
    mem
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_misbehaviour_ends_in_a_typed_error_and_the_host_keeps_serving() {
    let host = host();
    let d = host.open_with(&hostile(), "hostile://").await.unwrap();
    let mem = mem(&host).await;
    for (bucket, key, kind, text) in [
        ("spin", "k", ErrorKind::Timeout, "deadline"),
        ("sleep", "k", ErrorKind::Timeout, "deadline"),
        ("panic", "k", ErrorKind::DriverCrashed, "panics on purpose"),
        (
            "oom",
            "k",
            ErrorKind::DriverCrashed,
            "memory limit of 64 MiB reached",
        ),
        // Rust keeps its stack in linear memory: overflowing it runs off the
        // bottom of memory, which traps as an out-of-bounds access.
        (
            "stack",
            "k",
            ErrorKind::DriverCrashed,
            "out of bounds memory access",
        ),
        // 100 MiB does not fit in 64 MiB of memory: the guest traps first.
        (
            "huge-string",
            "100",
            ErrorKind::DriverCrashed,
            "memory limit of 64 MiB reached",
        ),
        // The component model's handle table is host memory: wasmtime caps
        // it per store (100,000 handles).
        (
            "handles",
            "k",
            ErrorKind::DriverCrashed,
            "handle limit exceeded",
        ),
    ] {
        let started = Instant::now();
        let err = d.head(bucket, key).await.unwrap_err();
        check(&format!("head {bucket}"), started, &err, kind, text);
        // The same driver answers again (a fresh instance), and so do others.
        still_serving(&d, &mem).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_or_get_that_never_returns_times_out() {
    let host = host();
    let mem = mem(&host).await;
    let started = Instant::now();
    let err = host
        .open_with(&hostile(), "hostile://spin-open")
        .await
        .err()
        .unwrap();
    check(
        "open loops forever",
        started,
        &err,
        ErrorKind::Timeout,
        "deadline",
    );
    mem.list("alive", Default::default()).await.unwrap();

    let d = host.open_with(&hostile(), "hostile://").await.unwrap();
    let started = Instant::now();
    let err = d.get("spin", "k", Default::default()).await.err().unwrap();
    check(
        "get loops forever",
        started,
        &err,
        ErrorKind::Timeout,
        "deadline",
    );
    still_serving(&d, &mem).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_misbehaves_mid_stream_fails_the_read() {
    let host = host();
    let d = host.open_with(&hostile(), "hostile://").await.unwrap();
    let mem = mem(&host).await;
    for (bucket, kind, text) in [
        // The host counts the bytes against the size the driver announced.
        (
            "endless",
            ErrorKind::Internal,
            "more than the 4194304 bytes it announced",
        ),
        (
            "short",
            ErrorKind::Internal,
            "body ended after 1048576 of 4194304 bytes",
        ),
        ("panic-mid", ErrorKind::DriverCrashed, "panics mid-stream"),
        ("spin-mid", ErrorKind::Timeout, "deadline"),
    ] {
        let started = Instant::now();
        let (_, body) = d.get(bucket, "k", Default::default()).await.unwrap();
        let err = body.read_all().await.unwrap_err();
        check(&format!("get {bucket} (reader)"), started, &err, kind, text);
        still_serving(&d, &mem).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_answers_are_refused_before_the_host_allocates_them() {
    // The guest has 1 GiB to build its answer in; what the host lifts out of
    // it is bounded by the hostcall limit (64 MiB by default), checked by
    // wasmtime before it allocates (strings, lists, each element).
    let host = host_defaults();
    let d = host.open_with(&hostile(), "hostile://").await.unwrap();
    let mem = mem(&host).await;
    let hostcall = "fuel allocated for hostcalls has been exhausted";

    let started = Instant::now();
    let err = d.head("huge-string", "100").await.unwrap_err();
    check_within(
        LONG_DEADLINE,
        "head returns a 100 MiB key",
        started,
        &err,
        ErrorKind::DriverCrashed,
        hostcall,
    );
    still_serving(&d, &mem).await;

    let list = |n: &str| ListOptions {
        prefix: Some(n.to_string()),
        ..Default::default()
    };
    let started = Instant::now();
    let err = d.list("huge-list", list("1000000")).await.unwrap_err();
    check_within(
        LONG_DEADLINE,
        "list returns 1,000,000 objects",
        started,
        &err,
        ErrorKind::DriverCrashed,
        hostcall,
    );
    still_serving(&d, &mem).await;

    // 100,000 keys that all point at the same 1 MiB: 100 GiB if lifted.
    let started = Instant::now();
    let err = d.list("alias", list("100000")).await.unwrap_err();
    check_within(
        LONG_DEADLINE,
        "list returns 100,000 aliased 1 MiB keys",
        started,
        &err,
        ErrorKind::DriverCrashed,
        hostcall,
    );
    still_serving(&d, &mem).await;

    let huge = host
        .open_with(&hostile(), "hostile://huge-buckets")
        .await
        .unwrap();
    let started = Instant::now();
    let err = huge.list_buckets().await.unwrap_err();
    check_within(
        LONG_DEADLINE,
        "list-buckets returns 1,500,000 entries",
        started,
        &err,
        ErrorKind::DriverCrashed,
        hostcall,
    );
    still_serving(&d, &mem).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_host_resources_hit_the_resource_limit() {
    let host = host();
    let (_root, d) = hostile_on_a_folder(&host).await;
    let mem = mem(&host).await;
    let started = Instant::now();
    let err = d.head("streams", "k").await.unwrap_err();
    check(
        "opens a file 1,000,000 times",
        started,
        &err,
        ErrorKind::DriverCrashed,
        "resource table",
    );
    still_serving(&d, &mem).await;
}

/// A file's write streams: a write larger than any permit is refused before
/// the host copies it, and writes that ignore `check-write` end in a crash
/// once the instance's budget of bytes in flight is spent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_write_streams_refuse_writes_past_their_permits() {
    let host = host();
    let (root, d) = hostile_on_a_folder(&host).await;
    let mem = mem(&host).await;

    let started = Instant::now();
    let err = d.head("oversized-write", "k").await.unwrap_err();
    check(
        "writes 2 MiB to a file stream in one call",
        started,
        &err,
        ErrorKind::DriverCrashed,
        "more than check-write permits",
    );
    let flood = root.path().join("flood");
    assert_eq!(
        std::fs::metadata(&flood).unwrap().len(),
        0,
        "nothing was written"
    );
    still_serving(&d, &mem).await;

    // How far the flood gets depends on how fast the writes land: once the
    // budget is spent the next write traps; should every write land before
    // the next is handed over, it goes on until done or the deadline. In
    // every case the host holds no more than the budget.
    reset_peak_rss();
    let before = peak_rss_mib();
    let started = Instant::now();
    let r = d.head("write-flood", "k").await;
    let grew = peak_rss_mib().saturating_sub(before);
    println!("write-flood: peak RSS {before} MiB before, +{grew} MiB during");
    match r {
        Err(err) if err.kind() == ErrorKind::Timeout => {
            println!("write-flood: the writes kept landing until the deadline")
        }
        Err(err) => check(
            "writes 1 MiB to each of 5,000 streams without asking",
            started,
            &err,
            ErrorKind::DriverCrashed,
            "more bytes than check-write permitted",
        ),
        Ok(_) => println!("write-flood: every write landed in time"),
    }
    assert!(std::fs::metadata(&flood).unwrap().len() <= 1 << 20);
    // Unbounded, 5,000 writes of 1 MiB would be 5 GiB; other tests of this
    // binary run meanwhile, so the bound is loose.
    assert!(grew < 512, "RSS grew by {grew} MiB");
    still_serving(&d, &mem).await;
}

/// Peak resident set size of this process since [`reset_peak_rss`], in MiB
/// (Linux).
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status");
    kib / 1024
}

fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

/// 5,000 file read streams, each of which would read 1 MiB ahead, hold no
/// more than the instance's read budget in the host: the streams past it do
/// not read ahead (their reads are on demand), and none of them waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_read_streams_share_a_bounded_read_ahead() {
    // 5,000 reads take a while in a debug build on a busy machine.
    let host = host_with(Limits {
        memory_bytes: 64 << 20,
        call_timeout: LONG_DEADLINE,
        ..Limits::default()
    });
    let (_root, d) = hostile_on_a_folder(&host).await;
    let mem = mem(&host).await;
    reset_peak_rss();
    let before = peak_rss_mib();
    let r = d.head("read-flood", "k").await;
    let grew = peak_rss_mib().saturating_sub(before);
    println!("read-flood: peak RSS {before} MiB before, +{grew} MiB during");
    r.expect("5,000 streams read 64 KiB each, without waiting for one another");
    // Other tests of this binary run meanwhile: the bound is loose, the
    // unbounded case would be 5 GiB (measured: +1,550 MiB in 2 s).
    assert!(grew < 512, "RSS grew by {grew} MiB");
    still_serving(&d, &mem).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_drivers_are_served_while_one_spins() {
    let host = host();
    let d = host.open_with(&hostile(), "hostile://").await.unwrap();
    let mem = mem(&host).await;
    mem.put_bytes("alive", "k", b"v".to_vec(), Default::default())
        .await
        .unwrap();
    let spinning = tokio::spawn(async move {
        let started = Instant::now();
        let e = d.head("spin", "k").await.unwrap_err();
        (e, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut calls = 0;
    let mut slowest = Duration::ZERO;
    while !spinning.is_finished() {
        let t = Instant::now();
        let (_, v) = mem
            .get_bytes("alive", "k", Default::default())
            .await
            .unwrap();
        assert_eq!(v, b"v");
        slowest = slowest.max(t.elapsed());
        calls += 1;
    }
    let (err, took) = spinning.await.unwrap();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    println!(
        "while a driver spun for {took:.2?}: {calls} calls to mem, the slowest took {slowest:.2?}"
    );
    assert!(calls > 10, "only {calls} calls to mem in {took:?}");
    // Generous: the test machine has 2 cores shared with builds.
    assert!(
        slowest < Duration::from_secs(2),
        "slowest mem call {slowest:?}"
    );
}

#[tokio::test]
async fn a_driver_sees_no_environment_arguments_or_files() {
    std::env::set_var("TROVE_SECRET_FOR_TEST", "x");
    let d = host().open_with(&hostile(), "hostile://").await.unwrap();
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
    assert!(
        msg.contains("built against trove:driver@0.1.0 (trove:driver/core@0.1.0)"),
        "{msg}"
    );
    assert!(
        msg.contains("this host speaks trove:driver@0.2.0: rebuild the driver against 0.2.0"),
        "{msg}"
    );
}

/// A name other than `localhost` that /etc/hosts maps to a loopback address
/// (e.g. the sandbox's own host name).
fn loopback_alias() -> String {
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    hosts
        .lines()
        .map(|l| {
            l.split('#')
                .next()
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
        })
        .filter(|f| f.len() >= 2)
        .filter(|f| {
            f[0].parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
        })
        .flat_map(|f| f[1..].iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .find(|n| n != "localhost" && !n.ends_with(".localhost") && !n.starts_with("ip6-"))
        .expect(
            "this test needs a name other than localhost that /etc/hosts maps to 127.0.0.1 \
             (add e.g. `127.0.0.1 trove-loopback-test` to /etc/hosts)",
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_to_anything_not_granted_is_refused() {
    let host = host();
    let wasm = common::declaring(
        &guest("trove_driver_hostile_http.wasm"),
        r#"{"http":[["{endpoint}"]]}"#,
    );
    let mem = mem(&host).await;
    // Granted: http://127.0.0.1:9 only (the DSN's endpoint).
    let d = host
        .open_with(&wasm, "s3://bucket?endpoint=http://127.0.0.1:9")
        .await
        .unwrap();
    for (attack, url, kind, text) in [
        (
            "http to a host not granted",
            "http://example.com/",
            ErrorKind::PermissionDenied,
            "not granted",
        ),
        (
            "http to another port of the granted host",
            "http://127.0.0.1:22/",
            ErrorKind::PermissionDenied,
            "not granted",
        ),
        (
            "http to 169.254.169.254 (metadata)",
            "http://169.254.169.254/latest/meta-data/",
            ErrorKind::PermissionDenied,
            "not granted",
        ),
        (
            "http to a URI without a host",
            "file:///etc/passwd",
            ErrorKind::PermissionDenied,
            "refused by the host",
        ),
        (
            "http to a URI without a host (unix)",
            "unix:/var/run/docker.sock",
            ErrorKind::PermissionDenied,
            "refused by the host",
        ),
        (
            "http to a malformed URI",
            "http://:80/",
            ErrorKind::InvalidArgument,
            "bad request URL",
        ),
    ] {
        // The same checks whichever function of the import the driver calls.
        for mode in ["send", "async", "writer"] {
            let started = Instant::now();
            let err = d.head(mode, url).await.unwrap_err();
            check(&format!("{attack} ({mode})"), started, &err, kind, text);
        }
        mem.list("alive", Default::default()).await.unwrap();
    }

    // A name that resolves to 127.0.0.1, granted by name only: the
    // resolver refuses the loopback address the name leads to.
    let alias = loopback_alias();
    let d = host
        .open_with(&wasm, &format!("s3://bucket?endpoint=http://{alias}:9"))
        .await
        .unwrap();
    let started = Instant::now();
    let err = d
        .head("b", &format!("http://{alias}:9/"))
        .await
        .unwrap_err();
    check(
        &format!("http to {alias} (resolves to 127.0.0.1)"),
        started,
        &err,
        ErrorKind::PermissionDenied,
        "loopback",
    );
    mem.list("alive", Default::default()).await.unwrap();
}

/// A driver that declares no http grant gets none: the import refuses it.
#[tokio::test]
async fn the_http_import_refuses_a_driver_without_an_http_grant() {
    let host = host();
    // The test driver as built: it declares nothing.
    let wasm = guest("trove_driver_hostile_http.wasm");
    let d = host
        .open_with(&wasm, "s3://bucket?endpoint=http://127.0.0.1:9")
        .await
        .unwrap();
    let started = Instant::now();
    let err = d.head("b", "http://127.0.0.1:9/").await.unwrap_err();
    check(
        "http without an http grant",
        started,
        &err,
        ErrorKind::PermissionDenied,
        "no http grant",
    );
}

/// One-shot HTTP servers on loopback: each answers every connection with
/// `reply` and counts the connections.
fn answering(reply: &'static str) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(reply.as_bytes());
        }
    });
    (port, seen)
}

/// A one-connection-at-a-time HTTP server on loopback answering 200 with
/// the request's body (Content-Length or chunked).
fn echoing() -> u16 {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let mut r = BufReader::new(conn.try_clone().unwrap());
            let (mut length, mut chunked) = (0usize, false);
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let l = line.trim_end().to_ascii_lowercase();
                if l.is_empty() {
                    break;
                }
                if let Some(v) = l.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                chunked |= l.starts_with("transfer-encoding:") && l.contains("chunked");
            }
            let mut body = Vec::new();
            if chunked {
                loop {
                    let mut size = String::new();
                    if r.read_line(&mut size).unwrap_or(0) == 0 {
                        break;
                    }
                    let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                    let mut chunk = vec![0u8; n + 2];
                    if n == 0 || r.read_exact(&mut chunk).is_err() {
                        break;
                    }
                    body.extend_from_slice(&chunk[..n]);
                }
            } else {
                body.resize(length, 0);
                if r.read_exact(&mut body).is_err() {
                    continue;
                }
            }
            let mut conn = conn;
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(&body);
        }
    });
    port
}

/// The hostile-http driver, declaring `{endpoint}`, opened on a DSN whose
/// endpoint is `http://127.0.0.1:PORT`.
async fn granted_loopback(host: &Host, port: u16) -> Driver {
    let wasm = common::declaring(
        &guest("trove_driver_hostile_http.wasm"),
        r#"{"http":[["{endpoint}"]]}"#,
    );
    host.open_with(
        &wasm,
        &format!("s3://bucket?endpoint=http://127.0.0.1:{port}"),
    )
    .await
    .unwrap()
}

/// A body the driver writes as it goes (`start`, `body-writer`) arrives
/// whole; one shorter than the driver promised is refused; a request sent
/// with `send-async` is answered through `pending.wait`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_the_driver_writes_arrives_whole_and_a_short_one_is_refused() {
    let host = host();
    let port = echoing();
    let d = granted_loopback(&host, port).await;
    let url = format!("http://127.0.0.1:{port}/k");
    let answer = d.head("writer", &url).await.unwrap();
    assert_eq!(answer.key, format!("{url} answered 200: hello"));
    let answer = d.head("async", &url).await.unwrap();
    assert_eq!(answer.key, format!("{url} answered 200: "));
    let err = d.head("short", &url).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(
        err.to_string().contains("not the 10 given to start"),
        "{err}"
    );
    // The driver is still usable.
    let answer = d.head("writer", &url).await.unwrap();
    assert_eq!(answer.key, format!("{url} answered 200: hello"));
}

/// The http import follows no redirect (a 302 comes back to the driver) and
/// uses no proxy, whatever the host's environment says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_redirect_is_followed_and_no_proxy_is_used() {
    use std::sync::atomic::Ordering;
    let host = host();
    let (elsewhere, elsewhere_seen) = answering("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
    let (proxy, proxy_seen) = answering("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
    let redirect: &'static str = Box::leak(
        format!(
            "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{elsewhere}/\r\ncontent-length: 0\r\n\r\n"
        )
        .into_boxed_str(),
    );
    let (port, seen) = answering(redirect);
    // A proxy in the environment: the host must not use it.
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        std::env::set_var(var, format!("http://127.0.0.1:{proxy}"));
    }
    let d = granted_loopback(&host, port).await;
    let url = format!("http://127.0.0.1:{port}/k");
    let answer = d.head("b", &url).await.unwrap();
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        std::env::remove_var(var);
    }
    assert_eq!(answer.key, format!("{url} answered 302: "));
    assert_eq!(seen.load(Ordering::SeqCst), 1, "the server itself answered");
    assert_eq!(
        elsewhere_seen.load(Ordering::SeqCst),
        0,
        "the redirect was not followed"
    );
    assert_eq!(
        proxy_seen.load(Ordering::SeqCst),
        0,
        "the proxy was not used"
    );
}

/// A declaration can name any origin, but not make a local address reachable:
/// only a host the DSN itself names may be (or resolve to) loopback, private
/// or metadata addresses. The driver here declares the metadata address and
/// a loopback port as literals, and the user allowed it http.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_local_address_the_dsn_does_not_name_is_refused() {
    let host = host();
    let wasm = common::declaring(
        &guest("trove_driver_hostile_http.wasm"),
        r#"{"http":[["http://169.254.169.254", "http://127.0.0.1:9", "{endpoint}"]]}"#,
    );
    let d = host
        .open_with(&wasm, "s3://bucket?endpoint=http://127.0.0.2:9")
        .await
        .unwrap();
    for (attack, url) in [
        (
            "declared metadata address, DSN names another",
            "http://169.254.169.254/latest/meta-data/",
        ),
        (
            "declared loopback port, DSN names another",
            "http://127.0.0.1:9/",
        ),
    ] {
        let started = Instant::now();
        let err = d.head("b", url).await.unwrap_err();
        check(
            attack,
            started,
            &err,
            ErrorKind::PermissionDenied,
            "loopback/private/link-local/metadata",
        );
    }
    // The address the DSN names is reachable (nothing listens: unavailable,
    // not a refusal).
    let err = d.head("b", "http://127.0.0.2:9/").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
}

#[tokio::test]
async fn any_file_that_is_not_a_driver_component_is_refused_cleanly() {
    let host = host();
    let dir = tempfile::tempdir().unwrap();
    let mem = std::fs::read(guest("trove_driver_mem.wasm")).unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut random = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect()
    };
    let component_header = b"\0asm\x0d\0\x01\0".to_vec();
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), Vec::new()),
        ("a core module".into(), b"\0asm\x01\0\0\0".to_vec()),
        ("an unknown layer".into(), b"\0asm\x0d\0\x02\0".to_vec()),
        ("a bare component header".into(), component_header.clone()),
        ("half a driver".into(), mem[..mem.len() / 2].to_vec()),
        (
            "a driver missing its last byte".into(),
            mem[..mem.len() - 1].to_vec(),
        ),
    ];
    for i in 0..20 {
        cases.push((format!("random bytes #{i}"), random(1 + i * 97)));
        let mut garbage = component_header.clone();
        garbage.extend(random(1 + i * 31));
        cases.push((format!("a component header then garbage #{i}"), garbage));
        // A driver with a few bytes flipped somewhere in its middle.
        let mut flipped = mem.clone();
        let at = mem.len() / 3 + i * 1013;
        flipped[at] ^= 0xff;
        cases.push((format!("a driver with byte {at} flipped"), flipped));
    }
    let mut refused = 0;
    for (what, bytes) in cases {
        let path = dir.path().join("bad.wasm");
        std::fs::write(&path, &bytes).unwrap();
        match host.open_with(path.to_str().unwrap(), "x://").await {
            Err(err) => {
                assert_eq!(err.kind(), ErrorKind::InvalidDriver, "{what}: {err}");
                assert_eq!(err.to_string().lines().count(), 1, "{what}: {err}");
                refused += 1;
            }
            // A flipped byte inside a data segment or a name can leave a valid
            // component: then it must still behave as a (sandboxed) driver.
            Ok(d) => {
                let _ = d.list_buckets().await;
            }
        }
    }
    println!("bad .wasm files: {refused} refused as invalid-driver, none panicked");
    assert!(refused >= 40, "only {refused} refused");
}
