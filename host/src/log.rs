//! The `log` import: a driver's messages go to `tracing` (target
//! `trove::driver`), escaped and truncated, within a budget per guest call:
//! at most [`MESSAGES_PER_CALL`] messages and [`BYTES_PER_CALL`] bytes. What
//! is over the budget is dropped and counted, and one warning at the end of
//! the call says how much was dropped, so a flooding driver cannot fill the
//! host's log (100,000 messages in one call were 26 MiB before the budget).
//!
//! The import is implemented on [`LogView`]: the budget and the driver's name.

use crate::bindings::trove::driver::log;
use wasmtime::component::HasData;

/// Messages one guest call may log.
pub const MESSAGES_PER_CALL: u32 = 256;
/// Bytes (after truncation) one guest call may log.
pub const BYTES_PER_CALL: usize = 64 << 10;
/// Longest message kept; the rest is cut.
const MESSAGE_MAX: usize = 4096;

#[derive(Default)]
pub(crate) struct LogBudget {
    messages: u32,
    bytes: usize,
    dropped: u64,
    dropped_bytes: u64,
}

impl LogBudget {
    /// Whether a message of `len` bytes fits; counts it either way.
    fn admit(&mut self, len: usize) -> bool {
        if self.messages < MESSAGES_PER_CALL && self.bytes + len <= BYTES_PER_CALL {
            self.messages += 1;
            self.bytes += len;
            true
        } else {
            self.dropped += 1;
            self.dropped_bytes += len as u64;
            false
        }
    }

    /// A new call begins: report what the last one dropped, start afresh.
    pub(crate) fn next_call(&mut self, driver: &str) {
        if self.dropped > 0 {
            tracing::warn!(
                target: "trove::driver",
                driver,
                "dropped {} log messages ({} bytes) over the budget of {MESSAGES_PER_CALL} \
                 messages and {BYTES_PER_CALL} bytes per call",
                self.dropped,
                self.dropped_bytes
            );
        }
        *self = LogBudget::default();
    }

    #[cfg(test)]
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// What the `log` import sees of the store.
pub(crate) struct LogView<'a> {
    pub(crate) budget: &'a mut LogBudget,
    pub(crate) driver: &'a str,
}

/// The `log` import's [`HasData`]: its function gets a [`LogView`].
pub(crate) struct LogImport;

impl HasData for LogImport {
    type Data<'a> = LogView<'a>;
}

impl log::Host for LogView<'_> {
    async fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        if !self.budget.admit(message.len().min(MESSAGE_MAX)) {
            return Ok(());
        }
        let message = crate::convert::truncate(message, MESSAGE_MAX);
        let message = crate::text::printable(&message);
        let driver = self.driver;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_logs_within_its_budget_and_the_rest_is_counted() {
        let mut b = LogBudget::default();
        let admitted = (0..1000).filter(|_| b.admit(10)).count();
        assert_eq!(admitted, MESSAGES_PER_CALL as usize);
        assert_eq!(b.dropped(), 1000 - MESSAGES_PER_CALL as u64);
        b.next_call("t");
        assert!(b.admit(BYTES_PER_CALL));
        assert!(!b.admit(1));
    }
}
