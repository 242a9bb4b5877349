//! Running the catalog against a receiver. The baseline event goes first: the other
//! checks compare with its answer. Then come the connection checks, the real records,
//! forward compatibility, the decisions, the load phase and, last, the bad requests, each
//! followed by a liveness probe. Requests are sent one at a time, each on a fresh
//! connection, except on the kept-alive connection and in the load phase. Connecting and
//! answering are timed apart everywhere: an answer's time runs from its first byte sent.
//!
//! A refused baseline does not end the run. When the receiver still answers, every check
//! that can be judged without the baseline runs: records are compared with the first
//! valid event that was taken (HTTP 200, `code` 200), so a report can show, say, that
//! only records with a user fail. When a request gets no answer at all, a liveness probe
//! tells a dead receiver from a broken request; once the receiver is dead, the checks not
//! yet run are skipped with the reason, so an early death is reported once, where it
//! happened. Every skip names what it depends on.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use facesim::profile::ApiVersion;
use facesim::tls::Trust;
use facesim::wire::RecognizeStatus;
use url::Url;

use crate::catalog::{CATALOG, Check, CheckId, Suite};
use crate::client::{ClientError, ConnectTime, Target};
use crate::load::{self, Connects};
use crate::probe::{Factory, Probe};
use crate::report::{ConnectReport, Counts, LoadReport, RunReport, SUITE, Settings, VERSION};
use crate::robust;
use crate::rules::{self, RULES, count};
use crate::shape::{Body, Form, lets_through};
use crate::verdict::{CheckResult, Finding, Reproduction, judge};
use crate::wireio::{Failure, Response};

mod load_phase;
mod records;
mod report;

/// The default answer timeout: the terminal's push timeout (`facesim device --timeout`).
pub const DEFAULT_TIMEOUT_MS: u64 = 3000;
/// The default p99 limit under load: a person at the door expects it to open within
/// about a second of being recognised, and the terminal's own recognition takes part of
/// that second.
pub const DEFAULT_P99_MS: u64 = 500;
/// The default p99 limit for an auth server: the terminal waits for its answer before it
/// opens the door, after its own recognition (a few hundred milliseconds) and before the
/// relay and the screen, so the server gets less of the second than a push receiver.
pub const DEFAULT_AUTH_P99_MS: u64 = 300;

/// What a record check expects of every answer.
const LIKE_BASELINE: &str =
    "HTTP 200 and an answer of the same form and `code` as the baseline event's";
/// What a record check expects when the baseline was refused.
const LIKE_OTHERS: &str =
    "HTTP 200 and an answer of the same form and `code` as the valid events that were taken";
/// Why checks that compare answers cannot run without anything to compare with.
pub(crate) const NO_REFERENCE: &str =
    "no valid event was answered with HTTP 200 and code 200, so there is no answer to compare with";

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
    only: Option<Vec<CheckId>>,
    skip: Vec<CheckId>,
}

