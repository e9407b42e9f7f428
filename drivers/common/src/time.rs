//! Wall-clock timestamps as the WIT `timestamp` record wants them.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds and nanoseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    pub seconds: i64,
    pub nanoseconds: u32,
}

impl Timestamp {
    /// The current wall-clock time (on wasip2 from `wasi:clocks/wall-clock`).
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp {
                seconds: d.as_secs() as i64,
                nanoseconds: d.subsec_nanos(),
            },
            Err(before) => {
                // Before the epoch: floor the seconds, keep nanoseconds positive.
                let d = before.duration();
                let mut seconds = -(d.as_secs() as i64);
                let mut nanoseconds = d.subsec_nanos();
                if nanoseconds > 0 {
                    seconds -= 1;
                    nanoseconds = 1_000_000_000 - nanoseconds;
                }
                Timestamp {
                    seconds,
                    nanoseconds,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn conversions() {
        let t = UNIX_EPOCH + Duration::new(5, 7);
        assert_eq!(
            Timestamp::from(t),
            Timestamp {
                seconds: 5,
                nanoseconds: 7
            }
        );
        let t = UNIX_EPOCH - Duration::new(1, 250_000_000);
        assert_eq!(
            Timestamp::from(t),
            Timestamp {
                seconds: -2,
                nanoseconds: 750_000_000
            }
        );
        assert!(Timestamp::now().seconds > 1_600_000_000);
    }
}
