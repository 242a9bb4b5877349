//! The maintenance routes on the wire: the certificate answer, the multipart part names of
//! the certificate and firmware uploads, the system log's entries (`GET /v2/device/logs`)
//! and the state directory's version marker.

use serde::{Deserialize, Serialize};

/// The multipart part holding the certificate (PEM) of `POST /v1/auth/certificate`.
pub const PART_CRT: &str = "crt";
/// The multipart part holding the private key (PEM) of `POST /v1/auth/certificate`.
pub const PART_KEY: &str = "key";
/// The multipart part holding the OTA package of `POST /v1/device/upgrade`.
pub const PART_FIRMWARE: &str = "firmware";

/// `GET /v1/auth/certificate`: the certificate in force, PEM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CertificateAnswer {
    pub crt: String,
}

/// One line of the terminal's system log, as `GET /v2/device/logs` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LogEntry {
    /// When it happened, Unix milliseconds.
    pub time: i64,
    /// `info`, `warn` or `error`.
    pub level: String,
    /// The part of the terminal that wrote it: `system`, `web`, `push`, `upgrade`, …
    pub module: String,
    /// What happened, in one sentence.
    pub msg: String,
}

/// The state directory's marker (`state.json`): the API version its files are laid out
/// for, and the firmware that wrote them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StateMarker {
    pub api_version: String,
    #[serde(default)]
    pub firmware: String,
}
