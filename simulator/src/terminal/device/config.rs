//! What a device is given and what it reports: its configuration, its errors and one
//! delivery attempt as its screen and logs see it. A leaf: every job of the device names
//! these, and they name none of the jobs.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::retry::Backoff;
use crate::clock::Clock;
use crate::push::PushOptions;
use crate::schedule::Arrival;
use crate::store::StoreError;
use crate::synth::SynthConfig;
use crate::wire::{Answer, Outcome};

/// The web login account the identity headers name: the terminal's factory account.
pub const DEFAULT_ACCOUNT: &str = "admin";

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
