//! The on-disk compile cache. Deserializing an artifact runs its machine code
//! unchecked, so an entry is used only when all of these hold (else the
//! component is compiled again, and the entry rewritten):
//!
//! - the cache directory is a real directory (not a symlink) owned by the
//!   current user and not writable by group or others (as ssh checks
//!   `~/.ssh`); otherwise the cache is bypassed for the whole process, with
//!   one warning;
//! - the entry is a regular file owned by the current user, not writable by
//!   group or others;
//! - the entry's HMAC-SHA256 verifies under the per-user key in
//!   `<dir>/key` (32 random bytes, created `0600`, same ownership rules). The
//!   MAC covers the engine's compatibility hash, the component's SHA-256 and
//!   the artifact, so an entry is bound to the component it was compiled
//!   from: a planted, renamed, truncated or bit-flipped file is never
//!   deserialized.
//!
//! An entry is two files: `<engine hash>-<component sha256>.trove-cwasm`, the
//! artifact as wasmtime wrote it, and beside it `….trove-mac`: `TROVECC1`
//! (8 bytes) and the MAC (32 bytes). The artifact is verified by streaming it
//! through the MAC in 256 KiB reads, then mapped with
//! `Component::deserialize_file`, so a warm start touches no more memory than
//! before the MAC (reading it whole and copying it into a new mapping cost
//! 300 more page faults: 13.1 ms against 11.2 ms for `ping --dsn mem://`).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use wasmtime::component::Component;
use wasmtime::Engine;

const MAGIC: &[u8; 8] = b"TROVECC1";
const MAC_LEN: usize = 32;
const KEY_FILE: &str = "key";

type HmacSha256 = Hmac<Sha256>;

pub(crate) struct CompileCache {
    dir: Option<PathBuf>,
    engine_hash: String,
    /// The MAC key, read (or created) on first use; `None` when the cache
    /// directory failed its checks (the cache is then bypassed).
    key: OnceLock<Option<[u8; 32]>>,
}

/// Where a component came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Deserialized from an authenticated cache entry.
    Cache,
    /// Compiled now.
    Compiled,
}

impl CompileCache {
    pub(crate) fn new(engine: &Engine, dir: Option<PathBuf>) -> Self {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        CompileCache {
            dir,
            engine_hash: format!("{:016x}", h.finish()),
            key: OnceLock::new(),
        }
    }

