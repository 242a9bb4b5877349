//! A fleet terminal's own clock: the fleet's clock and an offset the control API sets, so a
//! terminal whose clock drifts stamps its records, history and identity headers that far
//! off while the others keep time. The offset outlives reboots, as a bad clock does.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::clock::Clock;

/// The fleet's clock, `offset` seconds off.
#[derive(Debug)]
pub(super) struct Drift {
    base: Arc<dyn Clock>,
    offset: AtomicI64,
}

impl Drift {
    /// `base`, on time.
    pub(super) fn new(base: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(Self {
            base,
            offset: AtomicI64::new(0),
        })
    }

    /// Runs `seconds` ahead of the fleet's clock from now on (negative: behind).
    pub(super) fn set(&self, seconds: i64) {
        self.offset.store(seconds, Ordering::Relaxed);
    }

    /// The offset in force, in seconds.
    pub(super) fn seconds(&self) -> i64 {
        self.offset.load(Ordering::Relaxed)
    }
}

impl Clock for Drift {
    fn unix_now(&self) -> i64 {
        self.base.unix_now().saturating_add(self.seconds())
    }

    fn unix_time(&self) -> Duration {
        let base = self.base.unix_time();
        let offset = Duration::from_secs(self.seconds().unsigned_abs());
        if self.seconds() >= 0 {
            base.saturating_add(offset)
        } else {
            base.saturating_sub(offset)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn a_drifting_clock_runs_off_by_its_offset_either_way() {
        let base = ManualClock::at(1_000);
        let drift = Drift::new(base.clone());
        assert_eq!(drift.unix_now(), 1_000);
        drift.set(90);
        assert_eq!(drift.unix_now(), 1_090);
        assert_eq!(drift.unix_time(), Duration::from_secs(1_090));
        drift.set(-30);
        base.set(2_000);
        assert_eq!(drift.unix_now(), 1_970);
        assert_eq!(drift.unix_time(), Duration::from_secs(1_970));
    }
}
