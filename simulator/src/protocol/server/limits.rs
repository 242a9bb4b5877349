//! What keeps slow or greedy clients from taking a server down: the open connections
//! counted per client address and in total, with the caps enforced at accept (before any
//! TLS work), each connection's idle clock, the rate-limited log line when a cap is hit,
//! and raising the process's open-files limit at start.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// The shortest gap between two log lines about caps, so that a flood of refused
/// connections cannot flood the log as well.
const LOG_EVERY: Duration = Duration::from_secs(1);

/// One open connection as the caps and the idle clock see it.
#[derive(Debug)]
pub(super) struct Slot {
    id: u64,
    peer: IpAddr,
    /// Requests whose answer is not yet wholly written.
    busy: AtomicUsize,
    /// Whether a request has begun on this connection.
    served: AtomicBool,
    /// When `busy` last fell to zero (or the connection was accepted).
    idle_since: Mutex<Instant>,
    /// Set once the connection has been told to close, so that it is not chosen twice.
    closing: AtomicBool,
    /// Wakes the connection's task when it must close.
    close: Notify,
}

impl Slot {
    /// A request has begun on this connection.
    pub(super) fn begin(&self) {
        self.served.store(true, Ordering::SeqCst);
        self.busy.fetch_add(1, Ordering::SeqCst);
    }

    /// Counts the connection as kept (its idle clock runs the idle timeout) before any
    /// request has begun on it.
    pub(super) fn keep(&self) {
        self.served.store(true, Ordering::SeqCst);
    }

    /// Whether a request has begun on this connection (or it was kept from the start):
    /// its idle clock then runs the idle timeout, no longer the header timeout.
    pub(super) fn served(&self) -> bool {
        self.served.load(Ordering::SeqCst)
    }

    /// A request's answer has been wholly written (or abandoned).
    pub(super) fn end(&self) {
        if self.busy.fetch_sub(1, Ordering::SeqCst) == 1 {
            *lock(&self.idle_since) = Instant::now();
        }
    }

    /// When the connection will have been idle for `limit`, or `None` while a request is
    /// in progress.
    pub(super) fn idle_deadline(&self, limit: Duration) -> Option<Instant> {
        if self.busy.load(Ordering::SeqCst) > 0 {
            return None;
        }
        Some(*lock(&self.idle_since) + limit)
    }

    /// Resolves when the connection has been chosen to make room for a newer one.
    pub(super) async fn evicted(&self) {
        self.close.notified().await;
    }

    fn idle(&self) -> Option<Instant> {
        if self.closing.load(Ordering::SeqCst) || self.busy.load(Ordering::SeqCst) > 0 {
            return None;
        }
        Some(*lock(&self.idle_since))
    }

    fn evict(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.close.notify_one();
    }
}

/// The caps a server enforces on open connections.
#[derive(Debug, Clone, Copy)]
pub(super) struct Caps {
    pub(super) total: usize,
    pub(super) per_client: usize,
}

/// Whether an accepted connection may be served.
#[derive(Debug)]
pub(super) enum Admission {
    /// Serve it; the guard keeps it counted until dropped.
    Admitted(Registration),
    /// Close it at once: its client, or the server, is at its cap and no idle connection
    /// could make room.
    Refused,
}

/// Every open connection of one server.
#[derive(Debug)]
pub(super) struct Registry {
    caps: Caps,
    state: Mutex<State>,
    /// Signalled whenever a connection leaves, for the shutdown's wait.
    left: Notify,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    open: HashMap<u64, Arc<Slot>>,
    per_client: HashMap<IpAddr, usize>,
    log: CapLog,
}

impl Registry {
    pub(super) fn new(caps: Caps) -> Arc<Self> {
        Arc::new(Self {
            caps: Caps {
                total: caps.total.max(1),
                per_client: caps.per_client.max(1),
            },
            state: Mutex::new(State::default()),
            left: Notify::new(),
        })
    }

