//! The result of a load run: the JSON document (`--json`), the console summary, and the
//! threshold checks that decide the exit code. The JSON keeps the top-level keys scripts
//! rely on (`sent`, `ok`, `achieved_rate`, `target_rate`, `errors`, `latency_ms` with
//! `p50`/`p90`/`p99`/`p999`/`max`) and carries the histograms themselves as
//! `[microseconds, count]` pairs, so that results of shards merge exactly.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::LoadError;
use super::aggregate::SeriesPoint;
use crate::schedule::Arrival;
use crate::wire::OutcomeClass;
use crate::wire::{Percentiles, StatsReport};

/// Limits a run must stay within; a violation makes the command exit 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Highest acceptable p99 latency, in milliseconds.
    pub max_p99_ms: Option<f64>,
    /// Highest acceptable share of events that were not a success, in percent.
    pub max_error_rate_pct: Option<f64>,
}

impl Thresholds {
    /// Whether any limit is set.
    pub fn any(&self) -> bool {
        self.max_p99_ms.is_some() || self.max_error_rate_pct.is_some()
    }

    /// One line per limit the result breaks. A run in which no event succeeded breaks
    /// one limit whatever was set: it measured nothing about the receiver.
    pub fn check(&self, result: &LoadResult) -> Vec<String> {
        let mut violations = Vec::new();
        if result.stats.ok == 0 {
            let worst = result
                .stats
                .errors
                .iter()
                .filter(|(_, n)| **n > 0)
                .max_by_key(|(_, n)| **n)
                .map(|(class, n)| format!(" ({n} {class})"))
                .unwrap_or_default();
            violations.push(format!(
                "no event succeeded: 0 of {} sent{worst}",
                result.stats.sent
            ));
        }
        if let Some(limit) = self.max_p99_ms {
            let p99 = result.stats.latency_ms.p99;
            if p99 > limit {
                violations.push(format!(
                    "p99 latency {p99:.3} ms is over --max-p99 {limit} ms"
                ));
            }
        }
        if let Some(limit) = self.max_error_rate_pct {
            let rate = result.error_rate_pct;
            if rate > limit {
                violations.push(format!(
                    "error rate {rate:.3}% is over --max-error-rate {limit}%"
                ));
            }
        }
        violations
    }
}

/// The thresholds of a run and how it fared against them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThresholdReport {
    #[serde(flatten)]
    pub limits: Thresholds,
    /// Empty when the run passed.
    pub violations: Vec<String>,
}

/// The headline figures of one shard, kept in a merged result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartSummary {
    pub shard: Option<String>,
    pub sent: u64,
    pub ok: u64,
    pub achieved_rate: f64,
    pub p99_ms: f64,
}

/// Everything a load run (or a merge of several) measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadResult {
    /// The receiver's URL.
    pub to: String,
    /// `open` (scheduled arrivals) or `max` (closed loop).
    pub mode: String,
    pub arrival: Option<Arrival>,
    /// The rate as given: a number or a ramp.
    pub rate_spec: Option<String>,
    /// Events per second the schedule asked for, averaged over the run; `null` for `max`.
    pub target_rate: Option<f64>,
    /// Events per second actually sent over the run.
    pub achieved_rate: f64,
    /// Wall time of the run, from the first scheduled event to the last answer.
    pub duration_s: f64,
    pub started_unix_ms: u64,
    pub connections: usize,
    pub devices: u64,
    /// `I/N` for one shard of a split load.
    pub shard: Option<String>,
    /// `sent`, `ok`, `passed`, `denied`, `errors` (by class), `latency_ms`, `histogram_us`.
    /// Latency is from the scheduled send time.
    #[serde(flatten)]
    pub stats: StatsReport,
    /// Arrivals the schedule produced (in the closed loop: events sent). With Poisson
    /// arrivals this varies around the target by chance; `sent` against it shows whether
    /// the load generator kept up.
    #[serde(default)]
    pub scheduled: u64,
    /// Events never sent because the run ended first (also counted as timeouts).
    pub unsent: u64,
    /// Share of events that were not a success, in percent.
    pub error_rate_pct: f64,
    /// Time from the actual send to the end of the answer.
    pub service_ms: Percentiles,
    pub service_histogram_us: Vec<(u64, u64)>,
    /// The first failure seen of each class, to say what went wrong.
    pub error_examples: BTreeMap<String, String>,
    /// The run was cut short (Ctrl-C).
    pub interrupted: bool,
    pub thresholds: ThresholdReport,
    /// The shards a merged result was made from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartSummary>,
    /// Per-second counts and latency, by completion time.
    pub series: Vec<SeriesPoint>,
}

