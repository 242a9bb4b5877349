//! Where workers get their next event: the one place that decides the load model.
//!
//! **Open model** ([`Source::paced`]): a pacer thread walks the [`Schedule`] and, at each
//! arrival's due time, appends `(n, due)` to a FIFO queue and releases one permit. Each
//! worker owns one connection and takes the oldest queued arrival whenever it is free. So
//! arrivals happen on schedule whatever the receiver does; when every connection is busy
//! they wait in the queue, keeping their scheduled time, and the wait counts in their
//! latency (measured from `due`, never from the moment a connection freed up: no
//! coordinated omission). The pacer is a thread, not a tokio timer, because tokio's timer
//! wheel has millisecond ticks: at 10,000 events per second that would bunch ten events
//! per tick and add up to a millisecond to every latency. `std::thread::sleep` is accurate
//! to tens of microseconds.
//!
//! When the schedule ends, queued arrivals still get their chance until the last arrival's
//! due time plus the answer timeout; any left after that are handed out as expired and
//! counted as timeouts without being sent (the device would long have given up).
//!
//! **Closed model** ([`Source::closed`], `--max`): no schedule; a worker takes the next
//! number as soon as its previous answer is in, and the event is due at that moment.
//!
//! **Dealt** ([`Source::dealt`], `facesim push` and facecert's load phase): a fixed number
//! of events dealt round-robin to a fixed set of workers, worker `w` of `W` taking events
//! `w`, `w + W`, `w + 2W`…, as terminals each push their own backlog; each event either
//! at once or at its own due offset. A fast worker never takes another's events.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::schedule::Schedule;

/// The longest the pacer sleeps in one go, so that it notices cancellation promptly even
/// at very low rates.
const PACER_NAP: Duration = Duration::from_millis(50);
/// Arrivals this close to now are released without sleeping: a sleep costs more.
const PACER_SPIN: Duration = Duration::from_micros(20);

/// One event to send.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    /// Position on this process's schedule, from 0.
    pub n: u64,
    /// When it was due; latency is measured from here.
    pub due: Instant,
    /// The run is over and this arrival was never sent in time: count it as a timeout.
    pub expired: bool,
}

/// When to stop producing events.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Limits {
    pub duration: Option<Duration>,
    pub count: Option<u64>,
}

/// The job source shared by every worker (clones share it).
#[derive(Debug, Clone)]
pub struct Source(Model);

#[derive(Debug, Clone)]
enum Model {
    Paced(Arc<Paced>),
    Closed(Arc<Closed>),
    Dealt(Arc<Dealt>),
}

#[derive(Debug)]
struct Paced {
    state: Mutex<PacedState>,
    /// One permit per queued arrival, plus one per worker once the schedule is over.
    permits: Semaphore,
    workers: usize,
    cancelled: AtomicBool,
    /// Due offset (µs from start) of the last arrival released.
    last_due_us: AtomicU64,
    /// Arrivals released so far.
    released: AtomicU64,
    /// The pacer thread, for a test to wait on instead of sleeping.
    pacer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

#[derive(Debug, Default)]
struct PacedState {
    queue: VecDeque<(u64, Instant)>,
    /// Set when the schedule is over: arrivals taken after this are expired.
    drain_by: Option<Instant>,
}

#[derive(Debug)]
struct Closed {
    next: AtomicU64,
    count: Option<u64>,
    deadline: Option<Instant>,
    workers: usize,
}

#[derive(Debug)]
struct Dealt {
    /// The next event of each worker.
    next: Vec<AtomicU64>,
    count: u64,
    start: Instant,
    /// Each event's due offset from `start`; `None`: every event is due when taken.
    due: Option<Arc<[Duration]>>,
    cancelled: AtomicBool,
}

impl Source {
    /// Starts the pacer thread for `schedule` from `start`, for `workers` workers.
    /// `grace` is how long queued arrivals may still be sent after the schedule ends.
    pub(crate) fn paced(
        mut schedule: Schedule,
        start: Instant,
        limits: Limits,
        workers: usize,
        grace: Duration,
    ) -> Self {
        let paced = Arc::new(Paced {
            state: Mutex::new(PacedState::default()),
            permits: Semaphore::new(0),
            workers,
            cancelled: AtomicBool::new(false),
            last_due_us: AtomicU64::new(0),
            released: AtomicU64::new(0),
            pacer: Mutex::new(None),
        });
        let pacer = paced.clone();
        let spawned = std::thread::Builder::new()
            .name("facesim-pacer".into())
            .spawn(move || pacer.run(&mut schedule, start, limits, grace));
        match spawned {
            Ok(handle) => {
                *paced
                    .pacer
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(handle);
            }
            // Without a pacer nothing is ever due; release the workers at once.
            Err(_) => paced.finish(Instant::now()),
        }
        Source(Model::Paced(paced))
    }

