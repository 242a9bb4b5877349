//! The person library the terminal recognises: users (with their photo and feature),
//! groups (at most 256) and access rules (at most 256), persisted in the state directory
//! and served by the `/v1/user`, `/v1/group`, `/v1/rule`, `/v2/*` and `/v2/datasync`
//! routes (the `routes` child). Recognition reads a [`View`] of it (the `recognise` child).
//!
//! On disk (`library/` in the state directory): one JSON file per user under `users/`
//! (named by the SHA-256 of the id, since ids may be any 128 bytes), the avatar's base64
//! text in a file of its own under `avatars/` (read only when a route answers it, so
//! start-up reads the small files only), `groups.json` and `rules.json`. Every file is
//! replaced atomically (a temporary sibling renamed over it), the avatar before the user
//! file that names it, so `kill -9` leaves either the old or the new user; avatars no user
//! names are removed at the next start. Files are not synced one by one (at ~7 ms a
//! sync, 10,000 users would take minutes): the routes call [`Library::sync`] (one
//! `syncfs`) before they answer, so what was acknowledged also survives a power cut.

mod batch;
pub(crate) mod faces;
mod groups;
pub(crate) mod ids;
pub(crate) mod recognise;
pub(crate) mod routes;
mod rules;
mod state;
mod users;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::profile::Profile;
use crate::store::StoreError;
use crate::wire::{GroupOutput, RuleOutput};

pub use rules::{Admission, evaluate};
pub(crate) use users::derive_feature;

use state::{
    AVATARS_DIR, GROUPS_FILE, RULES_FILE, State, Stored, USERS_DIR, corrupt, digest_hex, io,
    read_json, write_file,
};
pub use state::{
    Library, LibraryError, MAX_AVATAR_BYTES, MAX_BATCH_ITEMS, MAX_FEATURE_BYTES, MAX_GROUPS,
    MAX_RULES, View,
};

