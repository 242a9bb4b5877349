//! The terminal from boot to boot: open the device from its state directory (the
//! directory settled on its API version first, migrated when it is older), serve its API
//! and run it until shutdown or until a restart is asked for (reboot, factory reset,
//! upgrade); then close the live feeds, drop the listener (connections are refused while
//! the terminal is down), do what the restart needs (erase, or take the new version),
//! wait the downtime, bind the same address again and boot anew. Shutdown at any moment,
//! during the downtime too, ends the run cleanly. `facesim device` runs one [`Host`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::device::{Device, DeviceConfig, DeviceError};
use crate::lines::Network;
use crate::maintenance::firmware::Firmware;
use crate::maintenance::migrate::{self, MigrateError};
use crate::maintenance::{Restart, SystemLog, certificate};
use crate::profile::ApiVersion;
use crate::store::StoreError;
use crate::synth::Generator;
use crate::tls::{CertPair, TlsError};
use crate::wire::Subscription;

/// How long the terminal stays down by default when it restarts.
pub const DEFAULT_REBOOT_TIME: Duration = Duration::from_secs(5);

/// Everything a host needs.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// The device; its `synth.api` is the version of a new state directory.
    pub device: DeviceConfig,
    /// The API version asked for: a directory of an older one is migrated, of a newer one
    /// refused. `None`: the directory's own (a new directory takes `device.synth.api`).
    pub api: Option<ApiVersion>,
    /// Serve HTTPS (otherwise plain HTTP).
    pub https: bool,
    /// The factory certificate, instead of the one made in the state directory.
    pub cert: Option<CertPair>,
    /// How long the terminal is down at each restart.
    pub reboot_time: Duration,
    /// A push configuration applied at the first boot (a reboot keeps what the API set).
    pub initial: Option<Subscription>,
}

/// Where the terminal is in its life.
#[derive(Debug, Clone)]
pub enum Phase {
    /// Not yet up.
    Starting,
    /// Serving.
    Up(Booted),
    /// Down for a restart: the listener is closed.
    Down(Restart),
    /// Shut down.
    Stopped,
}

/// One boot of the terminal.
#[derive(Debug, Clone)]
pub struct Booted {
    /// Counted from 1 in this run.
    pub boot: u64,
    pub device: Device,
    pub addr: SocketAddr,
    /// The certificate served in this boot (none over plain HTTP).
    pub cert_pem: Option<String>,
}

/// The first boot's device, opened before the listener (see [`Host::first_boot`]).
#[derive(Debug)]
pub struct FirstBoot {
    device: Device,
    tls: Tls,
}

impl FirstBoot {
    /// The device of the first boot.
    pub fn device(&self) -> &Device {
        &self.device
    }
}

/// A boot's TLS: the server configuration and the certificate it serves (PEM).
type Tls = Option<(Arc<ServerConfig>, String)>;

