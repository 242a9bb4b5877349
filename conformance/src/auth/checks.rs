//! The auth suite's checks on the runner: the heartbeat (AH-01), the callers compared with
//! the baseline callback (AC-*), the answer rules over their answers (AU-*), the requests
//! that are not callbacks (AB-*) and the load phase (AP-02). The plan (`run::plan`) decides
//! whether each runs and hands it its ID.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::check::CheckId;
use crate::load;
use crate::probe::Probe;
use crate::rules;
use crate::run::runner::{NO_REFERENCE, Runner, Step};
use crate::shape::Form;
use crate::text::{count, millis};
use crate::verdict::Finding;

use super::answer::{AuthBody, AuthRule, Over};
use super::probes::AuthFactory;

/// What a caller check expects of every answer.
const LIKE_BASELINE: &str =
    "HTTP 200 and an answer of the same form and `code` as the baseline callback's";

/// What the auth suite's checks share: its requests, and the baseline callback's answer.
pub(crate) struct Callbacks {
    factory: Arc<AuthFactory>,
    /// The form of the baseline callback's answer, when there was one.
    baseline: Option<Form>,
}

impl Callbacks {
    /// The suite's requests, before the baseline callback was sent.
    pub(crate) fn new(factory: Arc<AuthFactory>) -> Self {
        Self {
            factory,
            baseline: None,
        }
    }

    /// Sends the baseline callback, whose answer every other caller's is compared with.
    pub(crate) async fn open(&mut self, runner: &mut Runner) {
        let i = runner.send(self.factory.baseline()).await;
        self.baseline = runner.sent()[i].result.as_ref().ok().map(Form::of);
        if self.baseline.is_none() {
            runner.alive("the baseline callback").await;
        }
    }
}

/// AH-01: the heartbeat, a GET on the callback URL.
pub(crate) fn heartbeat<'r>(runner: &'r mut Runner, suite: &'r Callbacks, id: CheckId) -> Step<'r> {
    Box::pin(async move {
        let probe = suite.factory.heartbeat(1);
        let i = runner.send(probe.clone()).await;
        let sent = &runner.sent()[i];
        let expected = "HTTP 200 to a GET on the callback URL";
        let finding = match &sent.result {
            Ok(response) if response.status == 200 => {
                Finding::Met(format!("HTTP 200 in {}", millis(sent.elapsed)))
            }
            Ok(response) => Finding::unmet(expected, response.summary(), Some(probe)),
            Err(failure) => Finding::unmet(expected, failure.to_string(), Some(probe)),
        };
        let finding = finding.with_fix(
            "answer GET on the callback's own URL with HTTP 200: the terminal polls it every 30 s \
             and, after remote_auth_timeout_to_local_auth minutes without an answer, stops \
             calling the server and decides alone",
        );
        let spent = sent.elapsed;
        runner.finish(id, finding, 1, spent);
    })
}

/// AC-01 to AC-03, AC-05: sends check `id`'s callbacks, each of which must be answered
/// like the baseline.
pub(crate) async fn compare(
    runner: &mut Runner,
    id: CheckId,
    make: fn(&AuthFactory) -> Vec<Arc<Probe>>,
    suite: &Callbacks,
) {
    let probes = make(&suite.factory);
    let baseline = suite.baseline.as_ref();
    let start = Instant::now();
    let mut first: Option<(Arc<Probe>, String)> = None;
    let total = probes.len();
    for probe in probes {
        let i = runner.send(probe.clone()).await;
        let result = &runner.sent()[i].result;
        if let Some(problem) = differs(result, baseline) {
            let broken = result.is_err();
            first.get_or_insert((probe, problem));
            if broken && !runner.alive(&format!("request {id}")).await {
                break;
            }
        }
    }
    let finding = match (first, baseline) {
        (Some((probe, problem)), _) => Finding::unmet(
            LIKE_BASELINE,
            format!("{problem} (request {})", probe.name),
            Some(probe),
        ),
        (None, None) => Finding::depends(CheckId::AU01, NO_REFERENCE),
        (None, Some(_)) => Finding::Met(format!(
            "{} answered like the baseline",
            count(total, "callback")
        )),
    };
    runner.finish(id, finding, total, start.elapsed());
}