impl Library {
    /// Opens (creating if needed) the library under `state_dir/library` for API
    /// `profile`, timestamps from `clock`.
    ///
    /// # Errors
    /// [`StoreError`] when a directory cannot be made or a file is unreadable or corrupt.
    pub fn open(
        state_dir: &Path,
        profile: &'static Profile,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let dir = state_dir.join("library");
        for sub in [USERS_DIR, AVATARS_DIR] {
            let path = dir.join(sub);
            std::fs::create_dir_all(&path).map_err(io(&path))?;
        }
        let mut state = State {
            groups: read_json(&dir.join(GROUPS_FILE))?,
            rules: read_json(&dir.join(RULES_FILE))?,
            ..State::default()
        };
        let users_dir = dir.join(USERS_DIR);
        for entry in std::fs::read_dir(&users_dir).map_err(io(&users_dir))? {
            let entry = entry.map_err(io(&users_dir))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            // Temporary files of an interrupted write are not users.
            if name.starts_with('.') || !name.ends_with(".json") {
                continue;
            }
            let path = entry.path();
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            let stored: Stored = serde_json::from_slice(&bytes).map_err(|e| corrupt(&path, e))?;
            let id = ids::text(&stored.user.user_id);
            state.order.insert((stored.user.create_at, id.clone()));
            state.users.insert(id, stored);
        }
        let referenced: BTreeSet<&str> = state
            .users
            .values()
            .filter_map(|s| s.avatar_file.as_deref())
            .collect();
        let avatars_dir = dir.join(AVATARS_DIR);
        for entry in std::fs::read_dir(&avatars_dir).map_err(io(&avatars_dir))? {
            let entry = entry.map_err(io(&avatars_dir))?;
            let name = entry.file_name();
            if !name.to_str().is_some_and(|n| referenced.contains(n)) {
                // An avatar written just before a crash, or replaced: nobody names it.
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(Self {
            dir,
            profile,
            clock,
            state: Mutex::new(state),
        })
    }

    /// Makes every change so far durable: one `syncfs` of the file system holding the
    /// library (Linux), or a sync of its directories elsewhere.
    ///
    /// # Errors
    /// [`StoreError::Io`] when the file system cannot be synced.
    pub fn sync(&self) -> Result<(), StoreError> {
        let dir = std::fs::File::open(&self.dir).map_err(io(&self.dir))?;
        #[cfg(target_os = "linux")]
        {
            rustix::fs::syncfs(&dir).map_err(|e| io(&self.dir)(e.into()))
        }
        #[cfg(not(target_os = "linux"))]
        {
            for sub in [USERS_DIR, AVATARS_DIR] {
                let path = self.dir.join(sub);
                let d = std::fs::File::open(&path).map_err(io(&path))?;
                let _ = d.sync_all();
            }
            dir.sync_all().map_err(io(&self.dir))
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every change is validated before anything is written, and written before the
        // memory is changed, so a panic cannot leave the state half-changed.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn now_ms(&self) -> i64 {
        self.clock.unix_now().saturating_mul(1000)
    }

    /// How many users are enrolled.
    pub fn user_count(&self) -> usize {
        self.lock().users.len()
    }

    /// The library as recognition sees it now (shared until the next change).
    pub fn view(&self) -> Arc<View> {
        let mut state = self.lock();
        if let Some(view) = &state.view {
            return view.clone();
        }
        let view = Arc::new(View {
            users: state
                .order
                .iter()
                .filter_map(|(_, id)| state.users.get(id))
                .map(|s| s.user.clone())
                .collect(),
            groups: state
                .groups
                .iter()
                .map(|g| (ids::text(&g.group_id), g.clone()))
                .collect(),
            rules: state
                .rules
                .iter()
                .map(|r| (ids::text(&r.rule_id), r.clone()))
                .collect(),
        });
        state.view = Some(view.clone());
        view
    }

    fn user_path(&self, id: &str) -> PathBuf {
        self.dir
            .join(USERS_DIR)
            .join(format!("{}.json", digest_hex(id.as_bytes())))
    }

    fn avatar_path(&self, file: &str) -> PathBuf {
        self.dir.join(AVATARS_DIR).join(file)
    }

    fn save_groups(&self, groups: &[GroupOutput]) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(groups).unwrap_or_default();
        write_file(&self.dir.join(GROUPS_FILE), &bytes)
    }

    fn save_rules(&self, rules: &[RuleOutput]) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(rules).unwrap_or_default();
        write_file(&self.dir.join(RULES_FILE), &bytes)
    }

    /// `GET /v2/datasync/info`.
    pub fn sync_info(&self) -> crate::wire::SyncInfo {
        let state = self.lock();
        let p = self.profile;
        crate::wire::SyncInfo {
            users: state
                .order
                .iter()
                .filter_map(|(_, id)| state.users.get(id))
                .map(|s| crate::wire::SyncUser {
                    id: ids::render(&ids::text(&s.user.user_id), p),
                    update_at: s.user.update_at,
                    groups: s
                        .user
                        .groups
                        .iter()
                        .map(|g| ids::render(&ids::text(g), p))
                        .collect(),
                })
                .collect(),
            groups: state
                .groups
                .iter()
                .map(|g| crate::wire::SyncItem {
                    id: ids::render(&ids::text(&g.group_id), p),
                    update_at: g.update_at,
                })
                .collect(),
            rules: state
                .rules
                .iter()
                .map(|r| crate::wire::SyncItem {
                    id: ids::render(&ids::text(&r.rule_id), p),
                    update_at: r.update_at,
                })
                .collect(),
        }
    }

    /// `GET /v2/datasync/clear`: every user, group and rule deleted.
    ///
    /// # Errors
    /// [`StoreError`] when a file cannot be removed or written.
    pub fn clear(&self) -> Result<(), StoreError> {
        let mut state = self.lock();
        self.save_groups(&[])?;
        self.save_rules(&[])?;
        state.groups.clear();
        state.rules.clear();
        let ids: Vec<String> = state.users.keys().cloned().collect();
        for id in ids {
            self.remove_user_files(&mut state, &id)?;
        }
        state.view = None;
        Ok(())
    }

    fn remove_user_files(&self, state: &mut State, id: &str) -> Result<(), StoreError> {
        let Some(stored) = state.users.get(id) else {
            return Ok(());
        };
        let path = self.user_path(id);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&path)(e)),
        }
        if let Some(file) = &stored.avatar_file {
            let _ = std::fs::remove_file(self.avatar_path(file));
        }
        let create_at = stored.user.create_at;
        state.order.remove(&(create_at, id.to_string()));
        state.users.remove(id);
        Ok(())
    }
}
