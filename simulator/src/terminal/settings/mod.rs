//! The device's settings (`/v1/device/recognize`, `/access`, `/system`, `/time`,
//! `/custom`): validated by the field tables of `wire::settings`, merged over what is
//! stored (a POST keeps the fields it leaves out), persisted atomically in
//! `settings.json`, and answered in full (factory values where nothing was set). What
//! recognition obeys is read back as [`Effects`](crate::library::recognise::Effects).

pub mod routes;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::library::recognise::{Effects, Recognition};
use crate::profile::Profile;
use crate::store::{StoreError, write_atomic};
use crate::wire::recognize_field as rf;
use crate::wire::settings::{self as spec, Field};

pub(crate) const SETTINGS_FILE: &str = "settings.json";

/// One settings route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Recognize,
    Access,
    System,
    Time,
    Custom,
}

impl Section {
    /// Every section.
    pub const ALL: [Section; 5] = [
        Section::Recognize,
        Section::Access,
        Section::System,
        Section::Time,
        Section::Custom,
    ];

    /// The route's last path segment, also its key in `settings.json`.
    pub fn name(self) -> &'static str {
        match self {
            Section::Recognize => "recognize",
            Section::Access => "access",
            Section::System => "system",
            Section::Time => "time",
            Section::Custom => "custom",
        }
    }

    fn fields(self, profile: &Profile) -> &'static [Field] {
        match self {
            Section::Recognize => spec::RECOGNIZE,
            Section::Access => spec::ACCESS,
            Section::System => spec::SYSTEM,
            Section::Time => spec::TIME,
            Section::Custom if profile.custom_logo_int => spec::CUSTOM_INT_LOGO,
            Section::Custom => spec::CUSTOM_BOOL_LOGO,
        }
    }
}

/// Why a setting was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The settings of one device.
#[derive(Debug)]
pub struct Settings {
    path: PathBuf,
    profile: &'static Profile,
    /// Section name → the fields set through the API (factory values are not stored).
    stored: Mutex<Map<String, Value>>,
}

