//! `trove-host new` as a newcomer uses it, outside this repository: the
//! generated project (Rust, Python, JavaScript) builds with its own
//! `build.sh` and passes the conformance suite with 0 failed (issue 15).
//! The Python and JavaScript build scripts install their toolchain once
//! under `$XDG_CACHE_HOME/trove-host/tools` (python3 and node/npm must be
//! there: scripts/setup-test-tools.sh installs them).

use std::path::PathBuf;
use std::process::Command;

mod common;
use common::{built, fails_with, ok, passes_the_suite};

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
    let name = format!("demo-{lang}");
    let next = format!("trove-host conformance \"$(./build.sh)\" --dsn {name}://");
    let dsn = format!("{name}://");
    new_kind_builds_and_passes(lang, "mem", &name, &next, file, &[&dsn]);
}

/// `new NAME --lang LANG --kind KIND`: the output names the `next` command;
/// `./build.sh` builds; the suite passes with `suite` (DSN and options).
fn new_kind_builds_and_passes(
    lang: &str,
    kind: &str,
    name: &str,
    next: &str,
    file: &str,
    suite: &[&str],
) {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join(name);
    let started = std::time::Instant::now();
    let out = ok(&[
        "new",
        name,
        "--lang",
        lang,
        "--kind",
        kind,
        "--dir",
        project.to_str().unwrap(),
    ]);
    assert!(out.contains(next), "{out}");
    assert!(project.join(".trove/wit/core.wit").exists());
    assert!(project.join(file).exists());

    let mut build = Command::new(project.join("build.sh"));
    build.env("CARGO_TARGET_DIR", shared_target());
    let wasm = built(build);
    let crate_name = name.replace('-', "_");
    assert!(
        wasm.ends_with(&format!("{crate_name}.wasm")),
        "last line: {wasm:?}"
    );
    let built = started.elapsed();

    let mut args = vec![wasm.as_str(), "--dsn"];
    args.extend_from_slice(suite);
    let last = passes_the_suite(lang, &args);
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

/// `--kind http`: a driver over HTTP (WebDAV to begin with) that declares
/// `{endpoint}`, passing the suite against the real WsgiDAV server once the
/// user allows it http.
#[test]
fn a_new_http_driver_builds_and_passes_the_suite_against_a_webdav_server() {
    let dav = std::env::var("TROVE_TEST_WSGIDAV_DSN").unwrap_or_else(|_| {
        panic!(
            "TROVE_TEST_WSGIDAV_DSN is not set: start the server with \
             scripts/servers/wsgidav.sh start and source its .env (scripts/test.sh does)"
        )
    });
    let name = "demo-http";
    let dsn = dav.replacen("dav://", &format!("{name}://"), 1);
    let next = format!("trove-host --allow {name}:http conformance \"$(./build.sh)\"");
    new_kind_builds_and_passes(
        "rust",
        "http",
        name,
        &next,
        "src/dav.rs",
        &[&dsn, "--allow", "demo-http:http"],
    );
}

#[test]
fn kind_http_in_another_language_is_refused_with_the_way_forward() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("x");
    let d = d.to_str().unwrap();
    let args = ["new", "x", "--lang", "python", "--kind", "http", "--dir", d];
    let err = fails_with(&args, "invalid-argument");
    assert!(
        err.contains("--kind http is written for --lang rust"),
        "{err}"
    );
    assert!(!dir.path().join("x").exists(), "nothing written");
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
