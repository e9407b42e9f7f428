//! What the sandbox tests share: the test drivers built from drivers/testing.

use std::path::Path;

/// The path of a test driver built by host/build.rs (`trove_driver_*.wasm`).
pub fn guest(name: &str) -> String {
    Path::new(env!("TROVE_GUEST_DIR"))
        .join(name)
        .display()
        .to_string()
}

/// The driver that misbehaves on purpose (drivers/testing/hostile).
pub fn hostile() -> String {
    guest("trove_driver_hostile.wasm")
}

/// A copy of the test driver `wasm` that declares `json` (its `trove:grants`
/// section, written as `trove-host grants set` writes it), in the test
/// target's temp folder.
#[allow(dead_code)]
pub fn declaring(wasm: &str, json: &str) -> String {
    let bytes = std::fs::read(wasm).unwrap();
    let decl = trove_host::Declaration::parse(json).unwrap();
    let out = trove_host::write_declaration(&bytes, &decl).unwrap();
    let name = Path::new(wasm)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let hash = out
        .iter()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(*b)));
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{hash:016x}.wasm"));
    std::fs::write(&path, out).unwrap();
    path.display().to_string()
}

/// The built-in drivers, with the grants the tests' drivers declare allowed
/// as a user would allow them (`--allow file:dir`, `--allow s3:http`).
#[allow(dead_code)]
pub fn registry() -> trove_host::Registry {
    use trove_host::GrantKind;
    let mut r = trove_host::Registry::with_builtins();
    r.allow("file", GrantKind::Dir).unwrap();
    r.allow("s3", GrantKind::Http).unwrap();
    r
}
