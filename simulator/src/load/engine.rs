//! The run itself: build the fleet and the snapshot pool, start the job source, the
//! aggregator and the progress display, and drive one worker per connection through the
//! one send loop ([`drive`]); turn the totals into a [`LoadResult`].
//!
//! How a load event is sent is [`Wire`], the [`Sender`] of `facesim load`; the load model
//! lives entirely in the [`Source`] it takes jobs from.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::aggregate::{self, LoadSample, Totals};
use super::drive::{Ended, Sender, drive};
use super::judge::{Judge, Verdict};
use super::pool::{Bodies, BodySpec, EventBuf};
use super::progress::{self, Counters, Feed};
use super::report::{LoadResult, ThresholdReport};
use super::source::{Job, Limits, Source};
use super::{LoadConfig, LoadError, Mode};
use crate::net::{Connection, Endpoint};
use crate::schedule::Schedule;
use crate::stats::Sample;
use crate::wire::{Outcome, OutcomeClass};

/// How `facesim load` sends an event: from the pool of bodies, on the worker's own
/// keep-alive connection, judged by the version's rule behind a memo.
struct Wire {
    endpoint: Arc<Endpoint>,
    bodies: Arc<Bodies>,
    counters: Arc<Counters>,
    start: Instant,
    /// Wall-clock time at `start`, since the Unix epoch.
    started_unix: Duration,
    timeout: Duration,
    /// The API version's rule for answers.
    rule: crate::wire::AnswerRule,
    /// Under `--target auth`: how auth answers type `data.user_id`.
    auth: Option<crate::wire::IdKind>,
}

