//! The on-disk compile cache. An entry is keyed by the engine's compatibility
//! hash and the component's SHA-256, and only files this host wrote under
//! that key are ever deserialized.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::Engine;

pub(crate) struct CompileCache {
    dir: Option<PathBuf>,
    engine_hash: String,
}

impl CompileCache {
    pub(crate) fn new(engine: &Engine, dir: Option<PathBuf>) -> Self {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        CompileCache {
            dir,
            engine_hash: format!("{:016x}", h.finish()),
        }
    }

    /// Default location: `$XDG_CACHE_HOME/trove-host` or `~/.cache/trove-host`.
    pub(crate) fn default_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        Some(base.join("trove-host"))
    }

    fn entry(&self, digest: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(format!("{}-{}.cwasm", self.engine_hash, digest)))
    }

    /// The component for `bytes`, from the cache or compiled (and then stored).
    /// Returns the component and whether it came from the cache.
    pub(crate) fn load(&self, engine: &Engine, bytes: &[u8]) -> anyhow::Result<(Component, bool)> {
        let digest = hex::encode(Sha256::digest(bytes));
        let entry = self.entry(&digest);
        if let Some(path) = entry.as_deref().filter(|p| p.is_file()) {
            // SAFETY: the file lives in our cache directory under a name that
            // binds it to this engine and to the SHA-256 of the component, and
            // only `store` below writes such names, with our own compiler output.
            match unsafe { Component::deserialize_file(engine, path) } {
                Ok(c) => return Ok((c, true)),
                Err(e) => tracing::warn!("discarding unusable cache entry {}: {e}", path.display()),
            }
        }
        let component = Component::new(engine, bytes)?;
        if let Some(path) = entry {
            if let Err(e) = store(&path, &component) {
                tracing::debug!("compile cache not written ({}): {e}", path.display());
            }
        }
        Ok((component, false))
    }
}

fn store(path: &Path, component: &Component) -> anyhow::Result<()> {
    let dir = path.parent().unwrap();
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let bytes = component.serialize()?;
    let tmp = dir.join(format!(".tmp-{}-{}", std::process::id(), rand_suffix()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    t.as_nanos() as u64
}
