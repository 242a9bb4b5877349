//! The state directory's API version and the migration between versions. The directory
//! remembers the version its files are laid out for (`state.json`); a directory started
//! under a newer version (after `POST /v1/device/upgrade`, or with a newer
//! `--api-version`) is migrated: settings, library, functions and queued records are
//! rewritten in the new version's layout. There is no downgrade path: a directory started
//! under an older version than it holds is refused.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::profile::{ApiVersion, Profile, UserIds};
use crate::store::{Store, StoreError, write_atomic};
use crate::synth::Generator;
use crate::wire::{
    self, DeviceFunctions, Event, RecognitionType, RecognizeStatus, StateMarker, UserId,
};

/// The marker's file in the state directory.
pub const MARKER_FILE: &str = "state.json";

/// Why a state directory cannot be started under a version.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// The directory holds a newer version's data than the one asked for.
    #[error(
        "state directory {dir} holds API {stored} data and cannot be started as API {wanted} (there is no downgrade); use --api-version {stored} or another --state"
    )]
    Downgrade {
        dir: PathBuf,
        stored: ApiVersion,
        wanted: ApiVersion,
    },
    /// A state file could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The version the directory's files are laid out for; `None` for a new directory (or
/// one from before versions were recorded).
///
/// # Errors
/// [`StoreError`] when the marker exists but is unreadable or names no version.
pub fn stored_version(dir: &Path) -> Result<Option<ApiVersion>, StoreError> {
    let path = dir.join(MARKER_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StoreError::Io { path, source }),
    };
    let corrupt = |reason: String| StoreError::Corrupt {
        path: path.clone(),
        reason,
    };
    let marker: StateMarker = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    marker
        .api_version
        .parse()
        .map(Some)
        .map_err(|e: crate::profile::UnknownVersion| corrupt(e.to_string()))
}

/// Records that the directory is laid out for `api`, written by `firmware`.
///
/// # Errors
/// [`StoreError::Io`].
pub fn write_marker(dir: &Path, api: ApiVersion, firmware: &str) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let marker = StateMarker {
        api_version: api.as_str().into(),
        firmware: firmware.into(),
    };
    write_atomic(
        &dir.join(MARKER_FILE),
        &serde_json::to_vec_pretty(&marker).unwrap_or_default(),
    )
}

/// Makes the directory ready for `wanted`: a new directory is stamped with it, an older
/// one migrated (what changed is returned, one line each, for the logs), a newer one
/// refused. `generator` is the device's under `wanted` (for what new fields of queued
/// records derive from).
///
/// # Errors
/// [`MigrateError::Downgrade`]; [`MigrateError::Store`] when a file fails.
pub fn settle(
    dir: &Path,
    wanted: ApiVersion,
    firmware: &str,
    generator: &Generator,
    queue_cap: usize,
) -> Result<Vec<String>, MigrateError> {
    let changes = match stored_version(dir)? {
        None => Vec::new(),
        Some(stored) if stored == wanted => return Ok(Vec::new()),
        Some(stored) if stored > wanted => {
            return Err(MigrateError::Downgrade {
                dir: dir.to_path_buf(),
                stored,
                wanted,
            });
        }
        Some(stored) => migrate(
            dir,
            stored.profile(),
            wanted.profile(),
            generator,
            queue_cap,
        )?,
    };
    write_marker(dir, wanted, firmware)?;
    Ok(changes)
}

/// Rewrites the directory from `from`'s layout to `to`'s.
fn migrate(
    dir: &Path,
    from: &'static Profile,
    to: &'static Profile,
    generator: &Generator,
    queue_cap: usize,
) -> Result<Vec<String>, MigrateError> {
    let mut changes = vec![format!("API {} → {}", from.name, to.name)];
    changes.extend(crate::settings::Settings::migrate(dir, from, to)?);
    changes.extend(migrate_users(dir, from, to)?);
    changes.extend(migrate_functions(dir, to)?);
    let mut store = Store::open(dir, queue_cap)?;
    let mut records = 0;
    for seq in store.queued() {
        let body = store.body(seq)?;
        let Ok(mut event) = serde_json::from_slice::<Event>(&body) else {
            continue;
        };
        migrate_event(&mut event, seq, from, to, generator);
        store.rewrite(seq, &serde_json::to_vec(&event).unwrap_or(body))?;
        records += 1;
    }
    if records > 0 {
        changes.push(format!("{records} queued records rewritten"));
    }
    Ok(changes)
}

