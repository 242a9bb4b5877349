//! The retry policy of the delivery loop: how long to pause after a failed delivery.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// How long retries wait: doubling from `initial` up to `max`, with jitter.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

/// The pauses between delivery attempts of one device: doubling from the backoff's
/// initial wait to its maximum, each with ±20 % jitter drawn from a generator seeded by
/// the device's seed and serial number, so that a run is reproducible and devices of one
/// fleet still spread their retries.
#[derive(Debug)]
pub(super) struct Retry {
    backoff: Backoff,
    wait: Duration,
    rng: StdRng,
}

impl Retry {
    pub(super) fn new(backoff: Backoff, seed: u64, sn: &str) -> Self {
        let sn_hash = crate::seed::fnv1a(sn.as_bytes());
        Self {
            backoff,
            wait: backoff.initial,
            rng: StdRng::seed_from_u64(seed ^ sn_hash ^ crate::seed::Domain::Retry.salt()),
        }
    }

    /// A delivery succeeded: the next failure waits the initial time again.
    pub(super) fn succeeded(&mut self) {
        self.wait = self.backoff.initial;
    }

    /// A delivery failed: how long to pause before the next attempt.
    pub(super) fn failed(&mut self) -> Duration {
        let pause = self.wait.mul_f64(self.rng.random_range(0.8..1.2));
        self.wait = (self.wait * 2).min(self.backoff.max);
        pause
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_pauses_double_with_seeded_jitter_up_to_the_maximum() {
        let backoff = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(800),
        };
        let pauses = |seed, sn| {
            let mut retry = Retry::new(backoff, seed, sn);
            (0..6).map(|_| retry.failed()).collect::<Vec<_>>()
        };
        let a = pauses(7, "SN1");
        assert_eq!(a, pauses(7, "SN1"), "same seed and device, same pauses");
        assert_ne!(
            a,
            pauses(7, "SN2"),
            "devices of one fleet spread their retries"
        );
        assert_ne!(a, pauses(8, "SN1"));
        for (i, pause) in a.iter().enumerate() {
            let nominal = (backoff.initial * 2u32.pow(i as u32)).min(backoff.max);
            assert!(
                *pause >= nominal.mul_f64(0.8) && *pause <= nominal.mul_f64(1.2),
                "attempt {i}: {pause:?} vs {nominal:?}"
            );
        }
        let mut retry = Retry::new(backoff, 7, "SN1");
        retry.failed();
        retry.failed();
        retry.succeeded();
        assert!(retry.failed() <= backoff.initial.mul_f64(1.2));
    }
}
