//! Running the catalog against a receiver. The baseline event goes first: every other
//! check compares with its answer, so when it is not accepted the run stops there. Then
//! come the transport checks, the real records, forward compatibility, the decisions, the
//! load phase and, last, the bad requests, each followed by a liveness probe. Requests
//! are sent one at a time, each on a fresh connection, except in the load phase. When a
//! request gets no answer at all, a liveness probe tells a dead receiver from a broken
//! request; once the receiver is dead, the checks not yet run are skipped with the reason,
//! so an early death is reported once, where it happened.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use facesim::tls::Trust;
use facesim::wire::RecognizeStatus;
use url::Url;

use crate::catalog::{CATALOG, Check};
use crate::client::{ClientError, Target};
use crate::load;
use crate::probe::{Factory, Probe};
use crate::report::{Counts, LoadReport, RunReport, SUITE, Settings, VERSION};
use crate::robust;
use crate::rules::{self, RULES};
use crate::shape::{Body, Form, lets_through};
use crate::verdict::{CheckResult, Finding, Reproduction, judge};
use crate::wireio::{Failure, Response};

/// How many consecutive fresh connections T-04 opens.
const BURST: u64 = 20;
/// What a record check expects of every answer.
const LIKE_BASELINE: &str =
    "HTTP 200 and an answer of the same form and `code` as the baseline event's";

/// Why the suite could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SuiteError {
    /// The target does not accept connections.
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The target or its TLS settings are unusable.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// `--only` or `--skip` names a check that does not exist.
    #[error("unknown check `{0}` (see `facecert list`)")]
    UnknownCheck(String),
    /// The selection leaves no check to run.
    #[error("no check selected")]
    NothingSelected,
    /// A report or artifact could not be written.
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    /// The request bodies could not be built (a bug: it should never happen).
    #[error("cannot build the requests: {0}")]
    Requests(String),
    /// The run was interrupted.
    #[error("interrupted")]
    Interrupted,
}

/// Which checks to run: all, or those in `--only`, minus those in `--skip`.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    only: Option<Vec<&'static str>>,
    skip: Vec<&'static str>,
}

impl Selection {
    /// Builds a selection from check IDs (case-insensitive).
    ///
    /// # Errors
    /// [`SuiteError::UnknownCheck`] for an ID not in the catalog.
    pub fn new(only: &[String], skip: &[String]) -> Result<Self, SuiteError> {
        let resolve = |ids: &[String]| -> Result<Vec<&'static str>, SuiteError> {
            ids.iter()
                .map(|id| {
                    crate::catalog::find(id.trim())
                        .map(|c| c.id)
                        .ok_or_else(|| SuiteError::UnknownCheck(id.clone()))
                })
                .collect()
        };
        Ok(Self {
            only: if only.is_empty() {
                None
            } else {
                Some(resolve(only)?)
            },
            skip: resolve(skip)?,
        })
    }

    pub fn includes(&self, id: &str) -> bool {
        self.only.as_ref().is_none_or(|only| only.contains(&id)) && !self.skip.contains(&id)
    }

    /// The selected checks, in catalog order.
    pub fn checks(&self) -> Vec<&'static Check> {
        CATALOG.iter().filter(|c| self.includes(c.id)).collect()
    }
}

/// Everything a run needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub target: Url,
    pub trust: Trust,
    /// The curl option matching the trust (`--cacert FILE`, `--insecure`), for
    /// reproduction lines.
    pub curl_tls: Option<String>,
    /// Longest an answer may take (P-01), and the load phase's per-request timeout.
    pub timeout: Duration,
    /// Highest p99 latency allowed in the load phase (P-02).
    pub p99: Duration,
    pub load_events: usize,
    pub concurrency: usize,
    pub seed: u64,
    pub selection: Selection,
    /// Where the bodies of requests behind findings are saved.
    pub artifacts: Option<PathBuf>,
}

impl Config {
    /// How long the suite waits for an answer before it gives up on it: well past the
    /// timeout, so that a late answer is measured (and judged by P-01) rather than lost.
    pub fn answer_limit(&self) -> Duration {
        (self.timeout * 3).max(self.timeout + Duration::from_secs(2))
    }
}