    /// Default location: `$XDG_CACHE_HOME/trove-host` or `~/.cache/trove-host`.
    pub(crate) fn default_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        Some(base.join("trove-host"))
    }

    /// The cache directory and its MAC key, when the directory is safe to use.
    fn usable(&self) -> Option<(&Path, &[u8; 32])> {
        let dir = self.dir.as_deref()?;
        let key = self.key.get_or_init(|| match open_dir(dir) {
            Ok(key) => Some(key),
            Err(why) => {
                tracing::warn!(
                    "compile cache {} not used: {why}; drivers are compiled on every start",
                    dir.display()
                );
                None
            }
        });
        key.as_ref().map(|k| (dir, k))
    }

    /// A cached, authenticated artifact for the component whose SHA-256 is
    /// `digest`, deserialized; `None` when there is none usable.
    pub(crate) fn get(&self, engine: &Engine, digest: &[u8; 32]) -> Option<Component> {
        let (dir, key) = self.usable()?;
        let path = dir.join(self.entry_name(digest));
        let tag = match read_checked(&mac_path(&path)) {
            Ok(Some(b)) => b,
            Ok(None) => return None,
            Err(why) => {
                tracing::warn!(
                    "compile cache entry {} refused: {why}; recompiling",
                    path.display()
                );
                return None;
            }
        };
        match self.verify(key, digest, &path, &tag) {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    "compile cache entry {} failed authentication (not written by this host, \
                     or corrupted); recompiling",
                    path.display()
                );
                return None;
            }
            Err(why) => {
                tracing::warn!(
                    "compile cache entry {} refused: {why}; recompiling",
                    path.display()
                );
                return None;
            }
        }
        // SAFETY: the artifact's MAC verified under this user's secret key,
        // over this engine's hash and this component's digest: it is
        // `Component::serialize` output this host wrote for this component.
        // (It is mapped again by path: only the owner of the 0700 directory
        // could swap it in between, and that user can run code anyway.)
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!("discarding unusable cache entry {}: {e}", path.display());
                None
            }
        }
    }

    /// Store `component` (compiled from the component with SHA-256 `digest`).
    pub(crate) fn put(&self, digest: &[u8; 32], component: &Component) {
        let Some((dir, key)) = self.usable() else {
            return;
        };
        let path = dir.join(self.entry_name(digest));
        if let Err(e) = self.write_entry(dir, &path, key, digest, component) {
            tracing::debug!("compile cache not written ({}): {e}", path.display());
        }
    }

    fn entry_name(&self, digest: &[u8; 32]) -> String {
        // Not `.cwasm`: entries of earlier versions (no MAC) are never looked at.
        format!("{}-{}.trove-cwasm", self.engine_hash, hex::encode(digest))
    }

    fn mac(&self, key: &[u8; 32], digest: &[u8; 32], artifact: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(MAGIC);
        mac.update(self.engine_hash.as_bytes());
        mac.update(digest);
        mac.update(artifact);
        mac
    }

    /// Whether the artifact at `path` matches `tag` (the `.trove-mac` file's
    /// bytes), read in chunks through the MAC.
    fn verify(
        &self,
        key: &[u8; 32],
        digest: &[u8; 32],
        path: &Path,
        tag: &[u8],
    ) -> Result<bool, String> {
        let Some(tag) = tag.strip_prefix(MAGIC).filter(|t| t.len() == MAC_LEN) else {
            return Ok(false);
        };
        let Some(mut f) = open_checked(path)? else {
            return Ok(false);
        };
        let mut mac = self.mac(key, digest, &[]);
        let mut buf = vec![0u8; 256 << 10];
        loop {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => mac.update(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        // Constant-time comparison.
        Ok(mac.verify_slice(tag).is_ok())
    }

    fn write_entry(
        &self,
        dir: &Path,
        path: &Path,
        key: &[u8; 32],
        digest: &[u8; 32],
        component: &Component,
    ) -> anyhow::Result<()> {
        let artifact = component.serialize()?;
        let tag = self.mac(key, digest, &artifact).finalize().into_bytes();
        let mut header = MAGIC.to_vec();
        header.extend_from_slice(&tag);
        // The artifact first, then its MAC: a reader never finds a MAC for an
        // artifact that is not complete (a stale pair just fails to verify).
        for (bytes, dest) in [
            (&artifact[..], path.to_path_buf()),
            (&header[..], mac_path(path)),
        ] {
            let tmp = dir.join(format!(".tmp-{}-{}", std::process::id(), unique()));
            let written = create_private(&tmp)
                .and_then(|mut f| f.write_all(bytes))
                .and_then(|()| std::fs::rename(&tmp, &dest));
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                return Err(e.into());
            }
        }
        Ok(())
    }
}

/// Check (or create, `0700`) the cache directory and read (or create) its key.
fn open_dir(dir: &Path) -> Result<[u8; 32], String> {
    match std::fs::symlink_metadata(dir) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent() {
                std::fs::create_dir_all(parent).map_err(|e| format!("creating it: {e}"))?;
            }
            let mut b = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            match b.create(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("creating it: {e}")),
            }
        }
        Err(e) => return Err(e.to_string()),
    }
    let meta = std::fs::symlink_metadata(dir).map_err(|e| e.to_string())?;
    if !meta.is_dir() {
        return Err("it is not a directory (a symlink is not accepted)".into());
    }
    check_owner(&meta, 0o022)?;
    let key_path = dir.join(KEY_FILE);
    match read_key(&key_path) {
        Ok(Some(key)) => return Ok(key),
        Ok(None) => {}
        Err(why) => return Err(format!("its key file {}: {why}", key_path.display())),
    }
    let mut key = [0u8; 32];
    rand::fill(&mut key);
    let tmp = dir.join(format!(".key-{}-{}", std::process::id(), unique()));
    let made = create_private(&tmp)
        .and_then(|mut f| f.write_all(&key))
        // Another process may have made a key meanwhile: the first one wins.
        .and_then(|()| std::fs::hard_link(&tmp, &key_path));
    let _ = std::fs::remove_file(&tmp);
    match made {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key(&key_path)
            .and_then(|k| k.ok_or_else(|| "vanished".into()))
            .map_err(|why| format!("its key file {}: {why}", key_path.display())),
        Err(e) => Err(format!("writing its key file: {e}")),
    }
}