    /// Decides on a connection just accepted from `peer`. Over a cap, the connection of
    /// the same client (or, for the total cap, of any client) that has been idle longest
    /// is told to close and the new one is served: a kept connection nobody uses, or a
    /// client still trickling its request head, is worth less than a new client. Only when
    /// no connection is idle is the new one refused. Connections already told to close
    /// still count against a hard bound a quarter above the total cap, so that the open
    /// files stay bounded however fast clients come.
    pub(super) fn admit(self: &Arc<Self>, peer: IpAddr) -> Admission {
        let now = Instant::now();
        let mut guard = lock(&self.state);
        let state = &mut *guard;
        let hard_bound = self.caps.total.saturating_add(self.caps.total / 4 + 1);
        if state.open.len() >= hard_bound {
            state
                .log
                .note(CapHit::Refused, now, &self.caps, state.open.len());
            return Admission::Refused;
        }
        let live = |state: &State, client: Option<IpAddr>| {
            state
                .open
                .values()
                .filter(|s| client.is_none_or(|ip| s.peer == ip))
                .filter(|s| !s.closing.load(Ordering::SeqCst))
                .count()
        };
        let client_count = state.per_client.get(&peer).copied().unwrap_or(0);
        if client_count >= self.caps.per_client && live(state, Some(peer)) >= self.caps.per_client {
            if !evict_longest_idle(state, Some(peer)) {
                state
                    .log
                    .note(CapHit::Refused, now, &self.caps, state.open.len());
                return Admission::Refused;
            }
            state
                .log
                .note(CapHit::EvictedPerClient, now, &self.caps, state.open.len());
        }
        if state.open.len() >= self.caps.total && live(state, None) >= self.caps.total {
            if !evict_longest_idle(state, None) {
                state
                    .log
                    .note(CapHit::Refused, now, &self.caps, state.open.len());
                return Admission::Refused;
            }
            state
                .log
                .note(CapHit::EvictedTotal, now, &self.caps, state.open.len());
        }
        let id = state.next_id;
        state.next_id += 1;
        let slot = Arc::new(Slot {
            id,
            peer,
            busy: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            idle_since: Mutex::new(now),
            closing: AtomicBool::new(false),
            close: Notify::new(),
        });
        state.open.insert(id, slot.clone());
        *state.per_client.entry(peer).or_insert(0) += 1;
        Admission::Admitted(Registration {
            registry: self.clone(),
            slot,
        })
    }

    /// How many connections are open (including those told to close).
    pub(super) fn open(&self) -> usize {
        lock(&self.state).open.len()
    }

    /// Waits until every connection has left.
    pub(super) async fn emptied(&self) {
        loop {
            let left = self.left.notified();
            if self.open() == 0 {
                return;
            }
            left.await;
        }
    }

    fn remove(&self, slot: &Slot) {
        let mut state = lock(&self.state);
        state.open.remove(&slot.id);
        if let Some(count) = state.per_client.get_mut(&slot.peer) {
            *count -= 1;
            if *count == 0 {
                state.per_client.remove(&slot.peer);
            }
        }
        drop(state);
        self.left.notify_waiters();
    }
}

/// Tells the connection (of `client`, or of anyone) idle longest to close; false when
/// none is idle.
fn evict_longest_idle(state: &State, client: Option<IpAddr>) -> bool {
    let victim = state
        .open
        .values()
        .filter(|s| client.is_none_or(|ip| s.peer == ip))
        .filter_map(|s| Some((s.idle()?, s)))
        .min_by_key(|(since, s)| (*since, s.id));
    match victim {
        Some((_, slot)) => {
            slot.evict();
            true
        }
        None => false,
    }
}

/// Keeps a connection counted until its task ends.
#[derive(Debug)]
pub(super) struct Registration {
    registry: Arc<Registry>,
    slot: Arc<Slot>,
}

impl Registration {
    pub(super) fn slot(&self) -> &Arc<Slot> {
        &self.slot
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.remove(&self.slot);
    }
}

/// Which cap was hit, and what was done about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CapHit {
    Refused,
    EvictedPerClient,
    EvictedTotal,
}

/// Counts cap hits and logs them at most once per [`LOG_EVERY`].
#[derive(Debug, Default)]
struct CapLog {
    last: Option<Instant>,
    refused: u64,
    evicted_per_client: u64,
    evicted_total: u64,
}

