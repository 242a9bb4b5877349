//! A fleet from start to shutdown: every terminal's first boot and listener (so that an
//! unusable state directory or address is reported before anything serves), the control
//! API's listener, the manifest once every terminal listens, then every host and the
//! control API run until one shutdown stops them all. Each terminal keeps its state in
//! `<state>/<sn>/`, so a fleet started again on the same directory resumes every terminal
//! where it was: serial number, queue, library, record numbers.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use futures_util::future::join_all;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;

use super::building::{Building, BuildingConfig};
use super::config::{FleetConfig, FleetError};
use super::control::{self, BASE};
use super::drift::Drift;
use super::mdns::Announced;
use super::members::{Member, Members};
use super::versions::{Versions, mixed_version};
use crate::host::{FirstBoot, Host};
use crate::store::{CERT_FILE, KEY_FILE};
use crate::tls::CertPair;
use crate::wire::Identity;
use crate::wire::{Manifest, ManifestDevice};

/// One terminal, booted and listening, not yet serving.
struct Ready {
    host: Host,
    first: FirstBoot,
    listener: TcpListener,
}

/// The mDNS responder's sockets (announcing and answering; hearing queries) and its
/// terminals.
struct Mdns {
    socket: UdpSocket,
    queries: UdpSocket,
    terminals: Vec<Announced>,
}

/// A fleet whose terminals all listen, with its manifest written; [`run`](Self::run)
/// serves them.
pub struct Fleet {
    ready: Vec<Ready>,
    control: TcpListener,
    members: Members,
    manifest: Manifest,
    manifest_path: PathBuf,
    /// The mDNS sockets and what they announce, when asked for.
    mdns: Option<Mdns>,
    /// What the terminals draw snapshots with and tell the time by, for a building.
    synth: crate::synth::SynthConfig,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    building: Option<Building>,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("terminals", &self.ready.len())
            .field("control", &self.manifest.control)
            .finish()
    }
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> FleetError {
    move |source| FleetError::Io { what, source }
}

impl Fleet {
    /// Boots every terminal, binds its address and the control API's, and writes the
    /// manifest (`<state>/fleet.json`).
    ///
    /// # Errors
    /// [`FleetError`] when a terminal cannot boot, an address cannot be bound or the
    /// manifest cannot be written.
    pub async fn start(config: FleetConfig) -> Result<Self, FleetError> {
        let indices = config.shard.devices(config.devices);
        if indices.is_empty() {
            return Err(FleetError::Empty);
        }
        std::fs::create_dir_all(&config.state)
            .map_err(io(format!("cannot create {}", config.state.display())))?;
        let account = &config.terminal.device.account;
        let scheme = if config.terminal.https {
            "https"
        } else {
            "http"
        };
        let mut ready = Vec::with_capacity(indices.len());
        let mut members = Vec::with_capacity(indices.len());
        let mut devices = Vec::with_capacity(indices.len());
        let mut announced = Vec::with_capacity(indices.len());
        let mut boots = futures_util::stream::iter(indices)
            .map(|index| boot(&config, index))
            .buffered(CONCURRENT_BOOTS);
        while let Some(booted) = boots.next().await {
            let Booting {
                sn,
                addr,
                dir,
                clock,
                host,
                first,
            } = booted?;
            let listener = TcpListener::bind(addr)
                .await
                .map_err(io(format!("terminal {sn}: cannot listen on {addr}")))?;
            let addr = listener
                .local_addr()
                .map_err(io(format!("terminal {sn}: no local address")))?;
            let url = format!("{scheme}://{addr}");
            let model = Identity::of(&sn, &account.username).model;
            announced.push(Announced {
                sn: sn.clone(),
                model: model.clone(),
                addr,
            });
            devices.push(ManifestDevice {
                sn: sn.clone(),
                model,
                api_version: first.device().api().to_string(),
                url: url.clone(),
                cert: dir.join(CERT_FILE),
                username: account.username.clone(),
                password: account.password.clone(),
            });
            members.push(Member {
                api: first.device().api(),
                sn,
                url,
                addr,
                phase: host.phase(),
                network: host.network(),
                clock,
            });
            ready.push(Ready {
                host,
                first,
                listener,
            });
        }
        drop(boots);
        let control = TcpListener::bind(config.control).await.map_err(io(format!(
            "cannot listen on {} for the control API",
            config.control
        )))?;
        let control_addr = control
            .local_addr()
            .map_err(io("the control API has no local address".into()))?;
        let mdns = match config.mdns {
            Some(ip) => Some(Mdns {
                socket: super::mdns::socket(ip)
                    .map_err(io(format!("cannot announce by mDNS on {ip}")))?,
                queries: super::mdns::query_socket(ip)
                    .map_err(io(format!("cannot hear mDNS queries on {ip}")))?,
                terminals: announced,
            }),
            None => None,
        };
        let members = Members::new(members);
        for (sn, fault) in &config.faults {
            members
                .apply(sn, *fault)
                .map_err(|_| FleetError::UnknownTerminal(sn.clone()))?;
        }
        let manifest = Manifest {
            devices,
            control: format!("http://{control_addr}{BASE}"),
        };
        let manifest_path = super::manifest::write(&manifest, &config.state, config.shard)?;
        Ok(Self {
            ready,
            control,
            members,
            manifest,
            manifest_path,
            mdns,
            synth: config.terminal.device.synth.clone(),
            clock: config.terminal.device.clock.clone(),
            building: None,
        })
    }

