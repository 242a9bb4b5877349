//! Delivery statistics: one aggregator task owns an HDR latency histogram and the counts by
//! outcome class; workers send it samples through a bounded channel. Results serialise
//! with the histogram itself, so results from several processes merge exactly.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::push::OutcomeClass;

/// Highest latency the histogram tracks, in microseconds (ten minutes); longer ones are
/// clamped, since no answer that late matters to a terminal.
const MAX_TRACKED_US: u64 = 600_000_000;

/// One push as the statistics see it.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Latency from the scheduled send time to the end of the answer.
    pub latency: Duration,
    pub class: OutcomeClass,
    /// The door decision of a success answer.
    pub pass: Option<bool>,
}

/// Counts and latency histogram of a set of pushes.
#[derive(Debug, Clone)]
pub struct Stats {
    histogram: Histogram<u64>,
    classes: BTreeMap<OutcomeClass, u64>,
    passed: u64,
    denied: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            histogram: new_histogram(),
            classes: BTreeMap::new(),
            passed: 0,
            denied: 0,
        }
    }
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_TRACKED_US, 3).expect("static histogram bounds are valid")
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

/// The serialisable form of [`Stats`]: readable figures plus the histogram as
/// `[microseconds, count]` pairs, from which [`Stats`] is rebuilt exactly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsReport {
    pub sent: u64,
    pub ok: u64,
    pub passed: u64,
    pub denied: u64,
    /// Count per outcome class other than success.
    pub errors: BTreeMap<String, u64>,
    pub latency_ms: Percentiles,
    pub histogram_us: Vec<(u64, u64)>,
}

impl Stats {
    /// Counts one sample.
    pub fn record(&mut self, sample: &Sample) {
        let us = u64::try_from(sample.latency.as_micros()).unwrap_or(u64::MAX);
        self.histogram
            .saturating_record(us.clamp(1, MAX_TRACKED_US));
        *self.classes.entry(sample.class).or_default() += 1;
        match sample.pass {
            Some(true) => self.passed += 1,
            Some(false) => self.denied += 1,
            None => {}
        }
    }

    /// Adds another set of pushes to this one. Histograms add bucket by bucket, so merged
    /// percentiles are exact, not averaged.
    pub fn merge(&mut self, other: &Stats) {
        // Both histograms share bounds and precision, so add cannot fail.
        let _ = self.histogram.add(&other.histogram);
        for (class, n) in &other.classes {
            *self.classes.entry(*class).or_default() += n;
        }
        self.passed += other.passed;
        self.denied += other.denied;
    }

    /// Pushes counted.
    pub fn sent(&self) -> u64 {
        self.classes.values().sum()
    }

    /// Pushes in one class.
    pub fn count(&self, class: OutcomeClass) -> u64 {
        self.classes.get(&class).copied().unwrap_or(0)
    }

    /// Success answers.
    pub fn ok(&self) -> u64 {
        self.count(OutcomeClass::Success)
    }

    /// Pushes that were not a success, of any class.
    pub fn failed(&self) -> u64 {
        self.sent() - self.ok()
    }

