//! The robustness checks (B-01 to B-05): requests no terminal sends — malformed JSON, an
//! empty body, a body labelled as something else, a body far too large — each of which
//! the receiver should refuse, and each followed by a valid event the receiver must still
//! answer. A refusal is an HTTP status of 400 to 599, or a `code` other than 200: a
//! terminal never sends these requests, so how a receiver says no matters less than that
//! it does not take them as events (a 500 with a JSON error is a refusal too; whether the
//! receiver survived it is B-05's question).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::catalog::CheckId;
use crate::probe::{Factory, Probe};
use crate::run::{Runner, Sent};
use crate::shape::Form;
use crate::verdict::Finding;
use crate::wireio::Failure;

/// Extra time the huge body gets on top of the answer limit, for the upload itself.
const UPLOAD_TIME: Duration = Duration::from_secs(10);

/// Builds one bad request.
type Make = fn(&Factory) -> Arc<Probe>;

/// The bad requests, in the order they are sent.
const CASES: [(CheckId, Make); 4] = [
    (CheckId::B01, Factory::malformed),
    (CheckId::B02, Factory::empty),
    (CheckId::B03, Factory::mislabelled),
    (CheckId::B04, Factory::huge),
];

/// Runs B-01 to B-05.
pub(crate) async fn run(runner: &mut Runner<'_>) {
    let want_liveness = runner.wants(CheckId::B05);
    let start = Instant::now();
    let mut probes = 0;
    let mut unmet: Option<(Arc<Probe>, String)> = None;
    for (id, make) in CASES {
        if !runner.wants(id) && !want_liveness {
            continue;
        }
        if runner.skip_if_dead(id) {
            continue;
        }
        let probe = make(&runner.factory);
        let huge = id == CheckId::B04;
        let limit = if huge {
            runner.limit + UPLOAD_TIME
        } else {
            runner.limit
        };
        let i = runner.send_with(probe.clone(), limit, !huge).await;
        let finding = refusal(&runner.sent[i]);
        let spent = runner.sent[i].elapsed;
        runner.finish(id, finding, 1, spent);

        let alive = runner
            .factory
            .plain(&format!("alive-after-{}", probe.name), 200 + probes);
        let j = runner.send(alive.clone()).await;
        probes += 1;
        if runner.reference.is_none() {
            // Nothing to compare with, but a receiver that no longer answers at all is
            // still dead, and the checks after this one must say so.
            if runner.sent[j].result.is_err() {
                runner.dead = Some(format!(
                    "not run: the receiver stopped answering after the {} request (B-05)",
                    probe.name
                ));
            }
            continue;
        }
        if let Err(actual) = runner.accepted(j) {
            unmet.get_or_insert_with(|| {
                (alive, format!("after the {} request: {actual}", probe.name))
            });
            if runner.sent[j].result.is_err() {
                runner.dead = Some(format!(
                    "not run: the receiver stopped answering after the {} request (B-05)",
                    probe.name
                ));
            }
        }
    }
    if !want_liveness {
        return;
    }
    let finding = match (unmet, probes) {
        (_, 0) => Finding::NotRun(runner.dead.clone().unwrap_or_else(|| "not run".into())),
        _ if runner.reference.is_none() => Finding::depends(
            CheckId::T01,
            "no valid event was answered with HTTP 200 and code 200, so there is no answer to compare with",
        ),
        (Some((probe, actual)), _) => Finding::unmet(
            "HTTP 200 and an answer like the baseline's to a valid event sent after each bad request",
            actual,
            Some(probe),
        ),
        (None, n) => Finding::Met(format!(
            "a valid event was answered after each of {n} bad requests"
        )),
    };
    runner.finish(CheckId::B05, finding, probes as usize, start.elapsed());
}

/// What a refusal is, for the evidence.
pub(crate) const REFUSAL: &str = "HTTP 4xx or 5xx, or a `code` other than 200";

/// Judges the answer to a bad request.
fn refusal(sent: &Sent) -> Finding {
    let probe = Some(sent.probe.clone());
    match &sent.result {
        Ok(response) => {
            let form = Form::of(response);
            if form.refuses() {
                let code = form.code.map(|c| format!(", code {c}")).unwrap_or_default();
                Finding::Met(format!("refused with HTTP {}{code}", response.status))
            } else if form.takes() {
                Finding::unmet(
                    REFUSAL,
                    "HTTP 200 with code 200: taken as a valid event",
                    probe,
                )
            } else {
                Finding::unmet(REFUSAL, response.summary(), probe)
            }
        }
        // Closing the connection on a body too large to read is a refusal too; a
        // terminal never sends one, so how it is refused matters little.
        Err(Failure::Closed {
            sent: done, total, ..
        }) if done < total => Finding::Met(format!(
            "refused by closing the connection after {done} of {total} bytes"
        )),
        Err(failure) => Finding::unmet(REFUSAL, failure.to_string(), probe),
    }
}
