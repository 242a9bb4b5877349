//! The simulated terminal at run time: it makes records on a schedule while pushing is
//! enabled, stores each one durably before the first delivery attempt, delivers them one
//! at a time and in order, retries with backoff, and acts on the receiver's answers.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Map, Value};
use tokio::sync::{Notify, broadcast, watch};
use tokio::time::Instant;

use crate::clock::Clock;
use crate::history::RecordLog;
use crate::push::{PushOptions, Pusher};
use crate::schedule::{Arrival, RateProfile, Schedule};
use crate::stats::{self, Recorder, Sample};
use crate::store::{Enqueued, Store, StoreError};
use crate::synth::{Generator, SynthConfig};
use crate::wire::{self, Answer, Destination, Identity, Outcome, OutcomeClass, Subscription};

/// `device_run_type` of a terminal whose recognition is stopped.
const DEVICE_STOPPED: u8 = 2;

/// The web login account the identity headers name: the terminal's factory account.
pub const DEFAULT_ACCOUNT: &str = "admin";

/// How long retries wait: doubling from `initial` up to `max`, with jitter.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

/// The pauses between delivery attempts of one device: doubling from the backoff's
/// initial wait to its maximum, each with ±20 % jitter drawn from a generator seeded by
/// the device's seed and serial number, so that a run is reproducible and devices of one
/// fleet still spread their retries.
#[derive(Debug)]
struct Retry {
    backoff: Backoff,
    wait: Duration,
    rng: StdRng,
}

impl Retry {
    fn new(backoff: Backoff, seed: u64, sn: &str) -> Self {
        let sn_hash = crate::seed::fnv1a(sn.as_bytes());
        Self {
            backoff,
            wait: backoff.initial,
            rng: StdRng::seed_from_u64(seed ^ sn_hash ^ crate::seed::Domain::Retry.salt()),
        }
    }

    /// A delivery succeeded: the next failure waits the initial time again.
    fn succeeded(&mut self) {
        self.wait = self.backoff.initial;
    }

    /// A delivery failed: how long to pause before the next attempt.
    fn failed(&mut self) -> Duration {
        let pause = self.wait.mul_f64(self.rng.random_range(0.8..1.2));
        self.wait = (self.wait * 2).min(self.backoff.max);
        pause
    }
}

/// Everything a device needs to run.
#[derive(Debug, Clone)]
pub struct DeviceConfig {
    pub sn: String,
    pub state_dir: PathBuf,
    pub synth: SynthConfig,
    /// Recognitions per second while pushing is enabled; 0 makes records only on trigger.
    pub rate: f64,
    pub arrival: Arrival,
    pub push: PushOptions,
    pub queue_cap: usize,
    pub backoff: Backoff,
    pub clock: Arc<dyn Clock>,
    /// Heartbeat and fallback intervals of remote authentication.
    pub auth_timing: crate::remote::AuthTiming,
    /// The web account and whether the API demands credentials.
    pub account: crate::access::AccountConfig,
}

/// Why a device could not start or act.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The state directory is unusable.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Push(#[from] crate::push::PushError),
    /// No `event_dest` is configured, so there is nowhere to push.
    #[error("no event_dest is configured")]
    NotConfigured,
    /// The task making a record ended without one (it panicked or was cancelled).
    #[error("record generation failed: {0}")]
    Generate(String),
    /// The record log in the state directory is unusable.
    #[error(transparent)]
    History(#[from] crate::history::HistoryError),
    /// An alarm was asked for under an API version without alarms.
    #[error("API {0} has no alarms (they come with API 1.3)")]
    NoAlarms(crate::profile::ApiVersion),
    /// `/sim/trigger` named a caller that is not one of the guide's.
    #[error(transparent)]
    BadCaller(#[from] crate::synth::UnknownCaller),
    /// `/sim/trigger` asked for a record that cannot be made consistent.
    #[error("{0}")]
    Override(String),
    /// The person was recognised less than `open_interval` ago: no new record.
    #[error("the same person was recognised {ago} s ago; open_interval is {interval} s")]
    TooSoon { ago: i64, interval: i64 },
    /// Recognition is stopped (`device_run_type` 2 in `/v1/device/functions`).
    #[error("recognition is stopped (device_run_type 2); set device_run_type 1 to run it")]
    Stopped,
}

/// One delivery attempt, as the device's screen and logs see it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub sn: String,
    pub seq: u64,
    /// What the record was: its status or recognition type, or "alarm".
    pub label: &'static str,
    pub person: Option<String>,
    /// The door decision, once the push succeeded (none for an alarm).
    pub door: Option<bool>,
    pub outcome: Outcome<Answer>,
    pub latency: Duration,
    /// Records still waiting after this attempt.
    pub queued: usize,
}

