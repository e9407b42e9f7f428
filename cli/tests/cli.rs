//! The CLI as a user types it: real processes, real files, the built-in drivers.

use std::path::Path;
mod common;
use common::{bin, case_line, fails_with, keys_as_paths, ok, run, stderr, stdout};

fn file_dsn(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

#[test]
fn object_lifecycle_on_the_file_driver() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let dsn = file_dsn(&store);
    let src = dir.path().join("hello.txt");
    std::fs::write(&src, b"hello, trove\n").unwrap();
    let d = ["--dsn", dsn.as_str()];

    ok(&[&d[..], &["mb", "docs"]].concat());
    ok(&[
        &d[..],
        &[
            "put",
            "docs",
            "greet/hello.txt",
            src.to_str().unwrap(),
            "--content-type",
            "text/plain",
            "--meta",
            "Owner=Ann",
        ],
    ]
    .concat());

    let head: serde_json::Value = serde_json::from_str(&ok(&[
        &d[..],
        &["--json", "head", "docs", "greet/hello.txt"],
    ]
    .concat()))
    .unwrap();
    assert_eq!(head["key"], "greet/hello.txt");
    assert_eq!(head["size"], 13);
    assert_eq!(head["content_type"], "text/plain");
    assert_eq!(head["metadata"]["Owner"], "Ann");
    assert!(head["etag"].as_str().unwrap().len() >= 16);
    assert!(head["last_modified"].as_str().unwrap().ends_with('Z'));
    for field in [
        "key",
        "size",
        "etag",
        "content_type",
        "last_modified",
        "metadata",
        "version_id",
    ] {
        assert!(head.get(field).is_some(), "head --json lacks {field}");
    }

    let ls: serde_json::Value = serde_json::from_str(&ok(&[
        &d[..],
        &["--json", "ls", "docs", "--delimiter", "/"],
    ]
    .concat()))
    .unwrap();
    assert_eq!(ls["common_prefixes"], serde_json::json!(["greet/"]));
    assert_eq!(ls["objects"], serde_json::json!([]));
    assert!(ls["next_cursor"].is_null());

    // get to stdout, to a file, and a range
    assert_eq!(
        ok(&[&d[..], &["get", "docs", "greet/hello.txt"]].concat()),
        "hello, trove\n"
    );
    let out = dir.path().join("out.txt");
    ok(&[
        &d[..],
        &["get", "docs", "greet/hello.txt", out.to_str().unwrap()],
    ]
    .concat());
    assert_eq!(std::fs::read(&out).unwrap(), b"hello, trove\n");
    assert_eq!(
        ok(&[
            &d[..],
            &["get", "docs", "greet/hello.txt", "--range", "0-4"]
        ]
        .concat()),
        "hello"
    );
    assert_eq!(
        ok(&[&d[..], &["get", "docs", "greet/hello.txt", "--range", "-6"]].concat()),
        "trove\n"
    );

    // create-only put refuses to overwrite
    fails_with(
        &[
            &d[..],
            &[
                "put",
                "docs",
                "greet/hello.txt",
                src.to_str().unwrap(),
                "--if-none-match",
                "*",
            ],
        ]
        .concat(),
        "precondition-failed",
    );

    ok(&[
        &d[..],
        &["cp", "docs", "greet/hello.txt", "docs", "copy.txt"],
    ]
    .concat());
    let buckets: serde_json::Value =
        serde_json::from_str(&ok(&[&d[..], &["--json", "buckets"]].concat())).unwrap();
    assert_eq!(buckets[0]["name"], "docs");
    assert!(buckets[0].get("created").is_some());

    fails_with(&[&d[..], &["rb", "docs"]].concat(), "bucket-not-empty");
    ok(&[&d[..], &["rm", "docs", "greet/hello.txt"]].concat());
    ok(&[&d[..], &["rm", "docs", "copy.txt"]].concat());
    fails_with(
        &[&d[..], &["head", "docs", "copy.txt"]].concat(),
        "object-not-found",
    );
    ok(&[&d[..], &["rb", "docs"]].concat());
    fails_with(&[&d[..], &["ls", "docs"]].concat(), "bucket-not-found");
}