/// Runs a load test until its schedule is done or `shutdown` resolves, and returns what
/// it measured (an interrupted run returns what it had, marked `interrupted`).
///
/// # Errors
/// [`LoadError`] when the run cannot start: unusable arguments, an unknown host, an
/// unwritable `save_body` file.
pub async fn run_load(
    config: LoadConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<LoadResult, LoadError> {
    if config.connections == 0 {
        return Err(LoadError::Usage("--connections must be at least 1".into()));
    }
    let endpoint = Arc::new(Endpoint::new(&config.url, &config.trust).await?);
    let spec = BodySpec {
        seed: config.seed,
        devices: config.shard.devices(config.devices),
        people: config.people,
        image_pool: config.image_pool,
        api: config.api,
        auth: config.target == super::Target::Auth,
    };
    let bodies = tokio::task::spawn_blocking(move || Bodies::build(&spec))
        .await
        .map_err(|e| LoadError::Internal(e.to_string()))??;
    let bodies = Arc::new(bodies);
    let now_unix = config.clock.unix_time();
    if let Some(path) = &config.save_body {
        let body = bodies.body(0, now_unix.as_secs() as i64, &endpoint);
        std::fs::write(path, body).map_err(|e| LoadError::Output {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    }
    let limits = Limits {
        duration: config.duration,
        count: config.count.map(|c| config.shard.share_of(c)),
    };
    let metrics_listener = match config.metrics_listen {
        Some(addr) => Some(super::exposition::bind(addr).await?),
        None => None,
    };
    let (recorder, aggregator) = aggregate::spawn();
    let counters = Arc::new(Counters::default());
    let started_unix = config.clock.unix_time();
    let start = Instant::now();
    let source = match &config.mode {
        Mode::Open {
            profile, arrival, ..
        } => {
            let shard = config.shard;
            let profile = profile.scaled(shard.fraction());
            let seed = config.seed ^ u64::from(shard.index).wrapping_mul(crate::seed::GOLDEN_GAMMA);
            let schedule = Schedule::new(profile, *arrival, seed).with_phase(shard.phase());
            Source::paced(schedule, start, limits, config.connections, config.timeout)
        }
        Mode::Max => Source::closed(start, limits, config.connections),
    };
    let wire = Arc::new(Wire {
        endpoint,
        bodies: bodies.clone(),
        counters: counters.clone(),
        start,
        started_unix,
        timeout: config.timeout,
        rule: config.api.profile().answer,
        auth: (config.target == super::Target::Auth).then(|| config.api.profile().auth_ids()),
    });
    let display = progress::spawn(Feed {
        recorder: recorder.clone(),
        counters: counters.clone(),
        source: source.clone(),
        start,
        duration: config.duration,
        count: limits.count,
        target: match &config.mode {
            Mode::Open { profile, .. } => Some(profile.scaled(config.shard.fraction())),
            Mode::Max => None,
        },
        enabled: config.progress,
    });
    let exposition = metrics_listener.map(|listener| {
        if let Ok(addr) = listener.local_addr() {
            eprintln!("live figures at http://{addr}/metrics");
        }
        super::exposition::spawn(
            listener,
            super::exposition::Figures {
                recorder: recorder.clone(),
                counters: counters.clone(),
                source: source.clone(),
                start,
                target: match &config.mode {
                    Mode::Open { profile, .. } => Some(profile.scaled(config.shard.fraction())),
                    Mode::Max => None,
                },
                to: config.url.to_string(),
            },
        )
    });
    let ended = drive(&source, wire, recorder, shutdown).await;
    if let Some(exposition) = exposition {
        exposition.finish().await;
    }
    let interrupted = ended == Ended::Interrupted;
    display.finish().await;
    let elapsed = start.elapsed();
    let totals = aggregator
        .await
        .map_err(|e| LoadError::Internal(e.to_string()))?;
    Ok(result(
        &config,
        &source,
        &counters,
        totals,
        elapsed,
        started_unix,
        bodies.device_count(),
        interrupted,
    ))
}

/// What one worker of `facesim load` keeps between events.
struct Line {
    conn: Connection,
    judge: Judge,
    buf: EventBuf,
    /// Classes this worker has already described; only the first of each carries text.
    described: [bool; OutcomeClass::ALL.len()],
}

impl Sender for Wire {
    type Worker = Line;
    type Tally = Totals;

    async fn worker(&self, _index: usize) -> Line {
        Line {
            conn: Connection::new(self.endpoint.clone()),
            judge: Judge::new(self.rule, self.auth),
            buf: EventBuf::default(),
            described: [false; OutcomeClass::ALL.len()],
        }
    }

    async fn send(&self, line: &mut Line, job: Job) -> LoadSample {
        let counters = &self.counters;
        let (verdict, why, service, done) = if job.expired {
            counters.unsent.fetch_add(1, Ordering::Relaxed);
            let verdict = Verdict {
                class: OutcomeClass::Timeout,
                pass: None,
            };
            let why = "never sent: every connection was busy until the run ended".to_string();
            (verdict, Some(why), None, Instant::now())
        } else {
            let offset = job.due.saturating_duration_since(self.start);
            let timestamp =
                i64::try_from((self.started_unix + offset).as_secs()).unwrap_or(i64::MAX);
            self.bodies
                .prepare(job.n, timestamp, &self.endpoint, &mut line.buf);
            let sent_at = Instant::now();
            let sent_us = u64::try_from((sent_at - self.start).as_micros()).unwrap_or(u64::MAX);
            counters.last_send_us.fetch_max(sent_us, Ordering::Relaxed);
            counters.sent.fetch_add(1, Ordering::Relaxed);
            counters.in_flight.fetch_add(1, Ordering::Relaxed);
            let exchange = line.conn.exchange(self.bodies.request(&line.buf));
            let (verdict, why) = match tokio::time::timeout(self.timeout, exchange).await {
                Ok(Ok((status, body))) => line.judge.judge(status, body),
                Ok(Err(failure)) => {
                    let why = failure.to_string();
                    (Verdict::of(&Outcome::<()>::from(failure)), Some(why))
                }
                Err(_) => {
                    line.conn.reset();
                    let verdict = Verdict {
                        class: OutcomeClass::Timeout,
                        pass: None,
                    };
                    (
                        verdict,
                        Some(format!("no answer within {} ms", self.timeout.as_millis())),
                    )
                }
            };
            counters.in_flight.fetch_sub(1, Ordering::Relaxed);
            let done = Instant::now();
            (verdict, why, Some(done - sent_at), done)
        };
        let slot = OutcomeClass::ALL
            .iter()
            .position(|c| *c == verdict.class)
            .unwrap_or(0);
        let failure = why.filter(|_| !std::mem::replace(&mut line.described[slot], true));
        LoadSample {
            sample: Sample {
                latency: done.saturating_duration_since(job.due),
                class: verdict.class,
                pass: verdict.pass,
            },
            service,
            done_ms: u64::try_from(done.saturating_duration_since(self.start).as_millis())
                .unwrap_or(u64::MAX),
            failure,
        }
    }
}

/// The target rate of this process in events per second, averaged over `span` seconds of
/// schedule (the configured duration when `span` is not known yet).
fn target_rate(config: &LoadConfig, span: Option<f64>) -> Option<f64> {
    let Mode::Open { profile, .. } = &config.mode else {
        return None;
    };
    let profile = profile.scaled(config.shard.fraction());
    let span = span
        .or(config.duration.map(|d| d.as_secs_f64()))
        .filter(|s| *s > 0.0);
    Some(match span {
        Some(s) => profile.cumulative(s) / s,
        None => profile.rate_at(0.0),
    })
}

#[allow(clippy::too_many_arguments)]
fn result(
    config: &LoadConfig,
    source: &Source,
    counters: &Counters,
    totals: Totals,
    elapsed: Duration,
    started_unix: Duration,
    devices: usize,
    interrupted: bool,
) -> LoadResult {
    let sent = counters.sent.load(Ordering::Relaxed);
    let last_send =
        Duration::from_micros(counters.last_send_us.load(Ordering::Relaxed)).as_secs_f64();
    // The window the events were spread over: the schedule's span in the open model (the
    // configured duration when the run went the distance, else up to the last arrival,
    // and never shorter than the sends took), the whole run in the closed one.
    let (window, target) = match &config.mode {
        Mode::Open { .. } => {
            let planned = match (config.duration, interrupted) {
                (Some(d), false) if config.count.is_none() => d.as_secs_f64(),
                _ => source.last_due().map_or(0.0, |d| d.as_secs_f64()),
            };
            (planned.max(last_send), target_rate(config, Some(planned)))
        }
        Mode::Max => (elapsed.as_secs_f64(), None),
    };
    let achieved_rate = if window > 0.0 {
        sent as f64 / window
    } else {
        0.0
    };
    let (mode, arrival, rate_spec) = match &config.mode {
        Mode::Open { arrival, spec, .. } => ("open", Some(*arrival), Some(spec.clone())),
        Mode::Max => ("max", None, None),
    };
    let mut result = LoadResult {
        to: config.url.to_string(),
        mode: mode.to_string(),
        arrival,
        rate_spec,
        target_rate: target,
        achieved_rate,
        duration_s: elapsed.as_secs_f64(),
        started_unix_ms: u64::try_from(started_unix.as_millis()).unwrap_or(u64::MAX),
        connections: config.connections,
        devices: devices as u64,
        shard: config.shard.is_split().then(|| config.shard.to_string()),
        stats: totals.stats.report(),
        scheduled: source.scheduled().unwrap_or(sent),
        unsent: counters.unsent.load(Ordering::Relaxed),
        error_rate_pct: 0.0,
        service_ms: totals.service.percentiles(),
        service_histogram_us: totals.service.pairs(),
        error_examples: totals.examples,
        interrupted,
        thresholds: ThresholdReport::default(),
        parts: Vec::new(),
        series: totals.series,
    };
    result.complete_counts();
    result.apply_thresholds(config.thresholds);
    result
}