/// How a callback's outcome differs from the baseline callback's answer, if it does: no
/// answer at all always does; with no baseline answer there is nothing to differ from.
fn differs(
    result: &Result<crate::wireio::Response, crate::wireio::Failure>,
    baseline: Option<&Form>,
) -> Option<String> {
    match (result, baseline) {
        (Ok(response), Some(reference)) => Form::of(response)
            .matches(reference)
            .err()
            .map(|e| e.replace("a valid event", "the baseline callback")),
        (Ok(_), None) => None,
        (Err(failure), _) => Some(failure.to_string()),
    }
}

/// AC-04: a blacklisted person's callback is refused.
pub(crate) fn blacklisted<'r>(
    runner: &'r mut Runner,
    suite: &'r Callbacks,
    id: CheckId,
) -> Step<'r> {
    Box::pin(async move {
        let Some(probe) = suite.factory.blacklisted() else {
            let finding = Finding::NotRun("the version has no blacklist".into());
            runner.finish(id, finding, 0, Duration::ZERO);
            return;
        };
        let i = runner.send(probe.clone()).await;
        let spent = runner.sent()[i].elapsed;
        let finding = match &runner.sent()[i].result {
            Err(failure) => Finding::unmet("`pass: false`", failure.to_string(), Some(probe)),
            Ok(response) => match AuthBody::of(&response.body).decides() {
                Some(false) => Finding::Met("refused (`pass: false`)".into()),
                Some(true) => Finding::unmet(
                    "`pass: false` for a person of the blacklisted type",
                    "`pass: true`: the door opens for a blacklisted person",
                    Some(probe),
                ),
                None => Finding::depends(CheckId::AU04, "the answer is not a decision"),
            },
        };
        runner.finish(id, finding, 1, spent);
    })
}

/// Every answer to a valid callback, by its place in the requests sent, with its body read
/// (and the version's profile the rules judge it by): what the answer rules judge.
pub(crate) fn valid_answers(runner: &Runner) -> Vec<(usize, AnswerBody)> {
    let profile = runner.config().api.profile();
    runner
        .sent()
        .iter()
        .enumerate()
        .filter(|(_, s)| s.probe.valid)
        .filter_map(|(i, s)| {
            let response = s.result.as_ref().ok()?;
            Some((i, (AuthBody::of(&response.body), profile)))
        })
        .collect()
}

