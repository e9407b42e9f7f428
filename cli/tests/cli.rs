//! The CLI as a user types it: real processes, real files, the built-in drivers.

use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trove-host"));
    // Share one compile cache across tests so each driver compiles once.
    c.arg("--cache-dir")
        .arg(concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache"));
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("trove-host runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "trove-host {args:?} failed: {}",
        stderr(&o)
    );
    stdout(&o)
}

/// Fails with exit 1 and one `error: KIND: …` line naming `kind`.
#[track_caller]
fn fails_with(args: &[&str], kind: &str) -> String {
    let o = run(args);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "trove-host {args:?}: expected exit 1, stderr: {err}"
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "expected one error line, got: {err}");
    assert!(
        lines[0].starts_with(&format!("error: {kind}: ")),
        "expected kind {kind}: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    err
}

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
            "trove:driver@0.1.0",
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
    assert!(out.contains("trove:driver/core@0.1.0"), "{out}");
    assert!(
        out.contains(&format!(
            "filesystem: {}",
            dir.path().canonicalize().unwrap().display()
        )),
        "{out}"
    );
    assert!(out.contains("network: none"), "{out}");
    let v: serde_json::Value = serde_json::from_str(&ok(&["--json", "inspect", "mem"])).unwrap();
    assert_eq!(v["driver"], true);
    assert_eq!(v["contract"], "trove:driver@0.1.0");
    let drivers = ok(&["drivers"]);
    assert!(
        drivers.contains("mem") && drivers.contains("file"),
        "{drivers}"
    );
}

fn conformance(driver: &str, dsn: &str) {
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
}

#[test]
fn conformance_mem() {
    conformance("mem", "mem://");
}

#[test]
fn conformance_file() {
    let dir = tempfile::tempdir().unwrap();
    conformance("file", &file_dsn(&dir.path().join("root")));
}
