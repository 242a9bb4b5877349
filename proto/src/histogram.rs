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
///
/// Its buckets are allocated at the first latency recorded and grow only as far as the
/// slowest one: a histogram spanning the whole range at three digits is 172 kB, and a
/// fleet keeps two per terminal, most of them empty or holding milliseconds. The buckets
/// are those of the whole range either way, so the figures do not depend on the size.
#[derive(Debug, Clone)]
pub struct Histogram {
    precision: Precision,
    /// `None` until something is recorded.
    inner: Option<hdrhistogram::Histogram<u64>>,
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
        Self {
            precision,
            inner: None,
        }
    }

    /// The buckets, allocated on first use: the smallest range, growing as values come.
    fn buckets(&mut self) -> &mut hdrhistogram::Histogram<u64> {
        let precision = self.precision;
        self.inner.get_or_insert_with(|| {
            let mut h =
                hdrhistogram::Histogram::new_with_bounds(1, 2, precision.significant_digits())
                    .expect("static histogram bounds are valid");
            h.auto(true);
            h
        })
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
        let _ = self.buckets().record_n(us.clamp(1, MAX_TRACKED_US), n);
    }

    /// Adds every count of `other`. Buckets add one by one, so the percentiles of the sum
    /// are exact, never averaged; a coarser `other` adds its bucket values.
    pub fn merge(&mut self, other: &Histogram) {
        // Both grow on demand, so every value of `other` fits and add cannot fail.
        if let Some(other) = other.inner.as_ref().filter(|o| !o.is_empty()) {
            let _ = self.buckets().add(other);
        }
    }

    /// Forgets every count.
    pub fn reset(&mut self) {
        if let Some(inner) = &mut self.inner {
            inner.reset();
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.inner
            .as_ref()
            .is_none_or(hdrhistogram::Histogram::is_empty)
    }

    /// Latencies recorded.
    #[cfg(test)]
    pub fn len(&self) -> u64 {
        self.inner.as_ref().map_or(0, hdrhistogram::Histogram::len)
    }

    /// Latency at quantile `q` (0..=1), in milliseconds; 0 when empty.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        match &self.inner {
            Some(inner) if !inner.is_empty() => ms(inner.value_at_quantile(q)),
            _ => 0.0,
        }
    }

    /// The slowest latency, in milliseconds; 0 when empty.
    pub fn max_ms(&self) -> f64 {
        self.inner.as_ref().map_or(0.0, |inner| ms(inner.max()))
    }

    /// The usual percentiles, all zero when empty.
    pub fn percentiles(&self) -> Percentiles {
        let Some(inner) = self.inner.as_ref().filter(|i| !i.is_empty()) else {
            return Percentiles::default();
        };
        Percentiles {
            p50: self.quantile_ms(0.50),
            p90: self.quantile_ms(0.90),
            p95: self.quantile_ms(0.95),
            p99: self.quantile_ms(0.99),
            p999: self.quantile_ms(0.999),
            max: self.max_ms(),
            mean: inner.mean() / 1000.0,
        }
    }

    /// The recorded values as `[microseconds, count]` pairs, in increasing order: the
    /// serialised form results carry, from which [`from_pairs`](Self::from_pairs) rebuilds
    /// the histogram exactly.
    pub fn pairs(&self) -> Vec<(u64, u64)> {
        self.inner.as_ref().map_or_else(Vec::new, |inner| {
            inner
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect()
        })
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

    #[test]
    fn buckets_grown_on_demand_read_as_the_whole_range_does() {
        let mut whole =
            hdrhistogram::Histogram::<u64>::new_with_bounds(1, MAX_TRACKED_US, 3).unwrap();
        let mut grown = Histogram::default();
        assert!(
            grown.inner.is_none(),
            "an empty histogram allocates nothing"
        );
        assert!(grown.clone().pairs().is_empty());
        for i in 0..5000u64 {
            let us = 1 + (i * i * 7919) % 2_000_000;
            whole.record(us).unwrap();
            grown.record(Duration::from_micros(us));
        }
        let pairs: Vec<(u64, u64)> = whole
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect();
        assert_eq!(grown.pairs(), pairs);
        assert_eq!(grown.max_ms(), ms(whole.max()));
        for q in [0.0, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(grown.quantile_ms(q), ms(whole.value_at_quantile(q)));
        }
        let mut merged = Histogram::default();
        merged.merge(&Histogram::default());
        assert!(
            merged.inner.is_none(),
            "merging an empty one allocates nothing"
        );
        merged.merge(&grown);
        assert_eq!(merged, grown);
    }
}
