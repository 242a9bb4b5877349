//! The robustness checks (B-01 to B-05): requests no terminal sends — malformed JSON, an
//! empty body, a body labelled as something else, a body far too large — each of which
//! the receiver should refuse, and each followed by a valid event the receiver must still
//! answer. A refusal is an HTTP status of 400 to 599, or a `code` other than 200: a
//! terminal never sends these requests, so how a receiver says no matters less than that
//! it does not take them as events (a 500 with a JSON error is a refusal too; whether the
//! receiver survived it is B-05's question). The catalog rows say which bad request each
//! check sends; the runner walks them in order and judges B-05 after the last.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::check::CheckId;
use crate::probe::{Factory, Probe};
use crate::run::runner::{NO_REFERENCE, Runner, Sent};
use crate::shape::Form;
use crate::verdict::Finding;
use crate::wireio::Failure;

/// Extra time the huge body gets on top of the answer limit, for the upload itself.
const UPLOAD_TIME: Duration = Duration::from_secs(10);

/// What the valid events sent after the bad requests showed, for B-05.
pub(crate) struct Survival {
    start: Instant,
    /// How many were sent.
    sent: u64,
    /// The first that was not answered like a valid event, and how.
    unmet: Option<(Arc<Probe>, String)>,
}

impl Survival {
    /// Starts counting, as the robustness phase starts.
    pub(crate) fn new() -> Self {
        Self {
            start: Instant::now(),
            sent: 0,
            unmet: None,
        }
    }
}

/// B-01 to B-04: sends the bad request of check `id` (the plan sends it when the check or
/// B-05 is wanted), judges its refusal, and sends a valid event after it; `huge` marks a
/// body that takes long to upload and whose answer time P-01 leaves out.
pub(crate) async fn bad(
    runner: &mut Runner,
    id: CheckId,
    make: fn(&Factory) -> Arc<Probe>,
    huge: bool,
    survival: &mut Survival,
) {
    let probe = make(runner.factory());
    let i = if huge {
        runner.send_untimed(probe.clone(), UPLOAD_TIME).await
    } else {
        runner.send(probe.clone()).await
    };
    let finding = refusal(&runner.sent()[i]);
    let spent = runner.sent()[i].elapsed;
    runner.finish(id, finding, 1, spent);

    let alive = runner
        .factory()
        .plain(&format!("alive-after-{}", probe.name), 200 + survival.sent);
    let j = runner.send(alive.clone()).await;
    survival.sent += 1;
    // With nothing to compare with, only a receiver that no longer answers at all is
    // known to be hurt; it is dead either way, and the checks after this one must say so.
    if runner.reference().is_some()
        && let Err(actual) = runner.accepted(j)
    {
        survival
            .unmet
            .get_or_insert_with(|| (alive, format!("after the {} request: {actual}", probe.name)));
    }
    if runner.sent()[j].result.is_err() {
        runner.declare_dead(format!(
            "not run: the receiver stopped answering after the {} request (B-05)",
            probe.name
        ));
    }
}

/// B-05: a valid event was answered like one after each bad request.
pub(crate) fn survived(runner: &mut Runner, id: CheckId, survival: &Survival) {
    let finding = match (&survival.unmet, survival.sent) {
        (_, 0) => Finding::NotRun(runner.dead().unwrap_or("not run").to_string()),
        _ if runner.reference().is_none() => Finding::depends(CheckId::T01, NO_REFERENCE),
        (Some((probe, actual)), _) => Finding::unmet(
            "HTTP 200 and an answer like the baseline's to a valid event sent after each bad request",
            actual.clone(),
            Some(probe.clone()),
        ),
        (None, n) => Finding::Met(format!(
            "a valid event was answered after each of {n} bad requests"
        )),
    };
    let requests = usize::try_from(survival.sent).unwrap_or(usize::MAX);
    runner.finish(id, finding, requests, survival.start.elapsed());
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
