//! The load phase (P-02): `concurrency` simulated terminals push their events, each as
//! fast as its answers come back, as a door's worth of terminals does after an outage.
//! They start the way a fleet does, not in the same microsecond: each terminal's first
//! connection waits a seeded offset within a window of 5 ms per terminal, so that a
//! listen backlog meets them one after another, as it meets terminals retrying on their
//! own jittered timers, while they still push at the same time. Each terminal keeps its
//! connection when the receiver allows it (and reconnects, as a terminal would, when the
//! receiver closed it while idle); a connection that cannot be opened is tried again
//! after the device's back-off. Connecting and answering are measured apart: the answer
//! time runs from the first byte of the request sent, and every connect's time is kept
//! on its own, so that a listen backlog that overflowed (a connect that waited for a SYN
//! retransmission) is reported as what it is (T-05) and not as a late answer.
//!
//! Staggered terminals pushing as fast as they are answered drift apart: a receiver that
//! answers in a few milliseconds, or whose answers wait for a delayed ACK, may never see
//! more than two requests at once, however many terminals the phase claims. A morning rush
//! is simultaneous, so after every terminal has connected and sent its first event, the
//! terminals send their next [`BURSTS`] events in bursts: each waits at a barrier until
//! every terminal is ready, and all send on their open connections at the same instant.
//! The phase counts the requests in flight as the client sees them (a send started and
//! its answer not yet finished) and reports the peak, so that the concurrency the phase
//! claims is the concurrency it shows it reached.
//!
//! The phase is the simulator's one send loop ([`facesim::load::drive`]) with
//! [`Terminals`] as its sender: the probes are dealt round-robin to the terminals, and
//! the samples go through the simulator's statistics aggregator.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use facesim::load::{Ended, Job, Sender, Source, drive};
use facesim::stats::{Sample, Stats, spawn_aggregator};
use facesim_proto::seed::{Domain, GOLDEN_GAMMA, splitmix64};
use facesim_proto::wire::{AnswerError, Outcome, OutcomeClass};
use tokio::sync::{Barrier, Mutex};

use crate::client::{ConnectTime, Connection, Target};
use crate::probe::Probe;
use crate::shape::{Form, lets_through};
use crate::wireio::{Failure, Response};

/// The share of the start window each terminal adds: the terminals' first connections are
/// spread over this much per terminal, at most [`MAX_STAGGER`].
pub const STAGGER_PER_TERMINAL: Duration = Duration::from_millis(5);
/// The widest start window: the device's first retry delay after a failed push.
pub const MAX_STAGGER: Duration = Duration::from_millis(500);
/// How many bursts the phase sends, when every terminal has that many events after its
/// first: a few, so that a receiver slow only when requests arrive together is caught
/// whatever the order in which it happens to take them.
pub const BURSTS: usize = 3;
/// How many times a terminal tries to open a connection for one event.
const CONNECT_ATTEMPTS: u32 = 3;
/// The shortest time one connect attempt may take: longer than the initial SYN
/// retransmission timeout (1 s) and its second retransmission (3 s in all), so that a
/// dropped SYN delays a connect rather than failing it.
const MIN_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The wait before the second attempt; it doubles for each further one, as the device's
/// delivery back-off does.
const CONNECT_BACKOFF: Duration = Duration::from_millis(500);

/// How the load phase runs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub concurrency: usize,
    /// Longest an answer may take, and the longest one connect attempt may take (the
    /// terminal's push timeout covers both).
    pub timeout: Duration,
    /// Seeds the terminals' start offsets, so runs stay reproducible.
    pub seed: u64,
    /// Stop the phase after this long.
    pub budget: Duration,
    /// How many bursts to send (fewer when the terminals have too few events).
    pub bursts: usize,
}

/// Every connection the terminals opened, or tried to.
#[derive(Debug, Clone, Default)]
pub struct Connects {
    /// Connect times (TCP and TLS) of the attempts that succeeded.
    pub stats: Stats,
    /// Attempts whose TCP handshake waited for a SYN retransmission.
    pub syn_waits: usize,
    /// Attempts that made no connection.
    pub failed: usize,
    /// The slowest TCP handshake.
    pub slowest_tcp: Duration,
}

