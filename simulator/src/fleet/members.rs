//! The fleet's running terminals as its control API sees them: each one's serial number,
//! address and phase (the host's watch, whose `Up` names the device of the current boot),
//! and the operations on them: statistics per terminal and in total, the network taken
//! down and brought back.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;

use super::config::Fault;
use super::drift::Drift;
use crate::device::Device;
use crate::host::Phase;
use crate::lines::Network;
use crate::profile::ApiVersion;
use crate::wire::{FleetStats, FleetTotal, TerminalStats};

/// One running terminal.
#[derive(Debug)]
pub(super) struct Member {
    pub(super) sn: String,
    pub(super) url: String,
    pub(super) addr: SocketAddr,
    pub(super) phase: watch::Receiver<Phase>,
    /// The terminal's network, which outlives each boot.
    pub(super) network: Network,
    /// The terminal's clock.
    pub(super) clock: Arc<Drift>,
    /// The API version of its first boot, told while it is down (an upgrade through its
    /// API changes it, which its device then says).
    pub(super) api: ApiVersion,
}

impl Member {
    /// The device of the boot in force, if the terminal is up.
    fn device(&self) -> Option<Device> {
        match &*self.phase.borrow() {
            Phase::Up(booted) => Some(booted.device.clone()),
            _ => None,
        }
    }
}

/// The fleet's terminals, shared by the control API and the caller. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Members {
    inner: Arc<Vec<Member>>,
}

/// The serial number names no terminal of the fleet.
#[derive(Debug, thiserror::Error)]
#[error("no terminal {0} in this fleet")]
pub struct UnknownTerminal(pub String);

/// Why a terminal's network could not be switched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SwitchError {
    /// No such terminal.
    #[error(transparent)]
    Unknown(#[from] UnknownTerminal),
    /// The terminal is down for a restart or stopped.
    #[error("terminal {0} is not up")]
    NotUp(String),
    /// A restart of the terminal is already under way.
    #[error("terminal {0} is already restarting")]
    Restarting(String),
}

impl Members {
    pub(super) fn new(members: Vec<Member>) -> Self {
        Self {
            inner: Arc::new(members),
        }
    }

    /// The serial numbers, in the fleet's order.
    pub fn sns(&self) -> Vec<String> {
        self.inner.iter().map(|m| m.sn.clone()).collect()
    }

    /// The address terminal `sn` listens on.
    pub fn addr(&self, sn: &str) -> Option<SocketAddr> {
        self.find(sn).ok().map(|m| m.addr)
    }

    fn find(&self, sn: &str) -> Result<&Member, UnknownTerminal> {
        self.inner
            .iter()
            .find(|m| m.sn == sn)
            .ok_or_else(|| UnknownTerminal(sn.to_string()))
    }

    /// Resolves once every terminal has booted and serves (or has stopped, when it could
    /// not), so that what follows finds each one [`up`](TerminalStats::up).
    pub async fn wait_up(&self) {
        for member in self.inner.iter() {
            let mut phase = member.phase.clone();
            let _ = phase
                .wait_for(|p| matches!(p, Phase::Up(_) | Phase::Stopped))
                .await;
        }
    }

    /// Terminal `sn`'s phases (up with its boot number, down for a restart, stopped).
    pub fn phase(&self, sn: &str) -> Option<watch::Receiver<Phase>> {
        self.find(sn).ok().map(|m| m.phase.clone())
    }

    /// Terminal `sn`'s device in its current boot, while it is up: for in-process users
    /// that wait on its activity or drive it directly.
    pub fn device(&self, sn: &str) -> Option<Device> {
        self.find(sn).ok().and_then(Member::device)
    }

    /// Takes terminal `sn`'s network down (`false`) or brings it back (`true`): while it
    /// is down the terminal answers no connection and pushes nothing, and its records
    /// queue; back up it answers again and delivers its backlog oldest first. The switch
    /// holds across reboots, as a pulled cable does, and may be thrown while the terminal
    /// is down for one.
    ///
    /// # Errors
    /// [`SwitchError`] when there is no such terminal.
    pub fn set_online(&self, sn: &str, online: bool) -> Result<(), SwitchError> {
        let member = self.find(sn)?;
        match member.device() {
            // The device also wakes its queue, whose records may wait for the network.
            Some(device) => device.set_online(online),
            None => member.network.set(online),
        }
        tracing::info!(sn, online, "terminal network switched");
        Ok(())
    }

    /// Gives terminal `sn` a fault: its network down, or its clock off.
    ///
    /// # Errors
    /// [`SwitchError::Unknown`] when there is no such terminal.
    pub fn apply(&self, sn: &str, fault: Fault) -> Result<(), SwitchError> {
        match fault {
            Fault::Offline => self.set_online(sn, false),
            Fault::Drift(seconds) => self.set_drift(sn, seconds),
        }
    }

    /// Makes terminal `sn`'s clock run `seconds` ahead of the fleet's (negative: behind),
    /// from its next reading on: record timestamps, the history, the identity headers.
    ///
    /// # Errors
    /// [`SwitchError::Unknown`] when there is no such terminal.
    pub fn set_drift(&self, sn: &str, seconds: i64) -> Result<(), SwitchError> {
        self.find(sn)?.clock.set(seconds);
        tracing::info!(sn, seconds, "terminal clock drifted");
        Ok(())
    }

    /// How many seconds terminal `sn`'s clock runs ahead of the fleet's (negative: behind).
    pub fn drift(&self, sn: &str) -> Option<i64> {
        self.find(sn).ok().map(|m| m.clock.seconds())
    }

    /// Reboots terminal `sn` as its API's reboot does: it stops, stays down for the reboot
    /// time, and boots again with its state (and its network as the switch left it).
    ///
    /// # Errors
    /// [`SwitchError`] when there is no such terminal, it is not up, or it is restarting.
    pub fn reboot(&self, sn: &str) -> Result<(), SwitchError> {
        let device = self
            .find(sn)?
            .device()
            .ok_or_else(|| SwitchError::NotUp(sn.to_string()))?;
        if !device
            .maintenance()
            .request(crate::maintenance::Restart::Reboot)
        {
            return Err(SwitchError::Restarting(sn.to_string()));
        }
        tracing::info!(sn, "terminal rebooted by the fleet");
        Ok(())
    }

    /// One terminal's figures.
    ///
    /// # Errors
    /// [`UnknownTerminal`] when there is no such terminal.
    pub async fn terminal(&self, sn: &str) -> Result<TerminalStats, UnknownTerminal> {
        Ok(Self::stats_of(self.find(sn)?).await)
    }

    async fn stats_of(member: &Member) -> TerminalStats {
        let device = member.device();
        let online = member.network.is_up();
        let stats = match &device {
            Some(d) => Some(d.stats().await),
            None => None,
        };
        TerminalStats {
            sn: member.sn.clone(),
            url: member.url.clone(),
            up: device.is_some(),
            online,
            drift: member.clock.seconds(),
            api_version: device.as_ref().map_or(member.api, Device::api).to_string(),
            stats,
        }
    }

    /// Every terminal's figures and their total.
    pub async fn stats(&self) -> FleetStats {
        let mut terminals = Vec::with_capacity(self.inner.len());
        let mut total = FleetTotal::default();
        for member in self.inner.iter() {
            let t = Self::stats_of(member).await;
            total.add(&t);
            terminals.push(t);
        }
        FleetStats { terminals, total }
    }
}
