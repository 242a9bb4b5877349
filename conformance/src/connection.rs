//! The connection checks: a valid event on a fresh connection answered with HTTP 200 when
//! connections come one after another (T-04), connections kept open (T-03), a listen
//! backlog that holds the terminals connecting at once (T-05), and answers on a kept-alive
//! connection as fast as on a fresh one (T-06). T-05 and T-06 judge what every other
//! check measured along the way: each connect's time, and answer times on fresh and kept
//! connections.

use std::time::{Duration, Instant};

use crate::check::CheckId;
use crate::client::SYN_RETRANSMISSION;
use crate::run::runner::{Runner, Sent, Step};
use crate::text::{count, millis};
use crate::verdict::Finding;

/// Events sent on the kept-alive connection: the first two judge T-03; the rest, past the
/// kernel's quick-ACK start of a connection, time T-06.
const KEPT_SERIES: u64 = 10;
/// Answers at the start of a connection that T-06 does not time: a fresh connection ACKs
/// at once, so a delayed-ACK stall shows only later. T-06 times the answers whose `turn`
/// on their connection comes after these.
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

/// T-03: events on one connection; their answer times feed `fed` (T-06), and the series
/// goes on past the second event only when that check is wanted.
pub(crate) fn keep_alive(runner: &mut Runner, id: CheckId, fed: CheckId) -> Step<'_> {
    Box::pin(async move {
        let timing = runner.wants(fed);
        let start = Instant::now();
        let first = runner.factory().plain("keep-alive-1", 2);
        let mut connection = None;
        let i = runner.send_on(first.clone(), &mut connection).await;
        let mut requests = 1;
        let mut finding = None;
        let mut carried = 1;
        for k in 2..=KEPT_SERIES {
            if connection.is_none() {
                break;
            }
            let probe = runner.factory().plain(&format!("keep-alive-{k}"), k + 1);
            let j = runner.send_on(probe.clone(), &mut connection).await;
            requests += 1;
            match &runner.sent()[j].result {
                Ok(response) => {
                    carried += 1;
                    if k == 2 {
                        finding = Some(Finding::Met(format!(
                            "the connection stayed open for a second event (HTTP {})",
                            response.status
                        )));
                    }
                }
                Err(failure) if k == 2 => {
                    finding = Some(Finding::unmet(
                        "an answer to a second event on the same connection",
                        failure.to_string(),
                        Some(probe),
                    ));
                }
                Err(_) => {}
            }
            if !timing {
                break;
            }
        }
        tracing::debug!(carried, "answers on the kept-alive connection");
        let finding = match (finding, &runner.sent()[i].result) {
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
                runner.alive(&format!("the keep-alive check ({id})")).await;
                Finding::unmet("an answer on a fresh connection", actual, Some(first))
            }
        };
        runner.finish(id, finding, requests, start.elapsed());
    })
}

/// T-04: consecutive events, each on a fresh connection.
pub(crate) fn burst(runner: &mut Runner, id: CheckId) -> Step<'_> {
    Box::pin(async move {
        if runner.baseline().is_none() {
            let finding = Finding::depends(
                CheckId::T01,
                "a valid event on a fresh connection was not answered with HTTP 200",
            );
            runner.finish(id, finding, 0, Duration::ZERO);
            return;
        }
        let start = Instant::now();
        let mut finding = Finding::Met(format!(
            "{BURST} events on {BURST} fresh connections, all answered with HTTP 200"
        ));
        let mut requests = 0;
        for k in 1..=BURST {
            let probe = runner.factory().plain(&format!("burst-{k:02}"), 100 + k);
            let i = runner.send(probe.clone()).await;
            requests += 1;
            let result = &runner.sent()[i].result;
            let actual = match result {
                Ok(r) if r.status == 200 => continue,
                Ok(r) => r.summary(),
                Err(f) => f.to_string(),
            };
            let broken = result.is_err();
            finding = Finding::unmet(
                "HTTP 200 to every event",
                format!("event {k} of {BURST}: {actual}"),
                Some(probe),
            );
            if broken {
                runner
                    .alive(&format!("a burst of fresh connections ({id})"))
                    .await;
            }
            break;
        }
        runner.finish(id, finding, requests, start.elapsed());
    })
}

/// T-05: over every connection the run opened, none waited for a SYN retransmission.
pub(crate) fn backlog(runner: &Runner) -> (Finding, usize) {
    let all = runner.connects();
    let attempts = all.attempts();
    let finding = if attempts == 0 || (all.syn_waits == 0 && runner.dead().is_some()) {
        Finding::NotRun(runner.dead().map_or_else(
            || "not run: no connection was opened".into(),
            str::to_string,
        ))
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
    (finding, attempts)
}

/// T-06: how long each answer took from its first byte to its last, on the kept-alive
/// connection past its first answers (or, when connections were not kept, on fresh ones).
/// An answer written in one piece arrives in one piece; one whose second write Nagle's
/// algorithm held until the client's delayed ACK arrives ~40 ms after its head. Timing the
/// pieces, not the whole answer, tells that stall from a receiver that is merely slow.
pub(crate) fn stall(runner: &Runner) -> (Finding, usize) {
    let answered = |s: &&Sent| s.result.is_ok();
    let kept: Vec<&Sent> = runner
        .sent()
        .iter()
        .filter(|s| s.turn > KEPT_WARMUP)
        .filter(answered)
        .collect();
    let (spreads, whole, on): (Vec<Duration>, Vec<Duration>, &str) = if kept.is_empty() {
        let fresh: Vec<&Sent> = runner
            .sent()
            .iter()
            .filter(|s| s.timed && s.connect.is_some())
            .filter(answered)
            .collect();
        (
            fresh.iter().filter_map(|s| spread(s)).collect(),
            fresh.iter().map(|s| s.elapsed).collect(),
            "fresh connections",
        )
    } else {
        (
            kept.iter().filter_map(|s| spread(s)).collect(),
            kept.iter().map(|s| s.elapsed).collect(),
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
            runner
                .dead()
                .map_or_else(|| "not run: no answer to time".into(), str::to_string),
        ),
    };
    (finding, spreads.len())
}

/// How long an answer took from its first byte to its last.
fn spread(sent: &Sent) -> Option<Duration> {
    sent.result.as_ref().ok().map(|r| r.spread)
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
