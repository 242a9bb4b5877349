//! Delivery statistics and the one aggregator. [`Stats`] holds the latency [`Histogram`] and
//! the counts by outcome class of a set of pushes; it serialises with the histogram itself,
//! so results from several processes merge exactly. [`spawn`] starts the one aggregator
//! task of a run: it owns a [`Tally`] (the device's [`Stats`], or a load run's totals) and
//! workers feed it samples through a bounded channel, so no lock is held on a hot path.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::histogram::{Histogram, Precision};
use crate::wire::OutcomeClass;
pub use crate::wire::{Percentiles, StatsReport};

/// Samples in flight to a device or command aggregator before senders wait.
const CHANNEL_DEPTH: usize = 4096;

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
#[derive(Debug, Clone, Default)]
pub struct Stats {
    histogram: Histogram,
    classes: BTreeMap<OutcomeClass, u64>,
    passed: u64,
    denied: u64,
}

impl Stats {
    /// Counts one sample.
    pub fn record(&mut self, sample: &Sample) {
        self.histogram.record(sample.latency);
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
        self.histogram.merge(&other.histogram);
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
        self.histogram.quantile_ms(q)
    }

    /// The usual percentiles.
    pub fn percentiles(&self) -> Percentiles {
        self.histogram.percentiles()
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
            histogram_us: self.histogram.pairs(),
        }
    }

    /// Rebuilds statistics from a report (for merging results of several processes).
    pub fn from_report(report: &StatsReport) -> Self {
        let mut stats = Stats {
            histogram: Histogram::from_pairs(&report.histogram_us, Precision::Fine),
            ..Stats::default()
        };
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

/// What an aggregator task owns and folds samples into.
pub trait Tally: Send + 'static {
    /// What workers send, one per push.
    type Sample: Send + 'static;
    /// What a [`Recorder::view`] answers while the run goes on.
    type View: Default + Send + 'static;

    /// Counts one sample.
    fn record(&mut self, sample: Self::Sample);

    /// The figures so far.
    fn view(&self) -> Self::View;

    /// Called once, after the last sample, before the tally is handed back.
    fn finish(&mut self) {}
}

impl Tally for Stats {
    type Sample = Sample;
    type View = Stats;

    fn record(&mut self, sample: Sample) {
        Stats::record(self, &sample);
    }

    fn view(&self) -> Stats {
        self.clone()
    }
}

enum Message<T: Tally> {
    Sample(T::Sample),
    View(oneshot::Sender<T::View>),
}

/// A handle workers record samples through. Clones feed the same aggregator; when the last
/// one is dropped the aggregator finishes and yields its tally.
pub struct Recorder<T: Tally = Stats> {
    tx: mpsc::Sender<Message<T>>,
}

impl<T: Tally> Clone for Recorder<T> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
        }
    }
}

impl<T: Tally> std::fmt::Debug for Recorder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Recorder")
    }
}

impl<T: Tally> Recorder<T> {
    /// Records a sample. Waits when the aggregator is behind, which bounds memory.
    pub async fn record(&self, sample: T::Sample) {
        let _ = self.tx.send(Message::Sample(sample)).await;
    }

    /// The figures so far (the default once the aggregator is gone).
    pub async fn view(&self) -> T::View {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Message::View(tx)).await.is_err() {
            return T::View::default();
        }
        rx.await.unwrap_or_default()
    }
}

impl Recorder<Stats> {
    /// A copy of the statistics so far.
    pub async fn snapshot(&self) -> Stats {
        self.view().await
    }
}

/// Starts the one aggregator task over `tally`, with room for `depth` samples in flight.
/// The join handle yields the tally once every [`Recorder`] clone is gone.
pub fn spawn<T: Tally>(mut tally: T, depth: usize) -> (Recorder<T>, tokio::task::JoinHandle<T>) {
    let (tx, mut rx) = mpsc::channel::<Message<T>>(depth);
    let task = tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            match message {
                Message::Sample(s) => tally.record(s),
                Message::View(reply) => {
                    let _ = reply.send(tally.view());
                }
            }
        }
        tally.finish();
        tally
    });
    (Recorder { tx }, task)
}

/// Starts an aggregator of [`Stats`]: the device's, `facesim push`'s and facecert's.
pub fn spawn_aggregator() -> (Recorder, tokio::task::JoinHandle<Stats>) {
    spawn(Stats::default(), CHANNEL_DEPTH)
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
