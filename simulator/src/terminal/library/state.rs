//! What every part of the library shares: its limits, its error, the user as stored, the
//! state in memory and the library itself, and the file helpers. A leaf: the parts (users,
//! groups, rules, batches) name it and it names none of them.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::profile::Profile;
use crate::store::StoreError;
use crate::wire::{GroupOutput, RuleOutput, UserOutput};

/// Most groups, and most rules, the library holds (since API 1.2.0).
pub const MAX_GROUPS: usize = 256;
/// Most rules.
pub const MAX_RULES: usize = 256;
/// Largest avatar, decoded.
pub const MAX_AVATAR_BYTES: usize = 10 * 1024 * 1024;
/// Largest client-supplied feature, decoded.
pub const MAX_FEATURE_BYTES: usize = 10 * 1024;
/// Most items in one `/v2` batch.
pub const MAX_BATCH_ITEMS: usize = 1000;

pub(super) const USERS_DIR: &str = "users";
pub(super) const AVATARS_DIR: &str = "avatars";
pub(super) const GROUPS_FILE: &str = "groups.json";
pub(super) const RULES_FILE: &str = "rules.json";

/// Why a library operation was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LibraryError {
    /// The request breaks a documented limit or rule (400).
    #[error("{0}")]
    Invalid(String),
    /// No such user, group or rule (404).
    #[error("{0}")]
    NotFound(String),
    /// The state directory failed (500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(super) fn invalid(msg: impl Into<String>) -> LibraryError {
    LibraryError::Invalid(msg.into())
}

/// A user as kept on disk: the answer's fields (ids as strings, `avatar` empty) and the
/// name of the avatar's file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Stored {
    #[serde(flatten)]
    pub(super) user: UserOutput,
    #[serde(default)]
    pub(super) avatar_file: Option<String>,
}

/// What recognition needs of the library at one moment: users in creation order (ids
/// as strings, no avatars), and groups and rules by id.
#[derive(Debug, Default)]
pub struct View {
    pub users: Vec<UserOutput>,
    pub groups: HashMap<String, GroupOutput>,
    pub rules: HashMap<String, RuleOutput>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) users: HashMap<String, Stored>,
    /// (create_at, id): the creation order, which pages follow.
    pub(super) order: BTreeSet<(i64, String)>,
    pub(super) groups: Vec<GroupOutput>,
    pub(super) rules: Vec<RuleOutput>,
    /// The current view, dropped at every change.
    pub(super) view: Option<Arc<View>>,
}

/// The person library of one device.
pub struct Library {
    pub(super) dir: PathBuf,
    pub(super) profile: &'static Profile,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) state: Mutex<State>,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(super) fn corrupt(path: &Path, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Hex of the SHA-256 of `bytes`: file names for ids and avatars.
pub(super) fn digest_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Replaces `path` with `bytes` atomically (without syncing: see [`Library::sync`]).
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    ));
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

pub(super) fn read_json<T: serde::de::DeserializeOwned + Default>(
    path: &Path,
) -> Result<T, StoreError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| corrupt(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(io(path)(e)),
    }
}

/// Largest name of a group or rule, in bytes.
pub const MAX_NAME_BYTES: usize = 128;
/// Largest `offset` of a page.
pub const MAX_OFFSET: u64 = 100_000;
/// Largest `limit` of a page.
pub const MAX_LIMIT: u64 = 100;