/// One request the suite sent, and what came of it.
#[derive(Debug)]
pub(crate) struct Sent {
    pub probe: Arc<Probe>,
    pub elapsed: Duration,
    pub result: Result<Response, Failure>,
    /// Whether the answer time counts for P-01 (not for the huge body).
    pub timed: bool,
}

/// Runs the selected checks against the target and returns the report.
///
/// # Errors
/// [`SuiteError`] when the suite cannot run at all: the target is unusable or
/// unreachable, the selection is empty, or artifacts cannot be written.
pub async fn execute(config: &Config) -> Result<RunReport, SuiteError> {
    let started = Instant::now();
    let started_unix = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if config.selection.checks().is_empty() {
        return Err(SuiteError::NothingSelected);
    }
    let target = Target::new(&config.target, &config.trust)?;
    // Only a target that refuses connections outright means the suite cannot run; one
    // that accepts and then misbehaves is what the checks are for.
    match tokio::time::timeout(config.answer_limit(), target.reach()).await {
        Ok(Ok(())) => {}
        Ok(Err(failure)) => {
            return Err(SuiteError::Unreachable {
                url: config.target.to_string(),
                reason: failure.to_string(),
            });
        }
        Err(_) => {
            return Err(SuiteError::Unreachable {
                url: config.target.to_string(),
                reason: "connection attempt timed out".into(),
            });
        }
    }
    let seed = config.seed;
    let factory = tokio::task::spawn_blocking(move || Factory::new(seed))
        .await
        .map_err(|e| SuiteError::Requests(e.to_string()))?;
    let mut runner = Runner::new(config, target, factory);
    runner.run_all().await;
    runner.report(started, started_unix)
}

pub(crate) struct Runner<'a> {
    pub config: &'a Config,
    pub target: Target,
    pub factory: Factory,
    pub limit: Duration,
    pub baseline: Option<Form>,
    pub sent: Vec<Sent>,
    results: HashMap<&'static str, CheckResult>,
    pub dead: Option<String>,
    load: Option<load::LoadOutcome>,
    repro: Reproduction,
    /// Record number of the next liveness probe, above every other probe's.
    alive_seq: u64,
}

impl<'a> Runner<'a> {
    fn new(config: &'a Config, target: Target, factory: Factory) -> Self {
        let repro = Reproduction {
            url: config.target.to_string(),
            tls_option: config.curl_tls.clone(),
            artifacts: config.artifacts.clone(),
        };
        Self {
            limit: config.answer_limit(),
            config,
            target,
            factory,
            baseline: None,
            sent: Vec::new(),
            results: HashMap::new(),
            dead: None,
            load: None,
            repro,
            alive_seq: 300,
        }
    }

    async fn run_all(&mut self) {
        self.baseline_checks().await;
        self.keep_alive().await;
        self.burst().await;
        let f = &self.factory;
        let groups = [
            ("R-01", f.statuses()),
            ("R-02", f.masks()),
            ("R-03", f.modes()),
            ("R-04", vec![f.user_absent()]),
            ("R-05", vec![f.user_null()]),
            ("R-06", f.non_ascii_names()),
            ("R-07", vec![f.long_name()]),
            ("R-08", vec![f.large()]),
            ("R-09", vec![f.smallest()]),
            ("C-01", vec![f.unknown_fields()]),
        ];
        for (id, probes) in groups {
            self.records(id, probes).await;
        }
        self.other_type().await;
        self.decision("D-01", RecognizeStatus::Stranger, "stranger")
            .await;
        self.decision("D-02", RecognizeStatus::NonLiveness, "non-live face")
            .await;
        self.load_phase().await;
        robust::run(self).await;
        self.judge_answers();
        self.judge_timing();
    }

    pub fn wants(&self, id: &str) -> bool {
        self.config.selection.includes(id)
    }

    /// Records the result of a check (when it is selected).
    pub fn finish(&mut self, id: &'static str, finding: Finding, requests: usize, spent: Duration) {
        if let (true, Some(check)) = (self.wants(id), crate::catalog::find(id)) {
            let result = judge(check, finding, requests, spent, &self.repro);
            tracing::info!(
                check = id,
                verdict = result.verdict.label(),
                "{}",
                result.summary
            );
            self.results.insert(id, result);
        }
    }