impl Selection {
    /// Builds a selection from check IDs (case-insensitive).
    ///
    /// # Errors
    /// [`SuiteError::UnknownCheck`] for an ID not in the catalog.
    pub fn new(only: &[String], skip: &[String]) -> Result<Self, SuiteError> {
        let resolve = |ids: &[String]| -> Result<Vec<CheckId>, SuiteError> {
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

    pub fn includes(&self, id: CheckId) -> bool {
        self.only.as_ref().is_none_or(|only| only.contains(&id)) && !self.skip.contains(&id)
    }

    /// The selected checks, in catalog order.
    pub fn checks(&self) -> Vec<&'static Check> {
        CATALOG.iter().filter(|c| self.includes(c.id)).collect()
    }

    /// The selected checks of `suite` that apply to `version`: the ones a run reports.
    pub fn checks_for(&self, suite: Suite, version: ApiVersion) -> Vec<&'static Check> {
        CATALOG
            .iter()
            .filter(|c| self.includes(c.id) && c.runs_in(suite, version))
            .collect()
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
    /// Longest an answer may take (P-01), and the load phase's per-request timeout: the
    /// terminal's own push timeout, past which it gives the answer up.
    pub timeout: Duration,
    /// Highest p99 latency allowed in the load phase (P-02).
    pub p99: Duration,
    pub load_events: usize,
    pub concurrency: usize,
    pub seed: u64,
    /// Which server is certified: the push receiver or the remote-authentication server.
    pub suite: Suite,
    /// The API version whose terminal the suite plays: its records, its headers, the
    /// checks that apply to it.
    pub api: ApiVersion,
    pub selection: Selection,
    /// Where the bodies of requests behind findings are saved.
    pub artifacts: Option<PathBuf>,
}

impl Config {
    /// How long the suite waits for an answer before it gives up on it: well past the
    /// timeout, so that a late answer is measured (and judged by P-01) rather than lost.
    pub fn answer_limit(&self) -> Duration {
        self.timeout + self.timeout.max(Duration::from_secs(2))
    }
}

/// One request the suite sent, and what came of it.
#[derive(Debug)]
pub(crate) struct Sent {
    pub probe: Arc<Probe>,
    /// How long its connection took to open; `None` on a connection already open.
    pub connect: Option<ConnectTime>,
    /// From the first byte sent to the end of the answer (or the failure).
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
    if config
        .selection
        .checks_for(config.suite, config.api)
        .is_empty()
    {
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
    let (seed, api) = (config.seed, config.api);
    let factory = tokio::task::spawn_blocking(move || Factory::new(seed, api))
        .await
        .map_err(|e| SuiteError::Requests(e.to_string()))?;
    let target = target.with_identity(factory.identity_headers());
    let mut runner = Runner::new(config, target, factory);
    match config.suite {
        Suite::Push => runner.run_all().await,
        Suite::Auth => crate::auth::run_all(&mut runner).await,
    }
    runner.report(started, started_unix)
}

pub(crate) struct Runner<'a> {
    pub config: &'a Config,
    pub target: Target,
    pub factory: Factory,
    pub limit: Duration,
    /// The form of the baseline event's answer, when it was HTTP 200.
    pub baseline: Option<Form>,
    /// What other answers are compared with: the baseline, or (when it was refused) the
    /// first valid event that was taken.
    pub reference: Option<Form>,
    /// The request whose answer stands in for a refused baseline.
    pub stand_in: Option<String>,
    pub sent: Vec<Sent>,
    results: HashMap<CheckId, CheckResult>,
    pub dead: Option<String>,
    pub load: Option<load::LoadOutcome>,
    repro: Reproduction,
    /// Record number of the next liveness probe, above every other probe's.
    alive_seq: u64,
    /// Every connection opened outside the load phase.
    pub connects: Connects,
    /// The request a suite other than the push suite sends to see whether the server
    /// still answers (by its number); `None`: a plain event.
    pub alive_probe: Option<Box<dyn Fn(u64) -> Arc<Probe> + Send + Sync>>,
    /// Answer times and first-to-last-byte times on the kept-alive connection, past its
    /// first two answers (T-06).
    pub kept: Vec<(Duration, Duration)>,
}

impl<'a> Runner<'a> {
    fn new(config: &'a Config, target: Target, factory: Factory) -> Self {
        let repro = Reproduction {
            url: config.target.to_string(),
            tls_option: config.curl_tls.clone(),
            artifacts: config.artifacts.clone(),
            seed: config.seed,
            api: config.api,
            headers: factory.identity_headers(),
        };
        Self {
            limit: config.answer_limit(),
            config,
            target,
            factory,
            baseline: None,
            reference: None,
            stand_in: None,
            sent: Vec::new(),
            results: HashMap::new(),
            dead: None,
            load: None,
            repro,
            alive_seq: 300,
            connects: Connects::default(),
            alive_probe: None,
            kept: Vec::new(),
        }
    }

    async fn run_all(&mut self) {
        self.baseline_checks().await;
        self.identity_check().await;
        self.keep_alive().await;
        self.burst().await;
        let f = &self.factory;
        let groups = [
            (CheckId::R01, f.outcomes()),
            (CheckId::R02, f.masks()),
            (CheckId::R03, f.modes()),
            (CheckId::R04, vec![f.user_absent()]),
            (CheckId::R05, vec![f.user_null()]),
            (CheckId::R06, f.non_ascii_names()),
            (CheckId::R07, vec![f.long_name()]),
            (CheckId::R08, vec![f.large()]),
            (CheckId::R09, vec![f.smallest()]),
            (CheckId::R10, f.entry_modes()),
            (CheckId::R11, f.abnormal_types()),
            (CheckId::R12, f.text_user_ids()),
            (CheckId::R13, f.groups()),
            (CheckId::R14, f.alarms()),
            (CheckId::R15, f.redelivery()),
            (CheckId::C01, vec![f.unknown_fields()]),
        ];
        let mut sent = Vec::new();
        for (id, probes) in groups {
            if let Some(batch) = self.records(id, probes).await {
                sent.push(batch);
            }
        }
        self.choose_reference();
        for batch in sent {
            self.judge_records(batch);
        }
        self.other_type().await;
        self.decision(CheckId::D01, RecognizeStatus::Stranger, "stranger")
            .await;
        self.decision(CheckId::D02, RecognizeStatus::NonLiveness, "non-live face")
            .await;
        self.load_phase().await;
        robust::run(self).await;
        self.judge_answers();
        self.judge_timing(CheckId::P01);
        self.judge_backlog();
        self.judge_stall();
    }

