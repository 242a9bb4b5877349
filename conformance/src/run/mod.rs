//! Running the catalog against a receiver. Each catalog row says how its check runs
//! (`how`); a suite's plan walks the phases in a fixed order and, in each, the phase's rows
//! in catalog order. The push suite opens with the baseline event, since the other checks
//! compare with its answer; then come the connection checks, the real records and forward
//! compatibility, the checks that need the reference (another type, the decisions), the
//! load phase and the bad requests, each followed by a liveness probe; last, the answer
//! rules and the timing are judged over everything sent. Requests are sent one at a time,
//! each on a fresh connection, except on the kept-alive connection and in the load phase.
//! Connecting and answering are timed apart everywhere: an answer's time runs from its
//! first byte sent.
//!
//! A refused baseline does not end the run. When the receiver still answers, every check
//! that can be judged without the baseline runs: records are compared with the first
//! valid event that was taken (HTTP 200, `code` 200), so a report can show, say, that
//! only records with a user fail. When a request gets no answer at all, a liveness probe
//! tells a dead receiver from a broken request; once the receiver is dead, the checks not
//! yet run are skipped with the reason, so an early death is reported once, where it
//! happened. Every skip names what it depends on.
//!
//! The check modules outside `run` (`connection`, `robust`, `auth`) see the `Runner`
//! only through its methods: they send, ask whether the receiver is alive, record
//! findings, and read what was sent; only the runner writes its own state.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use facesim::tls::Trust;
use facesim_proto::wire::RecognizeStatus;

use crate::auth::probes::AuthFactory;
use crate::catalog::{CATALOG, CheckId, Suite};
use crate::client::{ConnectTime, Connection, Target};
use crate::load::{self, Connects};
use crate::probe::{Factory, Probe};
use crate::report::{ConnectReport, Counts, LoadReport, RunReport, SUITE, Settings, VERSION};
use crate::robust;
use crate::rules::{self, Rule, count};
use crate::shape::{Body, Form, lets_through};
use crate::verdict::{CheckResult, Finding, Reproduction, judge};
use crate::wireio::{Failure, Response};
use how::{Phase, Push, Step};

mod config;
pub(crate) mod how;
mod load_phase;
mod records;
mod report;

pub use config::{
    Config, DEFAULT_AUTH_P99_MS, DEFAULT_P99_MS, DEFAULT_TIMEOUT_MS, Selection, SuiteError,
};

/// What a record check expects of every answer.
const LIKE_BASELINE: &str =
    "HTTP 200 and an answer of the same form and `code` as the baseline event's";
/// What a record check expects when the baseline was refused.
const LIKE_OTHERS: &str =
    "HTTP 200 and an answer of the same form and `code` as the valid events that were taken";
/// Why checks that compare answers cannot run without anything to compare with.
pub(crate) const NO_REFERENCE: &str =
    "no valid event was answered with HTTP 200 and code 200, so there is no answer to compare with";

/// The push suite's phases, in the order they run: the baseline first, since everything
/// compares with its answer; the connection checks while the receiver is fresh; the
/// records, which settle the reference when the baseline was refused; the checks that need
/// the reference; the load phase before the bad requests, so that a receiver that bad
/// input kills still has its load judged; then the judgements over every answer.
const PUSH: [Phase; 8] = [
    Phase::Baseline,
    Phase::Connections,
    Phase::Records,
    Phase::Compared,
    Phase::Load,
    Phase::Robust,
    Phase::Answers,
    Phase::Judged,
];

/// One request the suite sent, and what came of it.
#[derive(Debug)]
pub(crate) struct Sent {
    pub probe: Arc<Probe>,
    /// How long its connection took to open; `None` on a connection already open.
    pub connect: Option<ConnectTime>,
    /// Which request this was on its connection: 1 on a fresh one.
    pub turn: usize,
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
    match config.suite {
        Suite::Push => {
            let mut runner = Runner::new(config, target, factory, None);
            runner.run_push().await;
            runner.report(started, started_unix)
        }
        Suite::Auth => {
            let callbacks = tokio::task::spawn_blocking(move || AuthFactory::new(seed, api))
                .await
                .map(Arc::new)
                .map_err(|e| SuiteError::Requests(e.to_string()))?;
            // The auth server is alive when it still answers a valid callback.
            let alive = callbacks.clone();
            let probe: AliveProbe = Box::new(move |n| alive.alive(n));
            let mut runner = Runner::new(config, target, factory, Some(probe));
            crate::auth::run_all(&mut runner, callbacks).await;
            runner.report(started, started_unix)
        }
    }
}

/// Builds the request that tells whether the server still answers, by its number.
type AliveProbe = Box<dyn Fn(u64) -> Arc<Probe> + Send + Sync>;

/// The run's state: what was sent and what came back, the reference answer, whether the
/// receiver still answers, and the results so far.
pub(crate) struct Runner {
    config: Config,
    target: Target,
    factory: Factory,
    limit: Duration,
    /// The form of the baseline event's answer, when it was HTTP 200.
    baseline: Option<Form>,
    /// What other answers are compared with: the baseline, or (when it was refused) the
    /// first valid event that was taken.
    reference: Option<Form>,
    /// The request whose answer stands in for a refused baseline.
    stand_in: Option<String>,
    sent: Vec<Sent>,
    results: HashMap<CheckId, CheckResult>,
    /// Why the checks not yet run are skipped, once the receiver stopped answering.
    dead: Option<String>,
    load: Option<load::LoadOutcome>,
    repro: Reproduction,
    /// Record number of the next liveness probe, above every other probe's.
    alive_seq: u64,
    /// Every connection opened outside the load phase.
    connects: Connects,
    /// The request a suite other than the push suite sends to see whether the server
    /// still answers; `None`: a plain event.
    alive_probe: Option<AliveProbe>,
}