    /// Skips a check because the receiver is gone, if it is; true when it was skipped.
    pub fn skip_if_dead(&mut self, id: &'static str) -> bool {
        match self.dead.clone() {
            Some(reason) => {
                self.finish(id, Finding::NotRun(reason), 0, Duration::ZERO);
                true
            }
            None => false,
        }
    }

    /// Sends a probe on a fresh connection, waiting up to the answer limit.
    pub async fn send(&mut self, probe: Arc<Probe>) -> usize {
        self.send_with(probe, self.limit, true).await
    }

    pub async fn send_with(&mut self, probe: Arc<Probe>, limit: Duration, timed: bool) -> usize {
        let exchange = self.target.exchange(&probe.request(), limit).await;
        self.push(probe, exchange.elapsed, exchange.result, timed)
    }

    fn push(
        &mut self,
        probe: Arc<Probe>,
        elapsed: Duration,
        result: Result<Response, Failure>,
        timed: bool,
    ) -> usize {
        tracing::debug!(request = %probe.name, ms = elapsed.as_millis(), ok = result.is_ok(), "sent");
        self.sent.push(Sent {
            probe,
            elapsed,
            result,
            timed,
        });
        self.sent.len() - 1
    }

    /// Whether answer `i` takes its event as the baseline's answer did.
    pub fn accepted(&self, i: usize) -> Result<(), String> {
        match (&self.sent[i].result, &self.baseline) {
            (Ok(response), Some(baseline)) => Form::of(response).matches(baseline),
            (Ok(response), None) => Err(response.summary()),
            (Err(failure), _) => Err(failure.to_string()),
        }
    }

    /// Sends a valid event to see whether the receiver still answers at all; when it
    /// does not, the run stops with `after` as the reason.
    pub async fn alive(&mut self, after: &str) -> bool {
        self.alive_seq += 1;
        let probe = self
            .factory
            .plain(&format!("alive-{}", self.alive_seq), self.alive_seq);
        let i = self.send(probe).await;
        if self.sent[i].result.is_err() {
            self.dead = Some(format!(
                "not run: the receiver stopped answering after {after}"
            ));
        }
        self.dead.is_none()
    }

    /// T-01 and T-02: the baseline event.
    async fn baseline_checks(&mut self) {
        let probe = self.factory.baseline();
        let i = self.send(probe.clone()).await;
        let spent = self.sent[i].elapsed;
        if let Err(Failure::Tls(reason)) = &self.sent[i].result {
            let hint = match self.config.trust {
                Trust::System => {
                    "; pass --ca-cert PEM to trust the receiver's certificate, or --insecure"
                }
                Trust::Pinned(_) => "; the certificate does not match --ca-cert",
                Trust::Insecure => "",
            };
            let actual = format!("{reason}{hint}");
            self.finish(
                "T-02",
                Finding::unmet(
                    "a completed TLS handshake with a trusted certificate",
                    actual,
                    Some(probe),
                ),
                1,
                spent,
            );
            self.finish(
                "T-01",
                Finding::NotRun("not run: the TLS handshake failed (T-02)".into()),
                0,
                Duration::ZERO,
            );
            self.dead = Some("not run: the TLS handshake failed (T-02)".into());
            return;
        }
        let tls = match (self.target.is_https(), &self.config.trust) {
            (false, _) => Finding::NotRun("the target is http".into()),
            (true, Trust::Insecure) => {
                Finding::Met("handshake completed (certificate not verified: --insecure)".into())
            }
            (true, _) => Finding::Met("handshake completed with a trusted certificate".into()),
        };
        self.finish("T-02", tls, 1, spent);
        let finding = match &self.sent[i].result {
            Ok(response) if response.status == 200 => {
                self.baseline = Some(Form::of(response));
                Finding::Met(format!(
                    "HTTP 200 in {:.1} ms",
                    spent.as_secs_f64() * 1000.0
                ))
            }
            Ok(response) => Finding::unmet("HTTP 200", response.summary(), Some(probe)),
            Err(failure) => Finding::unmet("an HTTP 200 answer", failure.to_string(), Some(probe)),
        };
        if self.baseline.is_none() {
            self.dead = Some("not run: the baseline event was not accepted (T-01), and every check compares with it".into());
        }
        self.finish("T-01", finding, 1, spent);
    }

