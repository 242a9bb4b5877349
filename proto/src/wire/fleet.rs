//! The fleet's bodies: its manifest (`fleet.json`: every terminal as a platform needs it to
//! reach it, and the control API's base URL) and `GET /sim/fleet/stats` (each terminal's
//! `/sim/stats` and the fleet's total).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{SimStats, StatsReport};

/// The manifest's file name in the fleet's directory.
pub const MANIFEST_FILE: &str = "fleet.json";

/// `fleet.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub devices: Vec<ManifestDevice>,
    /// Base URL of the control API: `<control>/stats`, `<control>/<sn>/offline`, ….
    pub control: String,
}

/// One terminal of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestDevice {
    pub sn: String,
    pub model: String,
    pub api_version: String,
    /// The device API's base URL, e.g. `https://127.0.1.1:8000`.
    pub url: String,
    /// The certificate the terminal serves (PEM), for clients to pin.
    pub cert: PathBuf,
    pub username: String,
    pub password: String,
}

/// `POST /sim/fleet/{sn}/drift`: the terminal's clock runs `seconds` ahead of the
/// fleet's (negative: behind) from now on; 0 sets it right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetDrift {
    pub seconds: i64,
}

/// `GET /sim/fleet/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetStats {
    pub terminals: Vec<TerminalStats>,
    pub total: FleetTotal,
}

/// One terminal in [`FleetStats`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerminalStats {
    pub sn: String,
    pub url: String,
    /// Serving (not down for a restart, not stopped).
    pub up: bool,
    /// Its network is up (the control API can take it down).
    pub online: bool,
    /// How far its clock runs ahead of the fleet's (negative: behind), in seconds.
    #[serde(default)]
    pub drift: i64,
    /// The API version it speaks (its current boot's; before the first, its manifest's).
    #[serde(default)]
    pub api_version: String,
    /// Its `/sim/stats`, while it is up.
    pub stats: Option<SimStats>,
}

/// The fleet's figures added up over its terminals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetTotal {
    pub terminals: u64,
    pub up: u64,
    pub online: u64,
    /// Records made by this process.
    pub generated: u64,
    /// Records waiting in the terminals' queues.
    pub queued: u64,
    /// Records dropped because a queue was full.
    pub dropped: u64,
    /// Delivery attempts.
    pub sent: u64,
    /// Attempts the receiver acknowledged.
    pub ok: u64,
    /// Attempts by outcome class other than success.
    pub errors: BTreeMap<String, u64>,
    pub doors_opened: u64,
}

impl FleetTotal {
    /// Adds one terminal's figures.
    pub fn add(&mut self, t: &TerminalStats) {
        self.terminals += 1;
        self.up += u64::from(t.up);
        self.online += u64::from(t.online);
        let Some(s) = &t.stats else {
            return;
        };
        self.generated += s.generated;
        self.queued += s.queue.depth;
        self.dropped += s.queue.dropped;
        self.add_pushes(&s.pushes);
        self.doors_opened += s.door.opened;
    }

    fn add_pushes(&mut self, p: &StatsReport) {
        self.sent += p.sent;
        self.ok += p.ok;
        for (class, n) in &p.errors {
            *self.errors.entry(class.clone()).or_default() += n;
        }
    }
}