impl Connects {
    /// Counts one attempt.
    pub fn add(&mut self, time: ConnectTime, ok: bool) {
        if ok {
            self.stats.record(&Sample {
                latency: time.total,
                class: OutcomeClass::Success,
                pass: None,
            });
        } else {
            self.failed += 1;
        }
        if time.waited_for_syn_retransmission() {
            self.syn_waits += 1;
        }
        self.slowest_tcp = self.slowest_tcp.max(time.tcp);
    }

    /// Adds another set of attempts to this one.
    pub fn merge(&mut self, other: &Connects) {
        self.stats.merge(&other.stats);
        self.syn_waits += other.syn_waits;
        self.failed += other.failed;
        self.slowest_tcp = self.slowest_tcp.max(other.slowest_tcp);
    }

    /// Attempts counted, successful or not.
    pub fn attempts(&self) -> usize {
        usize::try_from(self.stats.sent()).unwrap_or(usize::MAX) + self.failed
    }
}

/// What the load phase came to.
#[derive(Debug)]
pub struct LoadOutcome {
    pub events: usize,
    pub concurrency: usize,
    pub elapsed: Duration,
    /// Answer times (from the first byte sent) and outcome classes.
    pub stats: Stats,
    /// The connections the terminals opened.
    pub connects: Connects,
    /// The first event that was not answered like a valid event, and how.
    pub first_failure: Option<(Arc<Probe>, String)>,
    /// False when the phase ran out of time and was stopped.
    pub finished: bool,
    /// How many bursts the terminals sent together.
    pub bursts: usize,
    /// The most requests in flight at once (sent and not yet answered), as the terminals
    /// counted them.
    pub peak_in_flight: usize,
}

/// How long the phase may take at most: long enough for every event at the p99 limit
/// twice over, and never less than 30 s, so only a receiver far too slow is cut off.
pub fn budget(events: usize, concurrency: usize, p99: Duration) -> Duration {
    let rounds = events.div_ceil(concurrency.max(1)) as u32;
    (p99 * rounds * 2).max(Duration::from_secs(30))
}

/// How many of `wanted` bursts `terminals` can send with `events` dealt among them: every
/// terminal must have an event for each burst after its first, or the others would wait
/// for it at the barrier forever.
pub fn bursts(events: usize, terminals: usize, wanted: usize) -> usize {
    wanted.min((events / terminals.max(1)).saturating_sub(1))
}

/// The window over which `terminals` start.
pub fn stagger(terminals: usize) -> Duration {
    (STAGGER_PER_TERMINAL * u32::try_from(terminals).unwrap_or(u32::MAX)).min(MAX_STAGGER)
}

/// The start offset of terminal `k` of `terminals`: a seeded draw within their window.
pub fn start_offset(seed: u64, k: usize, terminals: usize) -> Duration {
    let draw = splitmix64(seed ^ Domain::Stagger.salt() ^ (k as u64).wrapping_mul(GOLDEN_GAMMA));
    let window = u64::try_from(stagger(terminals).as_micros())
        .unwrap_or(u64::MAX)
        .max(1);
    Duration::from_micros(draw % window)
}

/// How the load phase judges one answer: what it came to, with the door decision of an
/// answer taken, and for any other what was wrong with it. The push suite compares with
/// the baseline's form ([`like_reference`]).
pub type Judge = Arc<dyn Fn(&Result<Response, Failure>) -> Judgement + Send + Sync>;

/// What one answer of the load phase came to (the one outcome type every client counts,
/// carrying the door decision of an answer taken), and for a failure what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub outcome: Outcome<Option<bool>>,
    pub problem: Option<String>,
}

/// The push suite's judge: an answer is taken like the reference answer was.
pub fn like_reference(reference: &Form) -> Judge {
    let reference = reference.clone();
    Arc::new(move |result| classify(result, &reference))
}

