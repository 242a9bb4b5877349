//! Making records: on the recognition schedule while pushing is enabled, on trigger, and
//! alarms. A record is made one at a time (its number is stored before the next is taken),
//! decided (locally or by the callback, on the callback line, while the person waits),
//! stored durably, written to the history and shown on the live feed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};
use tokio::time::Instant;

use super::config::DeviceError;
use super::rooms::Rooms;
use crate::schedule::{RateProfile, Schedule};
use crate::store::Enqueued;
use crate::synth::{Generator, SynthConfig};
use crate::wire;

/// A record made and stored.
#[derive(Debug)]
pub(super) struct Made {
    pub(super) seq: u64,
    pub(super) body: Vec<u8>,
    /// The door decision, when the record needed one.
    pub(super) auth: Option<wire::AuthSummary>,
}

/// The snapshots drawn at once in this process: four per core. A terminal draws one at
/// a time, but a fleet's terminals draw side by side, and each drawing on a blocking
/// thread of its own put hundreds of threads on two cores when the fleet asked for more
/// than the cores could draw: the threads that serve the API and push then got a sliver
/// of the CPU, and every record cost more as the fleet grew. One per core was measured
/// too few on a shared machine (a drawing waits for the CPU as long as it draws: 65 of
/// 200 records/s held at 1,000 terminals, against all 200 with four per core).
fn drawing() -> &'static tokio::sync::Semaphore {
    static DRAWING: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    DRAWING.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        tokio::sync::Semaphore::new(cores * DRAWINGS_PER_CORE)
    })
}

/// See [`drawing`].
const DRAWINGS_PER_CORE: usize = 4;

/// Runs `work` (a snapshot's drawing) on a blocking thread once one of the
/// [`drawing`] permits is free, holding it until the drawing is done.
async fn draw<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    let _drawing = drawing().acquire().await;
    tokio::task::spawn_blocking(work).await
}

/// Runs file work that waits for the disk (a record stored durably: its file and the
/// counter written and synced) without holding up the runtime: on a multi-threaded
/// runtime the worker hands its other tasks to another thread while it waits. A fleet's
/// two workers each waiting on a sync otherwise held every terminal's API and pushes, and
/// the disk's latency capped the fleet's rate. Elsewhere (a test's single thread) the
/// work runs in place, as it always did.
fn on_disk<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

/// The job that makes records.
pub(super) struct Maker {
    /// The device's generator, made at the first record: its population is most of an
    /// idle terminal's memory, and a fleet's terminals may never make one. It follows
    /// from `synth` and `sn` alone, so when it is made changes nothing it draws.
    generator: OnceLock<Arc<Generator>>,
    synth: SynthConfig,
    sn: String,
    /// Held while a record is made, so that its number is stored before the next is taken.
    making: tokio::sync::Mutex<()>,
    made: AtomicU64,
    dropped: AtomicU64,
}

