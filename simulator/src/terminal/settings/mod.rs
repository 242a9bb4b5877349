//! The device's settings (`/v1/device/recognize`, `/access`, `/system`, `/time`,
//! `/custom`, `/antiepidemic`): validated by the field tables the profile names
//! (`wire::layouts`), merged over what is stored (a POST keeps the fields it leaves out),
//! persisted atomically in `settings.json`, and answered in full (factory values where
//! nothing was set). What is stored is always read through the version's layout, so
//! settings stored under another version lose the fields this one lacks and gain its
//! factory values ([`Settings::migrate`]). What recognition obeys is read back as
//! [`Effects`](crate::library::recognise::Effects).

pub(crate) mod act;
pub mod doc;
pub(crate) mod routes;

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
    /// From 1.1, on the S8 only.
    Antiepidemic,
}

impl Section {
    /// Every section.
    pub const ALL: [Section; 6] = [
        Section::Recognize,
        Section::Access,
        Section::System,
        Section::Time,
        Section::Custom,
        Section::Antiepidemic,
    ];

    /// The route's last path segment, also its key in `settings.json`.
    pub fn name(self) -> &'static str {
        match self {
            Section::Recognize => "recognize",
            Section::Access => "access",
            Section::System => "system",
            Section::Time => "time",
            Section::Custom => "custom",
            Section::Antiepidemic => "antiepidemic",
        }
    }

    /// The section's fields under `profile`, or `None` where the version has no such
    /// route.
    pub fn fields(self, profile: &Profile) -> Option<&'static [Field]> {
        let layout = &profile.settings;
        match self {
            Section::Recognize => Some(layout.recognize),
            Section::Access => Some(layout.access),
            Section::System => Some(layout.system),
            Section::Time => Some(layout.time),
            Section::Custom => Some(layout.custom),
            Section::Antiepidemic => layout.antiepidemic,
        }
    }
}

/// Why a setting was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The body or a field is wrong; the message names it.
    #[error("{0}")]
    Invalid(String),
    /// The version has no such route.
    #[error("/v1/device/{section} does not exist under API {version}")]
    Absent {
        section: &'static str,
        version: &'static str,
    },
    /// The device's model has no such route (`/antiepidemic` is the S8's alone).
    #[error("/v1/device/{section} exists on the S8 alone (serial numbers starting PSC8)")]
    NotOnModel { section: &'static str },
    /// The settings could not be stored.
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
    /// Who was recognised and let through when, for the intervals.
    recent: act::Recent,
    /// The door the access settings drive.
    door: act::Door,
}

impl Settings {
    /// Loads `settings.json` from `state_dir` (none yet: factory settings).
    ///
    /// # Errors
    /// [`StoreError`] when the file is unreadable or corrupt.
    pub fn open(state_dir: &Path, profile: &'static Profile) -> Result<Self, StoreError> {
        Self::load(state_dir, profile)
    }

