//! Delivering: the backlog loop (oldest first, one push at a time on the push line, backing
//! off after failures), the trigger's delivery ahead of the backlog, and acting on each
//! answer as the terminal's door and screen would.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::broadcast;

use super::config::{Attempt, DeviceError};
use super::retry::Retry;
use super::rooms::Rooms;
use crate::lines::{Network, PushLine, PushTurn};
use crate::push::Pusher;
use crate::stats::{self, Recorder, Sample};
use crate::stop::Stop;
use crate::wire::{self, Answer, Destination, Outcome, OutcomeClass};

/// What the door did, as `/sim/stats` shows it.
#[derive(Debug, Default)]
pub(super) struct DoorCounts {
    pub(super) opened: AtomicU64,
    pub(super) kept_shut: AtomicU64,
    /// `POST /v1/device/door` calls.
    pub(super) remote: AtomicU64,
}

/// The job that delivers records: it owns the push line and everything that counts
/// deliveries.
pub(super) struct Courier {
    line: PushLine,
    recorder: Recorder,
    /// Shared, not copied, into each receiver's slot: the channel allocates all its slots
    /// at once, 256 copies of an attempt per terminal otherwise.
    attempts: broadcast::Sender<Arc<Attempt>>,
    redeliveries: AtomicU64,
    door: DoorCounts,
    screen: Mutex<Option<String>>,
    /// The terminal's network: while it is down nothing is pushed and records wait in the
    /// queue, as on a terminal whose cable is pulled.
    network: Network,
}

impl Courier {
    pub(super) fn new(pusher: Pusher, network: Network) -> Self {
        let (recorder, _aggregator) = stats::spawn_aggregator();
        let (attempts, _) = broadcast::channel(256);
        Self {
            line: PushLine::new(pusher, network.clone()),
            recorder,
            attempts,
            redeliveries: AtomicU64::new(0),
            door: DoorCounts::default(),
            screen: Mutex::new(None),
            network,
        }
    }

    /// Takes the terminal's network down or up.
    pub(super) fn set_online(&self, online: bool) {
        self.network.set(online);
    }

    /// The terminal's network.
    pub(super) fn network(&self) -> &Network {
        &self.network
    }

    /// Every delivery attempt from now on.
    pub(super) fn attempts(&self) -> broadcast::Receiver<Arc<Attempt>> {
        self.attempts.subscribe()
    }

    /// The pushes so far, by outcome class with latencies.
    pub(super) async fn pushes(&self) -> wire::StatsReport {
        self.recorder.snapshot().await.report()
    }

    /// Deliveries that failed after the receiver may have processed the record.
    pub(super) fn redeliveries(&self) -> u64 {
        self.redeliveries.load(Ordering::Relaxed)
    }

    pub(super) fn door(&self) -> &DoorCounts {
        &self.door
    }

    /// The last text the screen showed after a push.
    pub(super) fn screen(&self) -> Option<String> {
        self.screen.lock().ok().and_then(|s| s.clone())
    }

    /// Waits until no push is under way (a trigger's, through the API), so that at
    /// shutdown its record is either acknowledged and removed, or left queued.
    pub(super) async fn settle(&self) {
        let _turn = self.line.turn().await;
    }

    /// `POST /v1/device/door`: acted on like a pass (0 opens, 1 holds open, 2 holds shut
    /// until the next call) and counted; no record is made.
    pub(super) fn remote_door(&self, rooms: &Rooms, open_mode: i64) {
        let c = &self.door;
        c.remote.fetch_add(1, Ordering::Relaxed);
        let held = match open_mode {
            2 => {
                c.kept_shut.fetch_add(1, Ordering::Relaxed);
                Some(false)
            }
            1 => {
                c.opened.fetch_add(1, Ordering::Relaxed);
                Some(true)
            }
            _ => {
                c.opened.fetch_add(1, Ordering::Relaxed);
                None
            }
        };
        tracing::info!(open_mode, "remote door command");
        let door = rooms.settings.door();
        match held {
            Some(open) => door.hold(open),
            None => door.open_for(rooms.now(), rooms.settings.keep_door_open()),
        }
    }

