//! The registry: which component serves which DSN scheme. The built-in `mem`
//! and `file` drivers are always there; more come from `--driver
//! SCHEME=PATH.wasm` or a TOML config file:
//!
//! ```toml
//! [drivers]
//! s3 = "/opt/trove/s3.wasm"       # relative paths are relative to the config file
//! ```

use crate::error::{Error, ErrorKind, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where a driver's component comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverSource {
    /// Compiled into this binary.
    Builtin(&'static str),
    /// A `.wasm` file.
    Path(PathBuf),
}

impl std::fmt::Display for DriverSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DriverSource::Builtin(name) => write!(f, "built-in:{name}"),
            DriverSource::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

impl DriverSource {
    /// The component's bytes.
    pub fn bytes(&self) -> Result<std::borrow::Cow<'static, [u8]>> {
        match self {
            DriverSource::Builtin(name) => {
                let bytes = crate::builtin::ALL
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, b)| *b)
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::UnknownScheme,
                            format!("no built-in driver {name}"),
                        )
                    })?;
                if bytes.is_empty() {
                    return Err(Error::invalid_driver(format!(
                        "this binary was built without its built-in drivers (TROVE_SKIP_GUEST_BUILD); \
                         pass a .wasm for {name}"
                    )));
                }
                Ok(std::borrow::Cow::Borrowed(bytes))
            }
            DriverSource::Path(p) => std::fs::read(p).map(std::borrow::Cow::Owned).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidDriver,
                    format!("cannot read driver {}: {e}", p.display()),
                )
            }),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Registry {
    entries: BTreeMap<String, DriverSource>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::with_builtins()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    drivers: BTreeMap<String, PathBuf>,
}

impl Registry {
    /// The built-in drivers only.
    pub fn with_builtins() -> Registry {
        let entries = crate::builtin::ALL
            .iter()
            .map(|(name, _)| (name.to_string(), DriverSource::Builtin(name)))
            .collect();
        Registry { entries }
    }

    /// Map `scheme` to a `.wasm` file (replacing any earlier entry).
    pub fn register(&mut self, scheme: &str, path: impl Into<PathBuf>) -> Result<()> {
        let scheme = scheme.trim().to_ascii_lowercase();
        if scheme.is_empty()
            || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("invalid scheme {scheme:?}"),
            ));
        }
        self.entries.insert(scheme, DriverSource::Path(path.into()));
        Ok(())
    }

    /// Parse `SCHEME=PATH.wasm` (the `--driver` flag) and register it.
    pub fn register_spec(&mut self, spec: &str) -> Result<()> {
        let (scheme, path) = spec.split_once('=').ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("--driver expects SCHEME=PATH.wasm, got {spec:?}"),
            )
        })?;
        self.register(scheme, path)
    }

    /// Add every `[drivers]` entry of a TOML config file.
    pub fn load_config(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("cannot read config {}: {e}", path.display()),
            )
        })?;
        let cfg: ConfigFile = toml::from_str(&text).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("config {}: {e}", path.display()),
            )
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for (scheme, wasm) in cfg.drivers {
            let wasm = if wasm.is_relative() {
                base.join(wasm)
            } else {
                wasm
            };
            self.register(&scheme, wasm)?;
        }
        Ok(())
    }

    pub fn get(&self, scheme: &str) -> Option<&DriverSource> {
        self.entries.get(&scheme.to_ascii_lowercase())
    }

    /// Every (scheme, source), sorted by scheme.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &DriverSource)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// A `.wasm` path, or a registered scheme.
    pub fn resolve(&self, driver: &str) -> Result<DriverSource> {
        if let Some(src) = self.get(driver) {
            return Ok(src.clone());
        }
        let looks_like_path =
            driver.ends_with(".wasm") || driver.contains('/') || Path::new(driver).is_file();
        if looks_like_path {
            return Ok(DriverSource::Path(PathBuf::from(driver)));
        }
        Err(Error::new(
            ErrorKind::UnknownScheme,
            format!(
                "no driver registered for {driver:?} (known: {}); pass a .wasm path or --driver {driver}=PATH.wasm",
                self.entries.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_and_specs() {
        let mut r = Registry::with_builtins();
        assert!(matches!(r.resolve("mem"), Ok(DriverSource::Builtin("mem"))));
        assert_eq!(
            r.resolve("nope").unwrap_err().kind(),
            ErrorKind::UnknownScheme
        );
        r.register_spec("s3=/x/s3.wasm").unwrap();
        assert_eq!(
            r.resolve("S3").unwrap(),
            DriverSource::Path("/x/s3.wasm".into())
        );
        assert_eq!(
            r.register_spec("nonsense").unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            r.register_spec("1x=/a.wasm").unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert!(matches!(r.resolve("./d.wasm"), Ok(DriverSource::Path(_))));
    }

    #[test]
    fn config_file_paths_are_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("trove.toml");
        std::fs::write(
            &cfg,
            "[drivers]\nfoo = \"drivers/foo.wasm\"\nbar = \"/abs/bar.wasm\"\n",
        )
        .unwrap();
        let mut r = Registry::with_builtins();
        r.load_config(&cfg).unwrap();
        assert_eq!(
            r.get("foo").unwrap(),
            &DriverSource::Path(dir.path().join("drivers/foo.wasm"))
        );
        assert_eq!(
            r.get("bar").unwrap(),
            &DriverSource::Path("/abs/bar.wasm".into())
        );
        std::fs::write(&cfg, "[drivers\n").unwrap();
        assert_eq!(
            r.load_config(&cfg).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        std::fs::write(&cfg, "[other]\n").unwrap();
        assert_eq!(
            r.load_config(&cfg).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }
}
