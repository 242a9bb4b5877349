//! The load phase (P-02): `concurrency` simulated terminals push their events at once,
//! each as fast as its answers come back, as a door's worth of terminals does after an
//! outage. Each terminal keeps its connection when the receiver allows it (and reconnects,
//! as a terminal would, when the receiver closed it while idle). Latency is measured per
//! request from the moment the terminal is ready to send it, and samples go through the
//! simulator's statistics aggregator.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use facesim::push::OutcomeClass;
use facesim::stats::{Sample, Stats, spawn_aggregator};
use tokio::sync::Mutex;

use crate::client::{Connection, Target};
use crate::probe::Probe;
use crate::shape::{Form, lets_through};
use crate::wireio::{Failure, Response};

/// What the load phase came to.
#[derive(Debug)]
pub struct LoadOutcome {
    pub events: usize,
    pub concurrency: usize,
    pub elapsed: Duration,
    pub stats: Stats,
    /// The first event that was not answered like a valid event, and how.
    pub first_failure: Option<(Arc<Probe>, String)>,
    /// False when the phase ran out of time and was stopped.
    pub finished: bool,
}

/// How long the phase may take at most: long enough for every event at the p99 limit
/// twice over, and never less than 30 s, so only a receiver far too slow is cut off.
pub fn budget(events: usize, concurrency: usize, p99: Duration) -> Duration {
    let rounds = events.div_ceil(concurrency.max(1)) as u32;
    (p99 * rounds * 2).max(Duration::from_secs(30))
}

/// Runs the load phase: every probe once, `concurrency` at a time, each answer judged
/// against the baseline's form within `timeout`.
pub async fn run(
    target: &Target,
    probes: Vec<Arc<Probe>>,
    concurrency: usize,
    timeout: Duration,
    baseline: &Form,
    budget: Duration,
) -> LoadOutcome {
    let events = probes.len();
    let concurrency = concurrency.clamp(1, events.max(1));
    let probes = Arc::new(probes);
    let next = Arc::new(AtomicUsize::new(0));
    let first_failure = Arc::new(Mutex::new(None));
    let (recorder, aggregator) = spawn_aggregator();
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (target, probes, next) = (target.clone(), probes.clone(), next.clone());
        let (baseline, recorder, first_failure) =
            (baseline.clone(), recorder.clone(), first_failure.clone());
        workers.spawn(async move {
            let mut connection: Option<Connection> = None;
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(probe) = probes.get(i) else { break };
                let (latency, result) = deliver(&target, &mut connection, probe, timeout).await;
                let (class, pass, problem) = classify(&result, &baseline);
                if let Some(problem) = problem {
                    first_failure
                        .lock()
                        .await
                        .get_or_insert((probe.clone(), problem));
                }
                recorder
                    .record(Sample {
                        latency,
                        class,
                        pass,
                    })
                    .await;
            }
        });
    }
    drop(recorder);
    let finished = tokio::time::timeout(budget, async {
        while workers.join_next().await.is_some() {}
    })
    .await
    .is_ok();
    // Stopping the workers drops their recorders, which lets the aggregator finish.
    workers.shutdown().await;
    let elapsed = start.elapsed();
    let stats = aggregator.await.unwrap_or_default();
    let first_failure = first_failure.lock().await.take();
    LoadOutcome {
        events,
        concurrency,
        elapsed,
        stats,
        first_failure,
        finished,
    }
}

/// Sends one event, on the terminal's open connection when it has one.
async fn deliver(
    target: &Target,
    connection: &mut Option<Connection>,
    probe: &Probe,
    timeout: Duration,
) -> (Duration, Result<Response, Failure>) {
    let request = probe.request();
    if let Some(mut open) = connection.take() {
        let start = Instant::now();
        match tokio::time::timeout(timeout, open.send(target, &request)).await {
            Ok(Ok(response)) => {
                if response.reusable {
                    *connection = Some(open);
                }
                return (start.elapsed(), Ok(response));
            }
            // The receiver closed the idle connection before it saw this request: not an
            // answer to judge; send it again on a new connection, as a terminal would.
            Ok(Err(Failure::Closed { .. })) => {}
            Ok(Err(failure)) => return (start.elapsed(), Err(failure)),
            Err(_) => return (timeout, Err(Failure::Timeout(timeout))),
        }
    }
    let exchange = target.exchange(&request, timeout).await;
    *connection = exchange.connection;
    (exchange.elapsed, exchange.result)
}

/// The outcome class of an answer, its door decision, and what was wrong with it.
fn classify(
    result: &Result<Response, Failure>,
    baseline: &Form,
) -> (OutcomeClass, Option<bool>, Option<String>) {
    match result {
        Ok(response) => match Form::of(response).matches(baseline) {
            Ok(()) => (
                OutcomeClass::Success,
                Some(lets_through(&response.body)),
                None,
            ),
            Err(difference) => {
                let class = if response.status != baseline.status {
                    OutcomeClass::HttpStatus
                } else if Form::of(response).code != baseline.code {
                    OutcomeClass::CodeNotOk
                } else {
                    OutcomeClass::Malformed
                };
                (class, None, Some(difference))
            }
        },
        Err(failure) => {
            let class = match failure {
                Failure::Timeout(_) => OutcomeClass::Timeout,
                Failure::Connect(_) | Failure::Tls(_) => OutcomeClass::ConnectError,
                _ => OutcomeClass::TransportError,
            };
            (class, None, Some(failure.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_generous_and_at_least_thirty_seconds() {
        assert_eq!(
            budget(10, 8, Duration::from_millis(500)),
            Duration::from_secs(30)
        );
        assert_eq!(
            budget(3000, 8, Duration::from_millis(500)),
            Duration::from_secs(375)
        );
    }
}