    /// Delivers record `seq`, just made by a trigger, ahead of any backlog: on the next
    /// turn of the push line, unless the backlog loop attempted it meanwhile (`seen` was
    /// subscribed before the record was made), whose attempt then answers.
    pub(super) async fn deliver_now(
        &self,
        rooms: &Rooms,
        dest: &Destination,
        seq: u64,
        body: Vec<u8>,
        seen: &mut broadcast::Receiver<Arc<Attempt>>,
    ) -> Result<Attempt, DeviceError> {
        let turn = self.line.turn().await;
        loop {
            match seen.try_recv() {
                Ok(attempt) if attempt.seq == seq => return Ok(Arc::unwrap_or_clone(attempt)),
                Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
        self.deliver(&turn, rooms, dest, seq, body).await
    }

    /// Sends one stored record, counts and shows the result, and removes the record once
    /// the receiver has taken it.
    async fn deliver(
        &self,
        turn: &PushTurn<'_>,
        rooms: &Rooms,
        dest: &Destination,
        seq: u64,
        body: Vec<u8>,
    ) -> Result<Attempt, DeviceError> {
        let head = wire::RecordHead::read(&body).unwrap_or_default();
        let identity = (&rooms.identity, rooms.now());
        let delivery = turn.push(dest, Bytes::from(body), Some(identity)).await;
        let outcome = delivery.outcome;
        let success = outcome.is_success();
        if success {
            rooms.queue.store().remove(seq)?;
        } else if !matches!(outcome.class(), OutcomeClass::ConnectError) {
            // The receiver may have processed what it failed to acknowledge, so the retry
            // that follows may be a duplicate.
            self.redeliveries.fetch_add(1, Ordering::Relaxed);
        }
        let door = rooms.profile().door_after(&head, &outcome);
        self.recorder
            .record(Sample {
                latency: delivery.latency,
                class: outcome.class(),
                pass: door,
            })
            .await;
        self.act(rooms, seq, &head, &outcome);
        let attempt = Attempt {
            sn: rooms.config.sn.clone(),
            seq,
            label: head.label(),
            door,
            person: head.name().map(str::to_string),
            outcome,
            latency: delivery.latency,
            queued: rooms.queue.store().depth(),
        };
        let _ = self.attempts.send(Arc::new(attempt.clone()));
        rooms.activity.bump();
        Ok(attempt)
    }

    /// Opens the door or keeps it shut, and shows the tips, as the terminal's screen would.
    fn act(&self, rooms: &Rooms, seq: u64, head: &wire::RecordHead, outcome: &Outcome<Answer>) {
        let who = head.name().unwrap_or("-");
        match outcome.answer() {
            Some(_) if head.is_alarm() => {
                tracing::info!(seq, "alarm delivered");
            }
            Some(answer) => {
                let tips = answer.customtips.clone().unwrap_or_default();
                let c = &self.door;
                if rooms.profile().door(answer, head.pass()) == Some(true) {
                    c.opened.fetch_add(1, Ordering::Relaxed);
                    let settings = &rooms.settings;
                    settings
                        .door()
                        .open_for(rooms.now(), settings.keep_door_open());
                    tracing::info!(seq, person = who, screen = %tips, "door opened");
                } else {
                    c.kept_shut.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(seq, person = who, screen = %format!("{tips} [no access]"), "door kept shut");
                }
                if let Ok(mut screen) = self.screen.lock() {
                    *screen = Some(tips);
                }
            }
            None => {
                tracing::warn!(seq, outcome = outcome.class().label(), detail = %outcome.describe(), "push failed; record kept for retry");
            }
        }
    }

    /// Delivers queued records oldest first, one at a time, backing off after failures,
    /// until `stop`. A delivery under way when stop comes is finished (within the push
    /// timeout), never cut off: its record is then either acknowledged or still queued.
    pub(super) async fn backlog(&self, rooms: &Rooms, mut retry: Retry, mut stop: Stop) {
        let mut sub = rooms.queue.watch();
        let mut online = self.network.watch();
        let backoff = rooms.config.backoff;
        loop {
            let enabled = sub.wait_for(|s| s.active().is_some());
            if stop.unless(enabled).await.is_none() {
                return;
            }
            if stop.unless(online.wait_for(|up| *up)).await.is_none() {
                return;
            }
            let woken = rooms.queue.woken();
            let head = rooms.queue.store().head();
            let (seq, body) = match head {
                Ok(Some(record)) => record,
                Ok(None) => {
                    if stop.unless(woken).await.is_none() {
                        return;
                    }
                    continue;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the queued record");
                    if stop.unless(tokio::time::sleep(backoff.max)).await.is_none() {
                        return;
                    }
                    continue;
                }
            };
            // Validated when it was set or loaded, so a destination is always usable.
            let Some(dest) = rooms.queue.subscription().event_dest else {
                continue;
            };
            let Some(turn) = stop.unless(self.line.turn()).await else {
                return;
            };
            // A trigger may have delivered this record while we waited for the line.
            if rooms.queue.store().head_seq() != Some(seq) {
                continue;
            }
            let attempt = self.deliver(&turn, rooms, &dest, seq, body).await;
            drop(turn);
            let pause = match attempt {
                Ok(a) if a.outcome.is_success() => {
                    retry.succeeded();
                    continue;
                }
                Ok(_) => retry.failed(),
                Err(e) => {
                    tracing::error!(error = %e, "delivery bookkeeping failed");
                    retry.failed()
                }
            };
            let pause = async {
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    // A new configuration is worth trying at once.
                    _ = sub.changed() => {}
                }
            };
            if stop.unless(pause).await.is_none() {
                return;
            }
        }
    }
}
