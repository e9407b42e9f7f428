//! Progress of a transfer: a counter of bytes moved, to tell a slow
//! transfer from a stuck one (the http import's timeouts, and the CPU budget
//! of a streamed put).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A counter of bytes moved, to tell a slow transfer from a stuck one.
#[derive(Clone, Default)]
pub(crate) struct Progress(Arc<AtomicU64>);

impl Progress {
    pub(crate) fn add(&self, n: usize) {
        self.0.fetch_add(n as u64, Ordering::Relaxed);
    }
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Await `fut`, failing only when `window` passes with no progress.
pub(crate) async fn with_progress<F: std::future::Future>(
    window: Duration,
    progress: &Progress,
    fut: F,
) -> Result<F::Output, tokio::time::error::Elapsed> {
    tokio::pin!(fut);
    let mut seen = progress.get();
    loop {
        match tokio::time::timeout(window, &mut fut).await {
            Ok(v) => return Ok(v),
            Err(elapsed) => {
                let now = progress.get();
                if now == seen {
                    return Err(elapsed);
                }
                seen = now;
            }
        }
    }
}
