//! Resource limits applied to every driver instance. On by default.

use std::time::Duration;

/// Limits for each sandboxed instance. `Limits::default()` is what the CLI
/// uses unless flags change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory per instance, in bytes.
    pub memory_bytes: usize,
    /// Wall-clock and CPU deadline for one call into the driver.
    pub call_timeout: Duration,
    /// Elements per table (function tables, handle tables).
    pub table_elements: usize,
    /// Core and component instances per store.
    pub instances: usize,
    /// Host resource handles (streams, files) one instance may hold.
    pub resource_handles: usize,
    /// Bytes the guest may pass to the host in one host call.
    pub hostcall_bytes: usize,
    /// Instances kept for one stateless driver (concurrent calls).
    pub pool_size: usize,
    /// Wall-clock budget for compiling one driver component (after its
    /// shape passed the compile limits); an overrun is `invalid-driver`.
    pub compile_timeout: Duration,
    /// The `http` import's idle timeout: a request fails (`timeout`) when no
    /// byte moved either way for this long (request body sent, response head
    /// awaited, response body read).
    pub http_idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 1 << 30,
            call_timeout: Duration::from_secs(30),
            table_elements: 100_000,
            instances: 64,
            resource_handles: 10_000,
            hostcall_bytes: 64 << 20,
            pool_size: 16,
            compile_timeout: Duration::from_secs(600),
            http_idle_timeout: Duration::from_secs(30),
        }
    }
}

/// How often the epoch ticks; the CPU deadline is counted in ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

impl Limits {
    pub(crate) fn epoch_ticks(&self) -> u64 {
        (self.call_timeout.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
    }
}
