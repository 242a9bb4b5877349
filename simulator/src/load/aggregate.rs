//! What the aggregator of a load run counts. Workers send a [`LoadSample`] per event
//! through the bounded channel of the one aggregator ([`stats::spawn`]); its [`Totals`]
//! own every histogram of the run: the run's [`Stats`] (latency from the scheduled time,
//! answer classes, pass/deny), the service-time histogram (from the actual send), and a
//! per-second [`SeriesPoint`] time series for the "latency over time" plot. Per-second
//! histograms are kept at two significant digits, so even an hour-long run's series stays
//! small, and merge exactly like the main histogram.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::histogram::{Histogram, Precision};
use crate::stats::{self, Sample, Stats, Tally};
use crate::wire::OutcomeClass;

/// Samples in flight to the aggregator before workers wait.
const CHANNEL_DEPTH: usize = 8192;

/// One event as the aggregator sees it.
#[derive(Debug, Clone)]
pub(crate) struct LoadSample {
    pub sample: Sample,
    /// From the actual send to the end of the answer; `None` for events never sent.
    pub service: Option<Duration>,
    /// When the answer completed, in milliseconds from the start of the run.
    pub done_ms: u64,
    /// What went wrong, for the first failure of each class a worker sees.
    pub failure: Option<String>,
}

/// One second of the run: counts and a coarse latency histogram of the events whose
/// answers completed in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// Seconds from the start of the run.
    pub t: u64,
    pub sent: u64,
    pub ok: u64,
    pub errors: u64,
    /// Latency from the scheduled time, `[microseconds, count]`, two significant digits.
    pub histogram_us: Vec<(u64, u64)>,
}

impl SeriesPoint {
    /// The latency at quantile `q` of this second, in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        Histogram::from_pairs(&self.histogram_us, Precision::Coarse).quantile_ms(q)
    }

    /// The slowest answer of this second, in milliseconds.
    pub fn max_ms(&self) -> f64 {
        self.histogram_us
            .last()
            .map_or(0.0, |&(us, _)| us as f64 / 1000.0)
    }

    /// Adds another point of the same second (from another shard).
    pub(crate) fn merge(&mut self, other: &SeriesPoint) {
        self.sent += other.sent;
        self.ok += other.ok;
        self.errors += other.errors;
        let mut h = Histogram::from_pairs(&self.histogram_us, Precision::Coarse);
        h.merge(&Histogram::from_pairs(
            &other.histogram_us,
            Precision::Coarse,
        ));
        self.histogram_us = h.pairs();
    }
}

/// Everything the aggregator counted: the [`Tally`] of a load run.
#[derive(Debug, Clone)]
pub(crate) struct Totals {
    pub stats: Stats,
    pub service: Histogram,
    pub series: Vec<SeriesPoint>,
    /// The first failure message seen per class label.
    pub examples: BTreeMap<String, String>,
    /// The second being filled.
    second: Second,
}

impl Default for Totals {
    fn default() -> Self {
        Self {
            stats: Stats::default(),
            service: Histogram::new(Precision::Fine),
            series: Vec::new(),
            examples: BTreeMap::new(),
            second: Second::default(),
        }
    }
}

/// What the progress display and the live `/metrics` ask for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Progress {
    pub sent: u64,
    pub ok: u64,
    pub p99_ms: f64,
    /// Every answer so far, by class, with the latency histogram.
    pub stats: Stats,
}

impl Tally for Totals {
    type Sample = LoadSample;
    type View = Progress;

    fn record(&mut self, s: LoadSample) {
        self.stats.record(&s.sample);
        if let Some(service) = s.service {
            self.service.record(service);
        }
        if let Some(failure) = s.failure {
            self.examples
                .entry(s.sample.class.label().to_string())
                .or_insert(failure);
        }
        self.second.record(&s.sample, s.done_ms, &mut self.series);
    }

    fn view(&self) -> Progress {
        Progress {
            sent: self.stats.sent(),
            ok: self.stats.ok(),
            p99_ms: self.stats.quantile_ms(0.99),
            stats: self.stats.clone(),
        }
    }

    fn finish(&mut self) {
        self.second.flush(&mut self.series);
    }
}