impl Maker {
    pub(super) fn new(synth: SynthConfig, sn: String) -> Self {
        Self {
            generator: OnceLock::new(),
            synth,
            sn,
            making: tokio::sync::Mutex::new(()),
            made: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    fn generator(&self) -> &Arc<Generator> {
        self.generator
            .get_or_init(|| Arc::new(Generator::new(&self.synth, self.sn.clone())))
    }

    /// Records and alarms made and stored so far.
    pub(super) fn made(&self) -> u64 {
        self.made.load(Ordering::Relaxed)
    }

    /// Records dropped from a full offline cache so far.
    pub(super) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Raises alarm `code` now: stored and queued like any record, delivered in turn.
    pub(super) async fn alarm(
        &self,
        rooms: &Rooms,
        code: wire::AlarmCode,
    ) -> Result<u64, DeviceError> {
        let _making = self.making.lock().await;
        let generator = self.generator();
        if !generator.config().api.profile().alarms {
            return Err(DeviceError::NoAlarms(generator.config().api));
        }
        let seq = rooms.queue.store().next_seq();
        let draw = crate::synth::AlarmDraw {
            code,
            ..crate::synth::AlarmDraw::raised(seq)
        };
        let body =
            serde_json::to_vec(&generator.alarm_event(&draw, rooms.now())).unwrap_or_default();
        let enqueued = on_disk(|| rooms.queue.store().enqueue(seq, &body))?;
        self.stored(rooms, enqueued);
        rooms.queue.wake();
        Ok(seq)
    }

    /// Makes records at the configured rate while pushing is enabled, for ever.
    pub(super) async fn on_schedule(&self, rooms: &Rooms) {
        let cfg = &rooms.config;
        let Ok(profile) = RateProfile::fixed(cfg.rate) else {
            // A rate of zero means records are made only on trigger.
            return std::future::pending().await;
        };
        let mut sub = rooms.queue.watch();
        let mut round = 0u64;
        loop {
            let _ = sub.wait_for(|s| s.active().is_some()).await;
            round += 1;
            let seed = cfg.synth.seed ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let mut schedule = Schedule::new(profile.clone(), cfg.arrival, seed);
            let start = Instant::now();
            while let Some(offset) = schedule.next_offset() {
                tokio::select! {
                    () = tokio::time::sleep_until(start + offset) => {}
                    _ = sub.wait_for(|s| s.active().is_none()) => break,
                }
                match self.record(rooms, None).await {
                    Ok(_) => rooms.queue.wake(),
                    // Nobody is recognised while recognition is stopped, and the same
                    // person not again within `open_interval`.
                    Err(DeviceError::Stopped | DeviceError::TooSoon { .. }) => {}
                    Err(e) => tracing::error!(error = %e, "cannot store a new record; it is lost"),
                }
            }
        }
    }

    /// Makes one record (with optional field overrides) and stores it durably.
    pub(super) async fn record(
        &self,
        rooms: &Rooms,
        overrides: Option<&Map<String, Value>>,
    ) -> Result<Made, DeviceError> {
        // One record is made at a time, so numbers are stored in the order handed out.
        let _making = self.making.lock().await;
        let caller = match overrides
            .and_then(|o| o.get(wire::auth_field::SIM_CALLER))
            .map(|c| {
                c.as_str()
                    .unwrap_or_default()
                    .parse::<crate::synth::Caller>()
            }) {
            Some(parsed) => Some(parsed?),
            None => None,
        };
        // The verification `mode` in force is `/v1/device/functions`'s: records show it,
        // and their entry methods follow it.
        let own = self.generator();
        let generator = match rooms.remote.functions().mode {
            mode if mode == own.config().mode => own.clone(),
            mode => Arc::new(own.with_mode(mode)),
        };
        let alarm = overrides
            .and_then(|o| o.get(wire::field::TYPE))
            .and_then(Value::as_i64)
            == Some(wire::EVENT_TYPE_ALARM);
        // Refused before a number is taken, so a refused trigger changes nothing.
        if alarm && !generator.config().api.profile().alarms {
            return Err(DeviceError::NoAlarms(generator.config().api));
        }
        let forced = crate::library::recognise::Forced::parse(
            overrides.filter(|_| !alarm),
            generator.config().api.profile(),
        )
        .map_err(DeviceError::Override)?;
        // A stopped terminal recognises nobody; its alarms still go off.
        if !alarm && rooms.remote.recognition_stopped() {
            return Err(DeviceError::Stopped);
        }
        let seq = rooms.queue.store().next_seq();
        let timestamp = rooms.now();
        let view = rooms.library.view();
        let effects = rooms.settings.effects();
        let library = rooms.library.clone();
        let remote = rooms.remote.clone();
        // Rendering and encoding the snapshot takes milliseconds of CPU; keep it off the
        // threads that serve the API and drive the network, and draw no more at once than
        // there are cores (see `drawing`).
        let (mut prepared, refused) = draw(move || {
            if alarm {
                let event = generator.alarm_event(&crate::synth::AlarmDraw::raised(seq), timestamp);
                let prepared = crate::remote::Prepared {
                    event,
                    caller: None,
                };
                return (prepared, None);
            }
            let mut refused = None;
            let prepared = remote.prepare(&generator, caller, seq, timestamp, || {
                let photo = |id: &str| library.enrolled(id);
                let made = crate::library::recognise::event(
                    &generator, &view, &effects, &photo, seq, timestamp, forced,
                );
                made.unwrap_or_else(|why| {
                    refused = Some(why);
                    generator.generate(seq, timestamp).event
                })
            });
            (prepared, refused)
        })
        .await
        .map_err(|e| DeviceError::Generate(e.to_string()))?;
        if let Some(why) = refused {
            return Err(DeviceError::Override(why));
        }
        // The same person is not recognised again within `open_interval`.
        let user = wire::record_user(&prepared.event);
        if let (Some(user), Some(r)) = (&user, &effects.recognition)
            && let Some(ago) = rooms
                .settings
                .recent()
                .too_soon(user, timestamp, r.open_interval)
        {
            return Err(DeviceError::TooSoon {
                ago,
                interval: r.open_interval,
            });
        }
        // The callback comes first, while the person waits, on the callback line (never
        // behind a push); the record then carries the final decision.
        let identity = (&rooms.identity, timestamp);
        let auth = rooms.remote.decide(identity, &mut prepared).await;
        let mut event = prepared.event;
        if let Some(user) = &user {
            let recent = rooms.settings.recent();
            if let Some(record) = event.as_record_mut() {
                // Within `resign_interval` of their last pass the same user is recorded but
                // does not pass again.
                let resign = rooms.settings.resign_interval();
                if record.pass && recent.passed_within(user, timestamp, resign) {
                    record.pass = false;
                }
                recent.note(user, timestamp, record.pass);
            }
        }
        let body = match overrides {
            Some(o) => {
                // `type` chose the kind of event; every other key patches its `data`.
                let mut rest = o.clone();
                rest.remove(wire::field::TYPE);
                rest.remove(wire::auth_field::SIM_CALLER);
                serde_json::to_vec(&wire::apply_overrides(&event, &rest))
            }
            None => serde_json::to_vec(&event),
        }
        .unwrap_or_default();
        let enqueued = on_disk(|| {
            let enqueued = rooms.queue.store().enqueue(seq, &body)?;
            crate::history::record_made(
                &rooms.history,
                &rooms.live,
                seq,
                &body,
                rooms.remote.functions().record_image,
            );
            Ok::<_, crate::store::StoreError>(enqueued)
        })?;
        self.stored(rooms, enqueued);
        Ok(Made { seq, body, auth })
    }

    /// Counts a record (or alarm) stored, and one dropped to make room, and tells whoever
    /// watches.
    fn stored(&self, rooms: &Rooms, enqueued: Enqueued) {
        if let Enqueued::DroppedOldest(old) = enqueued {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                dropped_seq = old,
                "offline cache full: oldest record dropped"
            );
        }
        // Counted before whoever watches is told, so that what they read is current.
        self.made.fetch_add(1, Ordering::Relaxed);
        rooms.activity.bump();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Condvar, Mutex};
    use std::time::Duration;

    /// Drawings under way, the most at once, and whether they may finish.
    #[derive(Default)]
    struct Gauge {
        state: Mutex<(usize, usize, bool)>,
        changed: Condvar,
    }

    /// Far more drawings asked for at once than the cap: the most under way at once is
    /// the cap (four per core), never more. Each drawing holds on until the test lets
    /// them all go, once the cap's worth are under way and no more have started for a
    /// while (the only wait on time: how long a drawing past the cap is given to show).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_four_snapshots_per_core_are_drawn_at_once() {
        // Other tests of this process may be drawing too: they only delay this one, since
        // the permits go in turn and each of theirs is soon given back.
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let cap = cores * DRAWINGS_PER_CORE;
        let gauge = Arc::new(Gauge::default());
        let asked = cap * 3;
        let drawings: Vec<_> = (0..asked)
            .map(|_| {
                let gauge = gauge.clone();
                tokio::spawn(draw(move || {
                    let mut s = gauge.state.lock().unwrap();
                    s.0 += 1;
                    s.1 = s.1.max(s.0);
                    gauge.changed.notify_all();
                    let mut s = gauge.changed.wait_while(s, |s| !s.2).unwrap();
                    s.0 -= 1;
                }))
            })
            .collect();
        let watcher = gauge.clone();
        let peak = tokio::task::spawn_blocking(move || {
            let s = watcher.state.lock().unwrap();
            let s = watcher.changed.wait_while(s, |s| s.0 < cap).unwrap();
            // A drawing past the cap would start now; give it a moment to show.
            let (mut s, _) = watcher
                .changed
                .wait_timeout_while(s, Duration::from_millis(300), |s| s.0 <= cap)
                .unwrap();
            let peak = s.1;
            s.2 = true;
            watcher.changed.notify_all();
            peak
        })
        .await
        .unwrap();
        for d in drawings {
            d.await.unwrap().unwrap();
        }
        assert_eq!(
            peak, cap,
            "{peak} snapshots drawn at once of {asked} asked, with a cap of {cap}"
        );
        assert_eq!(gauge.state.lock().unwrap().1, cap);
    }
}
