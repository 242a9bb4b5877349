//! The rooms of a device that its jobs (making, delivering, the stats view) act on: the
//! offline queue with the push configuration, and the parts the device's API also serves
//! (remote authentication, settings, library, history, live feed). The device owns them
//! and lends them to each job; this file names none of the jobs.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::futures::Notified;
use tokio::sync::{Notify, watch};

use super::config::DeviceConfig;
use crate::history::RecordLog;
use crate::store::{Store, StoreError};
use crate::wire::{Identity, Subscription};

/// The records waiting for delivery, and where they go.
#[derive(Debug)]
pub(super) struct Queue {
    store: Mutex<Store>,
    subscription: watch::Sender<Subscription>,
    /// Woken whenever a record is queued or the configuration changes.
    queued: Notify,
}

impl Queue {
    /// The queue over `store`, with the push configuration it holds.
    pub(super) fn open(store: Store) -> Result<Self, StoreError> {
        let subscription = store.subscription()?;
        Ok(Self {
            store: Mutex::new(store),
            subscription: watch::Sender::new(subscription),
            queued: Notify::new(),
        })
    }

    pub(super) fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the store inconsistent on disk (every
        // write is atomic), so a poisoned lock is safe to keep using.
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The push configuration in force.
    pub(super) fn subscription(&self) -> Subscription {
        self.subscription.borrow().clone()
    }

    /// Every change of the push configuration from now on.
    pub(super) fn watch(&self) -> watch::Receiver<Subscription> {
        self.subscription.subscribe()
    }

    /// Stores a new push configuration and applies it at once.
    pub(super) fn set_subscription(&self, sub: Subscription) -> Result<(), StoreError> {
        self.store().save_subscription(&sub)?;
        tracing::info!(event_dest = %sub.event_dest_str(), enabled = sub.enabled, "push configuration set");
        self.subscription.send_replace(sub);
        self.wake();
        Ok(())
    }

    /// Tells the delivery loop that there is something new to look at.
    pub(super) fn wake(&self) {
        self.queued.notify_one();
    }

    /// Resolves at the next [`wake`](Self::wake) after this call.
    pub(super) fn woken(&self) -> Notified<'_> {
        self.queued.notified()
    }
}

/// The parts of a device that more than one of its jobs acts on.
pub(super) struct Rooms {
    pub(super) config: DeviceConfig,
    pub(super) queue: Queue,
    /// What the identity headers say of the device (from API 1.2.1).
    pub(super) identity: Identity,
    /// Remote authentication: settings, callbacks, heartbeat.
    pub(super) remote: Arc<crate::remote::RemoteAuth>,
    /// The record log behind `POST /v1/event/records`.
    pub(super) history: Mutex<RecordLog>,
    /// The live feed, `GET /v1/event`.
    pub(super) live: crate::live::Hub,
    /// The person library that recognition draws known people from.
    pub(super) library: Arc<crate::library::Library>,
    /// The settings of `/v1/device/{recognize,access,system,time,custom}`.
    pub(super) settings: crate::settings::Settings,
    /// Bumped at every change `/sim/stats` shows.
    pub(super) activity: crate::activity::Activity,
}

impl Rooms {
    /// The device's clock now, Unix seconds.
    pub(super) fn now(&self) -> i64 {
        self.config.clock.unix_now()
    }

    /// The version profile the device speaks.
    pub(super) fn profile(&self) -> &'static crate::profile::Profile {
        self.config.synth.api.profile()
    }
}
