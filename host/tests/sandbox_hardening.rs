//! Attacks from the independent hostile-driver corpus that once got through
//! the sandbox (issue 13), each written from its description: a poisoned or
//! corrupted compile cache, planted symlinks, memories in sibling instances,
//! a host stream longer than announced, a reader that ignores `max`, a
//! compile bomb, spinning instances starving the process, terminal escapes
//! in driver text, and a log flood. Run with `--nocapture` to see each
//! attack's outcome and the time it took to stop.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use trove_host::{DriverSource, ErrorKind, Host, HostConfig, Limits};

mod common;
use common::hostile;

fn small() -> Limits {
    Limits {
        memory_bytes: 64 << 20,
        call_timeout: Duration::from_secs(2),
        ..Limits::default()
    }
}

fn host(limits: Limits, cache_dir: Option<PathBuf>) -> Host {
    Host::new(HostConfig {
        limits,
        cache_dir,
        registry: common::registry(),
        ..Default::default()
    })
    .unwrap()
}

fn shared_cache() -> Option<PathBuf> {
    Some(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("compile-cache"))
}

fn report(attack: &str, started: Instant, outcome: &dyn std::fmt::Display) {
    println!(
        "ATTACK {attack:<48} | {:>9.2?} | {outcome}",
        started.elapsed()
    );
}

/// The one entry (`.trove-cwasm`) in a cache directory.
fn entry(dir: &Path) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "trove-cwasm"))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found.into_iter().next().unwrap()
}

// 1. The compile cache.

#[tokio::test]
async fn a_planted_cache_entry_is_never_run() {
    let tmp = tempfile::tempdir().unwrap();
    // The attacker's artifact: the hostile driver, compiled by a host.
    let theirs = tmp.path().join("theirs");
    host(small(), Some(theirs.clone()))
        .open_with(&hostile(), "hostile://")
        .await
        .unwrap();
    let planted = entry(&theirs);
    // Our cache holds the mem driver; the attacker puts their file in its place.
    let ours = tmp.path().join("ours");
    host(small(), Some(ours.clone()))
        .open("mem://")
        .await
        .unwrap();
    let mem_entry = entry(&ours);
    std::fs::copy(&planted, &mem_entry).unwrap();
    // And the MAC their host wrote for it.
    let mac = |p: &Path| p.with_extension("trove-mac");
    std::fs::copy(mac(&planted), mac(&mem_entry)).unwrap();

    let started = Instant::now();
    let h = host(small(), Some(ours.clone()));
    let d = h.open("mem://").await.unwrap();
    report(
        "a foreign artifact under mem's cache name",
        started,
        &format!("ran {:?}", d.info().name),
    );
    assert_eq!(d.info().name, "mem");
    assert!(!h.was_cached(&DriverSource::Builtin("mem")).unwrap());
    // The entry was rewritten with our own compile, and is used next time.
    let h = host(small(), Some(ours));
    assert!(h.was_cached(&DriverSource::Builtin("mem")).unwrap());
}