    /// A closed-loop source: events as fast as `workers` workers take them.
    pub(crate) fn closed(start: Instant, limits: Limits, workers: usize) -> Self {
        Source(Model::Closed(Arc::new(Closed {
            next: AtomicU64::new(0),
            count: limits.count,
            deadline: limits.duration.map(|d| start + d),
            workers,
        })))
    }

    /// How many workers the source serves; [`drive`](super::drive()) runs that many.
    pub fn workers(&self) -> usize {
        match &self.0 {
            Model::Paced(p) => p.workers,
            Model::Closed(c) => c.workers,
            Model::Dealt(d) => d.next.len(),
        }
    }

    /// `count` events dealt round-robin to `workers` workers; event `n` is due at
    /// `start + due[n]` when `due` is given (it must then hold `count` offsets), else
    /// when its worker takes it.
    pub fn dealt(start: Instant, count: u64, workers: usize, due: Option<Arc<[Duration]>>) -> Self {
        Source(Model::Dealt(Arc::new(Dealt {
            next: (0..workers as u64).map(AtomicU64::new).collect(),
            count,
            start,
            due,
            cancelled: AtomicBool::new(false),
        })))
    }

    /// The next event for worker `worker`, or `None` when the run is over (for it).
    pub async fn next(&self, worker: usize) -> Option<Job> {
        match &self.0 {
            Model::Dealt(d) => {
                let step = d.next.len() as u64;
                let n = d.next.get(worker)?.fetch_add(step, Ordering::Relaxed);
                if n >= d.count || d.cancelled.load(Ordering::Relaxed) {
                    return None;
                }
                let offset = d
                    .due
                    .as_ref()
                    .and_then(|due| due.get(usize::try_from(n).ok()?).copied());
                let due = match offset {
                    Some(offset) => {
                        let due = d.start + offset;
                        tokio::time::sleep_until(due.into()).await;
                        due
                    }
                    None => Instant::now(),
                };
                Some(Job {
                    n,
                    due,
                    expired: false,
                })
            }
            Model::Paced(p) => {
                p.permits.acquire().await.ok()?.forget();
                let mut state = p.lock();
                let (n, due) = state.queue.pop_front()?;
                let expired = state.drain_by.is_some_and(|d| Instant::now() > d);
                Some(Job { n, due, expired })
            }
            Model::Closed(c) => {
                let now = Instant::now();
                if c.deadline.is_some_and(|d| now >= d) {
                    return None;
                }
                let n = c.next.fetch_add(1, Ordering::Relaxed);
                if c.count.is_some_and(|limit| n >= limit) {
                    return None;
                }
                Some(Job {
                    n,
                    due: now,
                    expired: false,
                })
            }
        }
    }

    /// Arrivals due but not yet taken by a worker.
    pub(crate) fn queued(&self) -> usize {
        match &self.0 {
            Model::Paced(p) => p.lock().queue.len(),
            Model::Closed(_) | Model::Dealt(_) => 0,
        }
    }

    /// The due offset of the last arrival released, for an open-model source.
    pub(crate) fn last_due(&self) -> Option<Duration> {
        match &self.0 {
            Model::Paced(p) => Some(Duration::from_micros(p.last_due_us.load(Ordering::Relaxed))),
            Model::Closed(_) | Model::Dealt(_) => None,
        }
    }

    /// Arrivals the schedule has produced so far (open model only).
    pub(crate) fn scheduled(&self) -> Option<u64> {
        match &self.0 {
            Model::Paced(p) => Some(p.released.load(Ordering::Relaxed)),
            Model::Closed(_) | Model::Dealt(_) => None,
        }
    }