/// Library users keep their ids (stored as strings under every version); their `type`
/// follows the new version's numbering (a blacklisted person is 3 before 1.3, 5 in 1.3).
fn migrate_users(dir: &Path, from: &Profile, to: &Profile) -> Result<Vec<String>, StoreError> {
    let users = dir.join("library").join("users");
    let Ok(entries) = std::fs::read_dir(&users) else {
        return Ok(Vec::new());
    };
    let mut retyped = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Ok(Value::Object(mut user)) = serde_json::from_slice::<Value>(&bytes) else {
            continue;
        };
        let Some(old) = user.get(wire::field::TYPE).and_then(Value::as_i64) else {
            continue;
        };
        let new = from
            .person_kind(old)
            .and_then(|kind| to.user_type(kind))
            .unwrap_or(old);
        if new != old {
            user.insert(wire::field::TYPE.into(), Value::from(new));
            write_atomic(&path, &serde_json::to_vec(&user).unwrap_or_default())?;
            retyped += 1;
        }
    }
    Ok((retyped > 0)
        .then(|| format!("{retyped} library users given the new version's type"))
        .into_iter()
        .collect())
}

/// `/v1/device/functions`: fields the new version adds take their factory values.
fn migrate_functions(dir: &Path, to: &Profile) -> Result<Vec<String>, StoreError> {
    let path = dir.join(crate::remote::FUNCTIONS_FILE);
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(Vec::new());
    };
    let Ok(mut functions) = serde_json::from_slice::<DeviceFunctions>(&bytes) else {
        return Ok(Vec::new());
    };
    let factory = DeviceFunctions::defaults(&to.functions_rules());
    let mut added = false;
    if functions.remote_authentication_address.is_none() {
        functions.remote_authentication_address = factory.remote_authentication_address;
        added |= functions.remote_authentication_address.is_some();
    }
    if functions.remote_auth_timeout_to_local_auth.is_none() {
        functions.remote_auth_timeout_to_local_auth = factory.remote_auth_timeout_to_local_auth;
        added |= functions.remote_auth_timeout_to_local_auth.is_some();
    }
    if !added {
        return Ok(Vec::new());
    }
    write_atomic(
        &path,
        &serde_json::to_vec_pretty(&functions).unwrap_or_default(),
    )?;
    Ok(vec!["functions given the new version's fields".into()])
}

