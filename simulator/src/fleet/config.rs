//! What a fleet is given (the terminal every member is made from, how many, where their
//! state lives and where they listen) and why it can fail. A leaf of the fleet.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use crate::host::{HostConfig, HostError};
use crate::load::Shard;

/// Where the fleet's terminals listen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing {
    /// Each terminal on its own loopback address at `port`, like terminals on a LAN:
    /// `127.0.1.1`, `127.0.1.2`, … `127.0.1.254`, then `127.0.2.1` and on (Linux routes
    /// all of `127.0.0.0/8` to the loopback interface). Port 0 takes any free port.
    Loopback { port: u16 },
    /// Every terminal on `127.0.0.1`, at `base`, `base + 1`, …; base 0 gives each terminal
    /// a free port of its own (the manifest says which).
    Ports { base: u16 },
    /// Every terminal on `ip` (a pod's address, say), at `base`, `base + 1`, …: reachable
    /// from other hosts, where the loopback addresses are not.
    At { ip: IpAddr, base: u16 },
}

/// Loopback hosts per `127.0.X.0/24`: `.1` to `.254`.
const HOSTS_PER_NET: u32 = 254;

impl Addressing {
    /// The address of terminal `index` (from 0).
    ///
    /// # Errors
    /// [`FleetError::Addresses`] when the addressing has no address for it.
    pub fn addr(self, index: u32) -> Result<SocketAddr, FleetError> {
        match self {
            Addressing::Loopback { port } => {
                let net = 1 + index / HOSTS_PER_NET;
                let host = 1 + index % HOSTS_PER_NET;
                let net = u8::try_from(net).map_err(|_| FleetError::Addresses(index))?;
                let host = u8::try_from(host).map_err(|_| FleetError::Addresses(index))?;
                Ok(SocketAddr::from((Ipv4Addr::new(127, 0, net, host), port)))
            }
            Addressing::Ports { base } => Addressing::At {
                ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
                base,
            }
            .addr(index),
            Addressing::At { ip, base: 0 } => Ok(SocketAddr::new(ip, 0)),
            Addressing::At { ip, base } => {
                let port = u32::from(base) + index;
                let port = u16::try_from(port).map_err(|_| FleetError::Addresses(index))?;
                Ok(SocketAddr::new(ip, port))
            }
        }
    }
}

/// Everything a fleet needs.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// How many terminals.
    pub devices: u32,
    /// The fleet's directory: each terminal's state in `<state>/<sn>/`, and the manifest.
    pub state: PathBuf,
    /// Where the terminals listen.
    pub addressing: Addressing,
    /// Where the control API listens (port 0: any free port).
    pub control: SocketAddr,
    /// The terminal every member is made from: its serial number and state directory are
    /// replaced by each member's, and its seed names the fleet's serial numbers
    /// (`synth::device_sn(seed, index)`).
    pub terminal: HostConfig,
    /// Faults in force from the start, by serial number (the control API sets them later).
    pub faults: Vec<(String, Fault)>,
    /// The one interface address to announce every terminal on by mDNS; none: no
    /// announcement.
    pub mdns: Option<Ipv4Addr>,
    /// This process's part of a fleet spread over several (`--shard I/N`): of the
    /// `devices` terminals it runs those whose index is `I`, `I + N`, …, each with the
    /// serial number and address of its index in the whole fleet, so that shards are
    /// disjoint and together make the fleet one process would.
    pub shard: Shard,
    /// Which API version each terminal speaks: all as `terminal.api` says, or a mix of
    /// every version dealt by seed and index.
    pub versions: super::versions::Versions,
}

/// A fault a terminal of the fleet can be given, at start or through the control API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Its network is down: it answers nothing and sends nothing; its records queue.
    Offline,
    /// Its clock runs this many seconds ahead of the fleet's (negative: behind).
    Drift(i64),
}

/// Why a fleet could not start or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// A fleet (or a shard) of no terminal was asked for.
    #[error("a fleet needs at least one terminal (and as many as it has shards)")]
    Empty,
    /// The addressing has no address for this terminal.
    #[error("no address for terminal {0}: use --ports, or fewer terminals")]
    Addresses(u32),
    /// A fault names a terminal that is not in the fleet.
    #[error("no terminal {0} in this fleet to give a fault to")]
    UnknownTerminal(String),
    /// A terminal could not start or restart.
    #[error("terminal {sn}: {source}")]
    Host {
        sn: String,
        #[source]
        source: HostError,
    },
    /// A file or socket of the fleet failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A state file of the fleet failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A terminal's certificate could not be made.
    #[error("terminal {sn}: {source}")]
    Certificate {
        sn: String,
        #[source]
        source: crate::tls::TlsError,
    },
    /// The building could not be set up.
    #[error(transparent)]
    Building(#[from] super::building::BuildingError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_fill_one_net_then_the_next() {
        let at = |i| Addressing::Loopback { port: 8000 }.addr(i).unwrap();
        assert_eq!(at(0).to_string(), "127.0.1.1:8000");
        assert_eq!(at(253).to_string(), "127.0.1.254:8000");
        assert_eq!(at(254).to_string(), "127.0.2.1:8000");
        assert!(Addressing::Loopback { port: 8000 }.addr(255 * 254).is_err());
    }

    #[test]
    fn shards_split_a_fleet_into_disjoint_terminals_with_a_manifest_each() {
        let (total, count) = (10, 3);
        let mut sns = Vec::new();
        let mut addrs = Vec::new();
        let mut files = Vec::new();
        for index in 0..count {
            let shard = Shard { index, count };
            files.push(super::super::manifest::file_name(shard));
            for i in shard.devices(total) {
                sns.push(crate::synth::device_sn(7, i));
                addrs.push(Addressing::Loopback { port: 8000 }.addr(i).unwrap());
            }
        }
        let whole: Vec<String> = (0..total).map(|i| crate::synth::device_sn(7, i)).collect();
        sns.sort();
        let mut sorted = whole.clone();
        sorted.sort();
        assert_eq!(
            sns, sorted,
            "the shards together are the whole fleet, once each"
        );
        addrs.sort();
        addrs.dedup();
        assert_eq!(addrs.len(), total as usize);
        assert_eq!(
            files,
            [
                "fleet-0-of-3.json",
                "fleet-1-of-3.json",
                "fleet-2-of-3.json"
            ]
        );
        assert_eq!(
            super::super::manifest::file_name(Shard::default()),
            "fleet.json"
        );
    }

    #[test]
    fn ports_count_up_from_the_base_and_zero_means_any() {
        let ports = Addressing::Ports { base: 9000 };
        assert_eq!(ports.addr(2).unwrap().to_string(), "127.0.0.1:9002");
        assert!(Addressing::Ports { base: 65535 }.addr(1).is_err());
        assert_eq!(Addressing::Ports { base: 0 }.addr(7).unwrap().port(), 0);
        let pod = Addressing::At {
            ip: "10.1.2.3".parse().unwrap(),
            base: 9000,
        };
        assert_eq!(pod.addr(4).unwrap().to_string(), "10.1.2.3:9004");
    }
}
