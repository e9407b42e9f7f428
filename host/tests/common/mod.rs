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