/// A queued record in the new version's layout: the fields the new version has and the
/// old one lacked are derived from what the record says (who was seen, how) or drawn
/// from the device's generator as any record of that number would be (`uuid`,
/// `entry_mode`); fields the new version lacks are dropped. Alarms exist only in the
/// newest version and stay as they are.
pub fn migrate_event(
    event: &mut Event,
    seq: u64,
    from: &Profile,
    to: &Profile,
    generator: &Generator,
) {
    let Some(record) = event.as_record_mut() else {
        return;
    };
    let kind = record.user.as_ref().and_then(|u| from.person_kind(u.kind));
    if to.recognition_type && record.recognition_type.is_none() {
        record.recognition_type = Some(match (record.recognize_status, kind) {
            (Some(RecognizeStatus::NonLiveness), _) => RecognitionType::NonLiveness,
            (_, None) => RecognitionType::Stranger,
            (_, Some(crate::profile::PersonKind::Employee)) => RecognitionType::Employee,
            (_, Some(crate::profile::PersonKind::Visitor)) => RecognitionType::Visitor,
            (_, Some(crate::profile::PersonKind::Blacklisted)) => RecognitionType::Blacklisted,
        });
        record.body_temperature = Some(0.0);
    }
    if !to.recognition_type {
        record.recognition_type = None;
        record.body_temperature = None;
    }
    if !to.recognize_status {
        record.recognize_status = None;
        record.liveness_score = None;
    }
    if to.record_ids && record.uuid.is_none() {
        record.uuid = Some(generator.record_uuid(seq));
    }
    if to.entry_details && record.entry_mode.is_none() {
        let draw = generator.draw(seq);
        record.entry_mode = Some(draw.entry_mode);
        record.abnormal_type = Some(if record.pass { 0 } else { draw.abnormal });
    }
    if let Some(user) = record.user.as_mut() {
        if let Some(kind) = kind {
            user.kind = to.user_type(kind).unwrap_or(user.kind);
        }
        if to.user_ids == UserIds::Text {
            if let UserId::Int(n) = user.user_id {
                user.user_id = UserId::Text(n.to_string());
            }
        }
        let fill = |slot: &mut Option<String>, on: bool| {
            if on && slot.is_none() {
                *slot = Some(String::new());
            }
        };
        fill(&mut user.ic_number, to.card_numbers);
        fill(&mut user.job_number, to.card_numbers);
        fill(&mut user.id_number, to.record_ids);
        fill(&mut user.remark, to.record_ids);
        fill(&mut user.pin, to.entry_details);
        if to.record_ids {
            user.guest_time_start.get_or_insert(0);
            user.guest_time_end.get_or_insert(0);
            user.groups.get_or_insert_with(Vec::new);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generator(api: ApiVersion) -> Generator {
        let cfg = crate::synth::SynthConfig {
            api,
            width: 64,
            height: 64,
            ..crate::synth::SynthConfig::default()
        };
        Generator::new(&cfg, "PS71HD01MC22C00014")
    }

    #[test]
    fn every_generated_record_migrates_to_exactly_the_newer_versions_fields() {
        for (i, from) in ApiVersion::ALL.iter().enumerate() {
            for to in &ApiVersion::ALL[i..] {
                let (old, new) = (generator(*from), generator(*to));
                for seq in 1..40 {
                    let draw = old.draw(seq);
                    let mut event = old.event(&draw, String::new(), 1_700_000_000);
                    migrate_event(&mut event, seq, from.profile(), to.profile(), &new);
                    let fields: std::collections::BTreeSet<String> =
                        match serde_json::to_value(&event).unwrap()["data"].clone() {
                            Value::Object(map) => map.keys().cloned().collect(),
                            _ => unreachable!(),
                        };
                    let want = new
                        .event(&new.draw(seq), String::new(), 1_700_000_000)
                        .as_record()
                        .map(|r| serde_json::to_value(r).unwrap())
                        .unwrap();
                    let mut want: std::collections::BTreeSet<String> =
                        want.as_object().unwrap().keys().cloned().collect();
                    // Whether a user is present is the old record's fact.
                    let has_user = event.as_record().unwrap().user.is_some();
                    if has_user {
                        want.insert("user".into());
                    } else {
                        want.remove("user");
                    }
                    assert_eq!(fields, want, "{from} → {to}, record {seq}");
                    if let Some(user) = &event.as_record().unwrap().user {
                        let user_fields: std::collections::BTreeSet<String> =
                            serde_json::to_value(user)
                                .unwrap()
                                .as_object()
                                .unwrap()
                                .keys()
                                .cloned()
                                .collect();
                        let expected: std::collections::BTreeSet<String> = to
                            .profile()
                            .user_fields()
                            .into_iter()
                            .map(str::to_string)
                            .collect();
                        assert_eq!(user_fields, expected, "{from} → {to}, user of {seq}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_newer_directory_is_refused_and_an_older_one_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let g13 = generator(ApiVersion::V1_3);
        assert!(stored_version(dir.path()).unwrap().is_none());
        settle(
            dir.path(),
            ApiVersion::V1_2,
            "V1.2.1",
            &generator(ApiVersion::V1_2),
            10,
        )
        .unwrap();
        assert_eq!(stored_version(dir.path()).unwrap(), Some(ApiVersion::V1_2));
        let changes = settle(dir.path(), ApiVersion::V1_3, "V1.3.0", &g13, 10).unwrap();
        assert_eq!(changes[0], "API 1.2 → 1.3");
        let err = settle(
            dir.path(),
            ApiVersion::V1_2,
            "V1.2.1",
            &generator(ApiVersion::V1_2),
            10,
        )
        .unwrap_err();
        assert!(err.to_string().contains("no downgrade"), "{err}");
        assert_eq!(stored_version(dir.path()).unwrap(), Some(ApiVersion::V1_3));
    }
}
