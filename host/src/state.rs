//! The per-instance store data: the WASI context built from the grants, the
//! resource table, the limits, and the `log` import.

use crate::bindings::trove::driver::log;
use crate::grants::Grants;
use crate::limits::Limits;
use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// What the guest's stderr keeps (a panic message, for `driver crashed: …`).
const STDERR_CAPACITY: usize = 1 << 20;

pub(crate) struct HostState {
    wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limits: StoreLimits,
    pub(crate) stderr: MemoryOutputPipe,
    pub(crate) driver: String,
    pub(crate) memory_limit: usize,
    /// Where the `http` import may go (`None`: every request is refused).
    pub(crate) http: Option<crate::http::HttpGrant>,
    /// The session the `sftp` import uses (`None`: every call is refused).
    pub(crate) sftp: Option<crate::sftp::SftpGrant>,
}

impl HostState {
    pub(crate) fn new(driver: &str, grants: &Grants, limits: &Limits) -> anyhow::Result<Self> {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let mut b = WasiCtxBuilder::new();
        b.allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .stderr(stderr.clone())
            // File I/O runs inline on the calling thread instead of hopping
            // to tokio's blocking pool for every 64 KiB read or write.
            .allow_blocking_current_thread(true);
        if let Some(root) = &grants.preopen {
            b.preopened_dir(root, "/", FsPerms::ReadWrite)?;
        }
        let mut table = ResourceTable::new();
        table.set_max_capacity(limits.resource_handles);
        Ok(HostState {
            wasi: b.build(),
            table,
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes)
                .table_elements(limits.table_elements)
                .instances(limits.instances)
                .tables(limits.instances)
                .memories(limits.instances)
                .trap_on_grow_failure(true)
                .build(),
            stderr,
            driver: driver.to_string(),
            memory_limit: limits.memory_bytes,
            http: grants.http.clone(),
            sftp: grants.sftp.clone(),
        })
    }

    /// The last lines the guest wrote to stderr, for crash reports.
    pub(crate) fn stderr_tail(&self) -> String {
        let bytes = self.stderr.contents();
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
            .collect();
        let start = lines.len().saturating_sub(3);
        crate::convert::truncate(lines[start..].join(" | "), 1024)
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl log::Host for HostState {
    async fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        let message = crate::convert::truncate(message, 4096);
        let driver = self.driver.as_str();
        match level {
            log::Level::Trace => tracing::trace!(target: "trove::driver", driver, "{message}"),
            log::Level::Debug => tracing::debug!(target: "trove::driver", driver, "{message}"),
            log::Level::Info => tracing::info!(target: "trove::driver", driver, "{message}"),
            log::Level::Warn => tracing::warn!(target: "trove::driver", driver, "{message}"),
            log::Level::Error => tracing::error!(target: "trove::driver", driver, "{message}"),
        }
        Ok(())
    }
}

impl crate::bindings::trove::driver::types::Host for HostState {}