/// Runs the load phase: every probe once, `plan.concurrency` terminals at a time, each
/// answer judged by `judge`.
pub async fn run(
    target: &Target,
    probes: Vec<Arc<Probe>>,
    plan: &Plan,
    judge: Judge,
) -> LoadOutcome {
    let events = probes.len();
    let concurrency = plan.concurrency.clamp(1, events.max(1));
    let bursts = bursts(events, concurrency, plan.bursts);
    let terminals = Arc::new(Terminals {
        target: target.clone(),
        probes,
        judge,
        timeout: plan.timeout,
        seed: plan.seed,
        count: concurrency,
        bursts,
        barrier: Barrier::new(concurrency),
        in_flight: Gauge::default(),
        first_failure: Mutex::new(None),
        connects: Mutex::new(Connects::default()),
    });
    let (recorder, aggregator) = spawn_aggregator();
    let start = Instant::now();
    // Each terminal pushes its own backlog: every `concurrency`-th event, so that an early
    // starter does not take the others' records and every terminal connects, however fast
    // the receiver answers.
    let source = Source::dealt(start, events as u64, concurrency, None);
    let ended = drive(
        &source,
        terminals.clone(),
        recorder,
        tokio::time::sleep(plan.budget),
    )
    .await;
    let elapsed = start.elapsed();
    let stats = aggregator.await.unwrap_or_default();
    let first_failure = terminals.first_failure.lock().await.take();
    let connects = terminals.connects.lock().await.clone();
    LoadOutcome {
        events,
        concurrency,
        elapsed,
        stats,
        connects,
        first_failure,
        finished: ended == Ended::Completed,
        bursts,
        peak_in_flight: terminals.in_flight.peak(),
    }
}

/// Requests in flight, counted from the first byte sent to the answer's end, and the
/// most there were at once.
#[derive(Debug, Default)]
struct Gauge {
    now: AtomicUsize,
    peak: AtomicUsize,
}

/// One request counted in a [`Gauge`] until it is dropped.
struct Flying<'g>(&'g Gauge);

impl Gauge {
    /// Counts a request in.
    fn start(&self) -> Flying<'_> {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        Flying(self)
    }

    fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

impl Drop for Flying<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The terminals of the load phase: the [`Sender`] of the send loop. Each worker is one
/// terminal with its kept connection.
struct Terminals {
    target: Target,
    probes: Vec<Arc<Probe>>,
    judge: Judge,
    timeout: Duration,
    /// Seeds the start offsets.
    seed: u64,
    /// How many terminals there are.
    count: usize,
    /// How many of each terminal's events after its first go out in bursts.
    bursts: usize,
    /// Where the terminals wait for each other before each burst.
    barrier: Barrier,
    /// The requests in flight.
    in_flight: Gauge,
    /// The first event that was not answered like a valid event, and how.
    first_failure: Mutex<Option<(Arc<Probe>, String)>>,
    connects: Mutex<Connects>,
}

impl Sender for Terminals {
    type Worker = Option<Connection>;
    type Tally = Stats;

    /// A terminal starts at its seeded offset, with no connection yet.
    async fn worker(&self, index: usize) -> Option<Connection> {
        tokio::time::sleep(start_offset(self.seed, index, self.count)).await;
        None
    }

    async fn send(&self, connection: &mut Option<Connection>, job: Job) -> Sample {
        let n = usize::try_from(job.n).unwrap_or(usize::MAX);
        // Events are dealt round-robin, so this is the terminal's `round`-th event: its
        // first goes out at its own offset, the next `bursts` together with every other
        // terminal's.
        let round = n / self.count;
        if (1..=self.bursts).contains(&round) {
            self.barrier.wait().await;
        }
        let probe = &self.probes[n];
        let (latency, result) = deliver(
            &self.target,
            connection,
            probe,
            self.timeout,
            &self.connects,
            &self.in_flight,
        )
        .await;
        let Judgement { outcome, problem } = (self.judge)(&result);
        if let Some(problem) = problem {
            self.first_failure
                .lock()
                .await
                .get_or_insert((probe.clone(), problem));
        }
        Sample {
            latency,
            class: outcome.class(),
            pass: outcome.success().copied().flatten(),
        }
    }
}

