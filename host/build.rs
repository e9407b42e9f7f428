//! Builds the built-in drivers (drivers/, a workspace of its own) for
//! wasm32-wasip2 and exposes their paths to `include_bytes!`.
//!
//! The nested cargo gets a target directory of its own
//! (`target/wasm-guests/<checkout>`), so it never waits on the outer build's lock.

use std::path::{Path, PathBuf};
use std::process::Command;

const BUILTINS: &[&str] = &["mem", "file", "sftp", "s3", "gs", "azblob"];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    let drivers = root.join("drivers");
    println!("cargo:rerun-if-changed={}", root.join("wit").display());
    for entry in [
        "Cargo.toml",
        "Cargo.lock",
        ".cargo",
        "common",
        "sdk",
        "cloud",
        "mem",
        "file",
        "sftp",
        "s3",
        "gs",
        "azblob",
        "testing",
    ] {
        println!("cargo:rerun-if-changed={}", drivers.join(entry).display());
    }
    println!("cargo:rerun-if-env-changed=TROVE_GUEST_TARGET_DIR");
    println!("cargo:rerun-if-env-changed=TROVE_SKIP_GUEST_BUILD");

    // For hacking on the host without the wasm target: the built-ins are then
    // empty and opening them reports that the binary was built without them.
    if std::env::var_os("TROVE_SKIP_GUEST_BUILD").is_some() {
        let empty = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("empty.wasm");
        std::fs::write(&empty, b"").unwrap();
        for name in BUILTINS {
            println!(
                "cargo:rustc-env=TROVE_BUILTIN_{}={}",
                name.to_uppercase(),
                empty.display()
            );
        }
        println!(
            "cargo:rustc-env=TROVE_GUEST_DIR={}",
            empty.parent().unwrap().display()
        );
        return;
    }

    let target_dir = guest_target_dir();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&drivers)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .arg("--target-dir")
        .arg(&target_dir);
    for (key, _) in std::env::vars() {
        // Flags meant for the host build must not leak into the guest build.
        if key.starts_with("CARGO_") && key != "CARGO_HOME"
            || key == "RUSTFLAGS"
            || key == "RUSTC_WORKSPACE_WRAPPER"
        {
            cmd.env_remove(key);
        }
    }
    let status = cmd
        .status()
        .expect("failed to run cargo for the wasm drivers");
    if !status.success() {
        panic!(
            "building the wasm drivers failed (is the target installed? run `rustup target add wasm32-wasip2`)"
        );
    }
    let out = target_dir.join("wasm32-wasip2").join("release");
    for name in BUILTINS {
        let file = out.join(format!("trove_driver_{name}.wasm"));
        assert!(file.exists(), "missing {}", file.display());
        println!(
            "cargo:rustc-env=TROVE_BUILTIN_{}={}",
            name.to_uppercase(),
            file.display()
        );
    }
    // For tests: where the guests (built-ins and test drivers) are.
    println!("cargo:rustc-env=TROVE_GUEST_DIR={}", out.display());
}

/// `<outer target dir>/wasm-guests/<checkout>`, found from OUT_DIR
/// (`<target>/<profile>/build/<pkg>/out`). One folder per checkout: two
/// checkouts sharing a target directory (a persistent CI cache, a second
/// clone) would otherwise overwrite each other's `release/*.wasm`, and cargo,
/// finding its own build fresh, would not copy them back.
fn guest_target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("TROVE_GUEST_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let target = out
        .ancestors()
        .nth(4)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out.join("guests"));
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::env::var("CARGO_MANIFEST_DIR").unwrap().hash(&mut h);
    target
        .join("wasm-guests")
        .join(format!("{:016x}", h.finish()))
}