/// A worker's handle to the run's aggregator.
pub(crate) type Recorder = stats::Recorder<Totals>;

impl stats::Recorder<Totals> {
    /// The figures so far.
    pub(crate) async fn progress(&self) -> Progress {
        self.view().await
    }
}

/// Starts the run's aggregator; its handle yields the totals once every [`Recorder`] is
/// gone.
pub(crate) fn spawn() -> (Recorder, tokio::task::JoinHandle<Totals>) {
    stats::spawn(Totals::default(), CHANNEL_DEPTH)
}

/// The second being filled.
#[derive(Debug, Clone)]
struct Second {
    t: u64,
    sent: u64,
    ok: u64,
    errors: u64,
    histogram: Histogram,
}

impl Default for Second {
    fn default() -> Self {
        Self {
            t: 0,
            sent: 0,
            ok: 0,
            errors: 0,
            histogram: Histogram::new(Precision::Coarse),
        }
    }
}

impl Second {
    fn record(&mut self, s: &Sample, done_ms: u64, series: &mut Vec<SeriesPoint>) {
        let t = done_ms / 1000;
        // Samples arrive in completion order, give or take the channel; a straggler from
        // a second already written is counted in the current one.
        if t > self.t {
            self.flush(series);
            self.t = t;
        }
        self.sent += 1;
        if s.class == OutcomeClass::Success {
            self.ok += 1;
        } else {
            self.errors += 1;
        }
        self.histogram.record(s.latency);
    }

    fn flush(&mut self, series: &mut Vec<SeriesPoint>) {
        if self.sent == 0 {
            return;
        }
        series.push(SeriesPoint {
            t: self.t,
            sent: self.sent,
            ok: self.ok,
            errors: self.errors,
            histogram_us: self.histogram.pairs(),
        });
        self.sent = 0;
        self.ok = 0;
        self.errors = 0;
        self.histogram.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(ms: u64, done_ms: u64, class: OutcomeClass) -> LoadSample {
        LoadSample {
            sample: Sample {
                latency: Duration::from_millis(ms),
                class,
                pass: Some(true),
            },
            service: Some(Duration::from_millis(ms / 2)),
            done_ms,
            failure: (class != OutcomeClass::Success).then(|| format!("failure at {done_ms}")),
        }
    }

    #[tokio::test]
    async fn series_has_one_point_per_busy_second() {
        let (rec, task) = spawn();
        rec.record(sample(10, 100, OutcomeClass::Success)).await;
        rec.record(sample(20, 900, OutcomeClass::Timeout)).await;
        rec.record(sample(30, 2500, OutcomeClass::Success)).await;
        rec.record(sample(40, 2600, OutcomeClass::Timeout)).await;
        assert_eq!(rec.progress().await.sent, 4);
        drop(rec);
        let totals = task.await.unwrap();
        assert_eq!(totals.stats.sent(), 4);
        assert_eq!(totals.series.len(), 2);
        assert_eq!(
            (
                totals.series[0].t,
                totals.series[0].sent,
                totals.series[0].errors
            ),
            (0, 2, 1)
        );
        assert_eq!(totals.series[1].t, 2);
        assert!((totals.series[1].max_ms() - 40.0).abs() < 0.5);
        assert_eq!(totals.examples["timeout"], "failure at 900");
        assert!((totals.service.max_ms() - 20.0).abs() < 0.1);
    }

    #[test]
    fn points_merge_exactly() {
        let mut a = SeriesPoint {
            t: 3,
            sent: 2,
            ok: 2,
            errors: 0,
            histogram_us: vec![(1000, 1), (2000, 1)],
        };
        let b = SeriesPoint {
            t: 3,
            sent: 1,
            ok: 0,
            errors: 1,
            histogram_us: vec![(2000, 1)],
        };
        a.merge(&b);
        assert_eq!((a.sent, a.ok, a.errors), (3, 2, 1));
        let mut all = Histogram::new(Precision::Coarse);
        for us in [1000, 2000, 2000] {
            all.record(Duration::from_micros(us));
        }
        assert_eq!(a.histogram_us, all.pairs());
        assert!((a.quantile_ms(0.5) - 2.0).abs() < 0.05);
    }
}
