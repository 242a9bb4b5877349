//! The plan of a run: the suite's phases in order, and in each the catalog's rows of that
//! phase, in catalog order. The plan applies the rules that say whether a row runs, so that
//! no check has to: a row whose check is not wanted (not selected, or not of this suite
//! and version) does nothing; a row that sends requests of its own is skipped, with the
//! reason, once the receiver stopped answering; a row that judges what was gathered is
//! always judged, since it says itself why it had nothing to judge. Each step is handed its
//! row's ID, and records its finding under it.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use facesim_proto::profile::ApiVersion;

use crate::auth::checks::{self as auth, Callbacks};
use crate::auth::probes::AuthFactory;
use crate::catalog;
use crate::check::{Check, CheckId, Suite};
use crate::client::Target;
use crate::probe::Factory;
use crate::report::RunReport;
use crate::robust;
use crate::shape::Body;

use super::config::{Config, SuiteError};
use super::how::{Auth, How, Phase, Push};
use super::records::Batch;
use super::runner::{AliveProbe, Runner};

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

/// The auth suite's phases, in the order they run: the heartbeat before anything else;
/// the baseline callback, which every other caller's answer is compared with; the callers,
/// then the blacklisted person; the answer rules, over the callers' answers; the bad
/// requests, each followed by a valid callback; last the load phase and the timing.
const AUTH: [Phase; 8] = [
    Phase::Opening,
    Phase::Baseline,
    Phase::Records,
    Phase::Compared,
    Phase::Answers,
    Phase::Robust,
    Phase::Load,
    Phase::Judged,
];

/// Runs the selected checks against the target and returns the report.
///
/// # Errors
/// [`SuiteError`] when the suite cannot run at all: the target is unusable or
/// unreachable, the selection is empty, or artifacts cannot be written.
pub(crate) async fn execute(config: &Config) -> Result<RunReport, SuiteError> {
    let started = Instant::now();
    let started_unix = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // The checks the run reports: selected, and of the suite and version under test.
    let checks: Vec<&'static Check> = catalog::CATALOG
        .iter()
        .filter(|c| config.selection.includes(c.id) && c.runs_in(config.suite, config.api))
        .collect();
    if checks.is_empty() {
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
            let mut runner = Runner::new(config, checks, target, factory, None);
            run_push(&mut runner).await;
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
            let mut runner = Runner::new(config, checks, target, factory, Some(probe));
            run_auth(&mut runner, callbacks).await;
            runner.report(started, started_unix)
        }
    }
}

/// What the rows of one phase share while it runs.
struct Shared {
    /// The record checks' requests, judged when the phase ends.
    batches: Vec<Batch>,
    /// The valid events sent after the bad requests.
    survival: robust::Survival,
    /// The answers the answer rules judge, each body read once for all of them.
    answers: Option<Vec<(usize, Body)>>,
    /// Where the baseline event is in the requests sent, in the baseline phase.
    baseline: Option<usize>,
    /// Whether a check that judges the valid events after the bad requests (B-05) is
    /// wanted, in which case every bad request is sent whether or not its own check is.
    survival_wanted: bool,
}

/// The push suite: each phase's rows, in the plan's order.
async fn run_push(runner: &mut Runner) {
    for phase in PUSH {
        let mut shared = Shared {
            batches: Vec::new(),
            survival: robust::Survival::new(),
            answers: None,
            baseline: None,
            survival_wanted: push_rows(phase, runner.config().api)
                .any(|(id, how)| matches!(how, Push::Survives) && runner.wants(id)),
        };
        if phase == Phase::Baseline {
            shared.baseline = Some(runner.open().await);
        }
        for (id, how) in push_rows(phase, runner.config().api) {
            run_row(runner, id, how, &mut shared).await;
        }
        if phase == Phase::Records {
            runner.choose_reference();
            for batch in shared.batches {
                runner.judge_records(batch);
            }
        }
    }
}