/// Opens a connection as a terminal does: an attempt may take up to `timeout`, and a
/// failed one is tried again after the back-off, up to [`CONNECT_ATTEMPTS`] in all.
async fn open(
    target: &Target,
    timeout: Duration,
    connects: &Mutex<Connects>,
) -> Result<Connection, Failure> {
    let mut backoff = CONNECT_BACKOFF;
    let mut attempt = 1;
    loop {
        match target.open(timeout.max(MIN_CONNECT_TIMEOUT)).await {
            Ok((connection, time)) => {
                connects.lock().await.add(time, true);
                return Ok(connection);
            }
            Err((failure, time)) => {
                connects.lock().await.add(time, false);
                // A certificate that is not trusted will not become trusted on a retry.
                if attempt >= CONNECT_ATTEMPTS || matches!(failure, Failure::Tls(_)) {
                    return Err(failure);
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff *= 2;
        attempt += 1;
    }
}

/// Sends one event, on the terminal's open connection when it has one. The time returned
/// is the answer's, from the first byte sent; connecting is counted in `connects`, and
/// each send, while it waits for its answer, in `in_flight`.
async fn deliver(
    target: &Target,
    connection: &mut Option<Connection>,
    probe: &Probe,
    timeout: Duration,
    connects: &Mutex<Connects>,
    in_flight: &Gauge,
) -> (Duration, Result<Response, Failure>) {
    let request = probe.request();
    if let Some(mut open) = connection.take() {
        let flying = in_flight.start();
        let sent = open.send_within(target, &request, timeout).await;
        drop(flying);
        match sent {
            (elapsed, Ok(response)) => {
                if response.reusable {
                    *connection = Some(open);
                }
                return (elapsed, Ok(response));
            }
            // The receiver closed the idle connection before it saw this request: not an
            // answer to judge; send it again on a new connection, as a terminal would.
            (_, Err(Failure::Closed { .. })) => {}
            (elapsed, Err(failure)) => return (elapsed, Err(failure)),
        }
    }
    let mut fresh = match open(target, timeout, connects).await {
        Ok(fresh) => fresh,
        Err(failure) => return (Duration::ZERO, Err(failure)),
    };
    let flying = in_flight.start();
    let (elapsed, result) = fresh.send_within(target, &request, timeout).await;
    drop(flying);
    if matches!(&result, Ok(r) if r.reusable) {
        *connection = Some(fresh);
    }
    (elapsed, result)
}

/// What an answer came to when it is judged by likeness to `baseline`, the answer the
/// receiver gave the reference event.
fn classify(result: &Result<Response, Failure>, baseline: &Form) -> Judgement {
    match result {
        Ok(response) => match Form::of(response).matches(baseline) {
            Ok(()) => Judgement {
                outcome: Outcome::Success(Some(lets_through(&response.body))),
                problem: None,
            },
            Err(difference) => {
                let outcome = if response.status != baseline.status {
                    Outcome::HttpStatus(response.status)
                } else if Form::of(response).code != baseline.code {
                    Outcome::CodeNotOk(None)
                } else {
                    Outcome::Malformed(AnswerError::UnlikeReference(difference.clone()))
                };
                Judgement {
                    outcome,
                    problem: Some(difference),
                }
            }
        },
        Err(failure) => failed(failure),
    }
}

/// What a request that got no answer came to, and why.
pub fn failed(failure: &Failure) -> Judgement {
    let detail = failure.to_string();
    let outcome = match failure {
        Failure::Timeout(_) => Outcome::Timeout,
        Failure::Connect(_) | Failure::Tls(_) => Outcome::Connect(detail.clone()),
        _ => Outcome::Transport(detail.clone()),
    };
    Judgement {
        outcome,
        problem: Some(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_offsets_are_seeded_spread_and_within_the_window() {
        let offsets: Vec<Duration> = (0..8).map(|k| start_offset(7, k, 8)).collect();
        assert_eq!(
            offsets,
            (0..8).map(|k| start_offset(7, k, 8)).collect::<Vec<_>>()
        );
        assert!(offsets.iter().all(|o| *o < Duration::from_millis(40)));
        let mut sorted = offsets.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 8, "{offsets:?}");
        assert_ne!(start_offset(8, 0, 8), start_offset(7, 0, 8));
        assert_eq!(stagger(1000), MAX_STAGGER);
    }

    #[test]
    fn every_terminal_has_an_event_for_each_burst() {
        assert_eq!(bursts(300, 8, BURSTS), 3);
        // Four events each: the first, then three bursts.
        assert_eq!(bursts(16, 4, 3), 3);
        // Fifteen dealt to four: one terminal has three, so only two bursts.
        assert_eq!(bursts(15, 4, 3), 2);
        assert_eq!(bursts(4, 4, 3), 0);
        assert_eq!(bursts(0, 0, 3), 0);
    }

    #[test]
    fn the_gauge_keeps_the_most_requests_in_flight_at_once() {
        let gauge = Gauge::default();
        let (a, b) = (gauge.start(), gauge.start());
        drop(a);
        let c = gauge.start();
        drop((b, c));
        let _d = gauge.start();
        assert_eq!(gauge.peak(), 2);
    }

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