/// What the rows of one phase share while it runs.
struct Shared {
    /// The record checks' requests, judged when the phase ends.
    batches: Vec<Batch>,
    /// The valid events sent after the bad requests.
    survival: robust::Survival,
    /// The answers the answer rules judge, each body read once for all of them.
    answers: Option<Vec<(usize, Body)>>,
}

impl Runner {
    fn new(
        config: &Config,
        target: Target,
        factory: Factory,
        alive_probe: Option<AliveProbe>,
    ) -> Self {
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
            config: config.clone(),
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
            alive_probe,
        }
    }

    /// The push suite: each phase's rows, in the plan's order.
    async fn run_push(&mut self) {
        for phase in PUSH {
            if phase == Phase::Baseline {
                self.baseline_checks().await;
            }
            let mut shared = Shared {
                batches: Vec::new(),
                survival: robust::Survival::new(),
                answers: None,
            };
            for (id, how) in how::push_rows(phase, self.config.api) {
                self.run_row(id, how, &mut shared).await;
            }
            if phase == Phase::Records {
                self.choose_reference();
                for batch in shared.batches {
                    self.judge_records(batch);
                }
            }
        }
    }

    /// Runs one row of the push suite.
    async fn run_row(&mut self, id: CheckId, how: Push, shared: &mut Shared) {
        match how {
            // Judged from the baseline exchange the phase opened with.
            Push::Baseline => {}
            Push::Own(_, step) => step(self).await,
            Push::Records(make) => shared.batches.extend(self.records(id, make).await),
            Push::Decision(status, who) => self.decision(id, status, who).await,
            Push::Bad(make) => robust::bad(self, id, make, false, &mut shared.survival).await,
            Push::Huge(make) => robust::bad(self, id, make, true, &mut shared.survival).await,
            Push::Survives => robust::survived(self, id, &shared.survival),
            Push::Rule(rule) => {
                let answers = shared.answers.get_or_insert_with(|| self.valid_answers());
                self.judge_rule(id, rule, answers);
            }
            Push::Judged(judge) => {
                let (finding, requests) = judge(self);
                self.finish(id, finding, requests, Duration::ZERO);
            }
        }
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

    /// Declares the receiver gone: the checks not yet run are skipped with `reason`.
    pub fn declare_dead(&mut self, reason: String) {
        self.dead = Some(reason);
    }

    /// Sends a probe on a fresh connection, waiting up to the answer limit.
    pub async fn send(&mut self, probe: Arc<Probe>) -> usize {
        self.send_on(probe, &mut None).await
    }

    /// Sends a probe too large to time (the huge body): it gets `upload` on top of the
    /// answer limit, and P-01 leaves its answer out.
    pub async fn send_untimed(&mut self, probe: Arc<Probe>, upload: Duration) -> usize {
        let exchange = self
            .target
            .exchange(&probe.request(), self.limit + upload)
            .await;
        self.push(
            probe,
            exchange.connect,
            1,
            exchange.elapsed,
            exchange.result,
            false,
        )
    }

    /// Sends a probe on `kept` when it is open, else on a fresh connection, and leaves in
    /// `kept` the connection when the receiver keeps it open for another request.
    pub async fn send_on(&mut self, probe: Arc<Probe>, kept: &mut Option<Connection>) -> usize {
        let request = probe.request();
        let (connect, turn, elapsed, result) = match kept.as_mut() {
            Some(open) => {
                let turn = open.answered() + 1;
                let (elapsed, result) = open.send_within(&self.target, &request, self.limit).await;
                if !matches!(&result, Ok(r) if r.reusable) {
                    *kept = None;
                }
                (None, turn, elapsed, result)
            }
            None => {
                let exchange = self.target.exchange(&request, self.limit).await;
                *kept = exchange.connection;
                (exchange.connect, 1, exchange.elapsed, exchange.result)
            }
        };
        self.push(probe, connect, turn, elapsed, result, true)
    }

    fn push(
        &mut self,
        probe: Arc<Probe>,
        connect: Option<ConnectTime>,
        turn: usize,
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
            turn,
            elapsed,
            result,
            timed,
        });
        self.sent.len() - 1
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

    /// The run's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The push suite's requests.
    pub fn factory(&self) -> &Factory {
        &self.factory
    }

    /// Every request sent so far (outside the load phase), in order; `send` returns the
    /// place of its request here.
    pub fn sent(&self) -> &[Sent] {
        &self.sent
    }

    /// The form of the baseline event's answer, when it was HTTP 200.
    pub fn baseline(&self) -> Option<&Form> {
        self.baseline.as_ref()
    }

    /// What answers are compared with: the baseline's, or the answer standing in for it.
    pub fn reference(&self) -> Option<&Form> {
        self.reference.as_ref()
    }

    /// Why the receiver is considered gone, once it is.
    pub fn dead(&self) -> Option<&str> {
        self.dead.as_deref()
    }

    /// Every connection the run opened, or tried to, the load phase's included.
    pub fn connects(&self) -> Connects {
        let mut all = self.connects.clone();
        if let Some(load) = &self.load {
            all.merge(&load.connects);
        }
        all
    }

    /// Whether answer `i` takes its event as the reference answer did.
    pub fn accepted(&self, i: usize) -> Result<(), String> {
        match (&self.sent[i].result, &self.reference) {
            (Ok(response), Some(reference)) => Form::of(response).matches(reference),
            (Ok(response), None) => Err(response.summary()),
            (Err(failure), _) => Err(failure.to_string()),
        }
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