/// Why the terminal could not (re)start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The state directory cannot be used under the version asked for.
    #[error(transparent)]
    Migrate(#[from] MigrateError),
    /// The device could not open.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// A state file failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The certificate could not be used.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The address could not be bound again after a restart.
    #[error("cannot listen on {addr} again after the restart: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Runs a terminal from boot to boot.
#[derive(Debug)]
pub struct Host {
    config: HostConfig,
    phase: watch::Sender<Phase>,
    /// The terminal's network, kept from boot to boot: a reboot does not plug a pulled
    /// cable back in.
    network: Network,
}

impl Host {
    /// A host that has not started.
    pub fn new(config: HostConfig) -> Self {
        Self {
            config,
            phase: watch::Sender::new(Phase::Starting),
            network: Network::default(),
        }
    }

    /// The terminal's network switch, the same in every boot.
    pub(crate) fn network(&self) -> Network {
        self.network.clone()
    }

    /// Follows the terminal's phases.
    pub fn phase(&self) -> watch::Receiver<Phase> {
        self.phase.subscribe()
    }

    /// The first boot, before any address is taken, so that an unusable state directory
    /// is reported before a listener is ever open: the device, with the push configuration
    /// of [`HostConfig::initial`] applied.
    ///
    /// # Errors
    /// [`HostError`] when the directory, the device or the certificate is unusable.
    pub fn first_boot(&self) -> Result<FirstBoot, HostError> {
        let (device, tls) = self.open(self.config.api, None)?;
        if let Some(sub) = self.config.initial.clone() {
            device.set_subscription(sub)?;
        }
        Ok(FirstBoot { device, tls })
    }

    /// Settles the state directory on its version and opens the device of one boot.
    fn open(
        &self,
        wanted: Option<ApiVersion>,
        firmware: Option<Firmware>,
    ) -> Result<(Device, Tls), HostError> {
        let dir = &self.config.device.state_dir;
        let stored = migrate::stored_version(dir)?;
        let api = wanted.or(stored).unwrap_or(self.config.device.synth.api);
        let mut config = self.config.device.clone();
        config.synth.api = api;
        config.push.api = api;
        let firmware = firmware.unwrap_or_else(|| Firmware::of(api));
        let generator = Generator::new(&config.synth, config.sn.clone());
        let changes = migrate::settle(
            dir,
            api,
            &firmware.to_string(),
            &generator,
            config.queue_cap,
        )?;
        let device = Device::open_on(config, self.network.clone())?;
        let log = device.maintenance().log();
        if let Some(from) = stored.filter(|s| *s != api) {
            let summary = changes.join("; ");
            tracing::warn!(state = %dir.display(), %from, to = %api, changes = %summary, "state directory migrated");
            log.warn("upgrade", format!("state migrated: {summary}"));
        }
        let tls = self.certificate(&device, log)?;
        device
            .maintenance()
            .set_in_force(tls.as_ref().map(|(_, pem)| pem.clone()));
        log.info("system", format!("booted: firmware {firmware}, API {api}"));
        Ok((device, tls))
    }

    /// The certificate of this boot: the uploaded one when there is a usable one, else
    /// the factory one.
    fn certificate(&self, device: &Device, log: &SystemLog) -> Result<Tls, HostError> {
        if !self.config.https {
            return Ok(None);
        }
        let factory = match &self.config.cert {
            Some(pair) => pair.clone(),
            None => device.with_store(|s| s.certificate())?,
        };
        let pair = match certificate::uploaded(device.state_dir()) {
            Some(Ok(pair)) => pair,
            Some(Err(why)) => {
                tracing::warn!(reason = %why, "the uploaded certificate is unusable; serving the factory one");
                log.warn(
                    "system",
                    format!("uploaded certificate unusable ({why}); factory certificate in force"),
                );
                factory
            }
            None => factory,
        };
        Ok(Some((pair.server_config()?, pair.cert_pem)))
    }

    /// Runs the terminal on `listener` until `shutdown`.
    ///
    /// # Errors
    /// [`HostError`] when a boot fails (the first, or one after a restart).
    pub async fn run(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), HostError> {
        let first = match self.first_boot() {
            Ok(first) => first,
            Err(e) => {
                self.phase.send_replace(Phase::Stopped);
                return Err(e);
            }
        };
        self.run_from(first, listener, shutdown).await
    }

    /// [`run`](Self::run) after [`first_boot`](Self::first_boot).
    ///
    /// # Errors
    /// [`HostError`] when a boot after a restart fails.
    pub async fn run_from(
        &self,
        first: FirstBoot,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), HostError> {
        let result = self.boots(first, listener, shutdown).await;
        self.phase.send_replace(Phase::Stopped);
        result
    }

    async fn boots(
        &self,
        first: FirstBoot,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), HostError> {
        tokio::pin!(shutdown);
        let addr = listener.local_addr().map_err(|source| HostError::Bind {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            source,
        })?;
        let mut listener = Some(listener);
        let (mut wanted, mut firmware) = (self.config.api, None);
        let mut first = Some(first);
        for boot in 1u64.. {
            let (device, tls) = match first.take() {
                Some(FirstBoot { device, tls }) => (device, tls),
                None => self.open(wanted, firmware)?,
            };
            let listener = match listener.take() {
                Some(listener) => listener,
                None => TcpListener::bind(addr)
                    .await
                    .map_err(|source| HostError::Bind { addr, source })?,
            };
            let (stop, stopped) = watch::channel(false);
            let cert_pem = tls.as_ref().map(|(_, pem)| pem.clone());
            let serving = serve(
                device.clone(),
                listener,
                tls.map(|(config, _)| config),
                stopped,
            );
            tokio::pin!(serving);
            self.phase.send_replace(Phase::Up(Booted {
                boot,
                device: device.clone(),
                addr,
                cert_pem,
            }));
            tracing::info!(sn = device.sn(), boot, api = %device.api(), %addr, "device up");
            // The boot serves while waiting; it ends only once told to stop.
            let mut served = false;
            let restart = tokio::select! {
                () = &mut serving => {
                    served = true;
                    None
                }
                () = &mut shutdown => None,
                restart = device.maintenance().requested() => Some(restart),
            };
            let _ = stop.send(true);
            device.live().close_all();
            if !served {
                (&mut serving).await;
            }
            let log = device.maintenance().log().clone();
            let Some(restart) = restart else {
                log.info("system", "shut down");
                return Ok(());
            };
            tracing::info!(sn = device.sn(), restart = %restart.describe(), down_for = ?self.config.reboot_time, "device restarting");
            let queue_cap = self.config.device.queue_cap;
            drop(device);
            self.phase.send_replace(Phase::Down(restart.clone()));
            match restart {
                Restart::Reboot => log.info("system", "rebooting"),
                Restart::Restore => {
                    crate::maintenance::restore(&self.config.device.state_dir, queue_cap)?;
                    log.warn("system", "factory reset: library, records, settings and push configuration erased; rebooting");
                }
                Restart::Upgrade { firmware: fw, api } => {
                    log.info(
                        "upgrade",
                        format!("flashing firmware {fw}; rebooting into API {api}"),
                    );
                    wanted = Some(api);
                    firmware = Some(fw);
                }
            }
            tokio::select! {
                () = tokio::time::sleep(self.config.reboot_time) => {}
                () = &mut shutdown => {
                    log.info("system", "shut down while restarting");
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

/// One boot's work until `stopped`: the API, the device, and the system log's account of
/// pushes failing and recovering.
async fn serve(
    device: Device,
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    stopped: watch::Receiver<bool>,
) {
    let until = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    tokio::join!(
        serve_while_online(listener, tls, device.clone(), stopped.clone()),
        device.run(until(stopped.clone())),
        watch_pushes(&device, until(stopped)),
    );
}

/// Serves the API while the terminal's network is up ([`Device::set_online`]): when it
/// goes down the listener is closed, so connections are refused as by a terminal whose
/// cable is pulled, and when it comes back the same address is bound again.
async fn serve_while_online(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    device: Device,
    mut stopped: watch::Receiver<bool>,
) {
    let Ok(addr) = listener.local_addr() else {
        return;
    };
    let mut online = device.online();
    let mut listener = Some(listener);
    loop {
        let up = async {
            let _ = online.wait_for(|up| *up).await;
        };
        tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => return,
            () = up => {}
        }
        let listener = match listener.take() {
            Some(listener) => listener,
            None => match TcpListener::bind(addr).await {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::error!(sn = device.sn(), %addr, error = %e, "cannot listen again after the network came back");
                    return;
                }
            },
        };
        let mut down = device.online();
        let mut stop = stopped.clone();
        let until = async move {
            tokio::select! {
                _ = stop.wait_for(|stop| *stop) => {}
                _ = down.wait_for(|up| !*up) => {}
            }
        };
        crate::api::serve(listener, tls.clone(), device.clone(), until).await;
        if *stopped.borrow() {
            return;
        }
        tracing::info!(sn = device.sn(), %addr, "network down: the API is not answering");
    }
}

/// Writes to the system log when pushes start failing and when they recover.
async fn watch_pushes(device: &Device, stop: impl Future<Output = ()>) {
    let mut attempts = device.attempts();
    let log = device.maintenance().log();
    let mut failing = 0u64;
    tokio::pin!(stop);
    loop {
        let attempt = tokio::select! {
            () = &mut stop => return,
            attempt = attempts.recv() => attempt,
        };
        let attempt = match attempt {
            Ok(attempt) => attempt,
            // Lagging behind only skips attempts; the next one still tells the state.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        };
        match (attempt.outcome.is_success(), failing) {
            (true, 0) => {}
            (true, n) => {
                log.info(
                    "push",
                    format!("pushes recovered after {n} failed attempts"),
                );
                failing = 0;
            }
            (false, 0) => {
                log.warn(
                    "push",
                    format!(
                        "push failing ({}): {}",
                        attempt.outcome.class().label(),
                        attempt.outcome.describe()
                    ),
                );
                failing = 1;
            }
            (false, _) => failing += 1,
        }
    }
}
