//! Progress of a transfer: a counter of bytes moved, to tell a slow
//! transfer from a stuck one (the http import's timeouts, and the deadline
//! of a streamed put).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A counter of bytes moved, to tell a slow transfer from a stuck one. A
/// counter made with [`Progress::child`] also counts into its parent (one
/// request's bytes count as progress of the driver call that sent it).
#[derive(Clone, Default)]
pub(crate) struct Progress {
    own: Arc<AtomicU64>,
    parent: Option<Arc<AtomicU64>>,
}

impl Progress {
    /// A new counter whose bytes also count in `self`.
    pub(crate) fn child(&self) -> Progress {
        Progress {
            own: Arc::default(),
            parent: Some(self.own.clone()),
        }
    }
    pub(crate) fn add(&self, n: usize) {
        self.own.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(p) = &self.parent {
            p.fetch_add(n as u64, Ordering::Relaxed);
        }
    }
    pub(crate) fn get(&self) -> u64 {
        self.own.load(Ordering::Relaxed)
    }
}

/// How finely [`with_progress`] watches the counter: an idle `window` is
/// detected between `window` and `window × (1 + 1/SAMPLES)` after the last
/// byte moved.
const SAMPLES: u32 = 8;

/// Await `fut`, failing only when `window` passes with no progress.
pub(crate) async fn with_progress<F: std::future::Future>(
    window: Duration,
    progress: &Progress,
    fut: F,
) -> Result<F::Output, tokio::time::error::Elapsed> {
    with_progress_by(|| window, progress, fut).await
}

/// [`with_progress`] with a window that may change as the transfer goes
/// (read at each sample).
pub(crate) async fn with_progress_by<F: std::future::Future>(
    window: impl Fn() -> Duration,
    progress: &Progress,
    fut: F,
) -> Result<F::Output, tokio::time::error::Elapsed> {
    tokio::pin!(fut);
    let mut seen = progress.get();
    let mut moved_at = Instant::now();
    loop {
        let w = window();
        let step = (w / SAMPLES).max(Duration::from_millis(1));
        let left = w.saturating_sub(moved_at.elapsed());
        match tokio::time::timeout(step.min(left), &mut fut).await {
            Ok(v) => return Ok(v),
            Err(elapsed) => {
                let now = progress.get();
                if now != seen {
                    seen = now;
                    moved_at = Instant::now();
                } else if moved_at.elapsed() >= window() {
                    return Err(elapsed);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stall_is_caught_one_window_after_the_last_byte() {
        let p = Progress::default();
        let child = p.child();
        let feeder = {
            let c = child.clone();
            tokio::spawn(async move {
                for _ in 0..6 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    c.add(1);
                }
            })
        };
        let t = Instant::now();
        let r = with_progress(Duration::from_millis(200), &p, std::future::pending::<()>()).await;
        assert!(r.is_err());
        // 300 ms of bytes, then a 200 ms window, detected within 1/8 of it.
        let e = t.elapsed();
        assert!(
            e >= Duration::from_millis(480) && e < Duration::from_millis(600),
            "{e:?}"
        );
        assert_eq!((p.get(), child.get()), (6, 6));
        feeder.await.unwrap();
    }
}