fn read_key(path: &Path) -> Result<Option<[u8; 32]>, String> {
    let Some(bytes) = read_checked(path)? else {
        return Ok(None);
    };
    let key: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| format!("{} bytes, not 32", bytes.len()))?;
    Ok(Some(key))
}

/// The MAC file of the artifact at `path`.
fn mac_path(path: &Path) -> PathBuf {
    path.with_extension("trove-mac")
}

/// The whole (small) file at `path` if it passes the ownership checks;
/// `None` if there is none.
fn read_checked(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let Some(mut f) = open_checked(path)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    Ok(Some(bytes))
}

/// The file at `path`, opened without following a symlink, if it is a
/// regular file that passes the ownership checks (checked on the open
/// descriptor, so the file read is the file checked); `None` if there is none.
fn open_checked(path: &Path) -> Result<Option<std::fs::File>, String> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut opts, libc::O_NOFOLLOW);
    let f = match opts.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let meta = f.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    check_owner(&meta, 0o022)?;
    Ok(Some(f))
}

/// Owned by the current user, and no `forbidden` mode bits set.
#[cfg(unix)]
fn check_owner(meta: &std::fs::Metadata, forbidden: u32) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!(
            "owned by uid {}, not by the current user (uid {me})",
            meta.uid()
        ));
    }
    if meta.mode() & forbidden != 0 {
        return Err(format!(
            "mode {:o} lets group or others write it",
            meta.mode() & 0o7777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner(_meta: &std::fs::Metadata, _forbidden: u32) -> Result<(), String> {
    Ok(())
}

/// A new file only the current user can read or write.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)
}

fn unique() -> u64 {
    rand::random()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(dir: &Path) -> (Engine, CompileCache) {
        let engine = Engine::default();
        let c = CompileCache::new(&engine, Some(dir.to_path_buf()));
        (engine, c)
    }

    const EMPTY: &str = "(component)";

    #[test]
    fn an_entry_round_trips_and_a_changed_one_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cache");
        let (engine, c) = cache(&dir);
        let component = Component::new(&engine, EMPTY).unwrap();
        let digest = [7u8; 32];
        assert!(c.get(&engine, &digest).is_none());
        c.put(&digest, &component);
        assert!(c.get(&engine, &digest).is_some());
        // Another digest's name: the MAC binds the entry to its component.
        let other = [8u8; 32];
        let path = |d: &[u8; 32]| dir.join(c.entry_name(d));
        std::fs::copy(path(&digest), path(&other)).unwrap();
        std::fs::copy(mac_path(&path(&digest)), mac_path(&path(&other))).unwrap();
        assert!(c.get(&engine, &other).is_none());
        // One flipped byte anywhere is refused.
        let mut bytes = std::fs::read(path(&digest)).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 1;
        std::fs::write(path(&digest), &bytes).unwrap();
        assert!(c.get(&engine, &digest).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_group_or_world_writable_directory_is_bypassed() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cache");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let (engine, c) = cache(&dir);
        let component = Component::new(&engine, EMPTY).unwrap();
        c.put(&[1; 32], &component);
        assert!(c.get(&engine, &[1; 32]).is_none());
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "nothing written"
        );
    }
}