    /// Makes the fleet one building: its terminals become the building's doors (in the
    /// fleet's order, the lobby's first) and one population walks through them over the
    /// day once the fleet runs.
    ///
    /// # Errors
    /// [`FleetError::Building`] when the building's configuration is out of range.
    pub fn with_building(mut self, config: BuildingConfig) -> Result<Self, FleetError> {
        let building = Building::new(
            config,
            &self.members.sns(),
            &self.synth,
            &self.manifest.control,
            &*self.clock,
        )?;
        self.building = Some(building);
        Ok(self)
    }

    /// The building, when the fleet is one.
    pub fn building(&self) -> Option<Building> {
        self.building.clone()
    }

    /// What the manifest says.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Where the manifest is.
    pub fn manifest_path(&self) -> &Path {
        &self.manifest_path
    }

    /// The control API's address.
    pub fn control_addr(&self) -> Option<SocketAddr> {
        self.control.local_addr().ok()
    }

    /// The terminals, for statistics and network switches.
    pub fn members(&self) -> Members {
        self.members.clone()
    }

    /// Serves every terminal and the control API until `shutdown`, then stops them all:
    /// each terminal as `facesim device` stops (no push cut off, its queue kept).
    ///
    /// # Errors
    /// [`FleetError::Host`] naming the first terminal whose restart failed; the others
    /// still run until `shutdown`.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), FleetError> {
        let (stop, stopped) = watch::channel(false);
        let until = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        // Each terminal is a task of its own, as each `facesim device` is a process of
        // its own: the runtime spreads them over its threads and wakes only the ones with
        // something to do, where one future joining them all ran every terminal on the
        // thread that awaits the fleet.
        let hosts = join_all(self.ready.into_iter().map(|r| {
            let stopped = until(stopped.clone());
            let sn = r.first.device().sn().to_string();
            let task =
                tokio::spawn(async move { r.host.run_from(r.first, r.listener, stopped).await });
            async move {
                match task.await {
                    Ok(result) => result.map_err(|source| FleetError::Host { sn, source }),
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    // Cancelled only when the runtime shuts down, which stops the fleet.
                    Err(_) => Ok(()),
                }
            }
        }));
        let mdns = async {
            if let Some(m) = self.mdns {
                super::mdns::serve(m.socket, m.queries, m.terminals, until(stopped.clone())).await;
            }
        };
        let building = self.building.clone().map(|b| {
            let members = self.members.clone();
            let stopped = until(stopped.clone());
            async move { b.run(members, stopped).await }
        });
        let building = async move {
            if let Some(walk) = building {
                walk.await;
            }
        };
        let control = control::serve(
            self.control,
            self.members,
            self.building,
            until(stopped.clone()),
        );
        let signal = async {
            shutdown.await;
            let _ = stop.send(true);
        };
        let (results, (), (), (), ()) = tokio::join!(hosts, control, mdns, signal, building);
        results.into_iter().collect()
    }
}

/// First boots under way at once. A first boot is file work (directories, state files
/// written and synced, a certificate made on the first start): done one after the other,
/// a thousand terminals wait on the disk a thousand times in a row; a few dozen at once
/// keep the disk's queue full while the two cores stay free for the rest.
const CONCURRENT_BOOTS: usize = 32;

/// One terminal booted, before its listener is bound.
struct Booting {
    sn: String,
    addr: SocketAddr,
    dir: PathBuf,
    clock: std::sync::Arc<Drift>,
    host: Host,
    first: FirstBoot,
}

/// Terminal `index`'s first boot (and, on the first start, its certificate), on the
/// runtime's blocking threads.
async fn boot(config: &FleetConfig, index: u32) -> Result<Booting, FleetError> {
    let sn = crate::synth::device_sn(config.terminal.device.synth.seed, index);
    let addr = config.addressing.addr(index)?;
    let dir = config.state.join(&sn);
    let mut host_config = config.terminal.clone();
    let clock = Drift::new(config.terminal.device.clock.clone());
    host_config.device.clock = clock.clone();
    host_config.device.sn.clone_from(&sn);
    host_config.device.state_dir.clone_from(&dir);
    if config.versions == Versions::Mix {
        // A new directory takes the terminal's dealt version; an existing one keeps its
        // own, as a terminal keeps its firmware across restarts.
        host_config.api = None;
        host_config.device.synth.api = mixed_version(config.terminal.device.synth.seed, index);
    }
    let task = tokio::task::spawn_blocking(move || {
        if host_config.https && host_config.cert.is_none() {
            ensure_certificate(&dir, &sn, addr.ip())?;
        }
        let host = Host::new(host_config);
        let first = host.first_boot().map_err(|source| FleetError::Host {
            sn: sn.clone(),
            source,
        })?;
        Ok(Booting {
            sn,
            addr,
            dir,
            clock,
            host,
            first,
        })
    });
    match task.await {
        Ok(booted) => booted,
        // A panic in a boot is the boot's, as it was when boots ran on this task.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(FleetError::Io {
            what: format!("terminal {index}: its boot was cancelled"),
            source: std::io::Error::other(e),
        }),
    }
}

/// Makes terminal `sn`'s factory certificate when its state directory has none, naming
/// the address it listens on besides the loopback names, so that a client reaching
/// `https://127.0.1.7:8000` with the certificate pinned verifies the name too.
fn ensure_certificate(dir: &Path, sn: &str, ip: IpAddr) -> Result<(), FleetError> {
    let (cert, key) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
    if cert.exists() && key.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
    let pair =
        CertPair::self_signed(&[ip.to_string()]).map_err(|source| FleetError::Certificate {
            sn: sn.to_string(),
            source,
        })?;
    crate::store::write_atomic(&key, pair.key_pem.as_bytes())?;
    crate::store::write_atomic(&cert, pair.cert_pem.as_bytes())?;
    Ok(())
}
