//! The record of a run and its writers: `console` for people at a terminal, `json` for
//! tools, `junit` for CI systems and `html` for a page to attach to a certificate. These
//! writers are the only code in the library that prints.

pub mod console;
pub mod html;
pub mod json;
pub mod junit;

use std::collections::BTreeMap;
use std::path::PathBuf;

use facesim::stats::{Percentiles, StatsReport};
use facesim_proto::profile::ApiVersion;
use serde::Serialize;

use crate::load::Connects;
use crate::text::count;

use crate::verdict::{CheckResult, Verdict};

/// The name the suite reports itself under.
pub const SUITE: &str = "facecert";
/// The suite's version; the catalog's meaning is tied to it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything about one run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub suite: &'static str,
    pub version: &'static str,
    /// What was certified: `push` (a receiver at `event_dest`, `facecert run`) or `auth`
    /// (a remote-authentication server, `facecert auth`).
    pub certifies: crate::check::Suite,
    pub target: String,
    /// The API version the suite played a terminal of; only the checks that apply to it
    /// were run and are listed.
    pub api: &'static str,
    /// How many checks of the catalog apply to that version (selected or not).
    pub checks_applicable: usize,
    pub seed: u64,
    pub settings: Settings,
    /// When the run started, in Unix seconds.
    pub started_unix: u64,
    pub duration_ms: f64,
    pub counts: Counts,
    pub checks: Vec<CheckResult>,
    /// Every connection the run opened (the load phase's included), timed apart from the
    /// answers.
    pub connections: ConnectReport,
    /// The load phase, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadReport>,
}

/// The settings a run used, so a report can be reproduced.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub timeout_ms: u64,
    pub p99_ms: u64,
    pub load_events: usize,
    pub concurrency: usize,
    /// How the receiver's certificate was checked: none (http), system, pinned, insecure.
    pub tls: &'static str,
}

/// How many checks got each verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub info: usize,
    pub skip: usize,
}

impl Counts {
    pub fn of(checks: &[CheckResult]) -> Self {
        let mut counts = Counts::default();
        for check in checks {
            *counts.slot(check.verdict) += 1;
        }
        counts
    }

    fn slot(&mut self, verdict: Verdict) -> &mut usize {
        match verdict {
            Verdict::Pass => &mut self.pass,
            Verdict::Fail => &mut self.fail,
            Verdict::Warn => &mut self.warn,
            Verdict::Info => &mut self.info,
            Verdict::Skip => &mut self.skip,
        }
    }

    pub fn get(&self, verdict: Verdict) -> usize {
        match verdict {
            Verdict::Pass => self.pass,
            Verdict::Fail => self.fail,
            Verdict::Warn => self.warn,
            Verdict::Info => self.info,
            Verdict::Skip => self.skip,
        }
    }
}

/// The load phase: how many events, how fast, and the latency histogram.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub events: usize,
    pub concurrency: usize,
    pub elapsed_ms: f64,
    pub per_second: f64,
    /// Events that were not answered like a valid event, by outcome class.
    pub failures: BTreeMap<String, u64>,
    /// Answer times from the first byte sent: counts, percentiles and the full histogram
    /// (`[microseconds, count]` pairs).
    pub stats: StatsReport,
    /// The connections the load phase's terminals opened.
    pub connections: ConnectReport,
    /// How many times every terminal sent at the same instant.
    pub bursts: usize,
    /// The most requests in flight at once (sent and not yet answered), as the terminals
    /// counted them: the concurrency the receiver was shown.
    pub peak_in_flight: usize,
}

/// Connections opened, how long they took, and how many waited for a SYN
/// retransmission (a sign of a listen backlog that overflowed).
#[derive(Debug, Clone, Serialize)]
pub struct ConnectReport {
    pub attempts: usize,
    pub failed: usize,
    pub syn_retransmissions: usize,
    /// Connect times (TCP, and TLS for https) of the connections made, in milliseconds.
    pub connect_ms: Percentiles,
}

impl ConnectReport {
    pub fn of(connects: &Connects) -> Self {
        Self {
            attempts: connects.attempts(),
            failed: connects.failed,
            syn_retransmissions: connects.syn_waits,
            connect_ms: connects.stats.percentiles(),
        }
    }

    /// One sentence: how many connections, how fast, and how many waited.
    pub fn summary(&self) -> String {
        let p = &self.connect_ms;
        let mut line = format!(
            "{} opened, connect p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            count(self.attempts, "connection"),
            p.p50,
            p.p99,
            p.max
        );
        if self.failed > 0 {
            line.push_str(&format!("; {} failed", self.failed));
        }
        if self.syn_retransmissions > 0 {
            line.push_str(&format!(
                "; {} waited for a SYN retransmission",
                self.syn_retransmissions
            ));
        }
        line
    }
}

impl LoadReport {
    /// One sentence: how many events from how many devices, how fast, how many were in
    /// flight at once, and the latencies.
    pub fn summary(&self, suite: crate::check::Suite) -> String {
        let p = &self.stats.latency_ms;
        let noun = match suite {
            crate::check::Suite::Push => "event",
            crate::check::Suite::Auth => "callback",
        };
        format!(
            "{} from {} in {:.2} s ({:.0}/s, {}, peak {} in flight): answers p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            count(self.events, noun),
            count(self.concurrency, "device"),
            self.elapsed_ms / 1000.0,
            self.per_second,
            count(self.bursts, "burst"),
            self.peak_in_flight,
            p.p50,
            p.p95,
            p.p99,
            p.max
        )
    }
}

/// How a run ended, which decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// No MUST check failed.
    Passed,
    /// At least one MUST check failed.
    Failed,
    /// Every check was skipped: nothing was judged.
    NothingJudged,
}

impl RunReport {
    pub fn outcome(&self) -> Outcome {
        if self.counts.fail > 0 {
            Outcome::Failed
        } else if self.checks.iter().all(|c| c.verdict == Verdict::Skip) {
            Outcome::NothingJudged
        } else {
            Outcome::Passed
        }
    }

    /// The verdict of the whole run in words, as every report states it.
    pub fn headline(&self) -> &'static str {
        match self.outcome() {
            Outcome::Passed if self.counts.warn > 0 => "PASS with warnings: no MUST check failed",
            Outcome::Passed => "PASS: no MUST check failed",
            Outcome::Failed => "FAIL: at least one MUST check failed",
            Outcome::NothingJudged => "NOTHING JUDGED: every check was skipped",
        }
    }

    /// The process exit code: 0 passed, 1 a MUST failed, 2 nothing judged.
    pub fn exit_code(&self) -> u8 {
        match self.outcome() {
            Outcome::Passed => 0,
            Outcome::Failed => 1,
            Outcome::NothingJudged => 2,
        }
    }

    /// The result of one check, if it was part of the run.
    pub fn check(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id.as_str() == id)
    }
}
/// Where the report files go.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    pub json: Option<PathBuf>,
    pub junit: Option<PathBuf>,
    pub html: Option<PathBuf>,
}

impl Outputs {
    /// The report files of one version's run under `--api-version all`: the version
    /// goes into each name, before the extension.
    pub fn for_version(&self, version: ApiVersion) -> Outputs {
        let named = |path: &Option<PathBuf>| {
            path.as_ref().map(|p| {
                let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned());
                let mut name = format!("{}-{version}", stem.unwrap_or_default());
                if let Some(ext) = p.extension() {
                    name.push('.');
                    name.push_str(&ext.to_string_lossy());
                }
                p.with_file_name(name)
            })
        };
        Outputs {
            json: named(&self.json),
            junit: named(&self.junit),
            html: named(&self.html),
        }
    }
}