    /// Latency at quantile `q` (0..=1), in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.histogram.is_empty() {
            return 0.0;
        }
        self.histogram.value_at_quantile(q) as f64 / 1000.0
    }

    /// The usual percentiles.
    pub fn percentiles(&self) -> Percentiles {
        let h = &self.histogram;
        if h.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            p50: self.quantile_ms(0.50),
            p90: self.quantile_ms(0.90),
            p95: self.quantile_ms(0.95),
            p99: self.quantile_ms(0.99),
            p999: self.quantile_ms(0.999),
            max: h.max() as f64 / 1000.0,
            mean: h.mean() / 1000.0,
        }
    }

    /// The serialisable report.
    pub fn report(&self) -> StatsReport {
        StatsReport {
            sent: self.sent(),
            ok: self.ok(),
            passed: self.passed,
            denied: self.denied,
            errors: self
                .classes
                .iter()
                .filter(|(c, n)| **c != OutcomeClass::Success && **n > 0)
                .map(|(c, n)| (c.label().to_string(), *n))
                .collect(),
            latency_ms: self.percentiles(),
            histogram_us: self
                .histogram
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect(),
        }
    }

    /// Rebuilds statistics from a report (for merging results of several processes).
    pub fn from_report(report: &StatsReport) -> Self {
        let mut stats = Stats::default();
        for &(us, n) in &report.histogram_us {
            let _ = stats.histogram.record_n(us.clamp(1, MAX_TRACKED_US), n);
        }
        let failed: u64 = report.errors.values().sum();
        for class in OutcomeClass::ALL {
            let n = if class == OutcomeClass::Success {
                report.ok
            } else {
                report.errors.get(class.label()).copied().unwrap_or(0)
            };
            if n > 0 {
                stats.classes.insert(class, n);
            }
        }
        debug_assert_eq!(report.ok + failed, report.sent);
        stats.passed = report.passed;
        stats.denied = report.denied;
        stats
    }
}

enum Message {
    Sample(Sample),
    Snapshot(oneshot::Sender<Stats>),
}

/// A handle workers record samples through. Clones feed the same aggregator; when the last
/// one is dropped the aggregator finishes and yields its totals.
#[derive(Clone, Debug)]
pub struct Recorder {
    tx: mpsc::Sender<Message>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stats message")
    }
}

impl Recorder {
    /// Records a sample. Waits when the aggregator is behind, which bounds memory.
    pub async fn record(&self, sample: Sample) {
        let _ = self.tx.send(Message::Sample(sample)).await;
    }

    /// A copy of the statistics so far.
    pub async fn snapshot(&self) -> Stats {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Message::Snapshot(tx)).await.is_err() {
            return Stats::default();
        }
        rx.await.unwrap_or_default()
    }
}

/// Starts the aggregator task. The join handle yields the final statistics once every
/// [`Recorder`] clone is gone.
pub fn spawn_aggregator() -> (Recorder, tokio::task::JoinHandle<Stats>) {
    let (tx, mut rx) = mpsc::channel::<Message>(4096);
    let task = tokio::spawn(async move {
        let mut stats = Stats::default();
        while let Some(message) = rx.recv().await {
            match message {
                Message::Sample(s) => stats.record(&s),
                Message::Snapshot(reply) => {
                    let _ = reply.send(stats.clone());
                }
            }
        }
        stats
    });
    (Recorder { tx }, task)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(ms: u64, class: OutcomeClass) -> Sample {
        Sample {
            latency: Duration::from_millis(ms),
            class,
            pass: (class == OutcomeClass::Success).then_some(ms % 2 == 0),
        }
    }

    #[test]
    fn merge_equals_recording_everything_in_one() {
        let mut a = Stats::default();
        let mut b = Stats::default();
        let mut all = Stats::default();
        for i in 1..=1000u64 {
            let class = if i % 10 == 0 {
                OutcomeClass::Timeout
            } else {
                OutcomeClass::Success
            };
            let s = sample(i, class);
            if i % 3 == 0 {
                a.record(&s)
            } else {
                b.record(&s)
            }
            all.record(&s);
        }
        let mut merged = Stats::from_report(&a.report());
        merged.merge(&Stats::from_report(&b.report()));
        assert_eq!(merged.report(), all.report());
        assert_eq!(all.count(OutcomeClass::Timeout), 100);
        assert!((all.quantile_ms(0.5) - 500.0).abs() < 1.0);
    }

    #[tokio::test]
    async fn aggregator_counts_what_recorders_send() {
        let (rec, task) = spawn_aggregator();
        for i in 0..50 {
            rec.record(sample(i, OutcomeClass::Success)).await;
        }
        assert_eq!(rec.snapshot().await.sent(), 50);
        drop(rec);
        let stats = task.await.unwrap();
        assert_eq!(stats.ok(), 50);
        assert_eq!(stats.report().errors.len(), 0);
    }
}
