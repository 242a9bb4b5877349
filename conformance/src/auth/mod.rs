//! The auth suite (`facecert auth`): certifies a remote-authentication server, the server
//! at a terminal's `remote_authentication_address` that decides the door from API 1.1 on.
//! It runs on the push suite's machinery (the exact-bytes client, the runner that records
//! findings, the load phase, verdicts and reports) with its own requests (`probes`) and
//! answer checks (`answer`).
//!
//! Order: the heartbeat (AH-01), then the baseline callback (a library person by face),
//! whose answer every other caller's is compared with, so that a server whose every
//! answer has the same flaw fails the answer check about that flaw (AU-*) and no caller
//! check (AC-*); then every kind of caller the guide lists, the requests a terminal never
//! sends (AB-*), each followed by a valid callback, and last the timing: every answer
//! within the terminal's callback timeout (AP-01) and the load phase (AP-02).

pub mod answer;
pub mod probes;

use std::sync::Arc;
use std::time::{Duration, Instant};

use facesim::synth::Method;

use crate::catalog::CheckId;
use crate::load;
use crate::probe::Probe;
use crate::rules::{self, count};
use crate::run::{NO_REFERENCE, Runner};
use crate::shape::Form;
use crate::verdict::Finding;
use answer::AuthBody;
use probes::{AuthFactory, CallerProbe};

/// What a caller check expects of every answer.
const LIKE_BASELINE: &str =
    "HTTP 200 and an answer of the same form and `code` as the baseline callback's";

/// Runs the auth suite's checks on `runner`.
pub(crate) async fn run_all(runner: &mut Runner<'_>) {
    let (seed, api) = (runner.config.seed, runner.config.api);
    let Ok(factory) = tokio::task::spawn_blocking(move || AuthFactory::new(seed, api)).await else {
        runner.dead = Some("not run: the requests could not be built".into());
        return;
    };
    let factory = Arc::new(factory);
    let alive = factory.clone();
    runner.alive_probe = Some(Box::new(move |n| alive.alive(n)));

    heartbeat(runner, &factory).await;
    let baseline = baseline(runner, &factory).await;
    callers(runner, &factory, baseline.as_ref()).await;
    judge_answers(runner);
    bad_requests(runner, &factory, baseline.as_ref()).await;
    load_phase(runner, &factory, baseline.as_ref()).await;
    runner.judge_timing(CheckId::AP01);
}

/// AH-01: the heartbeat, a GET on the callback URL.
async fn heartbeat(runner: &mut Runner<'_>, factory: &AuthFactory) {
    if !runner.wants(CheckId::AH01) {
        return;
    }
    let probe = factory.heartbeat(1);
    let i = runner.send(probe.clone()).await;
    let sent = &runner.sent[i];
    let expected = "HTTP 200 to a GET on the callback URL";
    let finding = match &sent.result {
        Ok(response) if response.status == 200 => {
            Finding::Met(format!("HTTP 200 in {}", crate::run::millis(sent.elapsed)))
        }
        Ok(response) => Finding::unmet(expected, response.summary(), Some(probe)),
        Err(failure) => Finding::unmet(expected, failure.to_string(), Some(probe)),
    };
    let finding = finding.with_fix(
        "answer GET on the callback's own URL with HTTP 200: the terminal polls it every 30 s \
         and, after remote_auth_timeout_to_local_auth minutes without an answer, stops \
         calling the server and decides alone",
    );
    let spent = runner.sent[i].elapsed;
    runner.finish(CheckId::AH01, finding, 1, spent);
}

/// The baseline callback; its answer's form, when there was an answer.
async fn baseline(runner: &mut Runner<'_>, factory: &AuthFactory) -> Option<Form> {
    let i = runner.send(factory.baseline()).await;
    let form = runner.sent[i].result.as_ref().ok().map(Form::of);
    if form.is_none() {
        runner.alive("the baseline callback").await;
    }
    form
}

/// AC-01 to AC-05: every kind of caller, compared with the baseline.
async fn callers(runner: &mut Runner<'_>, factory: &AuthFactory, baseline: Option<&Form>) {
    let all = factory.callers();
    let (qr, rest): (Vec<&CallerProbe>, Vec<&CallerProbe>) =
        all.iter().partition(|c| c.caller.method == Method::QrCode);
    let (library, strangers): (Vec<&CallerProbe>, Vec<&CallerProbe>) =
        rest.into_iter().partition(|c| c.caller.library);
    let groups = [
        (CheckId::AC01, library),
        (CheckId::AC02, strangers),
        (CheckId::AC03, qr),
    ];
    for (id, group) in groups {
        let probes = group.iter().map(|c| c.probe.clone()).collect();
        compare(runner, id, probes, baseline).await;
    }
    compare(
        runner,
        CheckId::AC05,
        vec![factory.unknown_fields()],
        baseline,
    )
    .await;
    blacklisted(runner, factory).await;
}

