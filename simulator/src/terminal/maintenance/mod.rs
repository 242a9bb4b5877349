//! Maintenance of the terminal: its certificate, reboot, factory reset, firmware upgrade
//! (with the state directory's migration between API versions) and system log. The
//! routes (the `routes` child) only validate and ask for a restart; the restart itself
//! (the API down for a while, the state reset or migrated, the terminal up again) is the
//! host's, which owns the device from boot to boot and sits above this module.

pub(crate) mod certificate;
pub(crate) mod firmware;
pub(crate) mod log;
pub mod migrate;
pub(crate) mod routes;

use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::clock::Clock;
use crate::profile::ApiVersion;
use crate::store::{Store, StoreError};

pub use log::SystemLog;

/// Why the terminal restarts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restart {
    /// `GET /v1/device/reboot`.
    Reboot,
    /// `GET /v1/device/restore`: a factory reset, then a reboot.
    Restore,
    /// `POST /v1/device/upgrade`: the package's firmware and the API version it speaks.
    Upgrade {
        firmware: firmware::Firmware,
        api: ApiVersion,
    },
}

impl Restart {
    /// What the log and the console call it.
    pub fn describe(&self) -> String {
        match self {
            Restart::Reboot => "reboot".into(),
            Restart::Restore => "factory reset".into(),
            Restart::Upgrade { firmware, api } => {
                format!("upgrade to firmware {firmware} (API {api})")
            }
        }
    }
}

struct Shared {
    restart: watch::Sender<Option<Restart>>,
    /// The certificate the API serves in this boot (none over plain HTTP).
    in_force: Mutex<Option<String>>,
    log: SystemLog,
}

/// One boot's maintenance state: the restart asked for, the certificate in force, the
/// system log. Cheap to clone; clones share it.
#[derive(Clone)]
pub struct Maintenance {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Maintenance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Maintenance").finish_non_exhaustive()
    }
}

impl Maintenance {
    /// The maintenance state of a device opening `state_dir`.
    ///
    /// # Errors
    /// [`StoreError`] when the system log cannot be read.
    pub fn open(state_dir: &Path, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        Ok(Self {
            shared: Arc::new(Shared {
                restart: watch::Sender::new(None),
                in_force: Mutex::new(None),
                log: SystemLog::open(state_dir, clock)?,
            }),
        })
    }

    /// Asks for a restart. The first request of a boot wins; `false` when one is already
    /// under way.
    pub fn request(&self, restart: Restart) -> bool {
        self.shared.restart.send_if_modified(|slot| {
            if slot.is_some() {
                return false;
            }
            *slot = Some(restart);
            true
        })
    }

    /// Resolves with the restart once one is asked for.
    pub async fn requested(&self) -> Restart {
        let mut rx = self.shared.restart.subscribe();
        // The guard is dropped before anything else is awaited: the future is `Send`.
        let asked = rx
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|slot| slot.clone());
        // The sender lives as long as `self`, so waiting never fails; a restart is asked.
        asked.unwrap_or(Restart::Reboot)
    }

    /// The restart asked for, if any.
    pub fn pending(&self) -> Option<Restart> {
        self.shared.restart.borrow().clone()
    }

    /// Sets the certificate this boot serves.
    pub fn set_in_force(&self, pem: Option<String>) {
        *self
            .shared
            .in_force
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = pem;
    }

    /// The certificate this boot serves (PEM); none over plain HTTP.
    pub fn in_force(&self) -> Option<String> {
        self.shared
            .in_force
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The system log.
    pub fn log(&self) -> &SystemLog {
        &self.shared.log
    }
}

/// The factory reset of `GET /v1/device/restore`, done while the terminal is down: the
/// library (users, photos, groups, rules), the records (history and the queue of records
/// not yet delivered), the settings, `/v1/device/functions`, the push configuration, the
/// uploaded certificate and the login key (every token ends) are erased. What survives:
/// the serial number, the web account (it is the command line's), the factory
/// certificate, the firmware and its API version, the record counter (numbers are never
/// handed out twice, so a receiver deduplicating by them is not fooled) and the system log.
///
/// # Errors
/// [`StoreError::Io`] when something cannot be removed.
pub fn restore(state_dir: &Path, queue_cap: usize) -> Result<(), StoreError> {
    let remove_dir = |name: &str| {
        let path = state_dir.join(name);
        match std::fs::remove_dir_all(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StoreError::Io { path, source }),
        }
    };
    let remove_file = |name: &str| {
        let path = state_dir.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StoreError::Io { path, source }),
        }
    };
    remove_dir("library")?;
    remove_dir(crate::history::DIR)?;
    remove_file(crate::settings::SETTINGS_FILE)?;
    remove_file(crate::remote::FUNCTIONS_FILE)?;
    remove_file(crate::access::SECRET_FILE)?;
    certificate::remove_uploaded(state_dir)?;
    let mut store = Store::open(state_dir, queue_cap)?;
    store.clear()?;
    store.forget_subscription()
}
