//! What the CLI tests share: running `trove-host` as a user types it.
#![allow(dead_code)]

use std::process::{Command, Output};

/// `trove-host` with one compile cache shared by the tests (each driver
/// compiles once).
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trove-host"));
    c.arg("--cache-dir")
        .arg(concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache"));
    c
}

/// Runs a project's `build.sh` (configured in `c`): it must succeed, and its
/// last line, the path of the built `.wasm`, is returned.
pub fn built(mut c: Command) -> String {
    let o = c.output().expect("build.sh runs");
    assert!(o.status.success(), "build.sh failed: {}", text(&o.stderr));
    text(&o.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("trove-host runs")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

pub fn stderr(o: &Output) -> String {
    text(&o.stderr)
}

/// Succeeds; returns stdout.
#[track_caller]
pub fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "trove-host {args:?} failed: {}",
        stderr(&o)
    );
    stdout(&o)
}

/// Fails with exit 1 and exactly one `error: KIND: …` line on stderr (log
/// warnings aside), never a panic; returns stderr.
#[track_caller]
pub fn fails_with(args: &[&str], kind: &str) -> String {
    let o = run(args);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "trove-host {args:?}: expected exit 1, stderr: {err}"
    );
    let lines: Vec<&str> = err.lines().filter(|l| !l.contains(" WARN ")).collect();
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

/// Runs `trove-host conformance ARGS…` and asserts the suite passed: exit 0,
/// a last line `N passed, 0 failed, …` with at least 100 passed. Prints that
/// line with `label`; returns it.
#[track_caller]
pub fn passes_the_suite(label: &str, args: &[&str]) -> String {
    let started = std::time::Instant::now();
    let mut all = vec!["conformance"];
    all.extend_from_slice(args);
    let o = run(&all);
    let out = stdout(&o);
    let last = out.lines().last().unwrap_or_default().to_string();
    println!("{label}: {last} in {:.1?}", started.elapsed());
    assert!(
        o.status.success() && last.contains(" passed, 0 failed"),
        "{label}: {last}\n{}\n{}",
        out.lines()
            .filter(|l| l.starts_with("FAILED"))
            .collect::<Vec<_>>()
            .join("\n"),
        stderr(&o)
    );
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap_or(0);
    assert!(passed >= 100, "{label}: only {passed} passed: {last}");
    last
}

/// The line the conformance suite printed for case `name`.
#[track_caller]
pub fn case_line<'a>(out: &'a str, name: &str) -> &'a str {
    let named =
        |l: &&str| l.split_whitespace().nth(1).map(|n| n.trim_end_matches(':')) == Some(name);
    let line = out.lines().find(named);
    line.unwrap_or_else(|| panic!("no line for {name}:\n{out}"))
}

/// For a driver that stores keys as paths (file, sftp), from the suite's
/// output: folder markers are stored, and a key that is both an object and a
/// folder is refused, the skip saying why in the driver's words.
#[track_caller]
pub fn keys_as_paths(out: &str) {
    let marker = case_line(out, "keys/folder-marker");
    assert!(marker.starts_with("ok "), "{marker}");
    let skip = case_line(out, "keys/object-and-prefix");
    assert!(
        skip.starts_with("skipped keys/object-and-prefix: the driver cannot store it: ")
            && skip.contains(r#"key "a/b/c": "a/b" is an object"#)
            && skip.contains("a key cannot be both an object and a folder"),
        "{skip}"
    );
}

/// A name no other test run uses: `prefix` and the clock's nanoseconds.
pub fn unique(prefix: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{:x}", n & 0xffff_ffff_ffff)
}
