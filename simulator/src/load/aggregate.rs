//! The one aggregator of a load run. Workers send a [`LoadSample`] per event through a
//! bounded channel; this task owns every histogram: the run's [`Stats`] (latency from the
//! scheduled time, answer classes, pass/deny), the service-time histogram (from the actual
//! send), and a per-second [`SeriesPoint`] time series for the "latency over time" plot.
//! Per-second histograms are kept at two significant digits, so even an hour-long run's
//! series stays small, and merge exactly like the main histogram.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::push::OutcomeClass;
use crate::stats::{Sample, Stats};

/// Highest latency tracked, in microseconds (ten minutes), as in [`Stats`].
pub(crate) const MAX_TRACKED_US: u64 = 600_000_000;
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
        let h = histogram_from_pairs(&self.histogram_us, 2);
        if h.is_empty() {
            0.0
        } else {
            h.value_at_quantile(q) as f64 / 1000.0
        }
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
        let mut h = histogram_from_pairs(&self.histogram_us, 2);
        let _ = h.add(histogram_from_pairs(&other.histogram_us, 2));
        self.histogram_us = pairs(&h);
    }
}

/// A histogram of `[microseconds, count]` pairs at `sigfig` significant digits.
pub(crate) fn histogram_from_pairs(pairs: &[(u64, u64)], sigfig: u8) -> Histogram<u64> {
    let mut h = new_histogram(sigfig);
    for &(us, n) in pairs {
        let _ = h.record_n(us.clamp(1, MAX_TRACKED_US), n);
    }
    h
}

/// The recorded values of a histogram as `[microseconds, count]` pairs.
pub(crate) fn pairs(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    h.iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect()
}

pub(crate) fn new_histogram(sigfig: u8) -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_TRACKED_US, sigfig)
        .expect("static histogram bounds are valid")
}

/// Everything the aggregator counted.
#[derive(Debug, Clone)]
pub(crate) struct Totals {
    pub stats: Stats,
    pub service: Histogram<u64>,
    pub series: Vec<SeriesPoint>,
    /// The first failure message seen per class label.
    pub examples: BTreeMap<String, String>,
}

/// What the progress display asks for.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Progress {
    pub sent: u64,
    pub ok: u64,
    pub p99_ms: f64,
}

enum Message {
    Sample(LoadSample),
    Progress(oneshot::Sender<Progress>),
}

/// A worker's handle to the aggregator.
#[derive(Clone)]
pub(crate) struct Recorder {
    tx: mpsc::Sender<Message>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Recorder")
    }
}

impl Recorder {
    /// Records one event; waits when the aggregator is behind, which bounds memory.
    pub(crate) async fn record(&self, sample: LoadSample) {
        let _ = self.tx.send(Message::Sample(sample)).await;
    }

    /// The figures so far.
    pub(crate) async fn progress(&self) -> Progress {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Message::Progress(tx)).await.is_err() {
            return Progress::default();
        }
        rx.await.unwrap_or_default()
    }
}

/// Starts the aggregator; its handle yields the totals once every [`Recorder`] is gone.
pub(crate) fn spawn() -> (Recorder, tokio::task::JoinHandle<Totals>) {
    let (tx, mut rx) = mpsc::channel(CHANNEL_DEPTH);
    let task = tokio::spawn(async move {
        let mut totals = Totals {
            stats: Stats::default(),
            service: new_histogram(3),
            series: Vec::new(),
            examples: BTreeMap::new(),
        };
        let mut second = Second::default();
        while let Some(message) = rx.recv().await {
            match message {
                Message::Sample(s) => {
                    totals.stats.record(&s.sample);
                    if let Some(service) = s.service {
                        let us = u64::try_from(service.as_micros()).unwrap_or(u64::MAX);
                        totals
                            .service
                            .saturating_record(us.clamp(1, MAX_TRACKED_US));
                    }
                    if let Some(failure) = &s.failure {
                        totals
                            .examples
                            .entry(s.sample.class.label().to_string())
                            .or_insert_with(|| failure.clone());
                    }
                    second.record(&s, &mut totals.series);
                }
                Message::Progress(reply) => {
                    let _ = reply.send(Progress {
                        sent: totals.stats.sent(),
                        ok: totals.stats.ok(),
                        p99_ms: totals.stats.quantile_ms(0.99),
                    });
                }
            }
        }
        second.flush(&mut totals.series);
        totals
    });
    (Recorder { tx }, task)
}

/// The second being filled.
struct Second {
    t: u64,
    sent: u64,
    ok: u64,
    errors: u64,
    histogram: Histogram<u64>,
}

impl Default for Second {
    fn default() -> Self {
        Self {
            t: 0,
            sent: 0,
            ok: 0,
            errors: 0,
            histogram: new_histogram(2),
        }
    }
}

impl Second {
    fn record(&mut self, s: &LoadSample, series: &mut Vec<SeriesPoint>) {
        let t = s.done_ms / 1000;
        // Samples arrive in completion order, give or take the channel; a straggler from
        // a second already written is counted in the current one.
        if t > self.t {
            self.flush(series);
            self.t = t;
        }
        self.sent += 1;
        if s.sample.class == OutcomeClass::Success {
            self.ok += 1;
        } else {
            self.errors += 1;
        }
        let us = u64::try_from(s.sample.latency.as_micros()).unwrap_or(u64::MAX);
        self.histogram
            .saturating_record(us.clamp(1, MAX_TRACKED_US));
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
            histogram_us: pairs(&self.histogram),
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
        assert!((totals.service.max() as f64 / 1000.0 - 20.0).abs() < 0.1);
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
        let mut all = new_histogram(2);
        for us in [1000, 2000, 2000] {
            all.record(us).unwrap();
        }
        assert_eq!(a.histogram_us, pairs(&all));
        assert!((a.quantile_ms(0.5) - 2.0).abs() < 0.05);
    }
}
