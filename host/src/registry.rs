//! The registry: which component serves which DSN scheme, and what the user
//! allows it. The built-in drivers are always there, allowed what they
//! declare; more come from `--driver SCHEME=PATH.wasm` (allowed with
//! `--allow SCHEME:KIND`) or a TOML config file:
//!
//! ```toml
//! [drivers]
//! mine = "/opt/trove/mine.wasm"   # relative paths are relative to the config file
//!
//! [drivers.dav]
//! path = "dav.wasm"
//! allow = ["http"]                # the kinds it may have of what it declares
//! ```

use crate::declare::GrantKind;
use crate::error::{Error, ErrorKind, Result};
use crate::grants::Allowed;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
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
    /// The kinds the user allows the driver serving each scheme.
    allowed: BTreeMap<String, BTreeSet<GrantKind>>,
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
    drivers: BTreeMap<String, ConfigEntry>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ConfigEntry {
    Path(PathBuf),
    Full(FullEntry),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FullEntry {
    path: PathBuf,
    #[serde(default)]
    allow: Vec<String>,
}

fn kind(name: &str, context: &str) -> Result<GrantKind> {
    GrantKind::parse(name).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("{context}: unknown grant kind {name:?} (known: http, dir, sftp)"),
        )
    })
}

fn scheme_name(scheme: &str) -> Result<String> {
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
    Ok(scheme)
}

impl Registry {
    /// The built-in drivers only.
    pub fn with_builtins() -> Registry {
        let entries = crate::builtin::ALL
            .iter()
            .map(|(name, _)| (name.to_string(), DriverSource::Builtin(name)))
            .collect();
        Registry {
            entries,
            allowed: BTreeMap::new(),
        }
    }

    /// Map `scheme` to a `.wasm` file (replacing any earlier entry). A file
    /// registered over a built-in scheme gets none of the built-in's grants,
    /// only what is allowed for the scheme; a warning says so.
    pub fn register(&mut self, scheme: &str, path: impl Into<PathBuf>) -> Result<()> {
        let scheme = scheme_name(scheme)?;
        let path = path.into();
        if crate::builtin::ALL.iter().any(|(n, _)| *n == scheme) {
            tracing::warn!(
                target: "trove::registry",
                "{} replaces the built-in {scheme} driver; it gets none of the built-in's \
                 grants, only what --allow {scheme}:KIND allows",
                path.display()
            );
        }
        self.entries.insert(scheme, DriverSource::Path(path));
        Ok(())
    }

    /// Allow the driver serving `scheme` the grants of `kind` it declares.
    pub fn allow(&mut self, scheme: &str, kind: GrantKind) -> Result<()> {
        let scheme = scheme_name(scheme)?;
        self.allowed.entry(scheme).or_default().insert(kind);
        Ok(())
    }

    /// Parse `SCHEME:KIND` (the `--allow` flag) and allow it.
    pub fn allow_spec(&mut self, spec: &str) -> Result<()> {
        let (scheme, name) = spec.split_once(':').ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("--allow expects SCHEME:KIND (e.g. dav:http), got {spec:?}"),
            )
        })?;
        let k = kind(name, "--allow")?;
        self.allow(scheme, k)
    }

    /// What the user allows `source` when it serves a `scheme` DSN: a
    /// built-in component what it declares, any other only what was allowed.
    pub fn allowed(&self, source: &DriverSource, scheme: &str) -> Allowed {
        match source {
            DriverSource::Builtin(_) => Allowed::AsDeclared,
            DriverSource::Path(_) => Allowed::Only(
                self.allowed
                    .get(&scheme.to_ascii_lowercase())
                    .cloned()
                    .unwrap_or_default(),
            ),
        }
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
        for (scheme, entry) in cfg.drivers {
            let (wasm, allow) = match entry {
                ConfigEntry::Path(p) => (p, Vec::new()),
                ConfigEntry::Full(f) => (f.path, f.allow),
            };
            let wasm = if wasm.is_relative() {
                base.join(wasm)
            } else {
                wasm
            };
            self.register(&scheme, wasm)?;
            for name in allow {
                let k = kind(
                    &name,
                    &format!("config {} [drivers.{scheme}]", path.display()),
                )?;
                self.allow(&scheme, k)?;
            }
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
    fn allowances_follow_the_scheme_and_never_the_builtin_name() {
        let mut r = Registry::with_builtins();
        let s3 = r.get("s3").unwrap().clone();
        assert_eq!(r.allowed(&s3, "s3"), Allowed::AsDeclared);
        r.register_spec("s3=/x/other.wasm").unwrap();
        let other = r.get("s3").unwrap().clone();
        assert_eq!(r.allowed(&other, "s3"), Allowed::Only(BTreeSet::new()));
        r.allow_spec("S3:http").unwrap();
        assert!(r.allowed(&other, "s3").allows(GrantKind::Http));
        assert!(!r.allowed(&other, "s3").allows(GrantKind::Dir));
        for bad in ["dav", "dav:net", ":http", "1x:http"] {
            assert_eq!(
                r.allow_spec(bad).unwrap_err().kind(),
                ErrorKind::InvalidArgument,
                "{bad}"
            );
        }
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
        std::fs::write(
            &cfg,
            "[drivers.dav]\npath = \"dav.wasm\"\nallow = [\"http\"]\n",
        )
        .unwrap();
        r.load_config(&cfg).unwrap();
        let dav = r.get("dav").unwrap().clone();
        assert_eq!(
            r.allowed(&dav, "dav"),
            Allowed::Only([GrantKind::Http].into_iter().collect())
        );
        std::fs::write(
            &cfg,
            "[drivers.dav]\npath = \"dav.wasm\"\nallow = [\"net\"]\n",
        )
        .unwrap();
        let e = r.load_config(&cfg).unwrap_err();
        assert!(e.message().contains("unknown grant kind"), "{e}");
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
