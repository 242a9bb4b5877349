//! The injectable wall clock that stamps records, so tests can fix `timestamp`.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// A source of Unix time in seconds.
pub trait Clock: Send + Sync + Debug {
    /// Seconds since the Unix epoch.
    fn unix_now(&self) -> i64;

    /// Time since the Unix epoch, as finely as the clock tells it.
    fn unix_time(&self) -> Duration {
        Duration::from_secs(u64::try_from(self.unix_now()).unwrap_or(0))
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_now(&self) -> i64 {
        i64::try_from(self.unix_time().as_secs()).unwrap_or(i64::MAX)
    }

    fn unix_time(&self) -> Duration {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
    }
}

/// A clock that says what it is told, for tests.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock stopped at `unix`.
    pub fn at(unix: i64) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(unix)))
    }

    /// Moves the clock.
    pub fn set(&self, unix: i64) {
        self.0.store(unix, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn unix_now(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The clock every component uses unless told otherwise.
pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}