impl CapLog {
    /// Counts a hit; returns whether a line was logged for it (and the ones before it).
    fn note(&mut self, hit: CapHit, now: Instant, caps: &Caps, open: usize) -> bool {
        match hit {
            CapHit::Refused => self.refused += 1,
            CapHit::EvictedPerClient => self.evicted_per_client += 1,
            CapHit::EvictedTotal => self.evicted_total += 1,
        }
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < LOG_EVERY)
        {
            return false;
        }
        tracing::warn!(
            refused = self.refused,
            idle_closed_per_client = self.evicted_per_client,
            idle_closed_total = self.evicted_total,
            open,
            per_client_cap = caps.per_client,
            total_cap = caps.total,
            "connection cap reached: {} new connections refused, {} idle connections closed \
             to make room (per client: {}, in total: {}) since the last such line",
            self.refused,
            self.evicted_per_client + self.evicted_total,
            caps.per_client,
            caps.total,
        );
        *self = Self {
            last: Some(now),
            ..Self::default()
        };
        true
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Raises this process's soft limit of open files to its hard limit, so that a server
/// holding many connections runs out of connections (its caps) before it runs out of
/// file descriptors. Both binaries call it at start. Returns the soft limit now in force
/// (`None` where the platform offers no limit to raise).
///
/// # Errors
/// The system's refusal to change the limit.
pub fn raise_open_files_limit() -> std::io::Result<Option<u64>> {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        // The kernel refuses "unlimited" for open files; its own ceiling (`nr_open`) is
        // 2^20 by default.
        const CEILING: u64 = 1 << 20;
        let limit = getrlimit(Resource::Nofile);
        let hard = limit.maximum.unwrap_or(CEILING);
        let soft = limit.current.unwrap_or(CEILING);
        if soft >= hard {
            return Ok(Some(soft));
        }
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(hard),
                maximum: limit.maximum,
            },
        )?;
        Ok(Some(hard))
    }
    #[cfg(not(target_os = "linux"))]
    {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPS: Caps = Caps {
        total: 4,
        per_client: 2,
    };

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    fn admitted(admission: Admission) -> Registration {
        match admission {
            Admission::Admitted(r) => r,
            Admission::Refused => panic!("refused"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn over_the_per_client_cap_the_clients_longest_idle_connection_makes_room() {
        let registry = Registry::new(CAPS);
        let first = admitted(registry.admit(ip(2)));
        tokio::time::advance(Duration::from_secs(1)).await;
        let second = admitted(registry.admit(ip(2)));
        let other = admitted(registry.admit(ip(3)));
        let third = admitted(registry.admit(ip(2)));
        assert!(first.slot().closing.load(Ordering::SeqCst));
        assert!(!second.slot().closing.load(Ordering::SeqCst));
        assert!(!other.slot().closing.load(Ordering::SeqCst));
        // Both remaining connections of the client are busy: nothing to evict, refused.
        second.slot().begin();
        third.slot().begin();
        assert!(matches!(registry.admit(ip(2)), Admission::Refused));
        // Another client is not held back by this one's cap.
        let _fourth = admitted(registry.admit(ip(4)));
        drop(first);
        assert_eq!(registry.open(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn over_the_total_cap_the_longest_idle_connection_of_anyone_makes_room() {
        let registry = Registry::new(CAPS);
        let a = admitted(registry.admit(ip(2)));
        let b = admitted(registry.admit(ip(3)));
        let c = admitted(registry.admit(ip(4)));
        let d = admitted(registry.admit(ip(5)));
        a.slot().begin();
        tokio::time::advance(Duration::from_secs(1)).await;
        // `a` has been busy all along and `c`'s request ended last: `b` and `d` idled
        // longest, and `b` came first.
        c.slot().begin();
        c.slot().end();
        let _e = admitted(registry.admit(ip(6)));
        assert!(b.slot().closing.load(Ordering::SeqCst));
        for busy_or_newer in [&a, &c, &d] {
            assert!(!busy_or_newer.slot().closing.load(Ordering::SeqCst));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_busy_is_never_idle_and_idles_from_its_last_answer() {
        let registry = Registry::new(CAPS);
        let r = admitted(registry.admit(ip(2)));
        let limit = Duration::from_secs(10);
        let accepted = Instant::now();
        assert_eq!(r.slot().idle_deadline(limit), Some(accepted + limit));
        r.slot().begin();
        assert_eq!(r.slot().idle_deadline(limit), None);
        tokio::time::advance(Duration::from_secs(3)).await;
        r.slot().end();
        assert_eq!(r.slot().idle_deadline(limit), Some(Instant::now() + limit));
    }

    #[tokio::test(start_paused = true)]
    async fn cap_hits_are_logged_at_most_once_a_second_with_their_counts() {
        let mut log = CapLog::default();
        assert!(log.note(CapHit::Refused, Instant::now(), &CAPS, 4));
        let start = Instant::now();
        assert!(!log.note(CapHit::Refused, start, &CAPS, 4));
        assert!(!log.note(
            CapHit::EvictedTotal,
            start + Duration::from_millis(999),
            &CAPS,
            4
        ));
        assert_eq!((log.refused, log.evicted_total), (1, 1));
        assert!(log.note(CapHit::EvictedPerClient, start + LOG_EVERY, &CAPS, 4));
        assert_eq!(
            (log.refused, log.evicted_total, log.evicted_per_client),
            (0, 0, 0)
        );
    }

    #[test]
    fn the_open_files_limit_is_raised_to_the_hard_limit() {
        let now = raise_open_files_limit().unwrap();
        #[cfg(target_os = "linux")]
        {
            let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
            assert_eq!(now, limit.current);
            assert_eq!(limit.current, limit.maximum.or(limit.current));
        }
        #[cfg(not(target_os = "linux"))]
        assert_eq!(now, None);
    }
}