/// The file range of the `.text` section (the compiled machine code) of the
/// ELF image inside a cache entry.
fn code_section(entry: &[u8]) -> std::ops::Range<usize> {
    let elf = entry
        .windows(4)
        .position(|w| w == b"\x7fELF")
        .expect("an ELF image in the entry");
    let img = &entry[elf..];
    let u16_at = |o: usize| u16::from_le_bytes(img[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(img[o..o + 4].try_into().unwrap()) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(img[o..o + 8].try_into().unwrap()) as usize;
    let (shoff, shentsize, shnum, shstrndx) =
        (u64_at(0x28), u16_at(0x3a), u16_at(0x3c), u16_at(0x3e));
    let section = |i: usize| shoff + i * shentsize;
    let names = u64_at(section(shstrndx) + 24);
    for i in 0..shnum {
        let h = section(i);
        let name_at = names + u32_at(h);
        if img[name_at..].starts_with(b".text\0") {
            let (offset, size) = (u64_at(h + 24), u64_at(h + 32));
            return elf + offset..elf + offset + size;
        }
    }
    panic!("no .text section");
}

#[tokio::test]
async fn a_corrupted_cache_entry_is_recompiled_not_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    host(small(), Some(dir.clone()))
        .open("mem://")
        .await
        .unwrap();
    let path = entry(&dir);
    let mut bytes = std::fs::read(&path).unwrap();
    // Garbage machine code: every byte of the code section flipped. Run, it
    // would crash the whole process (SIGSEGV/SIGILL), not just the driver.
    let code = code_section(&bytes);
    assert!(code.len() > 1000, "{code:?}");
    for b in &mut bytes[code] {
        *b ^= 0xff;
    }
    std::fs::write(&path, &bytes).unwrap();
    let started = Instant::now();
    let h = host(small(), Some(dir.clone()));
    let d = h.open("mem://").await.unwrap();
    d.create_bucket("b").await.unwrap();
    d.put_bytes("b", "k", b"v".to_vec(), Default::default())
        .await
        .unwrap();
    report(
        "the code section of our own entry flipped",
        started,
        &"recompiled",
    );
    assert!(!h.was_cached(&DriverSource::Builtin("mem")).unwrap());
    // Truncated: also recompiled.
    std::fs::write(&path, &bytes[..40]).unwrap();
    let h = host(small(), Some(dir));
    h.open("mem://").await.unwrap();
    assert!(!h.was_cached(&DriverSource::Builtin("mem")).unwrap());
}

#[cfg(unix)]
#[tokio::test]
async fn a_cache_directory_others_can_write_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let h = host(small(), Some(dir.clone()));
    let d = h.open("mem://").await.unwrap();
    assert_eq!(d.info().name, "mem");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing is read from or written to a world-writable cache"
    );
    report("a 0777 cache directory", Instant::now(), &"bypassed");

    // Owned by another user (as root, the test can make one).
    if unsafe_geteuid() == 0 {
        let other = tmp.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::chown(&other, Some(65534), Some(65534)).unwrap();
        let h = host(small(), Some(other.clone()));
        h.open("mem://").await.unwrap();
        assert!(!h.was_cached(&DriverSource::Builtin("mem")).unwrap());
        assert_eq!(std::fs::read_dir(&other).unwrap().count(), 0);
        report(
            "a cache directory owned by uid 65534",
            Instant::now(),
            &"bypassed",
        );
    }
}

fn unsafe_geteuid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    // The owner of a file this process just made is its effective uid.
    let f = tempfile::NamedTempFile::new().unwrap();
    f.as_file().metadata().unwrap().uid()
}

// 2. Symlinks planted by the file driver.

#[tokio::test]
async fn a_driver_cannot_plant_symlinks_in_its_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    std::fs::create_dir_all(tmp.path().join("outside")).unwrap();
    std::fs::write(tmp.path().join("outside/secret"), b"secret").unwrap();
    let h = host(small(), shared_cache());
    let hostile = common::declaring(&hostile(), r#"{"dir":"{path}"}"#);
    let d = h
        .open_with(&hostile, &format!("file://{}", root.display()))
        .await
        .unwrap();
    let started = Instant::now();
    let seen = d.head("symlink", "k").await.unwrap();
    report("symlink-at l -> ../outside/secret", started, &seen.key);
    assert!(!seen.key.contains("made"), "{}", seen.key);
    assert!(seen.key.contains("not-permitted"), "{}", seen.key);
    for link in ["l", "l-dir"] {
        assert!(
            std::fs::symlink_metadata(root.join(link)).is_err(),
            "{link} was created"
        );
    }
}

// 4. Memory: the limit bounds all linear memories of an instance together.

/// The mem driver with `extra` more core instances, each with a memory of
/// `mib` MiB (printed to text, extended, parsed back).
fn mem_with_memories(extra: usize, mib: u32) -> Vec<u8> {
    let mem = trove_host::builtin_component("mem").unwrap();
    let mut text = wasmprinter::print_bytes(mem).unwrap();
    let end = text.trim_end().rfind(')').unwrap();
    let mut more = String::new();
    for i in 0..extra {
        let pages = mib * 16;
        more.push_str(&format!(
            "(core module $hog{i} (memory (export \"m\") {pages}))\n\
             (core instance $hog_i{i} (instantiate $hog{i}))\n"
        ));
    }
    text.insert_str(end, &more);
    wat::parse_str(&text).unwrap()
}

