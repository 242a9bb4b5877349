//! The end of a run: the results completed (skips with their reasons), the artifacts
//! saved and the report built.

use std::time::{Duration, Instant};

use facesim::tls::Trust;

use crate::catalog::CATALOG;
use crate::report::{ConnectReport, Counts, LoadReport, RunReport, SUITE, Settings, VERSION};
use crate::verdict::{CheckResult, Finding, Reproduction, judge};

use super::config::SuiteError;
use super::runner::Runner;

impl Runner {
    /// Completes the results, saves the artifacts and builds the report.
    pub(super) fn report(
        mut self,
        started: Instant,
        started_unix: u64,
    ) -> Result<RunReport, SuiteError> {
        let reason = self.dead.clone().unwrap_or_else(|| "not run".into());
        let mut checks = Vec::new();
        for check in std::mem::take(&mut self.checks) {
            let result = match self.results.remove(&check.id) {
                Some(result) => result,
                None => judge(
                    check,
                    Finding::NotRun(reason.clone()),
                    0,
                    Duration::ZERO,
                    &self.repro,
                ),
            };
            checks.push(result);
        }
        if let Some(dir) = &self.config.artifacts {
            save_artifacts(dir, &checks, &self.repro)?;
        }
        let all = self.connects();
        let cfg = &self.config;
        let load = self.load.take().map(|outcome| {
            let stats = outcome.stats.report();
            LoadReport {
                events: outcome.events,
                concurrency: outcome.concurrency,
                elapsed_ms: outcome.elapsed.as_secs_f64() * 1000.0,
                per_second: outcome.stats.sent() as f64 / outcome.elapsed.as_secs_f64().max(1e-9),
                failures: stats.errors.clone(),
                stats,
                connections: ConnectReport::of(&outcome.connects),
                bursts: outcome.bursts,
                peak_in_flight: outcome.peak_in_flight,
            }
        });
        let tls = match (self.target.is_https(), &cfg.trust) {
            (false, _) => "none",
            (true, Trust::System) => "system",
            (true, Trust::Pinned(_)) => "pinned",
            (true, Trust::Insecure) => "insecure",
        };
        Ok(RunReport {
            suite: SUITE,
            version: VERSION,
            certifies: cfg.suite,
            target: cfg.target.to_string(),
            api: cfg.api.as_str(),
            checks_applicable: CATALOG
                .iter()
                .filter(|c| c.runs_in(cfg.suite, cfg.api))
                .count(),
            seed: cfg.seed,
            settings: Settings {
                timeout_ms: u64::try_from(cfg.timeout.as_millis()).unwrap_or(u64::MAX),
                p99_ms: u64::try_from(cfg.p99.as_millis()).unwrap_or(u64::MAX),
                load_events: cfg.load_events,
                concurrency: cfg.concurrency,
                tls,
            },
            started_unix,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            counts: Counts::of(&checks),
            checks,
            connections: ConnectReport::of(&all),
            load,
        })
    }
}

/// Saves the body of every request behind a finding (except bodies too large to save,
/// which the reproduction line regenerates), under its probe's file name.
fn save_artifacts(
    dir: &std::path::Path,
    checks: &[CheckResult],
    repro: &Reproduction,
) -> Result<(), SuiteError> {
    let write_err = |path: &std::path::Path, e: std::io::Error| SuiteError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| write_err(dir, e))?;
    for check in checks.iter().filter(|c| c.verdict.is_finding()) {
        if let Some(probe) = check.probe.as_ref().filter(|p| Reproduction::saves(p)) {
            let path = repro.body_path(probe);
            std::fs::write(&path, &probe.body).map_err(|e| write_err(&path, e))?;
        }
    }
    Ok(())
}
