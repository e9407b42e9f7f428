//! The runtime: one Engine (epoch interruption, pooling allocator), the
//! linker with exactly the imports the host provides, the compile cache, and
//! loading a `.wasm` into a pre-instantiated, checked driver.

use crate::bindings::{core, multipart, presign, put_bytes, stream_put, versioning};
use crate::cache::{self, CompileCache};
use crate::compile;
use crate::error::{Error, Result};
use crate::limits::{Limits, EPOCH_TICK};
use crate::state::HostState;
use crate::types::Capabilities;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// The contract version this host speaks.
pub const CONTRACT: &str = "trove:driver@0.2.0";

pub(crate) struct Runtime {
    pub(crate) engine: Engine,
    linker: Linker<HostState>,
    cache: CompileCache,
    overran: compile::Overran,
    pub(crate) limits: Limits,
    ticker_stop: Arc<AtomicBool>,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

/// A compiled, linked driver component whose exports were checked.
pub(crate) struct Loaded {
    pub(crate) pre: InstancePre<HostState>,
    pub(crate) core: core::GuestIndices,
    /// Preferred by `Driver::put` (the application's reader becomes a host
    /// stream; the deadline is extended while bytes move).
    pub(crate) stream_put: Option<stream_put::GuestIndices>,
    /// Small in-memory bodies in one call (instead of put, write, finish).
    pub(crate) put_bytes: Option<put_bytes::GuestIndices>,
    pub(crate) multipart: Option<multipart::GuestIndices>,
    pub(crate) presign: Option<presign::GuestIndices>,
    pub(crate) versioning: Option<versioning::GuestIndices>,
    pub(crate) from_cache: bool,
    /// The grants the component declares (read before it was compiled).
    pub(crate) declared: crate::declare::Declaration,
}

impl Loaded {
    pub(crate) fn capabilities(&self) -> Capabilities {
        Capabilities {
            stream_put: self.stream_put.is_some(),
            put_bytes: self.put_bytes.is_some(),
            multipart: self.multipart.is_some(),
            presign: self.presign.is_some(),
            versioning: self.versioning.is_some(),
        }
    }
}

impl Runtime {
    pub(crate) fn new(limits: Limits, cache_dir: Option<PathBuf>) -> Result<Runtime> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        if std::env::var_os("TROVE_PERF_MAP").is_some() {
            // Names JIT code for `perf report` (writes /tmp/perf-PID.map).
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(1000)
            .total_core_instances(4000)
            .total_memories(2000)
            .total_tables(4000)
            .max_memory_size(limits.memory_bytes)
            .table_elements(limits.table_elements);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config)
            .or_else(|e| {
                // Some machines cap virtual memory; fall back to on-demand allocation.
                tracing::debug!("pooling allocator unavailable ({e}); using on-demand allocation");
                config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
                Engine::new(&config)
            })
            .map_err(|e| Error::new(crate::ErrorKind::Internal, format!("engine: {e}")))?;

        let mut linker = Linker::<HostState>::new(&engine);
        crate::state::add_to_linker(&mut linker)
            .map_err(|e| Error::new(crate::ErrorKind::Internal, format!("linker: {e}")))?;

