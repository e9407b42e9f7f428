//! The per-instance store data, composed of what each import needs: the WASI
//! context built from the grants, the resource table, the resource limiter,
//! the log budget, the CPU budget of the current call, and the http and sftp
//! grants. Each import is implemented in its own module on its own view
//! (`log::LogView`, `http::HttpView`, `sftp::SftpView`, `splice::SpliceView`, and wasmtime-wasi's
//! `WasiCtxView` for `filestream` and `symlinks`); [`add_to_linker`] wires
//! each view to its import.

use crate::grants::Grants;
use crate::http::{HttpImport, HttpView};
use crate::limiter::Limiter;
use crate::limits::Limits;
use crate::log::{LogBudget, LogImport, LogView};
use crate::sftp::{SftpImport, SftpView};
use crate::splice::{SpliceImport, SpliceView};
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// What the guest's stderr keeps (a panic message, for `driver crashed: …`).
const STDERR_CAPACITY: usize = 1 << 20;

pub(crate) struct HostState {
    wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: Limiter,
    pub(crate) stderr: MemoryOutputPipe,
    pub(crate) driver: String,
    pub(crate) log: LogBudget,
    /// Epoch ticks the current call may still run on the CPU; the epoch
    /// callback yields to the executor on each tick and traps at zero.
    cpu_ticks_left: u64,
    /// The CPU budget of the whole call, in ticks.
    cpu_ticks: u64,
    /// Bytes moved by the current call's upload, when it has one: the CPU
    /// budget starts again whenever they move (a long streamed put that
    /// makes progress is never cut off; a stalled one is).
    progress: Option<(crate::progress::Progress, u64)>,
    /// Where the `http` import may go (`None`: every request is refused).
    http: Option<crate::http_policy::HttpGrant>,
    /// The `http` import's idle timeout.
    http_idle: std::time::Duration,
    /// The session the `sftp` import uses (`None`: every call is refused).
    sftp: Option<crate::sftp_session::SftpGrant>,
    /// What the instance's file streams share (`filestream`).
    file_io: crate::filestream::FileIo,
}

/// Every import the host provides, each on its own view of [`HostState`].
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    use crate::bindings::trove::driver::{http, log, sftp, splice, types};
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    types::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    log::add_to_linker::<_, LogImport>(linker, |s| LogView {
        budget: &mut s.log,
        driver: &s.driver,
    })?;
    http::add_to_linker::<_, HttpImport>(linker, |s| HttpView {
        table: &mut s.table,
        grant: s.http.as_ref(),
        driver: &s.driver,
        idle: s.http_idle,
    })?;
    sftp::add_to_linker::<_, SftpImport>(linker, |s| SftpView {
        table: &mut s.table,
        grant: s.sftp.as_ref(),
    })?;
    splice::add_to_linker::<_, SpliceImport>(linker, |s| SpliceView {
        table: &mut s.table,
    })?;
    // Shadow two wasi:filesystem functions (after wasmtime-wasi added its own).
    crate::filestream::add_to_linker(linker)?;
    crate::symlinks::add_to_linker(linker)
}

impl crate::filestream::HasFileIo for HostState {
    fn file_io(&self) -> crate::filestream::FileIo {
        self.file_io.clone()
    }
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
            limiter: Limiter::new(limits),
            stderr,
            driver: driver.to_string(),
            log: LogBudget::default(),
            cpu_ticks_left: limits.epoch_ticks(),
            cpu_ticks: limits.epoch_ticks(),
            progress: None,
            http: grants.http.clone(),
            http_idle: limits.http_idle_timeout,
            sftp: grants.sftp.clone(),
            file_io: Default::default(),
        })
    }

    /// A new call begins: a fresh CPU budget and log budget.
    pub(crate) fn begin_call(&mut self, cpu_ticks: u64) {
        self.cpu_ticks = cpu_ticks;
        self.cpu_ticks_left = cpu_ticks;
        self.progress = None;
        self.log.next_call(&self.driver);
    }

    /// A call ended: say what its log budget dropped, stop watching progress.
    pub(crate) fn end_call(&mut self) {
        self.progress = None;
        self.log.next_call(&self.driver);
    }

    /// Restart the call's CPU budget whenever `progress` moves.
    pub(crate) fn watch_progress(&mut self, progress: crate::progress::Progress) {
        let seen = progress.get();
        self.progress = Some((progress, seen));
    }

    /// One epoch tick of guest CPU time passed: whether the call may go on.
    pub(crate) fn tick(&mut self) -> bool {
        if let Some((p, last)) = self.progress.as_mut() {
            let now = p.get();
            if now != *last {
                *last = now;
                self.cpu_ticks_left = self.cpu_ticks;
            }
        }
        if self.cpu_ticks_left <= 1 {
            return false;
        }
        self.cpu_ticks_left -= 1;
        true
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
        let tail = crate::text::printable(&lines[start..].join(" | ")).into_owned();
        crate::convert::truncate(tail, 1024)
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

impl crate::bindings::trove::driver::types::Host for HostState {}