/// A folder marker on disk: the file `.trove-folder-marker` in its folder,
/// which a store written by hand (or by an earlier version) may hold too; the
/// keys the path rules still refuse; and the refusal of a key that would be
/// both an object and a folder.
#[test]
fn folder_markers_on_the_file_driver() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let dsn = file_dsn(&store);
    let d = ["--dsn", dsn.as_str()];
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    let empty = empty.to_str().unwrap();

    ok(&[&d[..], &["mb", "docs"]].concat());
    ok(&[&d[..], &["put", "docs", "photos/", empty]].concat());
    let marker = store.join("docs/photos/.trove-folder-marker");
    assert_eq!(std::fs::read(&marker).unwrap(), b"");
    // A marker made by hand lists as its folder's key.
    std::fs::create_dir_all(store.join("docs/old")).unwrap();
    std::fs::write(store.join("docs/old/.trove-folder-marker"), b"by hand").unwrap();
    std::fs::write(store.join("docs/old/a.txt"), b"a").unwrap();
    let ls: serde_json::Value =
        serde_json::from_str(&ok(&[&d[..], &["--json", "ls", "docs"]].concat())).unwrap();
    let keys: Vec<&str> = ls["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["old/", "old/a.txt", "photos/"]);
    assert_eq!(ok(&[&d[..], &["get", "docs", "old/"]].concat()), "by hand");

    // Deleting the last object under a marker keeps the folder; deleting the
    // marker keeps the folder's objects.
    ok(&[&d[..], &["put", "docs", "photos/cat.jpg", empty]].concat());
    ok(&[&d[..], &["rm", "docs", "photos/cat.jpg"]].concat());
    assert!(marker.exists());
    ok(&[&d[..], &["rm", "docs", "old/"]].concat());
    assert_eq!(ok(&[&d[..], &["get", "docs", "old/a.txt"]].concat()), "a");
    ok(&[&d[..], &["rm", "docs", "photos/"]].concat());
    assert!(
        !store.join("docs/photos").exists(),
        "an empty folder stays behind"
    );

    for key in [
        "/",
        "//",
        "a//",
        "a//b/",
        "x/.trove-folder-marker",
        ".trove-folder-marker/",
    ] {
        let err = fails_with(
            &[&d[..], &["put", "docs", key, empty]].concat(),
            "invalid-argument",
        );
        assert!(err.contains("stores keys as paths"), "{key:?}: {err}");
    }
    let err = fails_with(
        &[&d[..], &["put", "docs", "old/a.txt/", empty]].concat(),
        "invalid-argument",
    );
    assert!(
        err.contains(r#"key "old/a.txt/": "old/a.txt" is an object"#),
        "{err}"
    );
    let err = fails_with(
        &[&d[..], &["put", "docs", "old", empty]].concat(),
        "invalid-argument",
    );
    assert!(
        err.contains("cannot be both an object and a folder"),
        "{err}"
    );
}

#[test]
fn stdin_upload_and_paging_with_the_mem_driver() {
    // mem's state lives in one process, so paging across CLI calls is
    // checked on the file driver; mem answers through `run`.
    assert_eq!(ok(&["run", "mem", "--dsn", "mem://", "ping"]).trim(), "ok");
    let dir = tempfile::tempdir().unwrap();
    let dsn = file_dsn(dir.path());
    ok(&["--dsn", &dsn, "mb", "pages"]);
    for i in 0..5 {
        let mut c = bin();
        c.args(["--dsn", &dsn, "put", "pages", &format!("k{i}"), "-"]);
        c.stdin(std::process::Stdio::piped());
        let mut child = c
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("value {i}").as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
    let page: serde_json::Value = serde_json::from_str(&ok(&[
        "--dsn",
        &dsn,
        "--json",
        "ls",
        "pages",
        "--max-keys",
        "2",
    ]))
    .unwrap();
    assert_eq!(page["objects"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().expect("a cursor").to_string();
    let next: serde_json::Value = serde_json::from_str(&ok(&[
        "--dsn",
        &dsn,
        "--json",
        "ls",
        "pages",
        "--max-keys",
        "2",
        "--cursor",
        &cursor,
    ]))
    .unwrap();
    assert_eq!(next["objects"][0]["key"], "k2");
    let all: serde_json::Value = serde_json::from_str(&ok(&[
        "--dsn",
        &dsn,
        "--json",
        "ls",
        "pages",
        "--max-keys",
        "2",
        "--all",
    ]))
    .unwrap();
    let keys: Vec<_> = all["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys, ["k0", "k1", "k2", "k3", "k4"]);
    assert!(all["next_cursor"].is_null());
    assert_eq!(ok(&["--dsn", &dsn, "get", "pages", "k3"]), "value 3");
}

#[test]
fn bad_input_gives_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let mem = trove_host::builtin_component("mem").unwrap();
    // (file, its bytes, text the one error line must contain)
    let bad_files: [(&str, &[u8], &str); 4] = [
        ("notes.wasm", b"just some text", "not a WebAssembly file"),
        ("core.wasm", b"\0asm\x01\0\0\0", "core WebAssembly module"),
        ("truncated.wasm", &mem[..mem.len() / 2], ""),
        // an empty component: valid wasm, but not a driver of this contract
        (
            "empty-component.wasm",
            b"\0asm\x0d\0\x01\0",
            "trove:driver@0.2.0",
        ),
    ];
    for (name, bytes, text) in bad_files {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = fails_with(
            &["run", path.to_str().unwrap(), "--dsn", "mem://", "ping"],
            "invalid-driver",
        );
        assert!(err.contains(text), "{name}: {err}");
    }

    fails_with(&["ping", "--dsn", "nosuch://x"], "unknown-scheme");
    fails_with(
        &["run", "nosuch", "--dsn", "mem://", "ping"],
        "unknown-scheme",
    );
    fails_with(&["ping", "--dsn", "mem"], "invalid-dsn");
    fails_with(&["ping", "--dsn", ""], "invalid-dsn");
    fails_with(&["ping", "--dsn", "s3://host:99999/x"], "invalid-dsn");
    fails_with(&["ping", "--dsn", "file:///tmp/%zz"], "invalid-dsn");
    fails_with(&["ping"], "invalid-argument");

    // usage errors exit 2
    let o = run(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn password_is_never_printed() {
    let o = run(&["ping", "--dsn", "nosuch://user:hunter2@host/x"]);
    assert!(!stderr(&o).contains("hunter2"), "{}", stderr(&o));
    let o = run(&["ping", "--dsn", "s3://user:hunter2@host:99999/x"]);
    assert!(!stderr(&o).contains("hunter2"), "{}", stderr(&o));
}

#[test]
fn inspect_shows_exports_and_grants() {
    let dir = tempfile::tempdir().unwrap();
    let dsn = file_dsn(dir.path());
    let out = ok(&["inspect", "file", "--dsn", &dsn]);
    assert!(out.contains("trove:driver/core@0.2.0"), "{out}");
    assert!(
        out.contains(&format!(
            "dir: {} (read-write, preopened as /) (declared: {{path}}; allowed)",
            dir.path().canonicalize().unwrap().display()
        )),
        "{out}"
    );
    assert!(out.contains("network: none"), "{out}");
    assert!(out.contains("http: none (not declared)"), "{out}");
    assert!(out.contains(r#"declares:     {"dir":"{path}"}"#), "{out}");
    let v: serde_json::Value = serde_json::from_str(&ok(&["--json", "inspect", "mem"])).unwrap();
    assert_eq!(v["driver"], true);
    assert_eq!(v["contract"], "trove:driver@0.2.0");
    let drivers = ok(&["drivers"]);
    assert!(
        drivers.contains("mem") && drivers.contains("file"),
        "{drivers}"
    );
}

/// Runs the suite; its output.
fn conformance(driver: &str, dsn: &str) -> String {
    let o = run(&["conformance", driver, "--dsn", dsn]);
    let out = stdout(&o);
    let last = out.lines().last().unwrap_or_default().to_string();
    assert!(
        o.status.success(),
        "conformance {driver} failed:\n{out}\n{}",
        stderr(&o)
    );
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap_or(0);
    assert!(last.contains(" passed, 0 failed"), "{last}");
    assert!(passed >= 60, "only {passed} cases passed: {last}");
    out
}

#[test]
fn conformance_mem() {
    let out = conformance("mem", "mem://");
    for case in ["keys/folder-marker", "keys/object-and-prefix"] {
        assert!(case_line(&out, case).starts_with("ok "), "{out}");
    }
}

#[test]
fn conformance_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = conformance("file", &file_dsn(&dir.path().join("root")));
    keys_as_paths(&out);
}

// ---- hostile drivers: listings that never end, text that is not text ----

/// The hostile test driver (drivers/testing/hostile), built by host/build.rs.
fn hostile() -> String {
    std::path::Path::new(trove_host::GUEST_DIR)
        .join("trove_driver_hostile.wasm")
        .display()
        .to_string()
}

/// Peak RSS of a running process, in KiB (`VmHWM`), if it is still there.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One watched run of `trove-host`.
struct Watched {
    /// `None` when the watcher killed it.
    code: Option<i32>,
    /// Why the watcher killed it, if it did.
    killed: Option<String>,
    /// The first 64 KiB of stdout, and how many bytes it wrote in all.
    head: Vec<u8>,
    stdout_bytes: u64,
    stderr: Vec<u8>,
    elapsed: std::time::Duration,
    peak_kib: u64,
}

/// Runs `trove-host ARGS`, reading its stdout as it comes, and kills it when
/// it has written `enough` bytes (the expected end of an endless command),
/// when its peak RSS passes `max_rss_mib`, or after `limit`.
fn watched(args: &[&str], enough: u64, max_rss_mib: u64, limit: std::time::Duration) -> Watched {
    use std::io::Read;
    use std::process::Stdio;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let t0 = std::time::Instant::now();
    let mut child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("trove-host starts");
    let pid = child.id();
    let written = Arc::new(AtomicU64::new(0));
    let mut out = child.stdout.take().unwrap();
    let count = written.clone();
    let reader = std::thread::spawn(move || {
        let mut head = Vec::new();
        let mut buf = vec![0u8; 1 << 20];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            if head.len() < 64 << 10 {
                head.extend_from_slice(&buf[..n.min((64 << 10) - head.len())]);
            }
            count.fetch_add(n as u64, Ordering::Relaxed);
        }
        head
    });
    let mut err = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let mut peak_kib = 0;
    let mut killed = None;
    let code = loop {
        if let Some(k) = peak_rss_kib(pid) {
            peak_kib = peak_kib.max(k);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        let why = if peak_kib > max_rss_mib << 10 {
            Some(format!("peak RSS {} MiB", peak_kib >> 10))
        } else if written.load(Ordering::Relaxed) >= enough {
            Some(format!("wrote {} MiB", enough >> 20))
        } else if t0.elapsed() > limit {
            Some(format!("still running after {limit:?}"))
        } else {
            None
        };
        if let Some(why) = why {
            killed = Some(why);
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let elapsed = t0.elapsed();
    Watched {
        code,
        killed,
        head: reader.join().unwrap(),
        stdout_bytes: written.load(Ordering::Relaxed),
        stderr: err_reader.join().unwrap(),
        elapsed,
        peak_kib,
    }
}

#[test]
fn an_endless_listing_streams_in_flat_memory() {
    let wasm = hostile();
    // 200 MiB of text (about 13 pages of 1,000 keys of 16 KiB), then 64 MiB of JSON.
    for (json, enough) in [(false, 200u64 << 20), (true, 64 << 20)] {
        let mut args = vec!["run", wasm.as_str(), "--dsn", "hostile://"];
        if json {
            args.push("--json");
        }
        args.extend(["ls", "endless", "--all"]);
        let w = watched(&args, enough, 150, std::time::Duration::from_secs(120));
        println!(
            "ls endless --all{}: {} MiB out in {:.1?}, peak RSS {} MiB",
            if json { " --json" } else { "" },
            w.stdout_bytes >> 20,
            w.elapsed,
            w.peak_kib >> 10
        );
        assert_eq!(
            w.killed.as_deref(),
            Some(format!("wrote {} MiB", enough >> 20).as_str()),
            "stderr: {}",
            String::from_utf8_lossy(&w.stderr)
        );
        assert!(w.peak_kib < 150 << 10, "peak RSS {} KiB", w.peak_kib);
        let head = String::from_utf8_lossy(&w.head);
        if json {
            assert!(head.starts_with("{\"objects\":[{"), "{}", &head[..200]);
        } else {
            let first = head.lines().next().unwrap_or_default();
            assert!(first.contains("000000000000-xxxx"), "{}", &first[..100]);
        }
    }
}

#[test]
fn a_listing_that_does_not_advance_stops_with_one_error() {
    let wasm = hostile();
    for bucket in ["stuck", "empty-cursor"] {
        for json in [false, true] {
            let mut args = vec!["run", wasm.as_str(), "--dsn", "hostile://"];
            if json {
                args.push("--json");
            }
            args.extend(["ls", bucket, "--all"]);
            let w = watched(&args, 1 << 30, 150, std::time::Duration::from_secs(30));
            let err = String::from_utf8_lossy(&w.stderr);
            println!(
                "ls {bucket} --all{}: exit {:?} in {:.1?}: {}",
                if json { " --json" } else { "" },
                w.code,
                w.elapsed,
                err.trim()
            );
            assert_eq!(w.killed, None, "stderr: {err}");
            assert_eq!(w.code, Some(1), "stderr: {err}");
            let lines: Vec<&str> = err.lines().collect();
            assert_eq!(lines.len(), 1, "{err}");
            assert!(
                lines[0].starts_with("error: internal: the driver's listing does not advance: "),
                "{err}"
            );
            let why = if bucket == "stuck" {
                "page 2 handed back the cursor \"again\" again (page 1 did)"
            } else {
                "page 1 is empty but has a next cursor"
            };
            assert!(lines[0].ends_with(why), "{err}");
        }
    }
    // Without --all, one page and its cursor, as always.
    let out = ok(&["run", &wasm, "--dsn", "hostile://", "ls", "stuck"]);
    assert!(out.ends_with("  a\n(more: --cursor again)\n"), "{out}");
}

#[test]
fn driver_text_reaches_the_terminal_escaped() {
    let wasm = hostile();
    // A driver error full of ESC, BEL and C1 bytes.
    let o = run(&["run", &wasm, "--dsn", "hostile://", "head", "escape", "k"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("error: internal: "), "{err}");
    assert!(err.contains("\\u{1b}]0;pwned\\u{7}"), "{err}");
    // Names the driver hands back (hostile echoes the key): escaped in text,
    // exact in JSON.
    let key = "k\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}txt.exe";
    let o = run(&["run", &wasm, "--dsn", "hostile://", "head", "b", key]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("key:           k\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{9b}31m\\u{202e}txt.exe\n"),
        "{out}"
    );
    let v: serde_json::Value = serde_json::from_str(&ok(&[
        "run",
        &wasm,
        "--dsn",
        "hostile://",
        "--json",
        "head",
        "b",
        key,
    ]))
    .unwrap();
    assert_eq!(v["key"], key);
    for bytes in [&o.stdout, &o.stderr] {
        for bad in [
            &[0x1b][..],
            &[0x07],
            "\u{9b}".as_bytes(),
            "\u{202e}".as_bytes(),
        ] {
            assert!(
                !bytes.windows(bad.len()).any(|w| w == bad),
                "raw {bad:x?} in the output"
            );
        }
    }
    let o = run(&["run", &wasm, "--dsn", "hostile://", "head", "escape", "k"]);
    for bad in [&[0x1b][..], &[0x07], "\u{9b}".as_bytes()] {
        assert!(
            !o.stderr.windows(bad.len()).any(|w| w == bad),
            "raw {bad:x?} on stderr"
        );
    }
}

#[test]
fn conformance_on_an_endless_listing_fails_within_bounds() {
    let wasm = hostile();
    // Every listing of this driver is endless: 1,000 keys of 16 KiB a page.
    let w = watched(
        &[
            "conformance",
            &wasm,
            "--dsn",
            "hostile://endless-list",
            "--filter",
            "list/e",
        ],
        1 << 30,
        300,
        std::time::Duration::from_secs(120),
    );
    let out = String::from_utf8_lossy(&w.head);
    println!(
        "conformance (endless listings): exit {:?} in {:.1?}, peak RSS {} MiB\n{out}",
        w.code,
        w.elapsed,
        w.peak_kib >> 10
    );
    assert_eq!(w.killed, None, "{out}");
    assert_eq!(w.code, Some(1), "{out}");
    let failed: Vec<&str> = out.lines().filter(|l| l.starts_with("FAILED")).collect();
    assert!(failed.len() >= 3, "{out}");
    for line in failed {
        assert!(
            line.contains("list did not end within 16 MiB of names"),
            "{line}"
        );
    }
}

#[test]
fn serve_stops_promptly_on_sigterm_and_ctrl_c() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let mut child = bin()
            .args(["serve", "--dsn", "mem://", "--listen", "127.0.0.1:0"])
            .args(["--access-key", "ak", "--secret-key", "sk"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        assert!(first.starts_with("serving mem "), "{first}");
        let t0 = std::time::Instant::now();
        // SAFETY: a signal to the child we started.
        assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if t0.elapsed() > std::time::Duration::from_secs(10) {
                let _ = child.kill();
                panic!("serve still running 10 s after signal {sig}");
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        println!("serve stopped {:.1?} after signal {sig}", t0.elapsed());
        assert!(status.success(), "{status:?}");
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        assert_eq!(rest, ["stopped"]);
    }
}

#[test]
fn put_stores_content_headers_and_head_shows_them() {
    let dir = tempfile::tempdir().unwrap();
    let dsn = file_dsn(&dir.path().join("store"));
    let src = dir.path().join("notes.txt.gz");
    std::fs::write(&src, b"not really gzip").unwrap();
    let d = ["--dsn", dsn.as_str()];
    ok(&[&d[..], &["mb", "docs"]].concat());
    ok(&[
        &d[..],
        &[
            "put",
            "docs",
            "notes.txt.gz",
            src.to_str().unwrap(),
            "--cache-control",
            "no-cache",
            "--content-disposition",
            "attachment; filename=\"notes.txt\"",
            "--content-encoding",
            "gzip",
            "--content-language",
            "en",
            "--expires",
            "Thu, 01 Dec 2033 16:00:00 GMT",
        ],
    ]
    .concat());
    let text = ok(&[&d[..], &["head", "docs", "notes.txt.gz"]].concat());
    for line in [
        "cache-control: no-cache",
        "content-disposition: attachment; filename=\"notes.txt\"",
        "content-encoding: gzip",
        "content-language: en",
        "expires:       Thu, 01 Dec 2033 16:00:00 GMT",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line:?} missing in:\n{text}"
        );
    }
    let head: serde_json::Value =
        serde_json::from_str(&ok(
            &[&d[..], &["--json", "head", "docs", "notes.txt.gz"]].concat()
        ))
        .unwrap();
    assert_eq!(head["headers"]["content-encoding"], "gzip");
    assert_eq!(head["headers"]["expires"], "Thu, 01 Dec 2033 16:00:00 GMT");
    assert!(head["metadata"].as_object().unwrap().is_empty());
    // stored as given: the bytes are not decoded on the way out
    let out = dir.path().join("back");
    ok(&[
        &d[..],
        &["get", "docs", "notes.txt.gz", out.to_str().unwrap()],
    ]
    .concat());
    assert_eq!(std::fs::read(&out).unwrap(), b"not really gzip");
}
