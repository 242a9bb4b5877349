//! The runner's state and what check code may do with it: send a request (on a fresh
//! connection or a kept one), ask whether the receiver still answers, record a finding, and
//! read what was sent. The check modules (`connection`, `robust`, `auth`, and the record
//! and load checks in `run`) see the `Runner` only through these methods; only the runner
//! writes its own state. The runner is handed the checks the run reports (the selected
//! ones that apply to the suite and version), so it needs no catalog to judge a finding.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::check::{Check, CheckId};
use crate::client::{ConnectTime, Connection, Target};
use crate::load::{self, Connects};
use crate::probe::{Factory, Probe};
use crate::shape::Form;
use crate::verdict::{CheckResult, Finding, Reproduction, judge};
use crate::wireio::{Failure, Response};

use super::config::Config;

/// Why checks that compare answers cannot run without anything to compare with.
pub(crate) const NO_REFERENCE: &str =
    "no valid event was answered with HTTP 200 and code 200, so there is no answer to compare with";

/// A check's own requests and their judgement, run on the runner.
pub(crate) type Step<'r> = Pin<Box<dyn Future<Output = ()> + Send + 'r>>;

/// A judgement over what the run gathered: the finding and how many answers it judged.
pub(crate) type Judge = fn(&Runner) -> (Finding, usize);

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

/// Builds the request that tells whether the server still answers, by its number.
pub(super) type AliveProbe = Box<dyn Fn(u64) -> Arc<Probe> + Send + Sync>;

/// The run's state: what was sent and what came back, the reference answer, whether the
/// receiver still answers, and the results so far.
pub(crate) struct Runner {
    /// The checks the run reports: selected, and of the suite and version under test.
    pub(super) checks: Vec<&'static Check>,
    pub(super) config: Config,
    pub(super) target: Target,
    pub(super) factory: Factory,
    pub(super) limit: Duration,
    /// The form of the baseline event's answer, when it was HTTP 200.
    pub(super) baseline: Option<Form>,
    /// What other answers are compared with: the baseline, or (when it was refused) the
    /// first valid event that was taken.
    pub(super) reference: Option<Form>,
    /// The request whose answer stands in for a refused baseline.
    pub(super) stand_in: Option<String>,
    pub(super) sent: Vec<Sent>,
    pub(super) results: HashMap<CheckId, CheckResult>,
    /// Why the checks not yet run are skipped, once the receiver stopped answering.
    pub(super) dead: Option<String>,
    pub(super) load: Option<load::LoadOutcome>,
    pub(super) repro: Reproduction,
    /// Record number of the next liveness probe, above every other probe's.
    pub(super) alive_seq: u64,
    /// Every connection opened outside the load phase.
    pub(super) connects: Connects,
    /// The request a suite other than the push suite sends to see whether the server
    /// still answers; `None`: a plain event.
    pub(super) alive_probe: Option<AliveProbe>,
}

impl Runner {
    pub(super) fn new(
        config: &Config,
        checks: Vec<&'static Check>,
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
            checks,
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

    /// Whether check `id` is selected and applies to the version under test.
    pub fn wants(&self, id: CheckId) -> bool {
        self.checks.iter().any(|c| c.id == id)
    }

    /// Whether a check that sends requests of its own starts: it is wanted, and the
    /// receiver still answers (when it does not, the check is skipped with the reason).
    pub fn starts(&mut self, id: CheckId) -> bool {
        self.wants(id) && !self.skip_if_dead(id)
    }

    /// Records the result of a check (when it is selected).
    pub fn finish(&mut self, id: CheckId, finding: Finding, requests: usize, spent: Duration) {
        if let Some(check) = self.checks.iter().find(|c| c.id == id) {
            let result = judge(check, finding, requests, spent, &self.repro);
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