    /// Stops producing events (on interrupt); queued ones are dropped.
    pub fn cancel(&self) {
        match &self.0 {
            Model::Paced(p) => {
                p.cancelled.store(true, Ordering::Relaxed);
                p.lock().queue.clear();
            }
            Model::Closed(c) => {
                c.next.store(u64::MAX / 2, Ordering::Relaxed);
            }
            Model::Dealt(d) => d.cancelled.store(true, Ordering::Relaxed),
        }
    }
}

impl Paced {
    fn lock(&self) -> MutexGuard<'_, PacedState> {
        // A worker cannot panic while holding the lock, but a poisoned queue is still a
        // valid queue.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn run(&self, schedule: &mut Schedule, start: Instant, limits: Limits, grace: Duration) {
        // A little slack so that an arrival at exactly the duration counts despite float
        // rounding (ten events at 10/s in 1 s, not nine).
        let horizon = limits.duration.map(|d| d + Duration::from_micros(1));
        let mut n: u64 = 0;
        let mut batch = Vec::new();
        let mut pending = None;
        loop {
            if self.cancelled.load(Ordering::Relaxed) {
                break;
            }
            let next = match pending.take() {
                Some(p) => Some(p),
                None if limits.count.is_some_and(|c| n >= c) => None,
                None => schedule
                    .next_offset()
                    .filter(|off| horizon.is_none_or(|h| *off <= h)),
            };
            let Some(offset) = next else { break };
            let due = start + offset;
            let now = Instant::now();
            if due > now + PACER_SPIN {
                if !batch.is_empty() {
                    self.release(&mut batch);
                }
                std::thread::sleep((due - now).min(PACER_NAP));
                pending = Some(offset);
                continue;
            }
            // Due (or nearly): gather it with any others already due, release together.
            batch.push((n, due));
            self.last_due_us.store(
                u64::try_from(offset.as_micros()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            n += 1;
            if batch.len() >= 256 {
                self.release(&mut batch);
            }
        }
        self.release(&mut batch);
        let end = Instant::now()
            .max(start + Duration::from_micros(self.last_due_us.load(Ordering::Relaxed)));
        self.finish(end + grace);
    }

    fn release(&self, batch: &mut Vec<(u64, Instant)>) {
        if batch.is_empty() {
            return;
        }
        let k = batch.len();
        self.released.fetch_add(k as u64, Ordering::Relaxed);
        self.lock().queue.extend(batch.drain(..));
        self.permits.add_permits(k);
    }

    fn finish(&self, drain_by: Instant) {
        self.lock().drain_by = Some(drain_by);
        // One extra permit per worker: each finds the queue empty and stops.
        self.permits.add_permits(self.workers);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Arrival, RateProfile};

    fn schedule(rate: f64) -> Schedule {
        Schedule::new(RateProfile::fixed(rate).unwrap(), Arrival::Constant, 1)
    }

    #[tokio::test]
    async fn paced_source_releases_on_time_then_stops_every_worker() {
        let start = Instant::now();
        let limits = Limits {
            duration: Some(Duration::from_millis(200)),
            count: None,
        };
        let source = Source::paced(schedule(100.0), start, limits, 2, Duration::from_secs(1));
        let mut seen = Vec::new();
        while let Some(job) = source.next(0).await {
            let late = job.due.elapsed();
            assert!(late < Duration::from_millis(50), "released {late:?} late");
            assert!(!job.expired);
            seen.push(job.n);
        }
        assert_eq!(seen, (0..20).collect::<Vec<_>>());
        // The second worker is released too.
        assert!(source.next(1).await.is_none());
        assert_eq!(source.last_due(), Some(Duration::from_millis(200)));
    }

    #[tokio::test]
    async fn arrivals_left_after_the_grace_are_expired() {
        let start = Instant::now();
        let limits = Limits {
            duration: None,
            count: Some(5),
        };
        let source = Source::paced(schedule(1000.0), start, limits, 1, Duration::ZERO);
        // The pacer has released every arrival and closed the schedule once it has ended.
        let Model::Paced(p) = &source.0 else {
            unreachable!("a paced source")
        };
        let pacer = p
            .pacer
            .lock()
            .unwrap()
            .take()
            .expect("the pacer thread runs");
        pacer.join().unwrap();
        assert_eq!(source.queued(), 5);
        let jobs: Vec<Job> = std::iter::from_fn(|| futures_now(&source)).collect();
        assert_eq!(jobs.len(), 5);
        assert!(jobs.iter().all(|j| j.expired));
    }

    fn futures_now(source: &Source) -> Option<Job> {
        let Model::Paced(p) = &source.0 else {
            return None;
        };
        p.permits.try_acquire().ok()?.forget();
        let mut state = p.lock();
        let (n, due) = state.queue.pop_front()?;
        let expired = state.drain_by.is_some_and(|d| Instant::now() > d);
        Some(Job { n, due, expired })
    }

    #[tokio::test(start_paused = true)]
    async fn dealt_events_go_to_their_worker_each_at_its_due_offset() {
        let start = Instant::now();
        let ms = Duration::from_millis;
        let due: Arc<[Duration]> = [ms(0), ms(100), ms(200), ms(300), ms(400)].into();
        let source = Source::dealt(start, 5, 2, Some(due));
        for (worker, n, offset) in [(1, 1, 100), (1, 3, 300), (0, 0, 0), (0, 2, 200)] {
            let job = source.next(worker).await.expect("an event for this worker");
            assert_eq!((job.n, job.due), (n, start + ms(offset)));
            assert!(!job.expired);
            assert!(
                tokio::time::Instant::now() >= job.due.into(),
                "taken before due"
            );
        }
        assert!(
            source.next(1).await.is_none(),
            "worker 1 has no third event"
        );
        source.cancel();
        assert!(source.next(0).await.is_none(), "cancelled before event 4");
        assert!(source.next(7).await.is_none(), "no such worker");
    }

    #[tokio::test]
    async fn closed_source_counts_and_stops() {
        let source = Source::closed(
            Instant::now(),
            Limits {
                duration: None,
                count: Some(3),
            },
            1,
        );
        let mut n = 0;
        while source.next(0).await.is_some() {
            n += 1;
        }
        assert_eq!(n, 3);
    }
}