    /// Whether check `id` is selected and applies to the version under test.
    pub fn wants(&self, id: CheckId) -> bool {
        self.config.selection.includes(id)
            && crate::catalog::check(id).runs_in(self.config.suite, self.config.api)
    }

    /// Records the result of a check (when it is selected).
    pub fn finish(&mut self, id: CheckId, finding: Finding, requests: usize, spent: Duration) {
        if self.wants(id) {
            let result = judge(
                crate::catalog::check(id),
                finding,
                requests,
                spent,
                &self.repro,
            );
            tracing::info!(
                check = id.as_str(),
                verdict = result.verdict.label(),
                "{}",
                result.summary
            );
            self.results.insert(id, result);
        }
    }

    /// Records an answer rule's finding: a rule left with nothing to judge because the
    /// receiver died says why it died.
    pub fn finish_rule(&mut self, id: CheckId, finding: Finding, requests: usize) {
        let finding = match (finding, &self.dead) {
            (Finding::NotRun(_), Some(reason)) => Finding::NotRun(reason.clone()),
            (finding, _) => finding,
        };
        self.finish(id, finding, requests, Duration::ZERO);
    }

    /// Skips a check because the receiver is gone, if it is; true when it was skipped.
    pub fn skip_if_dead(&mut self, id: CheckId) -> bool {
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
        self.push(
            probe,
            exchange.connect,
            exchange.elapsed,
            exchange.result,
            timed,
        )
    }

    pub(crate) fn push(
        &mut self,
        probe: Arc<Probe>,
        connect: Option<ConnectTime>,
        elapsed: Duration,
        result: Result<Response, Failure>,
        timed: bool,
    ) -> usize {
        tracing::debug!(request = %probe.name, ms = elapsed.as_millis(), ok = result.is_ok(), "sent");
        if let Some(time) = connect {
            let opened = !matches!(result, Err(Failure::Connect(_) | Failure::Tls(_)));
            self.connects.add(time, opened);
        }
        self.sent.push(Sent {
            probe,
            connect,
            elapsed,
            result,
            timed,
        });
        self.sent.len() - 1
    }

    /// Whether answer `i` takes its event as the reference answer did.
    pub fn accepted(&self, i: usize) -> Result<(), String> {
        match (&self.sent[i].result, &self.reference) {
            (Ok(response), Some(reference)) => Form::of(response).matches(reference),
            (Ok(response), None) => Err(response.summary()),
            (Err(failure), _) => Err(failure.to_string()),
        }
    }

    /// After the records: the baseline is the reference when it was answered with HTTP
    /// 200; otherwise the first valid event that was taken stands in for it.
    fn choose_reference(&mut self) {
        if self.baseline.is_some() {
            self.reference = self.baseline.clone();
            return;
        }
        let taken = self.sent.iter().find_map(|s| {
            let response = s.result.as_ref().ok().filter(|_| s.probe.valid)?;
            let form = Form::of(response);
            form.takes().then(|| (form, s.probe.name.clone()))
        });
        if let Some((form, name)) = taken {
            self.reference = Some(form);
            self.stand_in = Some(name);
        }
    }

    /// Sends a valid event to see whether the receiver still answers at all; when it
    /// does not, the run stops with `after` as the reason.
    pub async fn alive(&mut self, after: &str) -> bool {
        self.alive_seq += 1;
        let probe = match &self.alive_probe {
            Some(make) => make(self.alive_seq),
            None => self
                .factory
                .plain(&format!("alive-{}", self.alive_seq), self.alive_seq),
        };
        let i = self.send(probe).await;
        if self.sent[i].result.is_err() {
            self.dead = Some(format!(
                "not run: the receiver stopped answering after {after}"
            ));
        }
        self.dead.is_none()
    }
}

/// A record check's requests, by their place in the list of requests sent.
pub(crate) struct Batch {
    id: CheckId,
    sent: Vec<usize>,
    spent: Duration,
}

/// A duration as people read it: milliseconds with one decimal, or seconds from ten
/// seconds on.
pub(crate) fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}
