//! `Host`: the entry point of the library. It owns the runtime and the
//! registry, opens drivers by DSN, and describes driver files.

use crate::bindings::wit;
use crate::declare::Declaration;
use crate::dsn::Dsn;
use crate::error::{Error, ErrorKind, Result};
use crate::grants::GrantLine;
use crate::limits::Limits;
use crate::pool::Pool;
use crate::registry::{DriverSource, Registry};
use crate::runtime::{Loaded, Runtime};
use crate::types::Capabilities;
use crate::Driver;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// How to build a [`Host`].
#[derive(Debug, Clone)]
pub struct HostConfig {
    pub limits: Limits,
    /// Where compiled drivers are cached; `None` disables the disk cache.
    pub cache_dir: Option<PathBuf>,
    pub registry: Registry,
    /// Host-side SFTP settings: the key file (`--identity`) and known_hosts.
    pub sftp: crate::sftp_session::SftpConfig,
    /// Credentials passed explicitly (`--credentials-env`): given to a driver
    /// as the DSN's user/password when the DSN has none.
    pub credentials: Option<crate::credentials::Credentials>,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            limits: Limits::default(),
            cache_dir: crate::cache::CompileCache::default_dir(),
            registry: Registry::default(),
            sftp: Default::default(),
            credentials: None,
        }
    }
}

/// The runtime for drivers: one engine, its compile cache, its limits and
/// its registry. Cheap to clone.
#[derive(Clone)]
pub struct Host {
    inner: Arc<HostInner>,
}

struct HostInner {
    runtime: Arc<Runtime>,
    registry: Registry,
    loaded: Mutex<HashMap<[u8; 32], Arc<Loaded>>>,
    sftp: crate::sftp_session::SftpConfig,
    credentials: Option<crate::credentials::Credentials>,
}

/// What `inspect` reports about a driver file.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub source: String,
    pub sha256: String,
    pub size: usize,
    pub imports: Vec<String>,
    pub exports: Vec<String>,
    /// `None` when the component is not a driver for this contract.
    pub capabilities: Option<Capabilities>,
    /// Why it is not a usable driver, when it is not.
    pub problem: Option<String>,
    /// The grants it declares (its `trove:grants` section); `Err`: why
    /// the declaration is malformed.
    pub declared: std::result::Result<Declaration, String>,
}

impl Host {
    pub fn new(config: HostConfig) -> Result<Host> {
        let runtime = Arc::new(Runtime::new(config.limits, config.cache_dir)?);
        Ok(Host {
            inner: Arc::new(HostInner {
                runtime,
                registry: config.registry,
                loaded: Mutex::new(HashMap::new()),
                sftp: config.sftp,
                credentials: config.credentials,
            }),
        })
    }