#[derive(Debug, Default)]
struct Counters {
    generated: AtomicU64,
    dropped: AtomicU64,
    redeliveries: AtomicU64,
    opened: AtomicU64,
    kept_shut: AtomicU64,
    /// `POST /v1/device/door` calls.
    remote: AtomicU64,
}

struct Inner {
    config: DeviceConfig,
    generator: Arc<Generator>,
    pusher: Pusher,
    store: Mutex<Store>,
    subscription: watch::Sender<Subscription>,
    /// Woken whenever a record is queued.
    queued: Notify,
    /// Held while a record is made, so that its number is stored before the next is taken.
    making: tokio::sync::Mutex<()>,
    /// Held for the whole of each delivery: the terminal sends one request at a time.
    line: tokio::sync::Mutex<()>,
    counters: Counters,
    recorder: Recorder,
    attempts: broadcast::Sender<Attempt>,
    screen: Mutex<Option<String>>,
    /// What the identity headers say of the device (from API 1.2.1).
    identity: Identity,
    /// Remote authentication: settings, callbacks, heartbeat.
    remote: crate::remote::RemoteAuth,
    /// The record log behind `POST /v1/event/records`.
    history: Mutex<RecordLog>,
    /// The live feed, `GET /v1/event`.
    live: crate::live::Hub,
    /// The web account, the token key and the run of failed logins.
    access: crate::access::Access,
    /// The person library that recognition draws known people from.
    library: Arc<crate::library::Library>,
    /// The settings of `/v1/device/{recognize,access,system,time,custom}`.
    settings: crate::settings::Settings,
    /// Bumped at every change `/sim/stats` shows.
    activity: crate::activity::Activity,
    /// This boot's restart request, certificate in force and the system log.
    maintenance: crate::maintenance::Maintenance,
}

/// A running simulated device. Cheap to clone; clones share the device.
#[derive(Clone)]
pub struct Device {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("sn", &self.inner.config.sn)
            .finish()
    }
}

impl Device {
    /// Opens the state directory and prepares the device; nothing runs until
    /// [`run`](Self::run).
    ///
    /// # Errors
    /// [`DeviceError`] when the state directory or the HTTP client cannot be set up.
    pub fn open(config: DeviceConfig) -> Result<Self, DeviceError> {
        let store = Store::open(&config.state_dir, config.queue_cap)?;
        let subscription = store.subscription()?;
        let generator = Arc::new(Generator::new(&config.synth, config.sn.clone()));
        let pusher = Pusher::new(&config.push)?;
        let activity = crate::activity::Activity::new();
        let remote = crate::remote::RemoteAuth::open(
            &config.state_dir,
            config.synth.api.profile(),
            config.auth_timing,
            config.synth.mode,
            activity.clone(),
        )?;
        let (recorder, _aggregator) = stats::spawn_aggregator();
        let (attempts, _) = broadcast::channel(256);
        let history = RecordLog::open(
            &config.state_dir.join(crate::history::DIR),
            crate::history::Limits::default(),
        )?;
        let access = crate::access::Access::open(&config.state_dir, config.account.clone())?;
        let profile = config.synth.api.profile();
        let library = Arc::new(crate::library::Library::open(
            &config.state_dir,
            profile,
            config.clock.clone(),
        )?);
        let settings = crate::settings::Settings::open(&config.state_dir, profile)?;
        let maintenance =
            crate::maintenance::Maintenance::open(&config.state_dir, config.clock.clone())?;
        Ok(Self {
            inner: Arc::new(Inner {
                generator,
                pusher,
                store: Mutex::new(store),
                subscription: watch::Sender::new(subscription),
                queued: Notify::new(),
                making: tokio::sync::Mutex::new(()),
                line: tokio::sync::Mutex::new(()),
                counters: Counters::default(),
                recorder,
                attempts,
                screen: Mutex::new(None),
                remote,
                history: Mutex::new(history),
                live: crate::live::Hub::new(activity.clone()),
                identity: Identity::of(&config.sn, &config.account.username),
                access,
                library,
                settings,
                maintenance,
                config,
                activity,
            }),
        })
    }

