//! The drivers written in Python (drivers-py/mem) and JavaScript
//! (drivers-js/mem) pass the conformance suite, run as a user runs it:
//! `trove-host conformance ./the.wasm --dsn mem://`.
//!
//! They are built by `scripts/build-other-drivers.sh` (scripts/test.sh runs
//! it first); a missing .wasm fails the test with a message naming it.

use std::path::PathBuf;
use std::process::Command;

const BUILD: &str = "scripts/build-other-drivers.sh";

fn other_drivers_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("other-drivers")
}

fn conformance(file: &str, language: &str) {
    let wasm = other_drivers_dir().join(file);
    assert!(
        wasm.exists(),
        "{} is missing: build the {language} driver first with `{BUILD}` \
         (scripts/test.sh runs it)",
        wasm.display()
    );
    // A shared cache: an 18 MB component compiles once, then loads in ms.
    let cache = concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache");
    let started = std::time::Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_trove-host"))
        .args(["--cache-dir", cache, "conformance"])
        .arg(&wasm)
        .args(["--dsn", "mem://"])
        .output()
        .expect("trove-host runs");
    let out = String::from_utf8_lossy(&o.stdout);
    let last = out.lines().last().unwrap_or_default();
    println!("{language} ({file}): {last} in {:.1?}", started.elapsed());
    assert!(
        o.status.success(),
        "conformance of the {language} driver failed:\n{}\n{}",
        out.lines()
            .filter(|l| l.starts_with("FAILED"))
            .collect::<Vec<_>>()
            .join("\n"),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(last.contains(" passed, 0 failed"), "{last}");
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap_or(0);
    assert!(passed >= 100, "only {passed} cases passed: {last}");
}

#[test]
fn the_python_driver_passes_the_suite() {
    conformance("mem_py.wasm", "Python");
}

#[test]
fn the_javascript_driver_passes_the_suite() {
    conformance("mem_js.wasm", "JavaScript");
}