    fn load(state_dir: &Path, profile: &'static Profile) -> Result<Self, StoreError> {
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
            recent: act::Recent::default(),
            door: act::Door::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Map<String, Value>> {
        self.stored
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What is stored for `section` over its factory values, read through the version's
    /// layout (empty when the version has no such section).
    fn current(&self, stored: &Map<String, Value>, section: Section) -> Map<String, Value> {
        let fields = section.fields(self.profile).unwrap_or_default();
        let mut map = spec::defaults(fields);
        if let Some(Value::Object(set)) = stored.get(section.name()) {
            for (k, v) in spec::conform(fields, set) {
                match (map.get_mut(&k), v) {
                    (Some(Value::Object(old)), Value::Object(new)) => old.extend(new),
                    (_, v) => {
                        map.insert(k, v);
                    }
                }
            }
        }
        spec::rewiden(fields, &mut map);
        map
    }

    fn fields(&self, section: Section) -> Result<&'static [Field], SettingsError> {
        section.fields(self.profile).ok_or(SettingsError::Absent {
            section: section.name(),
            version: self.profile.name,
        })
    }

    /// `GET` of a section at Unix second `now` (`local_time` follows the clock unless
    /// `manual_mode` is on).
    ///
    /// # Errors
    /// [`SettingsError::Absent`] when the version has no such section.
    pub fn get(&self, section: Section, now: i64) -> Result<Map<String, Value>, SettingsError> {
        self.fields(section)?;
        let mut map = self.current(&self.lock(), section);
        if section == Section::Time && map.get(rf::MANUAL_MODE) != Some(&Value::Bool(true)) {
            map.insert(rf::LOCAL_TIME.into(), Value::from(now.saturating_mul(1000)));
        }
        Ok(map)
    }

    /// `POST` of a section: validated, merged, stored.
    ///
    /// # Errors
    /// [`SettingsError::Absent`] when the version has no such section,
    /// [`SettingsError::Invalid`] naming the field; nothing changes then.
    pub fn set(&self, section: Section, body: &[u8]) -> Result<(), SettingsError> {
        let fields = self.fields(section)?;
        let mut stored = self.lock();
        let current = self.current(&stored, section);
        let merged = spec::merge(fields, &current, body).map_err(SettingsError::Invalid)?;
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

    /// Rules across fields.
    fn check(&self, section: Section, merged: &Map<String, Value>) -> Result<(), SettingsError> {
        let flag = |name: &str| merged.get(name).and_then(Value::as_bool).unwrap_or(false);
        if section == Section::Recognize {
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
            let Some(fields) = section.fields(to) else {
                continue;
            };
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
                // The new version's table holds its ranges (open_door_type 0–2 in 1.3).
                let out_of_range = match field.kind {
                    spec::Kind::Int(lo, hi) => value.as_i64().is_some_and(|n| n < lo || n > hi),
                    _ => false,
                };
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

    /// When people were last recognised and let through.
    pub fn recent(&self) -> &act::Recent {
        &self.recent
    }

    /// The door.
    pub fn door(&self) -> &act::Door {
        &self.door
    }

    /// An integer of the access settings (0 when the version has no such field).
    fn access_int(&self, name: &str) -> i64 {
        let access = self.current(&self.lock(), Section::Access);
        access.get(name).and_then(Value::as_i64).unwrap_or(0)
    }

    /// `keep_door_open_duration`: how long a pass opens the door, in seconds.
    pub fn keep_door_open(&self) -> i64 {
        self.access_int(rf::KEEP_DOOR_OPEN_DURATION)
    }

    /// `resign_interval` (1.3): seconds before the same user passes again; 0 = off, and
    /// always 0 before 1.3.
    pub fn resign_interval(&self) -> i64 {
        self.access_int(rf::RESIGN_INTERVAL)
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
                certificate_threshold: x(rf::CERTIFICATE_THRESHOLD),
                open_interval: r
                    .get(rf::OPEN_INTERVAL)
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
            }
        });
        Effects {
            recognition,
            time_zone,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ApiVersion;

    #[test]
    fn settings_stored_under_one_version_migrate_to_another() {
        let dir = tempfile::tempdir().unwrap();
        let v1_2 = ApiVersion::V1_2.profile();
        let old = Settings::open(dir.path(), v1_2).unwrap();
        let access = br#"{"open_door_type": 5, "keep_door_open_duration": 9, "wigan_input": 3,
            "tamper": true, "force_open": false, "network_relay_address": "10.0.0.9",
            "door_sensor_timeout": 4}"#;
        old.set(Section::Access, access).unwrap();
        old.set(
            Section::Custom,
            br#"{"show_custom_logo": true, "welcome_tip": "hi"}"#,
        )
        .unwrap();
        drop(old);
        Settings::migrate(dir.path(), v1_2, ApiVersion::V1_3.profile()).unwrap();
        let new = Settings::open(dir.path(), ApiVersion::V1_3.profile()).unwrap();
        let read = new.get(Section::Access, 0).unwrap();
        // Kept where 1.3 has the field and takes the value.
        assert_eq!(read["keep_door_open_duration"], 9);
        assert_eq!(read["network_relay_address"], "10.0.0.9");
        // 5 is a Wiegand format 1.3 no longer has: its factory value instead.
        assert_eq!(read["open_door_type"], 0);
        assert!(read.get("wigan_input").is_none());
        assert_eq!(read["resign_interval"], 0);
        let custom = new.get(Section::Custom, 0).unwrap();
        // A custom logo shown (true) is the custom logo (1) of 1.3's int.
        assert_eq!(custom["show_custom_logo"], 1);
        assert_eq!(custom["welcome_tip"], "hi");
        // The file itself is rewritten in 1.3's layout.
        let text = std::fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(!text.contains("wigan_input") && !text.contains("open_door_type"));
        // Reading back under 1.2 fills 1.2's defaults for what 1.3 dropped.
        let back = Settings::open(dir.path(), v1_2).unwrap();
        let read = back.get(Section::Access, 0).unwrap();
        assert_eq!(read["wigan_input"], 1);
        assert_eq!(read["keep_door_open_duration"], 9);
    }

    #[test]
    fn a_section_the_version_lacks_is_absent() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings::open(dir.path(), ApiVersion::V1_0.profile()).unwrap();
        assert!(matches!(
            s.get(Section::Antiepidemic, 0),
            Err(SettingsError::Absent { .. })
        ));
        assert!(matches!(
            s.set(Section::Antiepidemic, b"{}"),
            Err(SettingsError::Absent { .. })
        ));
    }
}
