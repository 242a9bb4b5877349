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
                CheckId::T02,
                Finding::unmet(
                    "a completed TLS handshake with a trusted certificate",
                    actual,
                    Some(probe),
                ),
                1,
                spent,
            );
            self.finish(
                CheckId::T01,
                Finding::depends(CheckId::T02, "the TLS handshake failed"),
                0,
                Duration::ZERO,
            );
            self.dead = Some("not run: depends on T-02 (the TLS handshake failed)".into());
            return;
        }
        let tls = match (self.target.is_https(), &self.config.trust) {
            (false, _) => Finding::NotRun("the target is http".into()),
            (true, Trust::Insecure) => {
                Finding::Met("handshake completed (certificate not verified: --insecure)".into())
            }
            (true, _) => Finding::Met("handshake completed with a trusted certificate".into()),
        };
        self.finish(CheckId::T02, tls, 1, spent);
        let finding = match &self.sent[i].result {
            Ok(response) if response.status == 200 => {
                self.baseline = Some(Form::of(response));
                self.reference = self.baseline.clone();
                Finding::Met(format!("HTTP 200 in {}", millis(spent)))
            }
            Ok(response) => Finding::unmet("HTTP 200", response.summary(), Some(probe)),
            Err(failure) => Finding::unmet("an HTTP 200 answer", failure.to_string(), Some(probe)),
        };
        let no_answer = self.sent[i].result.as_ref().err().map(ToString::to_string);
        self.finish(CheckId::T01, finding, 1, spent);
        // A receiver that gave no answer at all may still answer other records (it may
        // crash only on some field of the baseline's); the smallest record tells.
        if let Some(failure) = no_answer {
            let probe = self.factory.smallest();
            let j = self.send(probe).await;
            if self.sent[j].result.is_err() {
                self.dead = Some(format!(
                    "not run: depends on T-01 (a valid event got no answer: {failure}; nor did the smallest record)"
                ));
            }
        }
    }

    /// A record check's requests; they are judged once the reference is known.
    async fn records(&mut self, id: CheckId, probes: Vec<Arc<Probe>>) -> Option<Batch> {
        if !self.wants(id) || self.skip_if_dead(id) {
            return None;
        }
        let start = Instant::now();
        let mut sent = Vec::new();
        for probe in probes {
            let i = self.send(probe.clone()).await;
            sent.push(i);
            if self.sent[i].result.is_err()
                && !self
                    .alive(&format!("the {} request ({id})", probe.name))
                    .await
            {
                break;
            }
        }
        Some(Batch {
            id,
            sent,
            spent: start.elapsed(),
        })
    }

    /// A record check: every answer like the reference's.
    fn judge_records(&mut self, batch: Batch) {
        let Batch { id, sent, spent } = batch;
        let requests = sent.len();
        if self.reference.is_none() {
            // Answers that broke the transport are findings whatever the reference.
            let broken = sent.iter().find_map(|&i| {
                let failure = self.sent[i].result.as_ref().err()?;
                Some((self.sent[i].probe.clone(), failure.to_string()))
            });
            let finding = match broken {
                Some((probe, actual)) => Finding::unmet(
                    "an answer",
                    format!("{}: {actual}", probe.name),
                    Some(probe),
                ),
                None => Finding::depends(CheckId::T01, NO_REFERENCE),
            };
            self.finish(id, finding, requests, spent);
            return;
        }
        let unmet = sent.iter().find_map(|&i| {
            let actual = self.accepted(i).err()?;
            Some((self.sent[i].probe.clone(), actual))
        });
        let compared = match &self.stand_in {
            Some(name) => {
                format!(" (compared with the answer to {name}: the baseline was refused, T-01)")
            }
            None => String::new(),
        };
        let finding = match unmet {
            None if requests == 1 => Finding::Met(format!(
                "the record was answered like a valid event{compared}"
            )),
            None => Finding::Met(format!(
                "{} answered like a valid event{compared}",
                count(requests, "record")
            )),
            Some((probe, actual)) => Finding::unmet(
                if self.stand_in.is_some() {
                    LIKE_OTHERS
                } else {
                    LIKE_BASELINE
                },
                format!("{}: {actual}", probe.name),
                Some(probe),
            ),
        };
        self.finish(id, finding, requests, spent);
    }

    /// T-07: the identity headers are tolerated. The baseline went with them; when it was
    /// taken they are, and when it was not, the same kind of record without them tells
    /// whether the headers are what the receiver refuses.
    async fn identity_check(&mut self) {
        if !self.wants(CheckId::T07) || self.skip_if_dead(CheckId::T07) {
            return;
        }
        let names = "`model`, `sn`, `timestamp` and `account`";
        let baseline = self
            .sent
            .iter()
            .find(|s| s.probe.name == "baseline")
            .and_then(|s| s.result.as_ref().ok())
            .map(Form::of);
        if baseline.as_ref().is_some_and(Form::takes) {
            let finding = Finding::Met(format!(
                "the baseline event went with {names} and was taken"
            ));
            self.finish(CheckId::T07, finding, 1, Duration::ZERO);
            return;
        }
        // Two fresh records, one without the headers and one with: only when the first is
        // taken and the second refused are the headers what the receiver refuses.
        let [without, with] = self.factory.bare();
        let i = self.send(without.clone()).await;
        let j = self.send(with.clone()).await;
        let taken = |k: usize, sent: &[Sent]| {
            sent[k]
                .result
                .as_ref()
                .ok()
                .map(Form::of)
                .is_some_and(|f| f.takes())
        };
        let finding = match (taken(i, &self.sent), taken(j, &self.sent)) {
            (true, false) => Finding::unmet(
                format!("an event with {names} taken like one without them"),
                format!("{}: taken; {}: refused", without.name, with.name),
                Some(with),
            ),
            (_, true) => Finding::Met(format!(
                "a record with {names} was taken (the baseline was refused for another reason)"
            )),
            (false, false) => Finding::depends(
                CheckId::T01,
                "events are refused with and without the identity headers",
            ),
        };
        let spent = self.sent[i].elapsed + self.sent[j].elapsed;
        self.finish(CheckId::T07, finding, 2, spent);
    }

    /// C-02: an event of another type gets a well-formed answer.
    async fn other_type(&mut self) {
        if !self.wants(CheckId::C02) || self.skip_if_dead(CheckId::C02) {
            return;
        }
        let probe = self.factory.other_type();
        let i = self.send(probe.clone()).await;
        let expected = "HTTP 200 and an answer formed like a valid event's (any `code`)";
        let finding = match (&self.sent[i].result, &self.reference) {
            (Ok(r), Some(reference)) if Form::of(r).same_kind(reference) => Finding::Met(format!(
                "answered HTTP 200 with code {}",
                Form::of(r).code.unwrap_or_default()
            )),
            (Ok(_), None) => Finding::depends(CheckId::T01, NO_REFERENCE),
            (Ok(r), _) => Finding::unmet(expected, r.summary(), Some(probe)),
            (Err(f), _) => {
                let actual = f.to_string();
                self.alive("an event of another type (C-02)").await;
                Finding::unmet(expected, actual, Some(probe))
            }
        };
        let spent = self.sent[i].elapsed;
        self.finish(CheckId::C02, finding, 1, spent);
    }

    /// D-01, D-02: a record that must not open the door.
    async fn decision(&mut self, id: CheckId, status: RecognizeStatus, who: &str) {
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
            _ if self.reference.is_none() => Finding::depends(CheckId::T01, NO_REFERENCE),
            _ => Finding::depends(
                CheckId::R01,
                format!("the {who}'s record was not answered like a valid event"),
            ),
        };
        let spent = self.sent[i].elapsed;
        self.finish(id, finding, 1, spent);
    }

    /// P-02: the load phase.
    async fn load_phase(&mut self) {
        if !self.wants(CheckId::P02) || self.skip_if_dead(CheckId::P02) {
            return;
        }
        let Some(reference) = self.reference.clone() else {
            self.finish(
                CheckId::P02,
                Finding::depends(CheckId::T01, NO_REFERENCE),
                0,
                Duration::ZERO,
            );
            return;
        };
        let cfg = self.config;
        let probes = self.factory.load(cfg.load_events, cfg.concurrency);
        let died = self
            .load_check(
                CheckId::P02,
                probes,
                load::like_reference(&reference),
                "event",
            )
            .await;
        if died {
            self.alive("the load phase (P-02)").await;
        }
    }

    /// Runs a load phase of `probes` judged by `judge` and records check `id` from it
    /// (`noun` names a request in its findings); true when requests failed or the phase
    /// ran out of time, so the caller can see whether the server still answers.
    pub(crate) async fn load_check(
        &mut self,
        id: CheckId,
        probes: Vec<Arc<Probe>>,
        judge: load::Judge,
        noun: &str,
    ) -> bool {
        let cfg = self.config;
        let plan = load::Plan {
            concurrency: cfg.concurrency,
            timeout: cfg.timeout,
            seed: cfg.seed,
            budget: load::budget(cfg.load_events, cfg.concurrency, cfg.p99),
        };
        let outcome = load::run(&self.target, probes, &plan, judge).await;
        let p = outcome.stats.percentiles();
        let figures = format!(
            "p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            p.p50, p.p95, p.p99, p.max
        );
        let failed = outcome.stats.failed();
        let expected = format!(
            "no failed {noun} and a p99 answer time within {} ms",
            cfg.p99.as_millis()
        );
        let finding = if !outcome.finished {
            let actual = format!(
                "stopped after {} s with {} of {} answered",
                plan.budget.as_secs(),
                outcome.stats.sent(),
                count(outcome.events, noun)
            );
            Finding::unmet(expected, actual, None)
        } else if failed > 0 {
            let (probe, first) = outcome.first_failure.clone().unzip();
            let first = first.unwrap_or_default();
            let classes: Vec<String> = outcome
                .stats
                .report()
                .errors
                .iter()
                .map(|(class, n)| format!("{n} {}", class.replace('_', " ")))
                .collect();
            let actual = format!(
                "{failed} of {} failed ({}); first: {first}",
                count(outcome.events, noun),
                classes.join(", ")
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
                "{} from {} in {:.2} s: {figures}",
                count(outcome.events, noun),
                count(outcome.concurrency, "device"),
                outcome.elapsed.as_secs_f64()
            ))
        };
        let (events, elapsed) = (outcome.events, outcome.elapsed);
        let died = failed > 0 || !outcome.finished;
        self.load = Some(outcome);
        self.finish(id, finding, events, elapsed);
        died
    }

    /// over every answer to a valid event.
    fn judge_answers(&mut self) {
        let findings: Vec<(CheckId, Finding, usize)> = {
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
    pub(crate) fn judge_timing(&mut self, id: CheckId) {
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
                            "slowest of {} took {} (limit {} ms; connecting not counted)",
                            count(answered.len(), "answer"),
                            millis(slowest.elapsed),
                            ms(timeout)
                        ))
                    } else {
                        Finding::unmet(
                            format!(
                                "every answer within {} ms of its first byte sent",
                                ms(timeout)
                            ),
                            format!(
                                "{}: answered after {} ms; {late} of {} were late",
                                slowest.probe.name,
                                ms(slowest.elapsed),
                                count(answered.len(), "answer")
                            ),
                            Some(slowest.probe.clone()),
                        )
                    };
                    (finding, answered.len())
                }
            }
        };
        self.finish(id, finding, requests, Duration::ZERO);
    }

    /// Completes the results, saves the artifacts and builds the report.
    fn report(mut self, started: Instant, started_unix: u64) -> Result<RunReport, SuiteError> {
        let reason = self.dead.clone().unwrap_or_else(|| "not run".into());
        let mut checks = Vec::new();
        for check in self
            .config
            .selection
            .checks_for(self.config.suite, self.config.api)
        {
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
        let cfg = self.config;
        let mut all = self.connects.clone();
        let load = self.load.take().map(|outcome| {
            let stats = outcome.stats.report();
            all.merge(&outcome.connects);
            LoadReport {
                events: outcome.events,
                concurrency: outcome.concurrency,
                elapsed_ms: outcome.elapsed.as_secs_f64() * 1000.0,
                per_second: outcome.stats.sent() as f64 / outcome.elapsed.as_secs_f64().max(1e-9),
                failures: stats.errors.clone(),
                stats,
                connections: ConnectReport::of(&outcome.connects),
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