/// A body as the auth rules read it.
pub(crate) type AnswerBody = (AuthBody, &'static facesim_proto::profile::Profile);

/// AU-01 to AU-07: an answer rule over the answers to valid callbacks it is about (AU-01
/// over the baseline's, since the caller checks judge the others' status; the rest over
/// every answer with HTTP 200), out of [`valid_answers`].
pub(crate) fn judge_rule(
    runner: &mut Runner,
    id: CheckId,
    rule: &AuthRule,
    over: Over,
    answers: &[(usize, AnswerBody)],
) {
    let (finding, requests) = {
        let answers: Vec<_> = answers
            .iter()
            .filter_map(|(i, body)| {
                let s = &runner.sent()[*i];
                let response = s.result.as_ref().ok()?;
                let about = match over {
                    Over::Baseline => s.probe.name == "auth-baseline",
                    Over::Taken => response.status == 200,
                };
                about.then(|| (s.probe.clone(), response, body))
            })
            .collect();
        rules::apply_to(rule, &answers, || {
            Finding::depends(
                CheckId::AU01,
                "no valid callback was answered with HTTP 200",
            )
        })
    };
    runner.finish_rule(id, finding, requests);
}

/// What the requests that are not callbacks came to, each followed by a valid callback.
pub(crate) struct BadRequests {
    total: usize,
    spent: Duration,
    /// Their names, for the PASS line.
    names: String,
    /// The first that opened the door, and its answer.
    opened: Option<(Arc<Probe>, String)>,
    /// The first not refused with a 4xx, and how it was answered.
    not_refused: Option<(Arc<Probe>, String)>,
    /// The first valid callback after one of them not answered like the baseline.
    dead_after: Option<(Arc<Probe>, String)>,
    /// Whether there was a baseline answer to compare the valid callbacks with.
    compared: bool,
}

impl BadRequests {
    /// How many requests that are not callbacks were sent.
    pub(crate) fn total(&self) -> usize {
        self.total
    }

    /// How long sending them (and the valid callbacks after them) took.
    pub(crate) fn spent(&self) -> Duration {
        self.spent
    }
}

/// Sends every request that is not a callback, each followed by a valid callback: what
/// AB-01 to AB-03 judge.
pub(crate) async fn send_bad(runner: &mut Runner, suite: &Callbacks) -> BadRequests {
    let start = Instant::now();
    let (mut opened, mut not_refused, mut dead_after) = (None, None, None);
    let bad = suite.factory.bad();
    for (n, probe) in bad.iter().enumerate() {
        let i = runner.send(probe.clone()).await;
        match &runner.sent()[i].result {
            Ok(response) => {
                if AuthBody::of(&response.body).opens() {
                    opened.get_or_insert((probe.clone(), response.summary()));
                }
                if !(400..500).contains(&response.status) {
                    not_refused.get_or_insert((probe.clone(), response.summary()));
                }
            }
            Err(failure) => {
                not_refused.get_or_insert((probe.clone(), failure.to_string()));
            }
        }
        let alive = suite.factory.alive(100 + n as u64);
        let j = runner.send(alive.clone()).await;
        let result = &runner.sent()[j].result;
        if let Some(problem) = differs(result, suite.baseline.as_ref()) {
            let broken = result.is_err();
            dead_after.get_or_insert((
                alive,
                format!("after the {} request: {problem}", probe.name),
            ));
            if broken {
                runner.declare_dead(format!(
                    "not run: the server stopped answering after the {} request (AB-03)",
                    probe.name
                ));
                break;
            }
        }
    }
    BadRequests {
        total: bad.len(),
        spent: start.elapsed(),
        names: bad
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        opened,
        not_refused,
        dead_after,
        compared: suite.baseline.is_some(),
    }
}

/// AB-01: no bad request opened the door.
pub(crate) fn opens_nothing(bad: &BadRequests) -> Finding {
    match &bad.opened {
        Some((probe, actual)) => Finding::unmet(
            "no `pass: true` for a request that is not a callback",
            format!("{}: {actual}", probe.name),
            Some(probe.clone()),
        )
        .with_fix("decode the callback strictly and refuse what does not decode; never default to opening"),
        None => Finding::Met(format!(
            "none of {} bad requests opened the door ({})",
            bad.total, bad.names
        )),
    }
}

/// AB-02: every bad request was refused with a 4xx.
pub(crate) fn refused(bad: &BadRequests) -> Finding {
    match &bad.not_refused {
        Some((probe, actual)) => Finding::unmet(
            "HTTP 400 to 499 (the request is at fault)",
            format!("{}: {actual}", probe.name),
            Some(probe.clone()),
        ),
        None => Finding::Met(format!("each of {} bad requests got a 4xx", bad.total)),
    }
}

/// AB-03: after each bad request, a valid callback was answered like the baseline.
pub(crate) fn survived(bad: &BadRequests) -> Finding {
    match (&bad.dead_after, bad.compared) {
        (Some((probe, actual)), _) => {
            Finding::unmet(LIKE_BASELINE, actual.clone(), Some(probe.clone()))
        }
        (None, false) => Finding::depends(CheckId::AU01, NO_REFERENCE),
        (None, true) => Finding::Met(format!(
            "a valid callback was answered after each of {} bad requests",
            bad.total
        )),
    }
}

/// AP-02: callbacks from many terminals at once, each answer judged like the baseline's.
pub(crate) fn load_phase<'r>(
    runner: &'r mut Runner,
    suite: &'r Callbacks,
    id: CheckId,
) -> Step<'r> {
    Box::pin(async move {
        let Some(reference) = suite.baseline.as_ref().filter(|f| f.takes()) else {
            let finding = Finding::depends(CheckId::AU01, NO_REFERENCE);
            runner.finish(id, finding, 0, Duration::ZERO);
            return;
        };
        let cfg = runner.config();
        let probes = suite.factory.load(cfg.load_events, cfg.concurrency);
        let judge = load::like_reference(reference);
        if runner.load_check(id, probes, judge, "callback").await {
            runner.alive("the load phase (AP-02)").await;
        }
    })
}
