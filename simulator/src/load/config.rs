//! What a load run is asked to do: the target, the load model, the shard, the whole
//! configuration, and why a run or a merge could not be done.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use super::error::LoadError;
use super::report::Thresholds;
use crate::clock::Clock;
use crate::schedule::{Arrival, RateProfile};
use crate::tls::Trust;

/// What a run loads: a push receiver (`event_dest`) or a remote-authentication server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    /// Recognition records, judged as push answers by the version's rule.
    #[default]
    Push,
    /// Remote-authentication callback bodies (API 1.1 and later) from every kind of caller
    /// the guide's table sends under `auth_mode` 1 or 3, judged as auth answers.
    Auth,
}

impl Target {
    /// The API version a run of this target speaks unless told otherwise: the first
    /// version for pushes (whose answer decides the door), the newest for callbacks
    /// (which 1.0 does not have), as `facecert auth` defaults.
    pub fn default_api(self) -> crate::profile::ApiVersion {
        match self {
            Target::Push => crate::profile::ApiVersion::V1_0,
            Target::Auth => crate::profile::ApiVersion::V1_3,
        }
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "push" => Ok(Target::Push),
            "auth" => Ok(Target::Auth),
            other => Err(format!("unknown target `{other}`; use push or auth")),
        }
    }
}

/// The load model and its rate.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Events on a schedule, whatever the receiver does.
    Open {
        /// Total rate over all shards; each shard takes its share.
        profile: RateProfile,
        arrival: Arrival,
        /// How the rate was given (`500` or a ramp), for reports.
        spec: String,
    },
    /// Closed loop: as fast as the connections allow.
    Max,
}

/// This process's part of a load spread over several (`--shard I/N`, `I` from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Default for Shard {
    fn default() -> Self {
        Self { index: 0, count: 1 }
    }
}

impl FromStr for Shard {
    type Err = LoadError;

    /// Parses `I/N` with `0 <= I < N`.
    fn from_str(s: &str) -> Result<Self, LoadError> {
        let bad = || {
            LoadError::Usage(format!(
                "--shard wants I/N with 0 <= I < N (as 0/4), got `{s}`"
            ))
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether the load is split at all.
    pub fn is_split(&self) -> bool {
        self.count > 1
    }

    /// The global indices of this shard's devices out of `total`: every `count`th one,
    /// starting at `index`, so that shards get equal shares of any fleet.
    pub fn devices(&self, total: u32) -> Vec<u32> {
        (self.index..total).step_by(self.count as usize).collect()
    }

    /// This shard's share of a total event count.
    pub fn share_of(&self, total: u64) -> u64 {
        let n = u64::from(self.count);
        total / n + u64::from(u64::from(self.index) < total % n)
    }

    /// The fraction of the total rate this shard produces.
    pub fn fraction(&self) -> f64 {
        1.0 / f64::from(self.count)
    }

    /// Where in its first gap this shard's schedule starts: shards of a constant-rate
    /// load interleave evenly instead of firing together.
    pub fn phase(&self) -> f64 {
        f64::from(self.index) / f64::from(self.count)
    }
}

/// A validated load run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The receiver's event URL.
    pub url: url::Url,
    pub mode: Mode,
    /// Stop scheduling after this long (whichever of duration and count comes first).
    pub duration: Option<Duration>,
    /// Stop after this many events in total over all shards.
    pub count: Option<u64>,
    /// Simulated devices in total over all shards.
    pub devices: u32,
    /// People per device.
    pub people: usize,
    /// Connections (and workers) of this process.
    pub connections: usize,
    /// Pre-rendered snapshots.
    pub image_pool: usize,
    pub shard: Shard,
    pub trust: Trust,
    pub seed: u64,
    /// Time allowed for one exchange (connect, send, answer).
    pub timeout: Duration,
    pub thresholds: Thresholds,
    /// Serve the run's live figures at `GET /metrics` on this address while it runs.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// Show live progress on stderr.
    pub progress: bool,
    /// Write the body of the first event here before the run (to replay it elsewhere).
    pub save_body: Option<PathBuf>,
    /// The API version whose records are sent and whose rule judges the answers.
    pub api: crate::profile::ApiVersion,
    /// What is loaded: the push receiver or an auth server.
    pub target: Target,
    /// The wall clock that stamps the events (`timestamp`); time between sends runs on
    /// tokio's clock.
    pub clock: Arc<dyn Clock>,
}

impl LoadConfig {
    /// A configuration with the defaults of the command line: 10 s, 10 devices,
    /// 32 connections, 16 pooled snapshots, a 3 s timeout, no thresholds, no progress.
    pub fn new(url: url::Url, mode: Mode) -> Self {
        Self {
            url,
            mode,
            duration: Some(Duration::from_secs(10)),
            count: None,
            devices: 10,
            people: super::pool::default_people(10),
            connections: 32,
            image_pool: 16,
            shard: Shard::default(),
            trust: Trust::System,
            seed: 1,
            timeout: crate::profile::ANSWER_TIMEOUT,
            thresholds: Thresholds::default(),
            progress: false,
            metrics_listen: None,
            save_body: None,
            api: crate::profile::ApiVersion::default(),
            target: Target::Push,
            clock: crate::clock::system(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_devices_and_counts_without_overlap() {
        let shards: Vec<Shard> = (0..3).map(|i| format!("{i}/3").parse().unwrap()).collect();
        let mut all: Vec<u32> = shards.iter().flat_map(|s| s.devices(10)).collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(shards.iter().map(|s| s.share_of(10)).sum::<u64>(), 10);
        assert_eq!(shards[0].share_of(10), 4);
        assert!((shards[2].phase() - 2.0 / 3.0).abs() < 1e-12);
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(Shard::default().to_string(), "0/1");
    }
}