#[tokio::test]
async fn memories_in_sibling_instances_count_against_one_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(small(), None);
    // Two extra 16 MiB memories fit in 64 MiB together with mem's own.
    let fits = tmp.path().join("fits.wasm");
    std::fs::write(&fits, mem_with_memories(2, 16)).unwrap();
    let d = h.open_with(fits.to_str().unwrap(), "mem://").await.unwrap();
    d.create_bucket("b").await.unwrap();
    // Nine of them (144 MiB) do not, though each is within 64 MiB.
    let hog = tmp.path().join("hog.wasm");
    std::fs::write(&hog, mem_with_memories(9, 16)).unwrap();
    let started = Instant::now();
    let err = h
        .open_with(hog.to_str().unwrap(), "mem://")
        .await
        .err()
        .unwrap();
    report("9 memories of 16 MiB under a 64 MiB limit", started, &err);
    assert_eq!(err.kind(), ErrorKind::DriverCrashed, "{err}");
    assert!(err.to_string().contains("memory limit"), "{err}");
}

// 5 and 6. Bodies that break the contract.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_stream_longer_than_announced_fails_the_read() {
    let tmp = tempfile::tempdir().unwrap();
    let h = host(small(), shared_cache());
    let hostile = common::declaring(&hostile(), r#"{"dir":"{path}"}"#);
    let d = h
        .open_with(&hostile, &format!("file://{}", tmp.path().display()))
        .await
        .unwrap();
    let started = Instant::now();
    let (info, body) = d.get("long-host", "k", Default::default()).await.unwrap();
    assert_eq!(info.size, 10);
    let err = body.read_all().await.unwrap_err();
    report("a 4 MiB host stream announced as 10 bytes", started, &err);
    assert_eq!(err.kind(), ErrorKind::Internal, "{err}");
    assert!(err.to_string().contains("more than the 10 bytes"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_ignores_max_is_stopped_at_its_first_chunk() {
    let h = host(small(), shared_cache());
    let d = h.open_with(&hostile(), "hostile://").await.unwrap();
    let started = Instant::now();
    let (_, body) = d.get("greedy", "k", Default::default()).await.unwrap();
    let err = body.read_all().await.unwrap_err();
    report("8 MiB answered to read(max = 1 MiB)", started, &err);
    assert_eq!(err.kind(), ErrorKind::Internal, "{err}");
    assert!(
        err.to_string()
            .contains("returned 8388608 bytes to a read of at most 1048576"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

// 7. Compile bombs.

#[tokio::test]
async fn a_compile_bomb_is_refused_before_compiling() {
    let tmp = tempfile::tempdir().unwrap();
    // One function with 20,000 locals, all live across a loop: about 40 s
    // of register allocation if compiled (0.1 s × (N/1000)², measured).
    let mut body = String::new();
    for i in 0..20_000 {
        body.push_str(&format!("(local.set {i} (i64.const {i}))\n"));
    }
    body.push_str("(loop $l\n");
    for i in 0..20_000 {
        let next = (i + 1) % 20_000;
        body.push_str(&format!(
            "(local.set {i} (i64.add (local.get {i}) (local.get {next})))\n"
        ));
    }
    body.push_str("(br_if $l (i64.lt_u (local.get 0) (i64.const 1000))))\n");
    body.push_str("(local.get 0)\n");
    for i in 1..20_000 {
        body.push_str(&format!("(local.get {i}) (i64.add)\n"));
    }
    let wat = format!(
        "(component (core module (func (result i64) (local {}) {body})))",
        "i64 ".repeat(20_000)
    );
    let path = tmp.path().join("bomb.wasm");
    std::fs::write(&path, wat::parse_str(&wat).unwrap()).unwrap();
    let h = host(small(), None);
    let started = Instant::now();
    let err = h
        .open_with(path.to_str().unwrap(), "x://")
        .await
        .err()
        .unwrap();
    report("a function with 20,000 live locals", started, &err);
    assert_eq!(err.kind(), ErrorKind::InvalidDriver, "{err}");
    assert!(err.to_string().contains("over the compile budget"), "{err}");
    assert!(err.to_string().contains("locals"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_compile_past_the_compile_timeout_is_abandoned() {
    let h = host(
        Limits {
            compile_timeout: Duration::from_millis(1),
            ..small()
        },
        None,
    );
    let started = Instant::now();
    let err = h.open("file:///nonexistent-trove").await.err().unwrap();
    report("compile budget of 1 ms", started, &err);
    assert_eq!(err.kind(), ErrorKind::InvalidDriver, "{err}");
    assert!(
        err.to_string().contains("compiling took longer than 1ms"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

// 8. Spinning instances must not starve the process.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spinning_instances_on_every_worker_do_not_starve_other_requests() {
    let limits = Limits {
        call_timeout: Duration::from_secs(1),
        pool_size: 2,
        ..small()
    };
    let h = host(limits, shared_cache());
    let spinning = h.open_with(&hostile(), "hostile://").await.unwrap();
    let mem = h.open("mem://").await.unwrap();
    mem.create_bucket("alive").await.unwrap();
    mem.put_bytes("alive", "k", b"v".to_vec(), Default::default())
        .await
        .unwrap();
    let started = Instant::now();
    // Twenty spinning requests on two instances: both worker threads run guests.
    let storm: Vec<_> = (0..20)
        .map(|_| {
            let d = spinning.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let e = d.head("spin", "k").await.unwrap_err();
                (e.kind(), t.elapsed())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut slowest = Duration::ZERO;
    let mut calls = 0;
    while storm.iter().any(|j| !j.is_finished()) && started.elapsed() < Duration::from_secs(20) {
        let t = Instant::now();
        let (_, v) = mem
            .get_bytes("alive", "k", Default::default())
            .await
            .unwrap();
        assert_eq!(v, b"v");
        slowest = slowest.max(t.elapsed());
        calls += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut longest = Duration::ZERO;
    for j in storm {
        let (kind, took) = j.await.unwrap();
        assert_eq!(kind, ErrorKind::Timeout);
        longest = longest.max(took);
    }
    report(
        "20 spinning requests, 2 instances, 2 workers",
        started,
        &format!(
            "{calls} mem calls meanwhile, slowest {slowest:.2?}; longest spinning request {longest:.2?}"
        ),
    );
    // Each spinning request ends at about its 1 s deadline (running or
    // waiting for an instance), not behind the others.
    assert!(longest < Duration::from_secs(6), "{longest:?}");
    assert!(
        slowest < Duration::from_millis(800),
        "slowest mem call {slowest:?}"
    );
    assert!(calls > 20, "only {calls} mem calls");
}

// 12. Terminal escapes in driver text.

#[tokio::test]
async fn driver_text_comes_out_with_escapes_escaped() {
    let h = host(small(), shared_cache());
    let d = h.open_with(&hostile(), "hostile://").await.unwrap();
    for bucket in ["escape", "escape-panic"] {
        let started = Instant::now();
        let err = d.head(bucket, "k").await.unwrap_err();
        report(&format!("head {bucket}"), started, &err);
        let text = err.to_string();
        assert!(
            !text.chars().any(|c| c.is_control()),
            "raw control characters in {text:?}"
        );
        assert!(text.contains("\\u{1b}"), "{text}");
    }
}

// 13. The log import's budget.

#[test]
fn a_log_flood_is_cut_to_the_per_call_budget() {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let sink = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let h = host(small(), shared_cache());
        let d = h.open_with(&hostile(), "hostile://").await.unwrap();
        let started = Instant::now();
        d.head("log-flood", "100000").await.unwrap();
        let logged = buf.0.lock().unwrap().len();
        let text = String::from_utf8_lossy(&buf.0.lock().unwrap()).into_owned();
        report(
            "100,000 log messages in one call",
            started,
            &format!("{logged} bytes of host log"),
        );
        assert!(logged < 256 << 10, "{logged} bytes logged");
        assert!(
            text.contains("dropped 99744 log messages"),
            "{}",
            &text[text.len().saturating_sub(500)..]
        );
    });
}
