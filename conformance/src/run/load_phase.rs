//! The load phase on the runner (P-02, and AP-02's for the auth suite), the answer rules
//! judged over every answer gathered, and the answer times judged over every request
//! (P-01, AP-01).

use std::sync::Arc;
use std::time::Duration;

use crate::check::CheckId;
use crate::load;
use crate::probe::Probe;
use crate::rules::{self, Rule};
use crate::shape::Body;
use crate::text::{count, millis};
use crate::verdict::Finding;
use crate::wireio::Response;

use super::runner::{NO_REFERENCE, Runner, Sent, Step};

impl Runner {
    /// P-02: the load phase.
    pub(crate) fn load_phase(&mut self, id: CheckId) -> Step<'_> {
        Box::pin(async move {
            let Some(reference) = self.reference.clone() else {
                self.finish(
                    id,
                    Finding::depends(CheckId::T01, NO_REFERENCE),
                    0,
                    Duration::ZERO,
                );
                return;
            };
            let cfg = &self.config;
            let probes = self.factory.load(cfg.load_events, cfg.concurrency);
            let died = self
                .load_check(id, probes, load::like_reference(&reference), "event")
                .await;
            if died {
                self.alive(&format!("the load phase ({id})")).await;
            }
        })
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
        let cfg = &self.config;
        let plan = load::Plan {
            concurrency: cfg.concurrency,
            timeout: cfg.timeout,
            seed: cfg.seed,
            budget: load::budget(cfg.load_events, cfg.concurrency, cfg.p99),
            bursts: load::BURSTS,
        };
        let outcome = load::run(&self.target, probes, &plan, judge).await;
        let p = outcome.stats.percentiles();
        // How many requests the receiver was shown at once, so that a pass says what
        // concurrency it was earned under.
        let reached = format!(
            "{}, peak {} in flight",
            count(outcome.bursts, "burst"),
            outcome.peak_in_flight
        );
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
                "stopped after {} s with {} of {} answered ({reached})",
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
                "{failed} of {} failed ({}; {reached}); first: {first}",
                count(outcome.events, noun),
                classes.join(", ")
            );
            Finding::unmet(expected, actual, probe)
        } else if p.p99 > cfg.p99.as_secs_f64() * 1000.0 {
            Finding::unmet(
                expected,
                format!("p99 {:.1} ms over the limit ({figures}; {reached})", p.p99),
                None,
            )
        } else {
            Finding::Met(format!(
                "{} from {} in {:.2} s ({reached}): {figures}",
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

    /// Every HTTP 200 answer to a valid event, by its place in the requests sent, with
    /// its body read: what the answer rules judge.
    pub(super) fn valid_answers(&self) -> Vec<(usize, Body)> {
        self.sent
            .iter()
            .enumerate()
            .filter(|(_, s)| s.probe.valid)
            .filter_map(|(i, s)| {
                let response = s.result.as_ref().ok().filter(|r| r.status == 200)?;
                Some((i, Body::of(&response.body)))
            })
            .collect()
    }

    /// An answer rule over `answers` ([`valid_answers`](Self::valid_answers)).
    pub(super) fn judge_rule(&mut self, id: CheckId, rule: &Rule, answers: &[(usize, Body)]) {
        let (finding, requests) = {
            let answers: Vec<(Arc<Probe>, &Response, &Body)> = answers
                .iter()
                .filter_map(|(i, body)| {
                    let sent = &self.sent[*i];
                    Some((sent.probe.clone(), sent.result.as_ref().ok()?, body))
                })
                .collect();
            rules::apply(rule, &answers)
        };
        self.finish_rule(id, finding, requests);
    }

    /// P-01 (AP-01) over every answer but the huge body's.
    pub(crate) fn timing(&self) -> (Finding, usize) {
        let timeout = self.config.timeout;
        let ms = |d: Duration| d.as_millis();
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
    }
}
