//! The simulated terminal at run time: it makes records on a schedule while pushing is
//! enabled, stores each one durably before the first delivery attempt, delivers them one
//! at a time and in order, retries with backoff, and acts on the receiver's answers.
//!
//! The device is its jobs, each in its own file: `make` (records, alarms, the recognition
//! schedule), `deliver` (the backlog loop on the push line, the trigger's delivery, acting
//! on answers), `retry` (the pauses after failures) and `view` (`/sim/stats`). The parts
//! more than one job acts on are `rooms`; the types every job names are in `config`. This
//! file assembles them and is the only one that names them all.

mod config;
mod deliver;
mod make;
mod retry;
mod rooms;
mod view;

pub use config::{Attempt, DEFAULT_ACCOUNT, DeviceConfig, DeviceError};
pub use retry::Backoff;

use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use tokio::sync::broadcast;

use crate::history::RecordLog;
use crate::lines::Network;
use crate::push::Pusher;
use crate::store::Store;
use crate::wire::{self, Identity, Subscription};
use deliver::Courier;
use make::Maker;
use rooms::{Queue, Rooms};

struct Inner {
    /// What the jobs share.
    rooms: Rooms,
    /// Making records.
    maker: Maker,
    /// Delivering them.
    courier: Courier,
    /// The web account, the token key and the run of failed logins.
    access: crate::access::Access,
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
            .field("sn", &self.inner.rooms.config.sn)
            .finish()
    }
}

impl Device {
    /// Opens the state directory and prepares the device, its network up; nothing runs
    /// until [`run`](Self::run).
    ///
    /// # Errors
    /// [`DeviceError`] when the state directory or the HTTP client cannot be set up.
    pub fn open(config: DeviceConfig) -> Result<Self, DeviceError> {
        Self::open_on(config, Network::default())
    }

