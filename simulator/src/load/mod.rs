//! `facesim load`: load-testing a receiver with realistic recognition events from many
//! simulated devices, and `facesim merge`: combining the results of several shards.
//!
//! How a run works (see each module for the details):
//!
//! - [`source`] decides when events are due. **Open model** (the default): arrivals
//!   follow the [`Schedule`](crate::schedule::Schedule) (constant or Poisson, fixed rate or
//!   ramp) whatever the receiver does. Each of `--connections` workers owns one keep-alive
//!   connection and sends the oldest due arrival whenever it is free; when all are busy,
//!   arrivals queue with their scheduled time, and **latency is measured from the
//!   scheduled time**, so a stalled receiver shows in the percentiles instead of silently
//!   slowing the load (no coordinated omission). The time from the actual send is
//!   reported too, as service time. When the schedule ends, queued arrivals may still be
//!   sent until the last due time plus `--timeout`; the rest count as timeouts, unsent.
//!   **Closed model** (`--max`): every connection sends its next event as soon as the
//!   previous answer is in; latency is then the service time.
//! - [`pool`] builds the bodies: per-device generators with their own serial numbers and
//!   people, and a pool of pre-rendered snapshots whose trace comment is patched per
//!   event, so synthesis never limits the rate.
//! - each worker sends them on its `net::Connection` (plain or rustls): one vectored
//!   write per event of the small per-event front, the shared snapshot's base64 (never
//!   copied in memory) and the small per-event back.
//! - [`aggregate`] owns the histograms; [`report`] turns its totals into a [`LoadResult`]
//!   (JSON, console summary, thresholds), [`html`] into a self-contained page, and
//!   [`merge`] adds results of shards exactly, histogram bucket by histogram bucket.
//! - [`judge`] is the one classifier behind a memo of the last answer.
//! - [`drive`] is the one send loop: workers take [`Job`]s from a [`Source`] and hand
//!   them to a [`Sender`]. `facesim load` is it with the pool and a keep-alive
//!   connection per worker; `facesim push` with a device's pusher per worker; facecert's
//!   load phase with its exact-bytes terminals.
//! - The binary's `app::load_cli` holds the command-line arguments and turns them into a
//!   [`LoadConfig`].

pub(crate) mod aggregate;
mod drive;
mod engine;
pub mod html;
mod judge;
pub(crate) mod merge;
pub mod pool;
mod progress;
pub(crate) mod report;
mod source;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

pub use drive::{Ended, Sender, drive};
pub use engine::run_load;
pub use merge::run_merge;
pub use report::{LoadResult, Thresholds};
pub use source::{Job, Source};

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
    /// Show live progress on stderr.
    pub progress: bool,
    /// Write the body of the first event here before the run (to replay it elsewhere).
    pub save_body: Option<PathBuf>,
    /// The API version whose records are sent and whose rule judges the answers.
    pub api: crate::profile::ApiVersion,
    /// What is loaded: the push receiver or an auth server.
    pub target: Target,
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
            people: pool::default_people(10),
            connections: 32,
            image_pool: 16,
            shard: Shard::default(),
            trust: Trust::System,
            seed: 1,
            timeout: crate::profile::ANSWER_TIMEOUT,
            thresholds: Thresholds::default(),
            progress: false,
            save_body: None,
            api: crate::profile::ApiVersion::default(),
            target: Target::Push,
        }
    }
}

/// Why a load run or merge could not be done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// An argument, or a combination of them, cannot be used.
    #[error("{0}")]
    Usage(String),
    /// The receiver's host name has no address.
    #[error("cannot resolve {0}")]
    Resolve(String),
    /// An input file (a result to merge, a CA certificate) cannot be read or parsed.
    #[error("{path}: {reason}")]
    Input { path: PathBuf, reason: String },
    /// A result file cannot be written.
    #[error("cannot write {path}: {reason}")]
    Output { path: PathBuf, reason: String },
    /// A task of the run failed unexpectedly.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<crate::net::EndpointError> for LoadError {
    fn from(e: crate::net::EndpointError) -> Self {
        use crate::net::EndpointError;
        match e {
            EndpointError::Url(e) => LoadError::Usage(format!("--to {e}")),
            EndpointError::Resolve(host) => LoadError::Resolve(host),
            EndpointError::Tls(e) => LoadError::Usage(e),
        }
    }
}

impl LoadError {
    /// The process exit code: 2 for bad usage (arguments, inputs, an unknown host), 1 for
    /// failures while running.
    pub fn exit_code(&self) -> u8 {
        match self {
            LoadError::Usage(_) | LoadError::Resolve(_) | LoadError::Input { .. } => 2,
            LoadError::Output { .. } | LoadError::Internal(_) => 1,
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