    /// Remote authentication (`/v1/device/functions`, callbacks, heartbeat).
    pub fn remote_auth(&self) -> &crate::remote::RemoteAuth {
        &self.inner.remote
    }

    /// Maintenance: the restart asked for, the certificate in force, the system log.
    pub fn maintenance(&self) -> &crate::maintenance::Maintenance {
        &self.inner.maintenance
    }

    /// The state directory.
    pub fn state_dir(&self) -> &std::path::Path {
        &self.inner.config.state_dir
    }

    /// The device's serial number.
    pub fn sn(&self) -> &str {
        &self.inner.config.sn
    }

    /// The web account and the credentials check.
    pub fn access(&self) -> &crate::access::Access {
        &self.inner.access
    }

    /// The person library.
    pub fn library(&self) -> &Arc<crate::library::Library> {
        &self.inner.library
    }

    /// The device settings.
    pub fn settings(&self) -> &crate::settings::Settings {
        &self.inner.settings
    }

    /// The API version the device speaks.
    pub fn api(&self) -> crate::profile::ApiVersion {
        self.inner.generator.config().api
    }

    /// `POST /v1/device/door`: acted on like a pass (0 opens, 1 holds open, 2 holds shut
    /// until the next call) and counted; no record is made.
    pub fn remote_door(&self, open_mode: i64) {
        let c = &self.inner.counters;
        c.remote.fetch_add(1, Ordering::Relaxed);
        let held = match open_mode {
            2 => {
                c.kept_shut.fetch_add(1, Ordering::Relaxed);
                Some("closed")
            }
            1 => {
                c.opened.fetch_add(1, Ordering::Relaxed);
                Some("open")
            }
            _ => {
                c.opened.fetch_add(1, Ordering::Relaxed);
                None
            }
        };
        tracing::info!(open_mode, "remote door command");
        let door = self.inner.settings.door();
        match held {
            Some(hold) => door.hold(hold == "open"),
            None => door.open_for(self.now(), self.inner.settings.keep_door_open()),
        }
    }

    /// The device's clock now, Unix seconds.
    pub fn now(&self) -> i64 {
        self.inner.config.clock.unix_now()
    }

