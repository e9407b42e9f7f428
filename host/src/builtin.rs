//! The drivers compiled into the binary (built by build.rs from drivers/).

pub(crate) const MEM: &[u8] = include_bytes!(env!("TROVE_BUILTIN_MEM"));
pub(crate) const FILE: &[u8] = include_bytes!(env!("TROVE_BUILTIN_FILE"));
pub(crate) const SFTP: &[u8] = include_bytes!(env!("TROVE_BUILTIN_SFTP"));
pub(crate) const S3: &[u8] = include_bytes!(env!("TROVE_BUILTIN_S3"));
pub(crate) const GS: &[u8] = include_bytes!(env!("TROVE_BUILTIN_GS"));
pub(crate) const AZBLOB: &[u8] = include_bytes!(env!("TROVE_BUILTIN_AZBLOB"));

/// (scheme, component bytes) of every built-in driver.
pub(crate) const ALL: &[(&str, &[u8])] = &[
    ("mem", MEM),
    ("file", FILE),
    ("sftp", SFTP),
    ("s3", S3),
    ("gs", GS),
    ("azblob", AZBLOB),
];

/// The component bytes of a built-in driver (`mem`, `file`), e.g. to write it
/// out as a template or to inspect it.
pub fn component(name: &str) -> Option<&'static [u8]> {
    ALL.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// Where host/build.rs put the wasm guests it built: the built-ins and the
/// test drivers of `drivers/testing` (`trove_driver_hostile.wasm`, …). For
/// this workspace's own tests; not part of the API.
#[doc(hidden)]
pub const GUEST_DIR: &str = env!("TROVE_GUEST_DIR");