    /// T-03: a second event on the same connection.
    async fn keep_alive(&mut self) {
        if !self.wants("T-03") || self.skip_if_dead("T-03") {
            return;
        }
        let start = Instant::now();
        let first = self.factory.plain("keep-alive-1", 2);
        let second = self.factory.plain("keep-alive-2", 3);
        let exchange = self.target.exchange(&first.request(), self.limit).await;
        let i = self.push(first.clone(), exchange.elapsed, exchange.result, true);
        let mut requests = 1;
        let finding = match (&self.sent[i].result, exchange.connection) {
            (Ok(_), Some(mut connection)) => {
                let begun = Instant::now();
                let result = tokio::time::timeout(
                    self.limit,
                    connection.send(&self.target, &second.request()),
                )
                .await
                .unwrap_or(Err(Failure::Timeout(self.limit)));
                let j = self.push(second.clone(), begun.elapsed(), result, true);
                requests = 2;
                match &self.sent[j].result {
                    Ok(r) if r.status == 200 => {
                        Finding::Met("the connection stayed open for a second event".into())
                    }
                    Ok(r) => Finding::unmet(
                        "HTTP 200 to a second event on the same connection",
                        r.summary(),
                        Some(second),
                    ),
                    Err(f) => Finding::unmet(
                        "an answer to a second event on the same connection",
                        f.to_string(),
                        Some(second),
                    ),
                }
            }
            (Ok(response), None) => {
                let why = if response
                    .header("connection")
                    .is_some_and(|v| v.to_ascii_lowercase().contains("close"))
                {
                    "the answer said `Connection: close`"
                } else if response.http10 {
                    "the answer was HTTP/1.0"
                } else {
                    "the answer had no length, so only closing could end it"
                };
                Finding::unmet(
                    "the connection left open after an answer",
                    format!("closed: {why}"),
                    Some(first),
                )
            }
            (Err(failure), _) => {
                let actual = failure.to_string();
                self.alive("the keep-alive check (T-03)").await;
                Finding::unmet("an answer on a fresh connection", actual, Some(first))
            }
        };
        self.finish("T-03", finding, requests, start.elapsed());
    }

    /// T-04: consecutive events, each on a fresh connection.
    async fn burst(&mut self) {
        if !self.wants("T-04") || self.skip_if_dead("T-04") {
            return;
        }
        let start = Instant::now();
        let mut finding = Finding::Met(format!(
            "{BURST} events on {BURST} fresh connections, all answered with HTTP 200"
        ));
        let mut requests = 0;
        for k in 1..=BURST {
            let probe = self.factory.plain(&format!("burst-{k:02}"), 100 + k);
            let i = self.send(probe.clone()).await;
            requests += 1;
            let actual = match &self.sent[i].result {
                Ok(r) if r.status == 200 => continue,
                Ok(r) => r.summary(),
                Err(f) => f.to_string(),
            };
            finding = Finding::unmet(
                "HTTP 200 to every event",
                format!("event {k} of {BURST}: {actual}"),
                Some(probe),
            );
            if self.sent[i].result.is_err() {
                self.alive("a burst of fresh connections (T-04)").await;
            }
            break;
        }
        self.finish("T-04", finding, requests, start.elapsed());
    }

    /// A record check: every probe answered like the baseline.
    async fn records(&mut self, id: &'static str, probes: Vec<Arc<Probe>>) {
        if !self.wants(id) || self.skip_if_dead(id) {
            return;
        }
        let start = Instant::now();
        let mut unmet = None;
        let mut requests = 0;
        for probe in probes {
            let i = self.send(probe.clone()).await;
            requests += 1;
            if let Err(actual) = self.accepted(i) {
                unmet.get_or_insert_with(|| (probe.clone(), actual));
                if self.sent[i].result.is_err()
                    && !self
                        .alive(&format!("the {} request ({id})", probe.name))
                        .await
                {
                    break;
                }
            }
        }
        let finding = match unmet {
            None if requests == 1 => {
                Finding::Met("the record was answered like a valid event".into())
            }
            None => Finding::Met(format!("{requests} records answered like a valid event")),
            Some((probe, actual)) => Finding::unmet(
                LIKE_BASELINE,
                format!("{}: {actual}", probe.name),
                Some(probe),
            ),
        };
        self.finish(id, finding, requests, start.elapsed());
    }