impl LoadResult {
    /// Whether every threshold held.
    pub fn passed(&self) -> bool {
        self.thresholds.violations.is_empty()
    }

    /// Re-checks the thresholds (after a merge, or with new limits).
    pub fn apply_thresholds(&mut self, limits: Thresholds) {
        self.thresholds.limits = limits;
        self.thresholds.violations = limits.check(self);
    }

    /// Fills in the figures derived from the counts: every error class (zeros included,
    /// so that scripts can read any of them) and the error rate.
    pub(crate) fn complete_counts(&mut self) {
        for class in OutcomeClass::ALL
            .into_iter()
            .filter(|c| *c != OutcomeClass::Success)
        {
            self.stats
                .errors
                .entry(class.label().to_string())
                .or_insert(0);
        }
        let sent = self.stats.sent;
        self.error_rate_pct = if sent == 0 {
            0.0
        } else {
            (sent - self.stats.ok.min(sent)) as f64 * 100.0 / sent as f64
        };
    }

    /// The result as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a load result always serialises")
    }

    /// Writes the JSON result.
    ///
    /// # Errors
    /// [`LoadError::Output`] when the file cannot be written.
    pub fn write_json(&self, path: &Path) -> Result<(), LoadError> {
        std::fs::write(path, self.to_json() + "\n").map_err(|e| LoadError::Output {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// Reads a JSON result written by [`write_json`](Self::write_json).
    ///
    /// # Errors
    /// [`LoadError::Input`] when the file cannot be read or is not a load result.
    pub fn read_json(path: &Path) -> Result<Self, LoadError> {
        let input = |reason: String| LoadError::Input {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| input(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| input(format!("not a facesim load result: {e}")))
    }

    /// The console summary printed at the end of a run.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let s = &self.stats;
        let model = match (self.mode.as_str(), self.arrival) {
            ("open", Some(a)) => format!("open model, {} arrivals", arrival_label(a)),
            ("max", _) => "closed loop (--max)".to_string(),
            (m, _) => m.to_string(),
        };
        let shard = self
            .shard
            .as_ref()
            .map(|s| format!(", shard {s}"))
            .unwrap_or_default();
        let merged = if self.parts.is_empty() {
            String::new()
        } else {
            format!(", {} results merged", self.parts.len())
        };
        let _ = writeln!(
            out,
            "facesim load -> {}\n  {model}, {} devices, {} connections{shard}{merged}{}",
            self.to,
            self.devices,
            self.connections,
            if self.interrupted {
                " (interrupted)"
            } else {
                ""
            }
        );
        // A ramp's target changes over the run; its average is what the achieved rate
        // compares with, and the ramp itself says where it was at each moment.
        let ramp = self.rate_spec.as_deref().filter(|spec| spec.contains(':'));
        let target = match (self.target_rate, ramp) {
            (None, _) => "as fast as possible".to_string(),
            (Some(t), Some(spec)) => format!("{t:.1}/s on average over the ramp {spec},"),
            (Some(t), None) => format!("{t:.1}/s"),
        };
        let _ = writeln!(
            out,
            "  rate        target {target}   achieved {:.1}/s over {:.2} s",
            self.achieved_rate, self.duration_s
        );
        if self.mode == "open" {
            let _ = writeln!(
                out,
                "  schedule    {} arrivals scheduled, {} sent{}",
                self.scheduled,
                self.stats.sent - self.unsent.min(self.stats.sent),
                if self.unsent > 0 {
                    ", the rest never got a connection"
                } else {
                    ""
                }
            );
        }
        let ok_pct = if s.sent == 0 {
            0.0
        } else {
            s.ok as f64 * 100.0 / s.sent as f64
        };
        let _ = writeln!(
            out,
            "  events      sent {}   ok {} ({ok_pct:.2}%)   pass {}   deny {}",
            s.sent, s.ok, s.passed, s.denied
        );
        let errors: Vec<String> = s
            .errors
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(class, n)| format!("{class} {n}"))
            .collect();
        let unsent = if self.unsent > 0 {
            format!(" ({} never sent)", self.unsent)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  errors      {}{unsent}",
            if errors.is_empty() {
                "none".to_string()
            } else {
                errors.join("   ")
            }
        );
        let _ = writeln!(
            out,
            "  latency ms  {}  (from the scheduled send time)",
            percentiles(&s.latency_ms)
        );
        let _ = writeln!(
            out,
            "  service ms  {}  (from the actual send)",
            percentiles(&self.service_ms)
        );
        for (class, example) in &self.error_examples {
            let _ = writeln!(out, "  first {class}: {example}");
        }
        if self.thresholds.limits.any() && self.passed() {
            let _ = writeln!(out, "  thresholds  all met");
        }
        for v in &self.thresholds.violations {
            let _ = writeln!(out, "  FAILED      {v}");
        }
        out
    }
}

fn arrival_label(a: Arrival) -> &'static str {
    match a {
        Arrival::Poisson => "poisson",
        Arrival::Constant => "constant",
    }
}

