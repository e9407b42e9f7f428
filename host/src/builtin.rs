//! The drivers compiled into the binary (built by build.rs from drivers/).

pub(crate) const MEM: &[u8] = include_bytes!(env!("TROVE_BUILTIN_MEM"));
pub(crate) const FILE: &[u8] = include_bytes!(env!("TROVE_BUILTIN_FILE"));

/// (scheme, component bytes) of every built-in driver.
pub(crate) const ALL: &[(&str, &[u8])] = &[("mem", MEM), ("file", FILE)];
