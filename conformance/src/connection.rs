//! The connection checks: a valid event on a fresh connection answered with HTTP 200 when
//! connections come one after another (T-04), connections kept open (T-03), a listen
//! backlog that holds the terminals connecting at once (T-05), and answers on a kept-alive
//! connection as fast as on a fresh one (T-06). T-05 and T-06 judge what every other
//! check measured along the way: each connect's time, and answer times on fresh and kept
//! connections.

use std::time::{Duration, Instant};

use crate::catalog::CheckId;
use crate::client::SYN_RETRANSMISSION;
use crate::rules::count;
use crate::run::{Runner, millis};
use crate::verdict::Finding;

/// Events sent on the kept-alive connection: the first two judge T-03; the rest, past the
/// kernel's quick-ACK start of a connection, time T-06.
const KEPT_SERIES: u64 = 10;
/// Answers at the start of a connection that T-06 does not time: a fresh connection ACKs
/// at once, so a delayed-ACK stall shows only later.
const KEPT_WARMUP: usize = 2;
/// An answer whose last byte comes this long after its first was held up (the delayed
/// ACK is 40 ms on Linux, up to 200 ms elsewhere).
const STALL: Duration = Duration::from_millis(25);

/// Median of a list of durations (`None` when empty).
fn median(times: &[Duration]) -> Option<Duration> {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied()
}