fn percentiles(p: &Percentiles) -> String {
    format!(
        "p50 {:.3}   p90 {:.3}   p99 {:.3}   p99.9 {:.3}   max {:.3}",
        p.p50, p.p90, p.p99, p.p999, p.max
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small result for tests of the report writers.
    pub(crate) fn sample_result() -> LoadResult {
        let mut stats = crate::stats::Stats::default();
        for i in 1..=100u64 {
            let class = if i % 20 == 0 {
                OutcomeClass::Timeout
            } else {
                OutcomeClass::Success
            };
            stats.record(&crate::stats::Sample {
                latency: std::time::Duration::from_millis(i),
                class,
                pass: (class == OutcomeClass::Success).then_some(i % 3 != 0),
            });
        }
        let mut result = LoadResult {
            to: "http://127.0.0.1:1/e".into(),
            mode: "open".into(),
            arrival: Some(Arrival::Constant),
            rate_spec: Some("100".into()),
            target_rate: Some(100.0),
            achieved_rate: 99.5,
            duration_s: 1.0,
            started_unix_ms: 0,
            connections: 4,
            devices: 10,
            shard: None,
            stats: stats.report(),
            scheduled: 100,
            unsent: 0,
            error_rate_pct: 0.0,
            service_ms: Percentiles::default(),
            service_histogram_us: Vec::new(),
            error_examples: BTreeMap::from([("timeout".into(), "no answer within 3000 ms".into())]),
            interrupted: false,
            thresholds: ThresholdReport::default(),
            parts: Vec::new(),
            series: vec![SeriesPoint {
                t: 0,
                sent: 100,
                ok: 95,
                errors: 5,
                histogram_us: vec![(1000, 50), (100_000, 50)],
            }],
        };
        result.complete_counts();
        result
    }

    #[test]
    fn json_keeps_the_keys_scripts_rely_on() {
        let result = sample_result();
        let v: serde_json::Value = serde_json::from_str(&result.to_json()).unwrap();
        for key in [
            "sent",
            "ok",
            "achieved_rate",
            "target_rate",
            "errors",
            "latency_ms",
            "histogram_us",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        for key in ["p50", "p90", "p99", "p999", "max"] {
            assert!(
                v["latency_ms"].get(key).is_some(),
                "missing latency_ms.{key}"
            );
        }
        assert_eq!(v["errors"]["timeout"], 5);
        assert_eq!(v["errors"]["connect_error"], 0);
        assert!((result.error_rate_pct - 5.0).abs() < 1e-9);
        let back: LoadResult = serde_json::from_str(&result.to_json()).unwrap();
        assert_eq!(back, result);
    }

    #[test]
    fn thresholds_report_violations() {
        let mut result = sample_result();
        result.apply_thresholds(Thresholds {
            max_p99_ms: Some(50.0),
            max_error_rate_pct: Some(10.0),
        });
        assert_eq!(
            result.thresholds.violations.len(),
            1,
            "{:?}",
            result.thresholds
        );
        assert!(result.thresholds.violations[0].contains("p99"));
        result.apply_thresholds(Thresholds {
            max_p99_ms: None,
            max_error_rate_pct: Some(1.0),
        });
        assert!(!result.passed());
        assert!(result.summary().contains("FAILED      error rate"));
        // A run in which nothing succeeded fails whatever the limits.
        result.stats.ok = 0;
        result.apply_thresholds(Thresholds::default());
        assert!(!result.passed());
        assert!(result.summary().contains("no event succeeded"));
    }
}