    /// Raises alarm `code` now: stored and queued like any record, delivered in turn.
    ///
    /// # Errors
    /// [`DeviceError::NoAlarms`] before API 1.3; [`DeviceError::Store`] when it cannot be
    /// stored.
    pub async fn raise_alarm(&self, code: wire::AlarmCode) -> Result<u64, DeviceError> {
        let _making = self.inner.making.lock().await;
        let generator = self.inner.generator.clone();
        if !generator.config().api.profile().alarms {
            return Err(DeviceError::NoAlarms(generator.config().api));
        }
        let seq = self.store().next_seq();
        let draw = crate::synth::AlarmDraw {
            code,
            ..crate::synth::AlarmDraw::raised(seq)
        };
        let body =
            serde_json::to_vec(&generator.alarm_event(&draw, self.now())).unwrap_or_default();
        if let Enqueued::DroppedOldest(_) = self.store().enqueue(seq, &body)? {
            self.inner.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.count_made();
        self.inner.queued.notify_one();
        Ok(seq)
    }

    /// The state directory's store (for the certificate and inspection).
    pub fn with_store<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        f(&self.store())
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the store inconsistent on disk (every
        // write is atomic), so a poisoned lock is safe to keep using.
        self.inner
            .store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current push configuration.
    /// The identity headers every device answer carries at this moment, when the API
    /// version has them (from 1.2.1).
    pub fn identity_headers(&self) -> Option<[(&'static str, String); 4]> {
        self.inner
            .generator
            .config()
            .api
            .profile()
            .identity_headers
            .then(|| {
                self.inner
                    .identity
                    .headers(self.inner.config.clock.unix_now())
            })
    }

    pub fn subscription(&self) -> Subscription {
        self.inner.subscription.borrow().clone()
    }

    /// Stores a new push configuration and applies it at once.
    ///
    /// # Errors
    /// [`DeviceError::Store`] when it cannot be saved; the old one then stays in force.
    pub fn set_subscription(&self, sub: Subscription) -> Result<(), DeviceError> {
        self.store().save_subscription(&sub)?;
        tracing::info!(event_dest = %sub.event_dest_str(), enabled = sub.enabled, "push configuration set");
        self.inner.subscription.send_replace(sub);
        self.inner.queued.notify_one();
        Ok(())
    }

    /// Runs `f` with the record log (history).
    pub fn with_history<T>(&self, f: impl FnOnce(&RecordLog) -> T) -> T {
        f(&self
            .inner
            .history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// The live feed.
    /// Wakes at every change of what `/sim/stats` shows: a record made, a delivery
    /// attempted, a heartbeat, a fallback, a live client gone.
    pub fn activity(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.activity.watch()
    }

    pub fn live(&self) -> &crate::live::Hub {
        &self.inner.live
    }

    /// Whether the history keeps snapshots: the `record_image` setting of
    /// `/v1/device/functions` (on by default, as on the terminal).
    pub fn record_image(&self) -> bool {
        self.inner.remote.functions().record_image
    }

    /// Every delivery attempt from now on.
    pub fn attempts(&self) -> broadcast::Receiver<Attempt> {
        self.inner.attempts.subscribe()
    }

    /// The figures served at `GET /sim/stats`.
    pub async fn stats(&self) -> wire::SimStats {
        let pushes = self.inner.recorder.snapshot().await.report();
        let c = &self.inner.counters;
        let (last_seq, depth, cap) = {
            let store = self.store();
            (store.last_seq(), store.depth(), store.cap())
        };
        let (door_state, open_until) = self.inner.settings.door().state(self.now());
        wire::SimStats {
            sn: self.sn().to_string(),
            subscription: self.subscription(),
            last_seq,
            generated: c.generated.load(Ordering::Relaxed),
            queue: wire::QueueStats {
                depth: depth as u64,
                cap: cap as u64,
                dropped: c.dropped.load(Ordering::Relaxed),
            },
            pushes,
            redeliveries: c.redeliveries.load(Ordering::Relaxed),
            door: wire::DoorStats {
                opened: c.opened.load(Ordering::Relaxed),
                kept_shut: c.kept_shut.load(Ordering::Relaxed),
                last_screen: self.inner.screen.lock().ok().and_then(|s| s.clone()),
                remote: c.remote.load(Ordering::Relaxed),
                held: self.inner.settings.door().held().map(str::to_string),
                state: door_state.to_string(),
                open_until,
            },
            callbacks: self.inner.remote.stats().await,
        }
    }

    /// Makes one record (with optional field overrides) and stores it durably.
    async fn make_record(
        &self,
        overrides: Option<&Map<String, Value>>,
    ) -> Result<(u64, Vec<u8>, Option<wire::AuthSummary>), DeviceError> {
        // One record is made at a time, so numbers are stored in the order handed out.
        let _making = self.inner.making.lock().await;
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
        let generator = match self.inner.remote.functions().mode {
            mode if mode == self.inner.generator.config().mode => self.inner.generator.clone(),
            mode => Arc::new(self.inner.generator.with_mode(mode)),
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
        if !alarm && self.inner.remote.functions().device_run_type == DEVICE_STOPPED {
            return Err(DeviceError::Stopped);
        }
        let seq = self.store().next_seq();
        let timestamp = self.inner.config.clock.unix_now();
        let view = self.inner.library.view();
        let effects = self.inner.settings.effects();
        let library = self.inner.library.clone();
        // Rendering and encoding the snapshot takes milliseconds of CPU; keep it off the
        // threads that serve the API and drive the network.
        let device = self.clone();
        let (mut prepared, refused) = tokio::task::spawn_blocking(move || {
            if alarm {
                let event = generator.alarm_event(&crate::synth::AlarmDraw::raised(seq), timestamp);
                let prepared = crate::remote::Prepared {
                    event,
                    caller: None,
                };
                return (prepared, None);
            }
            let mut refused = None;
            let prepared = device
                .inner
                .remote
                .prepare(&generator, caller, seq, timestamp, || {
                    let photo = |id: &str| library.photo(id);
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
            && let Some(ago) =
                self.inner
                    .settings
                    .recent()
                    .too_soon(user, timestamp, r.open_interval)
        {
            return Err(DeviceError::TooSoon {
                ago,
                interval: r.open_interval,
            });
        }
        // The callback comes first, while the person waits; the record then carries the
        // final decision.
        let identity = (&self.inner.identity, timestamp);
        let auth = self
            .inner
            .remote
            .decide(&self.inner.pusher, identity, &mut prepared)
            .await;
        let mut event = prepared.event;
        if let Some(user) = &user {
            let recent = self.inner.settings.recent();
            if let Some(record) = event.as_record_mut() {
                // Within `resign_interval` of their last pass the same user is recorded but
                // does not pass again.
                let resign = self.inner.settings.resign_interval();
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
        let enqueued = self.store().enqueue(seq, &body)?;
        crate::history::record_made(
            &self.inner.history,
            &self.inner.live,
            seq,
            &body,
            self.record_image(),
        );
        self.count_made();
        if let Enqueued::DroppedOldest(old) = enqueued {
            self.inner.counters.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                dropped_seq = old,
                "offline cache full: oldest record dropped"
            );
        }
        Ok((seq, body, auth))
    }

    /// Counts a record (or alarm) made and stored, and tells whoever watches.
    fn count_made(&self) {
        self.inner
            .counters
            .generated
            .fetch_add(1, Ordering::Relaxed);
        self.inner.activity.bump();
    }

    /// `POST /sim/trigger`: makes one record now and delivers it at once, ahead of any
    /// backlog, answering with what the receiver said. If delivery fails the record stays
    /// queued and is retried like any other.
    ///
    /// # Errors
    /// [`DeviceError::NotConfigured`] when no destination is set.
    pub async fn trigger(
        &self,
        overrides: Option<&Map<String, Value>>,
    ) -> Result<wire::TriggerReport, DeviceError> {
        let dest = self
            .subscription()
            .event_dest
            .ok_or(DeviceError::NotConfigured)?;
        let line = self.inner.line.lock().await;
        let (seq, body, auth) = self.make_record(overrides).await?;
        let attempt = self.deliver(&dest, seq, body).await?;
        drop(line);
        Ok(wire::TriggerReport {
            seq,
            outcome: attempt.outcome.class().label().to_string(),
            detail: attempt.outcome.describe(),
            latency_ms: attempt.latency.as_secs_f64() * 1000.0,
            answer: attempt.outcome.answer().map(wire::AnswerSummary::from),
            queued: !attempt.outcome.is_success(),
            auth,
        })
    }

    /// Sends one stored record, counts and shows the result, and removes the record once
    /// the receiver has taken it.
    async fn deliver(
        &self,
        dest: &Destination,
        seq: u64,
        body: Vec<u8>,
    ) -> Result<Attempt, DeviceError> {
        let head = wire::RecordHead::read(&body).unwrap_or_default();
        let identity = (&self.inner.identity, self.inner.config.clock.unix_now());
        let delivery = self
            .inner
            .pusher
            .push_as(dest, Bytes::from(body), Some(identity))
            .await;
        let outcome = delivery.outcome;
        let success = outcome.is_success();
        if success {
            self.store().remove(seq)?;
        } else if !matches!(outcome.class(), OutcomeClass::ConnectError) {
            // The receiver may have processed what it failed to acknowledge, so the retry
            // that follows may be a duplicate.
            self.inner
                .counters
                .redeliveries
                .fetch_add(1, Ordering::Relaxed);
        }
        let door = self
            .inner
            .generator
            .config()
            .api
            .profile()
            .door_after(&head, &outcome);
        self.inner
            .recorder
            .record(Sample {
                latency: delivery.latency,
                class: outcome.class(),
                pass: door,
            })
            .await;
        self.act(seq, &head, &outcome);
        let attempt = Attempt {
            sn: self.sn().to_string(),
            seq,
            label: head.label(),
            door,
            person: head.name().map(str::to_string),
            outcome,
            latency: delivery.latency,
            queued: self.store().depth(),
        };
        let _ = self.inner.attempts.send(attempt.clone());
        self.inner.activity.bump();
        Ok(attempt)
    }

    /// Opens the door or keeps it shut, and shows the tips, as the terminal's screen would.
    fn act(&self, seq: u64, head: &wire::RecordHead, outcome: &Outcome<Answer>) {
        let who = head.name().unwrap_or("-");
        let profile = self.inner.generator.config().api.profile();
        match outcome.answer() {
            Some(_) if head.is_alarm() => {
                tracing::info!(seq, "alarm delivered");
            }
            Some(answer) => {
                let tips = answer.customtips.clone().unwrap_or_default();
                let c = &self.inner.counters;
                if profile.door(answer, head.pass()) == Some(true) {
                    c.opened.fetch_add(1, Ordering::Relaxed);
                    let settings = &self.inner.settings;
                    settings
                        .door()
                        .open_for(self.now(), settings.keep_door_open());
                    tracing::info!(seq, person = who, screen = %tips, "door opened");
                } else {
                    c.kept_shut.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(seq, person = who, screen = %format!("{tips} [no access]"), "door kept shut");
                }
                if let Ok(mut screen) = self.inner.screen.lock() {
                    *screen = Some(tips);
                }
            }
            None => {
                tracing::warn!(seq, outcome = outcome.class().label(), detail = %outcome.describe(), "push failed; record kept for retry");
            }
        }
    }

    /// Runs the device until `shutdown` resolves: the recognition schedule and the delivery
    /// loop. Records not yet delivered stay in the state directory for the next start.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut stop_recognising = stop_rx.clone();
        let stop_heartbeats = stop_rx.clone();
        tokio::join!(
            async move {
                shutdown.await;
                let _ = stop_tx.send(true);
            },
            // Making records stops at once: a record not yet stored was never seen by
            // anyone, and its number is handed out again at the next start.
            async {
                tokio::select! {
                    () = self.recognise() => {}
                    _ = stop_recognising.wait_for(|stop| *stop) => {}
                }
            },
            self.deliver_loop(stop_rx),
            self.inner
                .remote
                .heartbeat_loop(&self.inner.pusher, stop_heartbeats),
        );
        // A trigger's delivery may still be under way through the API; let it end too, so
        // its record is either acknowledged and removed, or left queued.
        let _line = self.inner.line.lock().await;
        tracing::info!(sn = %self.sn(), queued = self.store().depth(), "device stopped");
    }

    /// Makes records at the configured rate while pushing is enabled.
    async fn recognise(&self) {
        let cfg = &self.inner.config;
        let Ok(profile) = RateProfile::fixed(cfg.rate) else {
            // A rate of zero means records are made only on trigger.
            return std::future::pending().await;
        };
        let mut sub = self.inner.subscription.subscribe();
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
                // `device_run_type` 2: the terminal is stopped and recognises nobody.
                if self.inner.remote.functions().device_run_type == 2 {
                    continue;
                }
                match self.make_record(None).await {
                    Ok(_) => self.inner.queued.notify_one(),
                    // Nobody is recognised while recognition is stopped, and the same
                    // person not again within `open_interval`.
                    Err(DeviceError::Stopped | DeviceError::TooSoon { .. }) => {}
                    Err(e) => tracing::error!(error = %e, "cannot store a new record; it is lost"),
                }
            }
        }
    }

    /// Delivers queued records oldest first, one at a time, backing off after failures,
    /// until `stop`. A delivery under way when stop comes is finished (within the push
    /// timeout), never cut off: its record is then either acknowledged or still queued.
    async fn deliver_loop(&self, mut stop: watch::Receiver<bool>) {
        let mut sub = self.inner.subscription.subscribe();
        let cfg = &self.inner.config;
        let backoff = cfg.backoff;
        let mut retry = Retry::new(backoff, cfg.synth.seed, &cfg.sn);
        loop {
            let enabled = sub.wait_for(|s| s.active().is_some());
            if unless_stopped(&mut stop, enabled).await.is_none() {
                return;
            }
            let notified = self.inner.queued.notified();
            let head = self.store().head();
            let (seq, body) = match head {
                Ok(Some(record)) => record,
                Ok(None) => {
                    if unless_stopped(&mut stop, notified).await.is_none() {
                        return;
                    }
                    continue;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the queued record");
                    if unless_stopped(&mut stop, tokio::time::sleep(backoff.max))
                        .await
                        .is_none()
                    {
                        return;
                    }
                    continue;
                }
            };
            // Validated when it was set or loaded, so a destination is always usable.
            let Some(dest) = self.subscription().event_dest else {
                continue;
            };
            let Some(line) = unless_stopped(&mut stop, self.inner.line.lock()).await else {
                return;
            };
            // A trigger may have delivered this record while we waited for the line.
            if self.store().head_seq() != Some(seq) {
                continue;
            }
            let attempt = self.deliver(&dest, seq, body).await;
            drop(line);
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
            let retry = async {
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    // A new configuration is worth trying at once.
                    _ = sub.changed() => {}
                }
            };
            if unless_stopped(&mut stop, retry).await.is_none() {
                return;
            }
        }
    }
}

/// Runs `work` unless stop is requested first; `None` means stop came first.
async fn unless_stopped<F: std::future::Future>(
    stop: &mut watch::Receiver<bool>,
    work: F,
) -> Option<F::Output> {
    tokio::select! {
        out = work => Some(out),
        _ = stop.wait_for(|stop| *stop) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_pauses_double_with_seeded_jitter_up_to_the_maximum() {
        let backoff = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(800),
        };
        let pauses = |seed, sn| {
            let mut retry = Retry::new(backoff, seed, sn);
            (0..6).map(|_| retry.failed()).collect::<Vec<_>>()
        };
        let a = pauses(7, "SN1");
        assert_eq!(a, pauses(7, "SN1"), "same seed and device, same pauses");
        assert_ne!(
            a,
            pauses(7, "SN2"),
            "devices of one fleet spread their retries"
        );
        assert_ne!(a, pauses(8, "SN1"));
        for (i, pause) in a.iter().enumerate() {
            let nominal = (backoff.initial * 2u32.pow(i as u32)).min(backoff.max);
            assert!(
                *pause >= nominal.mul_f64(0.8) && *pause <= nominal.mul_f64(1.2),
                "attempt {i}: {pause:?} vs {nominal:?}"
            );
        }
        let mut retry = Retry::new(backoff, 7, "SN1");
        retry.failed();
        retry.failed();
        retry.succeeded();
        assert!(retry.failed() <= backoff.initial.mul_f64(1.2));
    }
}
