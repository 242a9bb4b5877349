//! The fleet's manifest, `<state>/fleet.json`: every terminal as a platform needs it to
//! reach it (serial number, model, API version, base URL, the certificate to pin, the
//! web account) and the control API's base URL; a shard's is `fleet-I-of-N.json`. Written once, atomically, when every
//! terminal listens, so a platform that sees the file can use every address in it.

use std::path::{Path, PathBuf};

use super::config::FleetError;
use crate::load::Shard;

use crate::wire::{MANIFEST_FILE, Manifest};

/// The manifest's file name: `fleet.json`, or for shard `I` of `N` `fleet-I-of-N.json`,
/// so that shards sharing a directory keep a manifest each.
pub fn file_name(shard: Shard) -> String {
    if shard.is_split() {
        format!("fleet-{}-of-{}.json", shard.index, shard.count)
    } else {
        MANIFEST_FILE.to_string()
    }
}

/// Writes shard `shard`'s `manifest` into `dir` atomically.
///
/// # Errors
/// [`FleetError::Io`] when it cannot be written.
pub fn write(manifest: &Manifest, dir: &Path, shard: Shard) -> Result<PathBuf, FleetError> {
    let path = dir.join(file_name(shard));
    let mut bytes = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    bytes.push(b'\n');
    crate::store::write_atomic(&path, &bytes)?;
    Ok(path)
}

/// Reads the manifest at `path` back.
///
/// # Errors
/// [`FleetError::Io`] when it cannot be read or is not a manifest.
pub fn read(path: &Path) -> Result<Manifest, FleetError> {
    let io = |source| FleetError::Io {
        what: format!("cannot read {}", path.display()),
        source,
    };
    let bytes = std::fs::read(path).map_err(io)?;
    serde_json::from_slice(&bytes).map_err(|e| io(std::io::Error::other(e)))
}
