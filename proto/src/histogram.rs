//! The one latency histogram: its bounds, its two precisions, recording a [`Duration`],
//! reading percentiles, the `[microseconds, count]` serialisation that results carry, and
//! the exact merge of two histograms. The device statistics, the load run, its per-second
//! series and `facesim merge` all count latencies through this type; it does no I/O.

use std::time::Duration;

use crate::wire::Percentiles;

/// Highest latency tracked, in microseconds (ten minutes); longer ones are clamped, since
/// no answer that late matters to a terminal.
pub const MAX_TRACKED_US: u64 = 600_000_000;

/// How finely a histogram tells latencies apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Three significant digits: the whole-run figures.
    Fine,
    /// Two significant digits: the per-second series, which must stay small over an hour.
    Coarse,
}

impl Precision {
    fn significant_digits(self) -> u8 {
        match self {
            Precision::Fine => 3,
            Precision::Coarse => 2,
        }
    }
}

/// An HDR histogram of latencies in microseconds, from 1 µs to [`MAX_TRACKED_US`].
#[derive(Debug, Clone)]
pub struct Histogram {
    inner: hdrhistogram::Histogram<u64>,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new(Precision::Fine)
    }
}

impl PartialEq for Histogram {
    fn eq(&self, other: &Self) -> bool {
        self.pairs() == other.pairs()
    }
}

impl Histogram {
    /// An empty histogram.
    pub fn new(precision: Precision) -> Self {
        let inner = hdrhistogram::Histogram::new_with_bounds(
            1,
            MAX_TRACKED_US,
            precision.significant_digits(),
        )
        .expect("static histogram bounds are valid");
        Self { inner }
    }

    /// A histogram holding the `[microseconds, count]` pairs of [`pairs`](Self::pairs).
    pub fn from_pairs(pairs: &[(u64, u64)], precision: Precision) -> Self {
        let mut h = Self::new(precision);
        for &(us, n) in pairs {
            h.record_us_n(us, n);
        }
        h
    }

    /// Counts one latency, clamped to the tracked range.
    pub fn record(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.record_us_n(us, 1);
    }

    fn record_us_n(&mut self, us: u64, n: u64) {
        // Clamped into the bounds, so recording cannot fail.
        let _ = self.inner.record_n(us.clamp(1, MAX_TRACKED_US), n);
    }

    /// Adds every count of `other`. Buckets add one by one, so the percentiles of the sum
    /// are exact, never averaged; a coarser `other` adds its bucket values.
    pub fn merge(&mut self, other: &Histogram) {
        // Both share the bounds, so every value of `other` fits and add cannot fail.
        let _ = self.inner.add(&other.inner);
    }

    /// Forgets every count.
    pub fn reset(&mut self) {
        self.inner.reset();
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Latencies recorded.
    #[cfg(test)]
    pub fn len(&self) -> u64 {
        self.inner.len()
    }

    /// Latency at quantile `q` (0..=1), in milliseconds; 0 when empty.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        ms(self.inner.value_at_quantile(q))
    }

    /// The slowest latency, in milliseconds; 0 when empty.
    pub fn max_ms(&self) -> f64 {
        ms(self.inner.max())
    }

    /// The usual percentiles, all zero when empty.
    pub fn percentiles(&self) -> Percentiles {
        if self.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            p50: self.quantile_ms(0.50),
            p90: self.quantile_ms(0.90),
            p95: self.quantile_ms(0.95),
            p99: self.quantile_ms(0.99),
            p999: self.quantile_ms(0.999),
            max: self.max_ms(),
            mean: self.inner.mean() / 1000.0,
        }
    }

    /// The recorded values as `[microseconds, count]` pairs, in increasing order: the
    /// serialised form results carry, from which [`from_pairs`](Self::from_pairs) rebuilds
    /// the histogram exactly.
    pub fn pairs(&self) -> Vec<(u64, u64)> {
        self.inner
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect()
    }
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_round_trip_and_merge_exactly() {
        let mut a = Histogram::default();
        let mut b = Histogram::default();
        let mut all = Histogram::default();
        for i in 1..=1000u64 {
            let d = Duration::from_micros(i * 997);
            if i % 3 == 0 {
                a.record(d)
            } else {
                b.record(d)
            }
            all.record(d);
        }
        let mut merged = Histogram::from_pairs(&a.pairs(), Precision::Fine);
        merged.merge(&Histogram::from_pairs(&b.pairs(), Precision::Fine));
        assert_eq!(merged, all);
        assert_eq!(merged.len(), 1000);
        assert_eq!(merged.percentiles(), all.percentiles());
        assert!(
            (all.quantile_ms(0.5) - 498.5).abs() < 1.0,
            "{}",
            all.quantile_ms(0.5)
        );
    }

    #[test]
    fn out_of_range_latencies_are_clamped_and_empty_reads_zero() {
        let mut h = Histogram::new(Precision::Coarse);
        assert_eq!(h.percentiles(), Percentiles::default());
        assert_eq!(h.quantile_ms(0.99), 0.0);
        h.record(Duration::ZERO);
        h.record(Duration::from_secs(3600));
        assert_eq!(h.len(), 2);
        assert!(
            h.max_ms() >= 600_000.0 && h.max_ms() < 610_000.0,
            "{}",
            h.max_ms()
        );
        assert!(h.quantile_ms(0.0) <= 0.001);
        h.reset();
        assert!(h.is_empty());
    }
}