    /// C-02: an event of another type gets a well-formed answer.
    async fn other_type(&mut self) {
        if !self.wants("C-02") || self.skip_if_dead("C-02") {
            return;
        }
        let probe = self.factory.other_type();
        let i = self.send(probe.clone()).await;
        let expected = "HTTP 200 and an answer formed like a valid event's (any `code`)";
        let finding = match (&self.sent[i].result, &self.baseline) {
            (Ok(r), Some(baseline)) if Form::of(r).same_kind(baseline) => Finding::Met(format!(
                "answered HTTP 200 with code {}",
                Form::of(r).code.unwrap_or_default()
            )),
            (Ok(r), _) => Finding::unmet(expected, r.summary(), Some(probe)),
            (Err(f), _) => {
                let actual = f.to_string();
                self.alive("an event of another type (C-02)").await;
                Finding::unmet(expected, actual, Some(probe))
            }
        };
        let spent = self.sent[i].elapsed;
        self.finish("C-02", finding, 1, spent);
    }

    /// D-01, D-02: a record that must not open the door.
    async fn decision(&mut self, id: &'static str, status: RecognizeStatus, who: &str) {
        if !self.wants(id) || self.skip_if_dead(id) {
            return;
        }
        let probe = self.factory.status(status);
        let i = match self.sent.iter().position(|s| s.probe.name == probe.name) {
            Some(i) => i,
            None => self.send(probe.clone()).await,
        };
        let finding = match (&self.sent[i].result, self.accepted(i)) {
            (Ok(r), Ok(())) if lets_through(&r.body) => Finding::unmet(
                format!("`pass: false` for a {who}"),
                format!("`pass: true`: the door opens for a {who} (fails open)"),
                Some(probe),
            ),
            (Ok(_), Ok(())) => Finding::Met(format!("the {who} was not let through")),
            _ => Finding::NotRun(format!(
                "the {who}'s record got no answer like a valid event's (see R-01)"
            )),
        };
        let spent = self.sent[i].elapsed;
        self.finish(id, finding, 1, spent);
    }

    /// P-02: the load phase.
    async fn load_phase(&mut self) {
        if !self.wants("P-02") || self.skip_if_dead("P-02") {
            return;
        }
        let Some(baseline) = self.baseline.clone() else {
            return;
        };
        let cfg = self.config;
        let probes = self.factory.load(cfg.load_events, cfg.concurrency);
        let budget = load::budget(cfg.load_events, cfg.concurrency, cfg.p99);
        let outcome = load::run(
            &self.target,
            probes,
            cfg.concurrency,
            cfg.timeout,
            &baseline,
            budget,
        )
        .await;
        let p = outcome.stats.percentiles();
        let figures = format!(
            "p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            p.p50, p.p95, p.p99, p.max
        );
        let failed = outcome.stats.failed();
        let expected = format!("no failed event and p99 within {} ms", cfg.p99.as_millis());
        let finding = if !outcome.finished {
            let actual = format!(
                "stopped after {} s with {} of {} events answered",
                budget.as_secs(),
                outcome.stats.sent(),
                outcome.events
            );
            Finding::unmet(expected, actual, None)
        } else if failed > 0 {
            let (probe, first) = outcome.first_failure.clone().unzip();
            let first = first.unwrap_or_default();
            let classes = outcome.stats.report().errors;
            let actual = format!(
                "{failed} of {} events failed {classes:?}; first: {first}",
                outcome.events
            );
            Finding::unmet(expected, actual, probe)
        } else if p.p99 > cfg.p99.as_secs_f64() * 1000.0 {
            Finding::unmet(
                expected,
                format!("p99 {:.1} ms over the limit ({figures})", p.p99),
                None,
            )
        } else {
            Finding::Met(format!(
                "{} events from {} devices in {:.2} s: {figures}",
                outcome.events,
                outcome.concurrency,
                outcome.elapsed.as_secs_f64()
            ))
        };
        let (events, elapsed) = (outcome.events, outcome.elapsed);
        let died = failed > 0 || !outcome.finished;
        self.load = Some(outcome);
        self.finish("P-02", finding, events, elapsed);
        if died {
            self.alive("the load phase (P-02)").await;
        }
    }

