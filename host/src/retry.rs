//! The host's one retry policy, shared by the `http` import (a request whose
//! body it holds whole) and by the typed handle (an idempotent driver call).
//!
//! A failure starts a *streak*; each retry of the streak waits an
//! exponential backoff with jitter ([`backoff`]: 250 ms doubling up to 8 s,
//! half fixed and half random), or the server's `Retry-After` when that is
//! longer. The streak gives up after [`MAX_RETRIES`] retries or when the
//! next attempt would start more than [`window`] after its first failure
//! (20 s, or half of `--call-timeout` when that is shorter). A success ends
//! the streak. The two levels share one budget per API call ([`CallCtx`],
//! task-local), so a request the import retried until the budget ran out is
//! not retried again by the call around it.

use crate::progress::Progress;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Retries of one streak of failures at most.
pub const MAX_RETRIES: u32 = 8;
/// The longest a streak of failures is retried (before the call timeout's
/// bound, see [`window`]).
pub const RETRY_WINDOW: Duration = Duration::from_secs(20);
const BASE: Duration = Duration::from_millis(250);
const CAP: Duration = Duration::from_secs(8);

/// How long a streak may be retried under a call deadline of `call_timeout`.
pub(crate) fn window(call_timeout: Duration) -> Duration {
    RETRY_WINDOW.min(call_timeout / 2)
}

/// Backoff before retry `n` (0-based): the cap `min(8 s, 250 ms × 2ⁿ)`, half
/// of it fixed and half random ("equal jitter").
pub(crate) fn backoff(n: u32) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let cap = BASE.saturating_mul(1 << n.min(16)).min(CAP);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(n);
    let half = cap / 2;
    half + Duration::from_nanos(h.finish() % (half.as_nanos() as u64 + 1))
}

/// `Retry-After` in seconds (the HTTP-date form is not used by object
/// stores and is ignored).
pub(crate) fn retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[derive(Default)]
struct Streak {
    first: Option<Instant>,
    retries: u32,
    spent: bool,
}

/// The retry budget of one API call.
pub(crate) struct Budget {
    window: Duration,
    streak: Mutex<Streak>,
}

impl Budget {
    pub(crate) fn new(call_timeout: Duration) -> Budget {
        Budget {
            window: window(call_timeout),
            streak: Mutex::default(),
        }
    }

    /// A retryable failure: how long to wait before the next attempt, or
    /// `None` when the streak's budget is spent (then it stays spent until a
    /// success). `hint` is the server's `Retry-After`.
    pub(crate) fn next_delay(&self, hint: Option<Duration>) -> Option<Duration> {
        let mut s = self.streak.lock().unwrap();
        if s.spent {
            return None;
        }
        let now = Instant::now();
        let first = *s.first.get_or_insert(now);
        let delay = backoff(s.retries).max(hint.unwrap_or_default());
        if s.retries >= MAX_RETRIES || now + delay > first + self.window {
            s.spent = true;
            return None;
        }
        s.retries += 1;
        Some(delay)
    }

    /// An attempt succeeded: the streak is over.
    pub(crate) fn success(&self) {
        *self.streak.lock().unwrap() = Streak::default();
    }
}

/// What one API call shares with the host imports it reaches: its retry
/// budget, and the progress of its transfers (a request's body bytes count
/// as progress of the call, so a streamed put's deadline restarts on them).
pub(crate) struct CallCtx {
    pub(crate) budget: Budget,
    pub(crate) progress: Progress,
}

tokio::task_local! {
    static CALL: Arc<CallCtx>;
}

impl CallCtx {
    pub(crate) fn new(call_timeout: Duration) -> Arc<CallCtx> {
        Arc::new(CallCtx {
            budget: Budget::new(call_timeout),
            progress: Progress::default(),
        })
    }

    /// The context of the API call this task runs, if any.
    pub(crate) fn current() -> Option<Arc<CallCtx>> {
        CALL.try_with(Arc::clone).ok()
    }

    /// Runs `fut` as part of this call.
    pub(crate) async fn scope<F: std::future::Future>(self: &Arc<Self>, fut: F) -> F::Output {
        CALL.scope(self.clone(), fut).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_with_jitter() {
        for n in 0..20 {
            let cap = BASE.saturating_mul(1 << n.min(16)).min(CAP);
            let d = backoff(n);
            assert!(d >= cap / 2 && d <= cap, "{n}: {d:?}");
        }
        assert!(backoff(10) >= Duration::from_secs(4));
    }

    #[test]
    fn a_streak_stops_at_its_window_or_count_and_a_success_ends_it() {
        let b = Budget::new(Duration::from_secs(3)); // window 1.5 s
        let mut total = Duration::ZERO;
        while let Some(d) = b.next_delay(None) {
            total += d;
            assert!(total < Duration::from_secs(2), "{total:?}");
            // no sleeping in a unit test: pretend the time passed
            let mut s = b.streak.lock().unwrap();
            s.first = s.first.map(|f| f - d);
        }
        assert!(b.next_delay(None).is_none(), "a spent streak stays spent");
        b.success();
        assert!(b.next_delay(None).is_some(), "a success ends the streak");
        b.success();
        // a Retry-After beyond the window gives up at once
        assert_eq!(b.next_delay(Some(Duration::from_secs(60))), None);
        let long = Budget::new(Duration::from_secs(1000));
        let n = std::iter::from_fn(|| {
            let d = long.next_delay(None)?;
            let mut s = long.streak.lock().unwrap();
            s.first = s.first.map(|f| f - d);
            Some(())
        })
        .count();
        assert!(n <= MAX_RETRIES as usize, "{n}");
        assert_eq!(retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