/// Sends `probes` and records check `id`: each must be answered like the baseline.
async fn compare(
    runner: &mut Runner<'_>,
    id: CheckId,
    probes: Vec<Arc<Probe>>,
    baseline: Option<&Form>,
) {
    if !runner.wants(id) || runner.skip_if_dead(id) {
        return;
    }
    let start = Instant::now();
    let mut first: Option<(Arc<Probe>, String)> = None;
    let total = probes.len();
    for probe in probes {
        let i = runner.send(probe.clone()).await;
        let problem = differs(&runner.sent[i].result, baseline);
        if let Some(problem) = problem {
            first.get_or_insert((probe, problem));
            if runner.sent[i].result.is_err() && !runner.alive(&format!("request {id}")).await {
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
async fn blacklisted(runner: &mut Runner<'_>, factory: &AuthFactory) {
    let id = CheckId::AC04;
    if !runner.wants(id) || runner.skip_if_dead(id) {
        return;
    }
    let Some(probe) = factory.blacklisted() else {
        let finding = Finding::NotRun("the version has no blacklist".into());
        runner.finish(id, finding, 0, Duration::ZERO);
        return;
    };
    let i = runner.send(probe.clone()).await;
    let spent = runner.sent[i].elapsed;
    let finding = match &runner.sent[i].result {
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
}

/// AU-01 to AU-07 over the answers to valid callbacks: AU-01 over the baseline's (the
/// caller checks judge the others' status), the rest over every answer with HTTP 200.
fn judge_answers(runner: &mut Runner<'_>) {
    let profile = runner.config.api.profile();
    let findings: Vec<(CheckId, Finding, usize)> = {
        let answers: Vec<_> = runner
            .sent
            .iter()
            .filter(|s| s.probe.valid)
            .filter_map(|s| {
                let response = s.result.as_ref().ok()?;
                let body = (AuthBody::of(&response.body), profile);
                Some((s.probe.clone(), response, body))
            })
            .collect();
        let baseline: Vec<_> = answers
            .iter()
            .filter(|(p, _, _)| p.name == "auth-baseline")
            .cloned()
            .collect();
        let taken: Vec<_> = answers
            .iter()
            .filter(|(_, r, _)| r.status == 200)
            .cloned()
            .collect();
        answer::rules()
            .iter()
            .map(|rule| {
                let over = if rule.id == CheckId::AU01 {
                    &baseline
                } else {
                    &taken
                };
                let (finding, n) = rules::apply_to(rule, over, || {
                    Finding::depends(
                        CheckId::AU01,
                        "no valid callback was answered with HTTP 200",
                    )
                });
                (rule.id, finding, n)
            })
            .collect()
    };
    for (id, finding, n) in findings {
        runner.finish_rule(id, finding, n);
    }
}

/// AB-01 to AB-03: requests a terminal never sends, each followed by a valid callback.
async fn bad_requests(runner: &mut Runner<'_>, factory: &AuthFactory, baseline: Option<&Form>) {
    let wanted = [CheckId::AB01, CheckId::AB02, CheckId::AB03];
    if !wanted.iter().any(|&id| runner.wants(id)) {
        return;
    }
    if runner.dead.is_some() {
        for id in wanted {
            runner.skip_if_dead(id);
        }
        return;
    }
    let start = Instant::now();
    let (mut opened, mut not_refused, mut dead_after) = (None, None, None);
    let bad = factory.bad();
    for (n, probe) in bad.iter().enumerate() {
        let i = runner.send(probe.clone()).await;
        if let Ok(response) = &runner.sent[i].result {
            if AuthBody::of(&response.body).opens() {
                opened.get_or_insert((probe.clone(), response.summary()));
            }
            if !(400..500).contains(&response.status) {
                not_refused.get_or_insert((probe.clone(), response.summary()));
            }
        } else if let Err(failure) = &runner.sent[i].result {
            not_refused.get_or_insert((probe.clone(), failure.to_string()));
        }
        let alive = factory.alive(100 + n as u64);
        let j = runner.send(alive.clone()).await;
        let problem = differs(&runner.sent[j].result, baseline);
        if let Some(problem) = problem {
            dead_after.get_or_insert((
                alive,
                format!("after the {} request: {problem}", probe.name),
            ));
            if runner.sent[j].result.is_err() {
                runner.dead = Some(format!(
                    "not run: the server stopped answering after the {} request (AB-03)",
                    probe.name
                ));
                break;
            }
        }
    }
    let total = bad.len();
    let spent = start.elapsed();
    let names = bad
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let finding = match opened {
        Some((probe, actual)) => Finding::unmet(
            "no `pass: true` for a request that is not a callback",
            format!("{}: {actual}", probe.name),
            Some(probe),
        )
        .with_fix("decode the callback strictly and refuse what does not decode; never default to opening"),
        None => Finding::Met(format!("none of {total} bad requests opened the door ({names})")),
    };
    runner.finish(CheckId::AB01, finding, total, spent);
    let finding = match not_refused {
        Some((probe, actual)) => Finding::unmet(
            "HTTP 400 to 499 (the request is at fault)",
            format!("{}: {actual}", probe.name),
            Some(probe),
        ),
        None => Finding::Met(format!("each of {total} bad requests got a 4xx")),
    };
    runner.finish(CheckId::AB02, finding, total, spent);
    let finding = match (dead_after, baseline) {
        (Some((probe, actual)), _) => Finding::unmet(LIKE_BASELINE, actual, Some(probe)),
        (None, None) => Finding::depends(CheckId::AU01, NO_REFERENCE),
        (None, Some(_)) => Finding::Met(format!(
            "a valid callback was answered after each of {total} bad requests"
        )),
    };
    runner.finish(CheckId::AB03, finding, total, spent);
}

/// AP-02: callbacks from many terminals at once, each answer judged like the baseline's.
async fn load_phase(runner: &mut Runner<'_>, factory: &AuthFactory, baseline: Option<&Form>) {
    let id = CheckId::AP02;
    if !runner.wants(id) || runner.skip_if_dead(id) {
        return;
    }
    let Some(reference) = baseline.filter(|f| f.takes()) else {
        let finding = Finding::depends(CheckId::AU01, NO_REFERENCE);
        runner.finish(id, finding, 0, Duration::ZERO);
        return;
    };
    let cfg = runner.config;
    let probes = factory.load(cfg.load_events, cfg.concurrency);
    let judge = load::like_reference(reference);
    if runner.load_check(id, probes, judge, "callback").await {
        runner.alive("the load phase (AP-02)").await;
    }
}
