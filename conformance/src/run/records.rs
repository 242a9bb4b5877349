//! The record checks on the runner: the baseline (T-01, T-02), the identity headers,
//! the real records compared with the baseline, other record types and the door decisions.

use std::sync::Arc;
use std::time::{Duration, Instant};

use facesim::tls::Trust;
use facesim_proto::wire::RecognizeStatus;

use crate::check::CheckId;
use crate::probe::{Factory, Probe};
use crate::shape::{Form, lets_through};
use crate::text::{count, millis};
use crate::verdict::Finding;
use crate::wireio::Failure;

use super::runner::{NO_REFERENCE, Runner, Sent, Step};

/// What a record check expects of every answer.
const LIKE_BASELINE: &str =
    "HTTP 200 and an answer of the same form and `code` as the baseline event's";
/// What a record check expects when the baseline was refused.
const LIKE_OTHERS: &str =
    "HTTP 200 and an answer of the same form and `code` as the valid events that were taken";
/// A record check's requests, by their place in the list of requests sent.
pub(super) struct Batch {
    id: CheckId,
    sent: Vec<usize>,
    spent: Duration,
}

impl Runner {
    /// Sends the baseline event that opens the run and returns its place in the requests
    /// sent. Its answer, when HTTP 200, is what every later answer is compared with; a
    /// failed TLS handshake ends the run, and so does a receiver that answers neither the
    /// baseline nor the smallest record.
    pub(super) async fn open(&mut self) -> usize {
        let probe = self.factory.baseline();
        let i = self.send(probe).await;
        match &self.sent[i].result {
            Err(Failure::Tls(_)) => {
                self.dead = Some("not run: depends on T-02 (the TLS handshake failed)".into());
            }
            Ok(response) => {
                if response.status == 200 {
                    self.baseline = Some(Form::of(response));
                    self.reference = self.baseline.clone();
                }
            }
            // A receiver that gave no answer at all may still answer other records (it may
            // crash only on some field of the baseline's); the smallest record tells.
            Err(failure) => {
                let failure = failure.to_string();
                let probe = self.factory.smallest();
                let j = self.send(probe).await;
                if self.sent[j].result.is_err() {
                    self.dead = Some(format!(
                        "not run: depends on T-01 (a valid event got no answer: {failure}; nor did the smallest record)"
                    ));
                }
            }
        }
        i
    }

    /// T-02: the baseline's TLS handshake (the baseline is request `i`).
    pub(crate) fn handshake(&self, i: usize) -> (Finding, usize) {
        let sent = &self.sent[i];
        if let Err(Failure::Tls(reason)) = &sent.result {
            // The reason already names the fact that failed and its fix (`tls::tls_error`).
            let finding = Finding::unmet(
                "a completed TLS handshake with a trusted certificate",
                reason.clone(),
                Some(sent.probe.clone()),
            );
            return (finding, 1);
        }
        let finding = match (self.target.is_https(), &self.config.trust) {
            (false, _) => Finding::NotRun("the target is http".into()),
            (true, Trust::Insecure) => {
                Finding::Met("handshake completed (certificate not verified: --insecure)".into())
            }
            (true, _) => Finding::Met("handshake completed with a trusted certificate".into()),
        };
        (finding, 1)
    }

    /// T-01: the baseline answered with HTTP 200 (the baseline is request `i`).
    pub(crate) fn answered(&self, i: usize) -> (Finding, usize) {
        let sent = &self.sent[i];
        let probe = Some(sent.probe.clone());
        let finding = match &sent.result {
            Err(Failure::Tls(_)) => {
                let finding = Finding::depends(CheckId::T02, "the TLS handshake failed");
                return (finding, 0);
            }
            Ok(response) if response.status == 200 => {
                Finding::Met(format!("HTTP 200 in {}", millis(sent.elapsed)))
            }
            Ok(response) => Finding::unmet("HTTP 200", response.summary(), probe),
            Err(failure) => Finding::unmet("an HTTP 200 answer", failure.to_string(), probe),
        };
        (finding, 1)
    }

    /// A record check's requests; they are judged once the reference is known.
    pub(super) async fn records(
        &mut self,
        id: CheckId,
        make: fn(&Factory) -> Vec<Arc<Probe>>,
    ) -> Batch {
        let probes = make(&self.factory);
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
        Batch {
            id,
            sent,
            spent: start.elapsed(),
        }
    }

    /// After the records: the baseline is the reference when it was answered with HTTP
    /// 200; otherwise the first valid event that was taken stands in for it.
    pub(super) fn choose_reference(&mut self) {
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

    /// A record check: every answer like the reference's.
    pub(super) fn judge_records(&mut self, batch: Batch) {
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
    pub(crate) fn identity_check(&mut self, id: CheckId) -> Step<'_> {
        Box::pin(async move {
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
                self.finish(id, finding, 1, Duration::ZERO);
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
            self.finish(id, finding, 2, spent);
        })
    }

    /// C-02: an event of another type gets a well-formed answer.
    pub(crate) fn other_type(&mut self, id: CheckId) -> Step<'_> {
        Box::pin(async move {
            let probe = self.factory.other_type();
            let i = self.send(probe.clone()).await;
            let expected = "HTTP 200 and an answer formed like a valid event's (any `code`)";
            let finding = match (&self.sent[i].result, &self.reference) {
                (Ok(r), Some(reference)) if Form::of(r).same_kind(reference) => {
                    Finding::Met(format!(
                        "answered HTTP 200 with code {}",
                        Form::of(r).code.unwrap_or_default()
                    ))
                }
                (Ok(_), None) => Finding::depends(CheckId::T01, NO_REFERENCE),
                (Ok(r), _) => Finding::unmet(expected, r.summary(), Some(probe)),
                (Err(f), _) => {
                    let actual = f.to_string();
                    self.alive(&format!("an event of another type ({id})"))
                        .await;
                    Finding::unmet(expected, actual, Some(probe))
                }
            };
            let spent = self.sent[i].elapsed;
            self.finish(id, finding, 1, spent);
        })
    }

    /// D-01, D-02: a record that must not open the door.
    pub(super) async fn decision(&mut self, id: CheckId, status: RecognizeStatus, who: &str) {
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
}
