//! The `/sim/` bodies: what a trigger did, what `/sim/stats` says, and the statistics
//! reports load results carry.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Answer, Subscription};
use super::{UserId, VerifyCode};
/// The answer to `POST /sim/trigger`: what was sent and what the receiver said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerReport {
    pub seq: u64,
    /// Outcome class label (`success`, `timeout`, ...).
    pub outcome: String,
    /// One line describing the outcome.
    pub detail: String,
    pub latency_ms: f64,
    /// The receiver's decoded answer, when it gave a well-formed one.
    pub answer: Option<AnswerSummary>,
    /// Whether the record is still queued for a later retry.
    pub queued: bool,
    /// What remote authentication did before the push (under `auth_mode` 1 and 3, or
    /// when a caller was named).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthSummary>,
}

/// A decoded push answer, as reported by the simulator's control API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerSummary {
    pub code: i64,
    pub msg: String,
    /// The answer's door decision (none in an acknowledgement).
    pub pass: Option<bool>,
    pub customtips: Option<String>,
}

impl From<&Answer> for AnswerSummary {
    fn from(a: &Answer) -> Self {
        Self {
            code: a.code,
            msg: a.message.clone(),
            pass: a.pass,
            customtips: a.customtips.clone(),
        }
    }
}

/// The body of `GET /sim/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimStats {
    pub sn: String,
    pub subscription: Subscription,
    /// Number of the last record made (counts across restarts).
    pub last_seq: u64,
    /// Records made by this process.
    pub generated: u64,
    pub queue: QueueStats,
    /// Every delivery attempt, by outcome class, with latencies.
    pub pushes: StatsReport,
    /// Attempts repeated after an outcome in which the receiver may have taken the record
    /// (timeouts, broken connections, bad answers): the possible duplicates.
    pub redeliveries: u64,
    pub door: DoorStats,
    /// Remote authentication: callbacks, decisions, heartbeats, fallbacks.
    #[serde(default)]
    pub callbacks: CallbackStats,
}

/// Offline cache figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueStats {
    pub depth: u64,
    pub cap: u64,
    /// Records dropped because the cache was full (oldest first).
    pub dropped: u64,
}

/// What the door and screen did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoorStats {
    pub opened: u64,
    pub kept_shut: u64,
    /// The text on the screen after the last answer.
    pub last_screen: Option<String>,
    /// Remote openings (`POST /v1/device/door`).
    #[serde(default)]
    pub remote: u64,
    /// A remote hold in force: `"open"` or `"closed"`.
    #[serde(default)]
    pub held: Option<String>,
    /// The door now: `"open"` (held open, or within `keep_door_open_duration` of a pass)
    /// or `"closed"`.
    #[serde(default)]
    pub state: String,
    /// While a pass holds it open: until when, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_until: Option<i64>,
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

/// The serialisable form of [`Stats`]: readable figures plus the histogram as
/// `[microseconds, count]` pairs, from which [`Stats`] is rebuilt exactly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsReport {
    pub sent: u64,
    pub ok: u64,
    pub passed: u64,
    pub denied: u64,
    /// Count per outcome class other than success.
    pub errors: BTreeMap<String, u64>,
    pub latency_ms: Percentiles,
    pub histogram_us: Vec<(u64, u64)>,
}

// ---------------------------------------------------------------------------------------
// What `/sim/trigger` and `/sim/stats` say of remote authentication.
// ---------------------------------------------------------------------------------------

/// What remote authentication did for one triggered record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthSummary {
    /// The caller's name (`library-face`, `stranger-qr`, …).
    pub caller: String,
    /// The `auth_mode` in force.
    pub auth_mode: u8,
    /// Whether the callback was sent (the guide's table says for whom).
    pub called: bool,
    /// The callback's outcome class, when it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// One line describing the callback's outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// The final door decision, which the pushed record carries.
    pub pass: bool,
    /// The text on the screen.
    pub screen: String,
    /// The person the server named (mode 3), as the record then names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_code: Option<VerifyCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_score: Option<f64>,
}

/// The `callbacks` section of `/sim/stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallbackStats {
    /// The `auth_mode` in force (0 after a fallback).
    pub auth_mode: u8,
    /// Every callback sent, by outcome class (the push's classes), with latencies.
    pub calls: StatsReport,
    /// Doors opened and kept shut after a callback.
    pub opened: u64,
    pub refused: u64,
    pub heartbeats_ok: u64,
    pub heartbeats_failed: u64,
    /// Times the terminal fell back to `auth_mode` 0.
    pub fallbacks: u64,
    /// The text on the screen after the last callback.
    pub last_screen: Option<String>,
}