        let ticker_stop = Arc::new(AtomicBool::new(false));
        {
            let engine = engine.clone();
            let stop = ticker_stop.clone();
            std::thread::Builder::new()
                .name("trove-epoch".into())
                .spawn(move || {
                    // Ticks follow the wall clock: on a loaded machine this
                    // thread wakes late, and one increment per wake-up would
                    // make the CPU deadline longer than the configured one.
                    let start = std::time::Instant::now();
                    let mut ticks: u128 = 0;
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        let due = start.elapsed().as_millis() / EPOCH_TICK.as_millis();
                        while ticks < due {
                            engine.increment_epoch();
                            ticks += 1;
                        }
                    }
                })
                .map_err(|e| Error::io("starting the epoch thread", e))?;
        }
        let cache = CompileCache::new(&engine, cache_dir);
        Ok(Runtime {
            engine,
            linker,
            cache,
            overran: compile::Overran::default(),
            limits,
            ticker_stop,
        })
    }

    /// Compile (or fetch from the cache), link and check a driver component
    /// whose SHA-256 is `digest`.
    pub(crate) fn load(&self, bytes: &[u8], digest: &[u8; 32], origin: &str) -> Result<Loaded> {
        check_header(bytes, origin)?;
        let declared = crate::declare::Declaration::read(bytes)
            .map_err(|e| Error::invalid_driver(format!("{origin}: {}", e.message())))?;
        let (component, origin_kind) = self.component(bytes, digest, origin)?;
        let mut loaded = self.link(component, origin, origin_kind == cache::Origin::Cache)?;
        loaded.declared = declared;
        Ok(loaded)
    }

    /// The compiled component: from the cache when an authenticated entry
    /// is there, else compiled within the compile budget (and cached).
    fn component(
        &self,
        bytes: &[u8],
        digest: &[u8; 32],
        origin: &str,
    ) -> Result<(Component, cache::Origin)> {
        if let Some(c) = self.cache.get(&self.engine, digest) {
            return Ok((c, cache::Origin::Cache));
        }
        compile::check_shape(bytes, origin, &compile::SHAPE)?;
        let engine = self.engine.clone();
        let owned = bytes.to_vec();
        let component = compile::with_deadline(
            &self.overran,
            digest,
            origin,
            self.limits.compile_timeout,
            move || Component::new(&engine, &owned),
        )?
        .map_err(|e| {
            Error::invalid_driver(format!(
                "{origin}: not a valid component: {}",
                root_cause(&e)
            ))
        })?;
        self.cache.put(digest, &component);
        Ok((component, cache::Origin::Compiled))
    }

    fn link(&self, component: Component, origin: &str, from_cache: bool) -> Result<Loaded> {
        check_contract_version(&component, origin)?;
        let pre = self.linker.instantiate_pre(&component).map_err(|e| {
            Error::invalid_driver(format!(
                "{origin}: needs an import this host does not grant: {}",
                root_cause(&e)
            ))
        })?;
        let core = core::GuestIndices::new(&pre).map_err(|e| {
            let found = trove_exports(&component);
            let found = if found.is_empty() {
                "none".to_string()
            } else {
                found.join(", ")
            };
            Error::invalid_driver(format!(
                "{origin}: not a driver for {CONTRACT}: {} (trove exports found: {found})",
                root_cause(&e)
            ))
        })?;
        Ok(Loaded {
            stream_put: stream_put::GuestIndices::new(&pre).ok(),
            put_bytes: put_bytes::GuestIndices::new(&pre).ok(),
            multipart: multipart::GuestIndices::new(&pre).ok(),
            presign: presign::GuestIndices::new(&pre).ok(),
            versioning: versioning::GuestIndices::new(&pre).ok(),
            core,
            pre,
            from_cache,
            declared: Default::default(),
        })
    }

    /// The imports and exports of a component, by name.
    pub(crate) fn describe(
        &self,
        bytes: &[u8],
        origin: &str,
    ) -> Result<(Vec<String>, Vec<String>)> {
        check_header(bytes, origin)?;
        let digest: [u8; 32] = Sha256::digest(bytes).into();
        let (component, _) = self.component(bytes, &digest, origin)?;
        let ty = component.component_type();
        let imports = ty
            .imports(&self.engine)
            .map(|(n, _)| n.to_string())
            .collect();
        let exports = ty
            .exports(&self.engine)
            .map(|(n, _)| n.to_string())
            .collect();
        Ok((imports, exports))
    }
}

fn trove_exports(component: &Component) -> Vec<String> {
    let engine = component.engine();
    component
        .component_type()
        .exports(engine)
        .map(|(n, _)| n.to_string())
        .filter(|n| n.starts_with("trove:"))
        .collect()
}

/// A driver built against another version of the contract gets an answer
/// that says so, not "needs an import this host does not grant".
fn check_contract_version(component: &Component, origin: &str) -> Result<()> {
    let engine = component.engine();
    let ty = component.component_type();
    let names = ty
        .imports(engine)
        .map(|(n, _)| n.to_string())
        .chain(ty.exports(engine).map(|(n, _)| n.to_string()));
    let ours = CONTRACT.rsplit_once('@').map_or("", |(_, v)| v);
    for name in names {
        let Some(rest) = name.strip_prefix("trove:driver/") else {
            continue;
        };
        let Some((_, version)) = rest.split_once('@') else {
            continue;
        };
        if version != ours {
            return Err(Error::invalid_driver(format!(
                "{origin}: built against trove:driver@{version} ({name}); this host speaks {CONTRACT}: \
                 rebuild the driver against {ours} (see docs/writing-a-driver.md)",
                version = crate::text::printable(version),
                name = crate::text::printable(&name),
            )));
        }
    }
    Ok(())
}

/// Cheap, clear answers for the common wrong files before asking the compiler.
fn check_header(bytes: &[u8], origin: &str) -> Result<()> {
    if bytes.is_empty() {
        return Err(Error::invalid_driver(format!("{origin}: empty file")));
    }
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(Error::invalid_driver(format!(
            "{origin}: not a WebAssembly file (no \\0asm header)"
        )));
    }
    match bytes[4..8] {
        [0x01, 0, 0, 0] => Err(Error::invalid_driver(format!(
            "{origin}: a core WebAssembly module, not a component; build for wasm32-wasip2 \
             or wrap it with `wasm-tools component new`"
        ))),
        [0x0d, 0, 0x01, 0] => Ok(()),
        _ => Err(Error::invalid_driver(format!(
            "{origin}: unsupported WebAssembly binary version/layer"
        ))),
    }
}

/// An error with its causes on one line, bounded in size.
pub(crate) fn root_cause(e: &dyn std::fmt::Display) -> String {
    crate::convert::truncate(format!("{e:#}"), 2048)
}
