//! `trove-host new` as a newcomer uses it, outside this repository: the
//! generated project (Rust, Python, JavaScript) builds with its own
//! `build.sh` and passes the conformance suite with 0 failed (issue 15).
//! The Python and JavaScript build scripts install their toolchain once
//! under `$XDG_CACHE_HOME/trove-host/tools` (python3 and node/npm must be
//! there: scripts/setup-test-tools.sh installs them).

use std::path::PathBuf;
use std::process::Command;

mod common;
use common::{fails_with, ok, passes_the_suite, text};

/// A target folder the generated projects share between runs (CI keeps
/// `CARGO_TARGET_DIR`), so a second run does not rebuild their dependencies.
fn shared_target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("new-projects")
}

/// `new demo-LANG --lang LANG`, then `./build.sh`, then the suite.
fn new_builds_and_passes(lang: &str, file: &str) {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("demo-{lang}");
    let project = dir.path().join(&name);
    let started = std::time::Instant::now();
    let out = ok(&[
        "new",
        &name,
        "--lang",
        lang,
        "--dir",
        project.to_str().unwrap(),
    ]);
    let next = format!("trove-host conformance \"$(./build.sh)\" --dsn {name}://");
    assert!(out.contains(&next), "{out}");
    assert!(project.join(".trove/wit/core.wit").exists());
    assert!(project.join(file).exists());

    let o = Command::new(project.join("build.sh"))
        .env("CARGO_TARGET_DIR", shared_target())
        .output()
        .expect("build.sh runs");
    assert!(o.status.success(), "build.sh failed: {}", text(&o.stderr));
    let wasm = text(&o.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    let crate_name = name.replace('-', "_");
    assert!(
        wasm.ends_with(&format!("{crate_name}.wasm")),
        "last line: {wasm:?}"
    );
    let built = started.elapsed();

    let last = passes_the_suite(lang, &[&wasm, "--dsn", &format!("{name}://")]);
    println!(
        "{lang}: new → build {built:.1?} → {last} ({:.1?} in all)",
        started.elapsed()
    );
}

#[test]
fn a_new_rust_driver_builds_and_passes_the_suite() {
    new_builds_and_passes("rust", ".trove/drivers/sdk/src/lib.rs");
}

#[test]
fn a_new_python_driver_builds_and_passes_the_suite() {
    new_builds_and_passes("python", "app.py");
}

#[test]
fn a_new_javascript_driver_builds_and_passes_the_suite() {
    new_builds_and_passes("js", "app.js");
}

#[test]
fn new_refuses_bad_names_and_a_folder_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for bad in ["Demo", "1x", "a_b", "x-"] {
        fails_with(
            &["new", bad, "--dir", &format!("{d}/{bad}")],
            "invalid-argument",
        );
    }
    std::fs::write(dir.path().join("keep"), b"mine").unwrap();
    let err = fails_with(&["new", "demo", "--dir", d], "invalid-argument");
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(std::fs::read(dir.path().join("keep")).unwrap(), b"mine");
}