impl Runner<'_> {
    /// T-03: events on one connection; their answer times feed T-06.
    pub(crate) async fn keep_alive(&mut self) {
        let timing = self.wants(CheckId::T06);
        if !(self.wants(CheckId::T03) || timing) || self.skip_if_dead(CheckId::T03) {
            return;
        }
        let start = Instant::now();
        let first = self.factory.plain("keep-alive-1", 2);
        let exchange = self.target.exchange(&first.request(), self.limit).await;
        let i = self.push(
            first.clone(),
            exchange.connect,
            exchange.elapsed,
            exchange.result,
            true,
        );
        let mut requests = 1;
        let mut connection = exchange.connection;
        let mut finding = None;
        let mut carried = 1;
        for k in 2..=KEPT_SERIES {
            let Some(open) = connection.as_mut() else {
                break;
            };
            let probe = self.factory.plain(&format!("keep-alive-{k}"), k + 1);
            let (elapsed, result) = open
                .send_within(&self.target, &probe.request(), self.limit)
                .await;
            let reusable = matches!(&result, Ok(r) if r.reusable);
            let j = self.push(probe.clone(), None, elapsed, result, true);
            requests += 1;
            if let Ok(response) = &self.sent[j].result {
                carried += 1;
                if usize::try_from(k).unwrap_or(usize::MAX) > KEPT_WARMUP {
                    self.kept.push((elapsed, response.spread));
                }
                if k == 2 {
                    finding = Some(Finding::Met(format!(
                        "the connection stayed open for a second event (HTTP {})",
                        response.status
                    )));
                }
            } else if k == 2 {
                let actual = self.sent[j]
                    .result
                    .as_ref()
                    .err()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                finding = Some(Finding::unmet(
                    "an answer to a second event on the same connection",
                    actual,
                    Some(probe),
                ));
            }
            if !reusable {
                connection = None;
            }
            if !timing {
                break;
            }
        }
        tracing::debug!(carried, "answers on the kept-alive connection");
        let finding = match (finding, &self.sent[i].result) {
            (Some(finding), _) => finding,
            (None, Ok(response)) => {
                let why = if response
                    .header("connection")
                    .is_some_and(|v| v.to_ascii_lowercase().contains("close"))
                {
                    "the answer said `Connection: close`"
                } else if response.http10 {
                    "the answer was HTTP/1.0"
                } else {
                    "the answer had no length, so only closing could end it"
                };
                Finding::unmet(
                    "the connection left open after an answer",
                    format!("closed: {why}"),
                    Some(first),
                )
            }
            (None, Err(failure)) => {
                let actual = failure.to_string();
                self.alive("the keep-alive check (T-03)").await;
                Finding::unmet("an answer on a fresh connection", actual, Some(first))
            }
        };
        self.finish(CheckId::T03, finding, requests, start.elapsed());
    }

    /// T-04: consecutive events, each on a fresh connection.
    pub(crate) async fn burst(&mut self) {
        if !self.wants(CheckId::T04) || self.skip_if_dead(CheckId::T04) {
            return;
        }
        if self.baseline.is_none() {
            let finding = Finding::depends(
                CheckId::T01,
                "a valid event on a fresh connection was not answered with HTTP 200",
            );
            self.finish(CheckId::T04, finding, 0, Duration::ZERO);
            return;
        }
        let start = Instant::now();
        let mut finding = Finding::Met(format!(
            "{BURST} events on {BURST} fresh connections, all answered with HTTP 200"
        ));
        let mut requests = 0;
        for k in 1..=BURST {
            let probe = self.factory.plain(&format!("burst-{k:02}"), 100 + k);
            let i = self.send(probe.clone()).await;
            requests += 1;
            let actual = match &self.sent[i].result {
                Ok(r) if r.status == 200 => continue,
                Ok(r) => r.summary(),
                Err(f) => f.to_string(),
            };
            finding = Finding::unmet(
                "HTTP 200 to every event",
                format!("event {k} of {BURST}: {actual}"),
                Some(probe),
            );
            if self.sent[i].result.is_err() {
                self.alive("a burst of fresh connections (T-04)").await;
            }
            break;
        }
        self.finish(CheckId::T04, finding, requests, start.elapsed());
    }

    /// T-05: over every connection the run opened, none waited for a SYN retransmission.
    pub(crate) fn judge_backlog(&mut self) {
        let mut all = self.connects.clone();
        if let Some(load) = &self.load {
            all.merge(&load.connects);
        }
        let attempts = all.attempts();
        let finding = if attempts == 0 || (all.syn_waits == 0 && self.dead.is_some()) {
            Finding::NotRun(
                self.dead
                    .clone()
                    .unwrap_or_else(|| "not run: no connection was opened".into()),
            )
        } else if all.syn_waits == 0 {
            Finding::Met(format!(
                "{}, none waited for a SYN retransmission (slowest TCP connect {})",
                count(attempts, "connection"),
                millis(all.slowest_tcp)
            ))
        } else {
            Finding::unmet(
                "every connection accepted at once, without waiting for a SYN retransmission",
                format!(
                    "listen backlog overflowed: {} of {} waited for a SYN retransmission (about {} s each; slowest TCP connect {}); each such push reached the receiver a second late",
                    all.syn_waits,
                    count(attempts, "connection"),
                    SYN_RETRANSMISSION.as_secs_f64().round(),
                    millis(all.slowest_tcp)
                ),
                None,
            )
            .with_fix("raise the listen backlog (Python socketserver: request_queue_size = 128; Java ServerSocket/HttpServer: the backlog argument; the kernel caps it at net.core.somaxconn) or accept connections faster")
        };
        let judged = attempts;
        self.finish(CheckId::T05, finding, judged, Duration::ZERO);
    }

    /// T-06: how long each answer took from its first byte to its last, on the kept-alive
    /// connection (or, when connections were not kept, on fresh ones). An answer written
    /// in one piece arrives in one piece; one whose second write Nagle's algorithm held
    /// until the client's delayed ACK arrives ~40 ms after its head. Timing the pieces,
    /// not the whole answer, tells that stall from a receiver that is merely slow.
    pub(crate) fn judge_stall(&mut self) {
        let fresh: Vec<&crate::run::Sent> = self
            .sent
            .iter()
            .filter(|s| s.timed && s.connect.is_some() && s.result.is_ok())
            .collect();
        let (spreads, whole, on): (Vec<Duration>, Vec<Duration>, &str) = if self.kept.is_empty() {
            let spreads = fresh
                .iter()
                .filter_map(|s| s.result.as_ref().ok().map(|r| r.spread))
                .collect();
            (
                spreads,
                fresh.iter().map(|s| s.elapsed).collect(),
                "fresh connections",
            )
        } else {
            (
                self.kept.iter().map(|k| k.1).collect(),
                self.kept.iter().map(|k| k.0).collect(),
                "the kept-alive connection",
            )
        };
        let finding = match (median(&spreads), median(&whole)) {
            (Some(spread), Some(answer)) => {
                let figures = format!(
                    "answers on {on} took {} from their first byte to their last ({} in all; median of {})",
                    millis(spread),
                    millis(answer),
                    count(spreads.len(), "answer")
                );
                if spread >= STALL {
                    let rate = 1.0 / answer.as_secs_f64().max(1e-6);
                    Finding::unmet(
                        "each answer arriving in one piece, as it does when written at once",
                        format!(
                            "{figures}: the ~40 ms step of Nagle's algorithm holding the answer's second write until the terminal's delayed ACK; a terminal pushing one record at a time drains its backlog at about {rate:.0} records/s"
                        ),
                        None,
                    )
                    .with_fix("enable TCP_NODELAY on accepted connections, or write each answer in one piece (JDK HttpServer: -Dsun.net.httpserver.nodelay=true)")
                } else {
                    Finding::Met(figures)
                }
            }
            _ => Finding::NotRun(
                self.dead
                    .clone()
                    .unwrap_or_else(|| "not run: no answer to time".into()),
            ),
        };
        let judged = spreads.len();
        self.finish(CheckId::T06, finding, judged, Duration::ZERO);
    }
}

/// How many consecutive fresh connections T-04 opens.
const BURST: u64 = 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_value() {
        let ms = Duration::from_millis;
        assert_eq!(median(&[ms(5), ms(1), ms(44)]), Some(ms(5)));
        assert_eq!(median(&[]), None);
    }
}