impl Settings {
    /// Loads `settings.json` from `state_dir` (none yet: factory settings).
    ///
    /// # Errors
    /// [`StoreError`] when the file is unreadable or corrupt.
    pub fn open(state_dir: &Path, profile: &'static Profile) -> Result<Self, StoreError> {
        let path = state_dir.join(SETTINGS_FILE);
        let stored = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(map)) => map,
                _ => {
                    return Err(StoreError::Corrupt {
                        path,
                        reason: "not a JSON object of sections".into(),
                    });
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        Ok(Self {
            path,
            profile,
            stored: Mutex::new(stored),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Map<String, Value>> {
        self.stored
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What is stored for `section` over its factory values.
    fn current(&self, stored: &Map<String, Value>, section: Section) -> Map<String, Value> {
        let mut map = spec::defaults(section.fields(self.profile));
        if let Some(Value::Object(set)) = stored.get(section.name()) {
            for (k, v) in set {
                match (map.get_mut(k), v) {
                    (Some(Value::Object(old)), Value::Object(new)) => old.extend(new.clone()),
                    _ => {
                        map.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        spec::rewiden(section.fields(self.profile), &mut map);
        map
    }

    /// `GET` of a section at Unix second `now` (`local_time` follows the clock unless
    /// `manual_mode` is on).
    pub fn get(&self, section: Section, now: i64) -> Map<String, Value> {
        let mut map = self.current(&self.lock(), section);
        if section == Section::Time && map.get(rf::MANUAL_MODE) != Some(&Value::Bool(true)) {
            map.insert(rf::LOCAL_TIME.into(), Value::from(now.saturating_mul(1000)));
        }
        map
    }

    /// `POST` of a section: validated, merged, stored.
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] naming the field; nothing changes then.
    pub fn set(&self, section: Section, body: &[u8]) -> Result<(), SettingsError> {
        let mut stored = self.lock();
        let current = self.current(&stored, section);
        let merged = spec::merge(section.fields(self.profile), &current, body)
            .map_err(SettingsError::Invalid)?;
        self.check(section, &merged)?;
        let mut next = stored.clone();
        next.insert(section.name().into(), Value::Object(merged));
        write_atomic(
            &self.path,
            &serde_json::to_vec_pretty(&next).unwrap_or_default(),
        )?;
        *stored = next;
        Ok(())
    }

    /// Rules across fields, and the version's ranges.
    fn check(&self, section: Section, merged: &Map<String, Value>) -> Result<(), SettingsError> {
        let flag = |name: &str| merged.get(name).and_then(Value::as_bool).unwrap_or(false);
        match section {
            Section::Recognize => {
                let without = flag(rf::NO_ACCESS_WITHOUT_MASK);
                let with = flag(rf::NO_ACCESS_WITH_MASK);
                if (without || with) && !flag(rf::MASK_DETECT) {
                    return Err(SettingsError::Invalid(
                        "no_access_without_mask and no_access_with_mask need mask_detect".into(),
                    ));
                }
                if without && with {
                    return Err(SettingsError::Invalid(
                        "no_access_without_mask and no_access_with_mask exclude each other".into(),
                    ));
                }
            }
            Section::Access => {
                let max = self.profile.max_open_door_type;
                if merged
                    .get(rf::OPEN_DOOR_TYPE)
                    .and_then(Value::as_i64)
                    .is_some_and(|t| t > max)
                {
                    return Err(SettingsError::Invalid(format!(
                        "open_door_type must be 0 to {max} under API {}",
                        self.profile.name
                    )));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Rewrites the stored settings of `state_dir` for an upgrade from `from` to `to`
    /// (`/v1/device/upgrade`, or a state directory started under a newer version): a
    /// field the new version lacks is dropped, a bool that became an int keeps its meaning
    /// (`show_custom_logo`: `true` → 1 custom logo, `false` → 0 default logo) and back,
    /// and a value out of the new version's range goes back to the factory value. Answers
    /// what changed, for the log.
    ///
    /// # Errors
    /// [`StoreError`] when the file cannot be read or written.
    pub fn migrate(
        state_dir: &Path,
        from: &'static Profile,
        to: &'static Profile,
    ) -> Result<Vec<String>, StoreError> {
        let old = Self::open(state_dir, from)?;
        let mut stored = old.lock().clone();
        let mut changes = Vec::new();
        for section in Section::ALL {
            let Some(Value::Object(set)) = stored.get_mut(section.name()) else {
                continue;
            };
            let fields = section.fields(to);
            set.retain(|name, value| {
                let Some(field) = fields.iter().find(|f| f.name == name) else {
                    changes.push(format!("{}.{name} dropped", section.name()));
                    return false;
                };
                let converted = match (field.kind, &*value) {
                    (spec::Kind::Int(lo, hi), Value::Bool(b)) => Some(i64::from(*b).clamp(lo, hi)),
                    _ => None,
                };
                if let Some(n) = converted {
                    *value = Value::from(n);
                    changes.push(format!("{}.{name} now {n}", section.name()));
                } else if let (spec::Kind::Bool, Some(n)) = (field.kind, value.as_i64()) {
                    *value = Value::Bool(n == 1);
                    changes.push(format!("{}.{name} now {}", section.name(), n == 1));
                }
                let out_of_range = match field.kind {
                    spec::Kind::Int(lo, hi) => value.as_i64().is_some_and(|n| n < lo || n > hi),
                    _ => false,
                } || (name == rf::OPEN_DOOR_TYPE
                    && value.as_i64().is_some_and(|n| n > to.max_open_door_type));
                if out_of_range {
                    changes.push(format!(
                        "{}.{name} back to its factory value",
                        section.name()
                    ));
                }
                !out_of_range
            });
        }
        if !changes.is_empty() {
            write_atomic(
                &state_dir.join(SETTINGS_FILE),
                &serde_json::to_vec_pretty(&stored).unwrap_or_default(),
            )?;
        }
        Ok(changes)
    }

    /// What recognition obeys now.
    pub fn effects(&self) -> Effects {
        let stored = self.lock();
        let time = self.current(&stored, Section::Time);
        let time_zone = time.get(rf::TIME_ZONE).and_then(Value::as_i64).unwrap_or(8);
        let recognition = stored.contains_key(Section::Recognize.name()).then(|| {
            let r = self.current(&stored, Section::Recognize);
            let b = |name: &str| r.get(name).and_then(Value::as_bool).unwrap_or(false);
            let x = |name: &str| r.get(name).and_then(Value::as_f64).unwrap_or(0.0) as f32;
            Recognition {
                liveness: b(rf::LIVENESS),
                liveness_threshold: x(rf::LIVENESS_THRESHOLD),
                verify_threshold: x(rf::VERIFY_THRESHOLD),
                mask_detect: b(rf::MASK_DETECT),
                no_access_without_mask: b(rf::NO_ACCESS_WITHOUT_MASK),
                no_access_with_mask: b(rf::NO_ACCESS_WITH_MASK),
            }
        });
        Effects {
            recognition,
            time_zone,
        }
    }
}