/// Runs one row of the push suite, when it runs at all.
async fn run_row(runner: &mut Runner, id: CheckId, how: Push, shared: &mut Shared) {
    match how {
        Push::Baseline(judge) => {
            if let Some(i) = shared.baseline.filter(|_| runner.wants(id)) {
                let (finding, requests) = judge(runner, i);
                let spent = match requests {
                    0 => Duration::ZERO,
                    _ => runner.sent()[i].elapsed,
                };
                runner.finish(id, finding, requests, spent);
            }
        }
        Push::Own(_, step) => {
            if runner.starts(id) {
                step(runner, id).await;
            }
        }
        Push::Feeds(_, fed, step) => {
            if (runner.wants(id) || runner.wants(fed)) && !runner.skip_if_dead(id) {
                step(runner, id, fed).await;
            }
        }
        Push::Records(make) => {
            if runner.starts(id) {
                shared.batches.push(runner.records(id, make).await);
            }
        }
        Push::Decision(status, who) => {
            if runner.starts(id) {
                runner.decision(id, status, who).await;
            }
        }
        Push::Bad(make) | Push::Huge(make) => {
            let huge = matches!(how, Push::Huge(_));
            if (runner.wants(id) || shared.survival_wanted) && !runner.skip_if_dead(id) {
                robust::bad(runner, id, make, huge, &mut shared.survival).await;
            }
        }
        Push::Survives => {
            if runner.wants(id) {
                robust::survived(runner, id, &shared.survival);
            }
        }
        Push::Rule(rule) => {
            if runner.wants(id) {
                let answers = shared.answers.get_or_insert_with(|| runner.valid_answers());
                runner.judge_rule(id, rule, answers);
            }
        }
        Push::Judged(judge) => {
            if runner.wants(id) {
                let (finding, requests) = judge(runner);
                runner.finish(id, finding, requests, Duration::ZERO);
            }
        }
    }
}

/// The auth suite: each phase's rows, in the plan's order.
async fn run_auth(runner: &mut Runner, factory: Arc<AuthFactory>) {
    let mut suite = Callbacks::new(factory);
    for phase in AUTH {
        if phase == Phase::Baseline {
            suite.open(runner).await;
        }
        let mut bad = None;
        let mut answers: Option<Vec<(usize, auth::AnswerBody)>> = None;
        for (id, how) in auth_rows(phase, runner.config().api) {
            match how {
                Auth::Own(_, step) => {
                    if runner.starts(id) {
                        step(runner, &suite, id).await;
                    }
                }
                Auth::Callers(make) => {
                    if runner.starts(id) {
                        auth::compare(runner, id, make, &suite).await;
                    }
                }
                Auth::Rule(rule, over) => {
                    if runner.wants(id) {
                        let answers = answers.get_or_insert_with(|| auth::valid_answers(runner));
                        auth::judge_rule(runner, id, rule, over, answers);
                    }
                }
                // The requests that are not callbacks are sent once, for the first of
                // their checks that runs, and judged again by the others.
                Auth::Refuses(judge) => {
                    if !runner.wants(id) {
                        continue;
                    }
                    if bad.is_none() {
                        if runner.skip_if_dead(id) {
                            continue;
                        }
                        bad = Some(auth::send_bad(runner, &suite).await);
                    }
                    if let Some(bad) = &bad {
                        runner.finish(id, judge(bad), bad.total(), bad.spent());
                    }
                }
                Auth::Judged(judge) => {
                    if runner.wants(id) {
                        let (finding, requests) = judge(runner);
                        runner.finish(id, finding, requests, Duration::ZERO);
                    }
                }
            }
        }
    }
}

/// The push suite's rows of `phase` that apply to `version`, in catalog order.
fn push_rows(phase: Phase, version: ApiVersion) -> impl Iterator<Item = (CheckId, Push)> {
    let push = |how| match how {
        How::Push(how) => Some(how),
        How::Auth(_) => None,
    };
    rows(phase, version, push, Push::phase)
}

/// The auth suite's rows of `phase` that apply to `version`, in catalog order.
fn auth_rows(phase: Phase, version: ApiVersion) -> impl Iterator<Item = (CheckId, Auth)> {
    let auth = |how| match how {
        How::Auth(how) => Some(how),
        How::Push(_) => None,
    };
    rows(phase, version, auth, Auth::phase)
}

/// The rows of one suite (those `suite` picks) in `phase` under `version`.
fn rows<H: Copy>(
    phase: Phase,
    version: ApiVersion,
    suite: fn(How) -> Option<H>,
    phase_of: fn(H) -> Phase,
) -> impl Iterator<Item = (CheckId, H)> {
    catalog::ROWS
        .iter()
        .filter(move |r| r.check.applies(version))
        .filter_map(move |r| {
            suite(r.run)
                .filter(|h| phase_of(*h) == phase)
                .map(|h| (r.check.id, h))
        })
}
