//! The fleet's manifest, `<state>/fleet.json`: every terminal as a platform needs it to
//! reach it (serial number, model, API version, base URL, the certificate to pin, the
//! web account) and the control API's base URL. Written once, atomically, when every
//! terminal listens, so a platform that sees the file can use every address in it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::config::FleetError;

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

impl Manifest {
    /// Writes the manifest to `dir/fleet.json` atomically.
    ///
    /// # Errors
    /// [`FleetError::Io`] when it cannot be written.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, FleetError> {
        let path = dir.join(MANIFEST_FILE);
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        crate::store::write_atomic(&path, &bytes)?;
        Ok(path)
    }

    /// Reads a manifest back.
    ///
    /// # Errors
    /// [`FleetError::Io`] when it cannot be read or is not a manifest.
    pub fn read(path: &Path) -> Result<Self, FleetError> {
        let io = |source| FleetError::Io {
            what: format!("cannot read {}", path.display()),
            source,
        };
        let bytes = std::fs::read(path).map_err(io)?;
        serde_json::from_slice(&bytes).map_err(|e| io(std::io::Error::other(e)))
    }
}