    /// over every answer to a valid event.
    fn judge_answers(&mut self) {
        let findings: Vec<(&'static str, Finding, usize)> = {
            let answers: Vec<(Arc<Probe>, &Response, Body)> = self
                .sent
                .iter()
                .filter(|s| s.probe.valid)
                .filter_map(|s| {
                    let response = s.result.as_ref().ok().filter(|r| r.status == 200)?;
                    Some((s.probe.clone(), response, Body::of(&response.body)))
                })
                .collect();
            RULES
                .iter()
                .map(|rule| {
                    let (finding, requests) = rules::apply(rule, &answers);
                    (rule.id, finding, requests)
                })
                .collect()
        };
        for (id, finding, requests) in findings {
            // A rule with nothing to judge after the receiver died says why it died.
            let finding = match (finding, &self.dead) {
                (Finding::NotRun(_), Some(reason)) => Finding::NotRun(reason.clone()),
                (finding, _) => finding,
            };
            self.finish(id, finding, requests, Duration::ZERO);
        }
    }

    /// P-01 over every answer but the huge body's.
    fn judge_timing(&mut self) {
        let timeout = self.config.timeout;
        let ms = |d: Duration| d.as_millis();
        let (finding, requests) = {
            let answered: Vec<&Sent> = self
                .sent
                .iter()
                .filter(|s| s.timed && s.result.is_ok())
                .collect();
            match answered.iter().max_by_key(|s| s.elapsed) {
                None => {
                    let reason = self
                        .dead
                        .clone()
                        .unwrap_or_else(|| "no answer arrived".into());
                    (Finding::NotRun(reason), 0)
                }
                Some(slowest) => {
                    let late = answered.iter().filter(|s| s.elapsed > timeout).count();
                    let finding = if late == 0 {
                        Finding::Met(format!(
                            "slowest of {} answers took {:.1} ms (limit {} ms)",
                            answered.len(),
                            slowest.elapsed.as_secs_f64() * 1000.0,
                            ms(timeout)
                        ))
                    } else {
                        Finding::unmet(
                            format!("every answer within {} ms", ms(timeout)),
                            format!(
                                "{}: answered after {} ms; {late} of {} answers were late",
                                slowest.probe.name,
                                ms(slowest.elapsed),
                                answered.len()
                            ),
                            Some(slowest.probe.clone()),
                        )
                    };
                    (finding, answered.len())
                }
            }
        };
        self.finish("P-01", finding, requests, Duration::ZERO);
    }

    /// Completes the results, saves the artifacts and builds the report.
    fn report(mut self, started: Instant, started_unix: u64) -> Result<RunReport, SuiteError> {
        let reason = self.dead.clone().unwrap_or_else(|| "not run".into());
        let mut checks = Vec::new();
        for check in self.config.selection.checks() {
            let result = match self.results.remove(check.id) {
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
        let cfg = self.config;
        let load = self.load.take().map(|outcome| {
            let stats = outcome.stats.report();
            LoadReport {
                events: outcome.events,
                concurrency: outcome.concurrency,
                elapsed_ms: outcome.elapsed.as_secs_f64() * 1000.0,
                per_second: outcome.stats.sent() as f64 / outcome.elapsed.as_secs_f64().max(1e-9),
                failures: stats.errors.clone(),
                stats,
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
            target: cfg.target.to_string(),
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
            load,
        })
    }
}

/// Saves the body of every request behind a finding, under its probe's file name.
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
        if let Some(probe) = &check.probe {
            let path = repro.body_path(probe);
            std::fs::write(&path, &probe.body).map_err(|e| write_err(&path, e))?;
        }
    }
    Ok(())
}