    /// A process-wide host with the built-in drivers and default limits.
    pub fn shared() -> Result<Host> {
        static SHARED: OnceLock<std::result::Result<Host, Error>> = OnceLock::new();
        SHARED
            .get_or_init(|| Host::new(HostConfig::default()))
            .clone()
    }

    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.runtime.limits
    }

    /// Open `dsn` with the driver registered for its scheme.
    pub async fn open(&self, dsn: &str) -> Result<Driver> {
        let parsed = parse_dsn(dsn)?;
        let source = self
            .inner
            .registry
            .get(parsed.scheme())
            .cloned()
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::UnknownScheme,
                    format!(
                    "no driver registered for scheme {:?} (known: {}); use --driver {}=PATH.wasm",
                    parsed.scheme(),
                    self.inner.registry.entries().map(|(s, _)| s).collect::<Vec<_>>().join(", "),
                    parsed.scheme()
                ),
                )
            })?;
        self.open_parsed(&source, parsed).await
    }

    /// Open `dsn` with a given driver: a `.wasm` path or a registered scheme.
    pub async fn open_with(&self, driver: &str, dsn: &str) -> Result<Driver> {
        let source = self.inner.registry.resolve(driver)?;
        self.open_parsed(&source, parse_dsn(dsn)?).await
    }

    async fn open_parsed(&self, source: &DriverSource, dsn: Dsn) -> Result<Driver> {
        let loaded = self.load(source)?;
        let display = dsn.redacted();
        let dsn = self.with_credentials(dsn);
        let label = source_label(source).to_string();
        let allowed = self.inner.registry.allowed(source, dsn.scheme());
        let mut grants = crate::grants::resolve(&loaded.declared, &allowed, &dsn, &label)?;
        if let Some(s) = grants.sftp.as_mut() {
            s.configure(&self.inner.sftp);
        }
        let caps = loaded.capabilities();
        let mut wdsn = wit_dsn(&dsn);
        wdsn.display = display.clone();
        let (pool, info) =
            Pool::open(self.inner.runtime.clone(), loaded, wdsn, grants, label).await?;
        Ok(Driver::new(
            pool,
            crate::convert::driver_info(info),
            caps,
            display,
        ))
    }

    fn load(&self, source: &DriverSource) -> Result<Arc<Loaded>> {
        let bytes = source.bytes()?;
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        if let Some(l) = self.inner.loaded.lock().unwrap().get(&digest) {
            return Ok(l.clone());
        }
        let loaded = Arc::new(
            self.inner
                .runtime
                .load(&bytes, &digest, &source.to_string())?,
        );
        self.inner
            .loaded
            .lock()
            .unwrap()
            .insert(digest, loaded.clone());
        Ok(loaded)
    }

    /// Whether the last load of `source` came from the compile cache.
    pub fn was_cached(&self, source: &DriverSource) -> Result<bool> {
        Ok(self.load(source)?.from_cache)
    }

    /// Describe a driver (a `.wasm` path or a scheme): its imports, exports
    /// and capabilities, or why it cannot be used.
    pub fn inspect(&self, driver: &str) -> Result<Inspection> {
        let source = self.inner.registry.resolve(driver)?;
        let bytes = source.bytes()?;
        let (imports, exports) = self.inner.runtime.describe(&bytes, &source.to_string())?;
        let (capabilities, problem) = match self.load(&source) {
            Ok(l) => (Some(l.capabilities()), None),
            Err(e) => (None, Some(e.message().to_string())),
        };
        let declared = Declaration::read(&bytes).map_err(|e| e.message().to_string());
        Ok(Inspection {
            source: source.to_string(),
            sha256: hex::encode(Sha256::digest(&bytes)),
            size: bytes.len(),
            imports,
            exports,
            capabilities,
            problem,
            declared,
        })
    }

    /// For each grant kind: what `driver` (a `.wasm` path or a scheme)
    /// declares, whether the user allows it for `dsn`'s scheme, and what
    /// `dsn` resolves it to (what `inspect --dsn` prints). Creates nothing.
    pub fn grant_report(&self, driver: &str, dsn: &str) -> Result<Vec<GrantLine>> {
        let source = self.inner.registry.resolve(driver)?;
        let declared = Declaration::read(&source.bytes()?)?;
        let dsn = self.with_credentials(parse_dsn(dsn)?);
        let allowed = self.inner.registry.allowed(&source, dsn.scheme());
        Ok(crate::grants::report(&declared, &allowed, &dsn))
    }

    /// The DSN with the host-side credentials applied (when it has none).
    fn with_credentials(&self, mut dsn: Dsn) -> Dsn {
        if let Some(c) = &self.inner.credentials {
            c.apply(&mut dsn);
        }
        dsn
    }
}

impl Driver {
    /// Open `dsn` on the process-wide [`Host::shared`] (built-in drivers).
    pub async fn open(dsn: &str) -> Result<Driver> {
        Host::shared()?.open(dsn).await
    }
}

fn source_label(source: &DriverSource) -> String {
    match source {
        DriverSource::Builtin(name) => (*name).to_string(),
        DriverSource::Path(p) => p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

pub(crate) fn parse_dsn(dsn: &str) -> Result<Dsn> {
    Dsn::parse(dsn).map_err(|e| Error::new(ErrorKind::InvalidDsn, e.to_string()))
}

fn wit_dsn(d: &Dsn) -> wit::Dsn {
    wit::Dsn {
        display: d.redacted(),
        scheme: d.scheme().to_string(),
        user: d.user().map(str::to_string),
        password: d.password().map(str::to_string),
        host: d.host().to_string(),
        port: d.port(),
        path: d.path().to_string(),
        params: d.params().to_vec(),
    }
}