    /// [`open`](Self::open) on a network that outlives this device (the host's, which a
    /// reboot keeps as it was).
    ///
    /// # Errors
    /// [`DeviceError`] when the state directory or the HTTP client cannot be set up.
    pub(crate) fn open_on(config: DeviceConfig, network: Network) -> Result<Self, DeviceError> {
        let queue = Queue::open(Store::open(&config.state_dir, config.queue_cap)?)?;
        let pusher = Pusher::new(&config.push)?;
        let activity = crate::activity::Activity::new();
        let profile = config.synth.api.profile();
        let remote = Arc::new(crate::remote::RemoteAuth::open(
            &config.state_dir,
            profile,
            config.auth_timing,
            config.synth.mode,
            activity.clone(),
            &pusher,
            &network,
        )?);
        let history = RecordLog::open(
            &config.state_dir.join(crate::history::DIR),
            crate::history::Limits::default(),
        )?;
        let access = crate::access::Access::open(&config.state_dir, config.account.clone())?;
        let library = Arc::new(crate::library::Library::open(
            &config.state_dir,
            profile,
            config.clock.clone(),
        )?);
        let settings = crate::settings::Settings::open(&config.state_dir, profile)?;
        let maintenance =
            crate::maintenance::Maintenance::open(&config.state_dir, config.clock.clone())?;
        let maker = Maker::new(config.synth.clone(), config.sn.clone());
        let rooms = Rooms {
            queue,
            identity: Identity::of(&config.sn, &config.account.username),
            remote,
            history: Mutex::new(history),
            live: crate::live::Hub::new(activity.clone()),
            library,
            settings,
            activity,
            config,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                rooms,
                maker,
                courier: Courier::new(pusher, network),
                access,
                maintenance,
            }),
        })
    }

    /// Remote authentication (`/v1/device/functions`, callbacks, heartbeat).
    pub fn remote_auth(&self) -> &crate::remote::RemoteAuth {
        &self.inner.rooms.remote
    }

    /// Maintenance: the restart asked for, the certificate in force, the system log.
    pub fn maintenance(&self) -> &crate::maintenance::Maintenance {
        &self.inner.maintenance
    }

    /// The state directory.
    pub fn state_dir(&self) -> &std::path::Path {
        &self.inner.rooms.config.state_dir
    }

    /// The device's serial number.
    pub fn sn(&self) -> &str {
        &self.inner.rooms.config.sn
    }

    /// The web account and the credentials check.
    pub fn access(&self) -> &crate::access::Access {
        &self.inner.access
    }

    /// The person library.
    pub fn library(&self) -> &Arc<crate::library::Library> {
        &self.inner.rooms.library
    }

    /// The device settings.
    pub fn settings(&self) -> &crate::settings::Settings {
        &self.inner.rooms.settings
    }

    /// The API version the device speaks.
    pub fn api(&self) -> crate::profile::ApiVersion {
        self.inner.rooms.config.synth.api
    }

    /// `POST /v1/device/door`: acted on like a pass (0 opens, 1 holds open, 2 holds shut
    /// until the next call) and counted; no record is made.
    pub fn remote_door(&self, open_mode: i64) {
        self.inner.courier.remote_door(&self.inner.rooms, open_mode);
    }

    /// The device's clock now, Unix seconds.
    pub fn now(&self) -> i64 {
        self.inner.rooms.now()
    }

    /// Raises alarm `code` now: stored and queued like any record, delivered in turn.
    ///
    /// # Errors
    /// [`DeviceError::NoAlarms`] before API 1.3; [`DeviceError::Store`] when it cannot be
    /// stored.
    pub async fn raise_alarm(&self, code: wire::AlarmCode) -> Result<u64, DeviceError> {
        self.inner.maker.alarm(&self.inner.rooms, code).await
    }

    /// The state directory's store (for the certificate and inspection).
    pub fn with_store<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        f(&self.inner.rooms.queue.store())
    }

    /// The identity headers every device answer carries at this moment, when the API
    /// version has them (from 1.2.1).
    pub fn identity_headers(&self) -> Option<[(&'static str, String); 4]> {
        let rooms = &self.inner.rooms;
        rooms
            .profile()
            .identity_headers
            .then(|| rooms.identity.headers(rooms.now()))
    }

    /// The current push configuration.
    pub fn subscription(&self) -> Subscription {
        self.inner.rooms.queue.subscription()
    }

    /// Stores a new push configuration and applies it at once.
    ///
    /// # Errors
    /// [`DeviceError::Store`] when it cannot be saved; the old one then stays in force.
    pub fn set_subscription(&self, sub: Subscription) -> Result<(), DeviceError> {
        Ok(self.inner.rooms.queue.set_subscription(sub)?)
    }

    /// Runs `f` with the record log (history).
    pub fn with_history<T>(&self, f: impl FnOnce(&RecordLog) -> T) -> T {
        f(&self
            .inner
            .rooms
            .history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Wakes at every change of what `/sim/stats` shows: a record made, a delivery
    /// attempted, a heartbeat, a fallback, a live client gone.
    pub fn activity(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.rooms.activity.watch()
    }

    /// The live feed.
    pub fn live(&self) -> &crate::live::Hub {
        &self.inner.rooms.live
    }

    /// Whether the history keeps snapshots: the `record_image` setting of
    /// `/v1/device/functions` (on by default, as on the terminal).
    pub fn record_image(&self) -> bool {
        self.inner.rooms.remote.functions().record_image
    }

    /// Takes the terminal's network down (`false`) or up. While it is down the device
    /// sends nothing on any line (no push, callback or heartbeat) and keeps making
    /// records, which wait in its queue; back up, the backlog is delivered oldest first.
    /// The host stops answering the API meanwhile.
    pub fn set_online(&self, online: bool) {
        self.inner.courier.set_online(online);
        // A record a trigger made meanwhile was left to the backlog without waking it.
        self.inner.rooms.queue.wake();
    }

    /// Whether the terminal's network is up, and every change of it.
    pub fn online(&self) -> tokio::sync::watch::Receiver<bool> {
        self.inner.courier.network().watch()
    }

    /// Every delivery attempt from now on.
    pub fn attempts(&self) -> broadcast::Receiver<Arc<Attempt>> {
        self.inner.courier.attempts()
    }

    /// The figures served at `GET /sim/stats`.
    pub async fn stats(&self) -> wire::SimStats {
        let inner = &self.inner;
        view::stats(&inner.rooms, &inner.maker, &inner.courier).await
    }

    /// `POST /sim/trigger`: makes one record now and delivers it at once, ahead of any
    /// backlog, answering with what the receiver said; with the network down
    /// ([`set_online`](Self::set_online)) the record is only queued. If delivery fails the record stays
    /// queued and is retried like any other. The record is made (and its callback sent)
    /// beside any push under way; only its delivery waits for the push line.
    ///
    /// # Errors
    /// [`DeviceError::NotConfigured`] when no destination is set.
    pub async fn trigger(
        &self,
        overrides: Option<&Map<String, Value>>,
    ) -> Result<wire::TriggerReport, DeviceError> {
        let inner = &self.inner;
        let dest = self
            .subscription()
            .event_dest
            .ok_or(DeviceError::NotConfigured)?;
        // Subscribed before the record exists, to see the backlog loop deliver it first.
        let mut seen = inner.courier.attempts();
        let made = inner.maker.record(&inner.rooms, overrides).await?;
        if !inner.courier.network().is_up() {
            // With the network down the record waits in the queue, as every other does.
            return Ok(wire::TriggerReport {
                seq: made.seq,
                outcome: wire::OutcomeClass::ConnectError.label().to_string(),
                detail: "the terminal's network is down; the record is queued".into(),
                latency_ms: 0.0,
                answer: None,
                queued: true,
                auth: made.auth,
            });
        }
        let attempt = inner
            .courier
            .deliver_now(&inner.rooms, &dest, made.seq, made.body, &mut seen)
            .await?;
        Ok(wire::TriggerReport {
            seq: made.seq,
            outcome: attempt.outcome.class().label().to_string(),
            detail: attempt.outcome.describe(),
            latency_ms: attempt.latency.as_secs_f64() * 1000.0,
            answer: attempt.outcome.answer().map(wire::AnswerSummary::from),
            queued: !attempt.outcome.is_success(),
            auth: made.auth,
        })
    }

    /// Runs the device until `shutdown` resolves: the recognition schedule, the delivery
    /// loop and the heartbeat, all told to stop by one signal. Records not yet delivered
    /// stay in the state directory for the next start.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        let inner = &self.inner;
        let rooms = &inner.rooms;
        let (stopper, stop) = crate::stop::signal();
        let retry = retry::Retry::new(rooms.config.backoff, rooms.config.synth.seed, self.sn());
        let mut stop_making = stop.clone();
        tokio::join!(
            async move {
                shutdown.await;
                stopper.stop();
            },
            // Making records stops at once: a record not yet stored was never seen by
            // anyone, and its number is handed out again at the next start.
            async {
                stop_making.unless(inner.maker.on_schedule(rooms)).await;
            },
            inner.courier.backlog(rooms, retry, stop.clone()),
            rooms.remote.heartbeat_loop(stop),
        );
        // A trigger's delivery may still be under way through the API; let it end too.
        inner.courier.settle().await;
        tracing::info!(sn = %self.sn(), queued = rooms.queue.store().depth(), "device stopped");
    }
}
