//! Records made from the library: when people are enrolled, a record that names a known
//! person names one of them (`user_id`, name, type, card and job numbers, groups exactly
//! as stored), with the door decided by their type, visitor window and rules; the
//! recognition settings (thresholds, mask detection and the mask refusals) act on every
//! record. With an empty library and factory settings the generator's own record is
//! returned unchanged, so seeded streams and golden files stay as they were.
//!
//! Everything stays a pure function of (seed, SN, seq), the library and the settings:
//! who is seen is drawn from the record's own stream, and an enrolled person's face is
//! the synthetic face seeded by the seed and their `user_id`.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::ids;
use super::rules::{Admission, evaluate};
use super::state::View;
use crate::profile::{PersonKind, Profile};
use crate::seed::{Domain, fnv1a, splitmix64};
use crate::synth::avatar::{DeriveOptions, Enrolled};
use crate::synth::face::{Look, Region};
use crate::synth::{Draw, Generator};
use crate::wire::{
    Event, Group, Mask, RecognitionType, RecognizeStatus, StatusOverride, User, UserOutput,
    status_override,
};

/// What the recognition settings change, once they were set through the API.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recognition {
    pub liveness: bool,
    pub liveness_threshold: f32,
    pub verify_threshold: f32,
    pub mask_detect: bool,
    pub no_access_without_mask: bool,
    pub no_access_with_mask: bool,
    /// Face against ID-card photo, in the ID-card modes 4 to 6.
    pub certificate_threshold: f32,
    /// Seconds before the same person is recognised again.
    pub open_interval: i64,
}

/// The settings recognition obeys.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Effects {
    /// `None` until `/v1/device/recognize` is set: the status mix then stands for the
    /// factory thresholds.
    pub recognition: Option<Recognition>,
    /// The device's time zone, hours east of UTC, for rules.
    pub time_zone: i64,
}

/// What `POST /sim/trigger` asked the record to be: a status (and, from 1.1, the kind
/// of person a `recognitionType` names). The rest of the record is made to agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forced {
    pub status: RecognizeStatus,
    /// The kind of person to show, for statuses that name one (`None`: any with access).
    pub kind: Option<PersonKind>,
}

impl Forced {
    /// The status a trigger's `overrides` ask for under `profile`, if any.
    ///
    /// # Errors
    /// Why no consistent record can be made of them (see `wire::status_override`).
    pub fn parse(
        overrides: Option<&serde_json::Map<String, serde_json::Value>>,
        profile: &Profile,
    ) -> Result<Option<Self>, String> {
        let Some(overrides) = overrides else {
            return Ok(None);
        };
        let asked = status_override(overrides, profile.recognize_status)?;
        Ok(asked.map(|asked| match asked {
            StatusOverride::Status(status) => Forced { status, kind: None },
            StatusOverride::Type(t) => {
                let (status, kind) = match t {
                    RecognitionType::Employee => {
                        (RecognizeStatus::Recognized, Some(PersonKind::Employee))
                    }
                    RecognitionType::Visitor => {
                        (RecognizeStatus::Recognized, Some(PersonKind::Visitor))
                    }
                    RecognitionType::Blacklisted => {
                        (RecognizeStatus::Recognized, Some(PersonKind::Blacklisted))
                    }
                    RecognitionType::Stranger => (RecognizeStatus::Stranger, None),
                    RecognitionType::NonLiveness => (RecognizeStatus::NonLiveness, None),
                };
                Forced { status, kind }
            }
        }))
    }
}

/// The synthetic face of enrolled person `user_id` on device `sn` with `seed`.
pub fn face_of(seed: u64, sn: &str, user_id: &str) -> Look {
    let mut rng = StdRng::seed_from_u64(splitmix64(
        seed ^ splitmix64(fnv1a(sn.as_bytes())) ^ fnv1a(user_id.as_bytes()) ^ Domain::Face.salt(),
    ));
    Look::random(&mut rng, Region::Anywhere)
}

/// Which enrolled person (index into `view.users`) record `seq` shows.
fn pick(generator: &Generator, count: usize, seq: u64) -> usize {
    let h = splitmix64(
        generator.config().seed
            ^ splitmix64(fnv1a(generator.sn().as_bytes()))
            ^ Domain::Pick.salt()
            ^ splitmix64(seq),
    );
    (h % count as u64) as usize
}

/// The event of record `seq` made at `timestamp` (Unix seconds).
///
/// An enrolled person's snapshot is derived from their photo (`photo` gives its state
/// by `user_id`), so that a receiver comparing faces sees the same person; a photo that
/// cannot be used, or none, gives the synthetic face seeded by their `user_id`.
pub fn event(
    generator: &Generator,
    view: &View,
    effects: &Effects,
    photo: &dyn Fn(&str) -> Option<Arc<Enrolled>>,
    seq: u64,
    timestamp: i64,
    forced: Option<Forced>,
) -> Result<Event, String> {
    if view.users.is_empty() && effects.recognition.is_none() && forced.is_none() {
        return Ok(generator.generate(seq, timestamp).event);
    }
    if forced.is_none()
        && let Some(alarm) = generator.alarm(seq)
    {
        return Ok(generator.alarm_event(&alarm, timestamp));
    }
    let mut draw = generator.draw(seq);
    if let Some(r) = &effects.recognition {
        apply_thresholds(&mut draw, r);
    }
    if let Some(forced) = forced {
        force(&mut draw, generator, forced)?;
    }
    let enrolled = (draw.person.is_some() && !view.users.is_empty())
        .then(|| &view.users[pick(generator, view.users.len(), seq)]);
    let mut admission = Admission::Allowed;
    if let Some(person) = enrolled {
        let cfg = generator.config();
        draw.look = face_of(cfg.seed, generator.sn(), &ids::text(&person.user_id));
        admission = evaluate(
            view,
            person,
            cfg.api.profile(),
            timestamp,
            effects.time_zone,
        );
        // A fever (40001) or a failed second factor keeps its own code; otherwise the
        // library decides.
        let own = draw.abnormal == 40001 || draw.status == RecognizeStatus::AuthFailed;
        if !own {
            draw.abnormal = admission.abnormal();
        }
        draw.pass = draw.status.may_pass() && admission == Admission::Allowed && draw.abnormal == 0;
    }
    if let Some(r) = &effects.recognition {
        apply_certificate(&mut draw, r, generator);
        apply_mask(&mut draw, r);
    }
    let cfg = generator.config();
    let derived = enrolled
        .and_then(|person| photo(&ids::text(&person.user_id)))
        .and_then(|enrolled| {
            let options = DeriveOptions::of(cfg, generator.sn(), draw.mask == Mask::Worn);
            enrolled.derive(cfg.seed, seq, &options).ok()
        });
    let jpeg = derived.unwrap_or_else(|| generator.snapshot(&draw));
    let mut record = generator.record(&draw, STANDARD.encode(&jpeg), timestamp);
    if let (Some(person), Some(user)) = (enrolled, record.user.as_mut()) {
        let profile = generator.config().api.profile();
        *user = library_user(person, view, profile);
        if profile.recognition_type {
            record.recognition_type = Some(match profile.person_kind(person.kind) {
                Some(PersonKind::Visitor) => RecognitionType::Visitor,
                Some(PersonKind::Blacklisted) => RecognitionType::Blacklisted,
                _ if admission == Admission::Blacklisted => RecognitionType::Blacklisted,
                _ => RecognitionType::Employee,
            });
        }
    }
    Ok(Event::record(record))
}

/// Makes `draw` the status `forced` asks for, consistent in every other field: a status
/// without a person has no user, a score under the match threshold and a shut door; a
/// non-live face a liveness score under its threshold; a status naming a person shows one
/// of the asked kind (from the device's population) with scores above the thresholds,
/// and the door follows their access.
///
/// # Errors
/// Why it cannot be done: the population has nobody of the kind asked for.
fn force(draw: &mut Draw, generator: &Generator, forced: Forced) -> Result<(), String> {
    draw.status = forced.status;
    draw.abnormal = 0;
    if !forced.status.has_user() {
        draw.person = None;
        draw.pass = false;
        if draw.recognize_score >= 0.6 {
            draw.recognize_score = FORCED_STRANGER_SCORE;
        }
        if forced.status == RecognizeStatus::NonLiveness {
            draw.shot.spoof = true;
            draw.temperature = 0.0;
            if draw.liveness_score >= 0.5 {
                draw.liveness_score = FORCED_SPOOF_LIVENESS;
            }
        } else if draw.liveness_score < LIVE_FLOOR {
            draw.liveness_score = FORCED_LIVENESS;
        }
        return Ok(());
    }
    let people = generator.population();
    let fits = |i: usize| match forced.kind {
        Some(kind) => people[i].kind == kind,
        None => people[i].kind == PersonKind::Employee,
    };
    let person = match draw.person.filter(|&i| fits(i)) {
        Some(i) => i,
        None => (0..people.len())
            .map(|k| (k + draw.seq as usize) % people.len())
            .find(|&i| fits(i))
            .ok_or_else(|| {
                let kind = forced.kind.unwrap_or(PersonKind::Employee);
                format!(
                    "this device's population has no {} to show; use --people to grow it",
                    format!("{kind:?}").to_lowercase()
                )
            })?,
    };
    draw.person = Some(person);
    draw.look = people[person].look;
    draw.shot.spoof = false;
    if draw.liveness_score < LIVE_FLOOR {
        draw.liveness_score = FORCED_LIVENESS;
    }
    if forced.status == RecognizeStatus::AuthFailed {
        if draw.recognize_score >= 0.84 {
            draw.recognize_score = FORCED_FAILED_SCORE;
        }
        draw.abnormal = match generator.config().mode.code() {
            5 | 6 => 10001,
            7..=9 => 70001,
            _ => 10002,
        };
    } else if draw.recognize_score < MATCH_FLOOR {
        draw.recognize_score = FORCED_MATCH_SCORE;
    }
    let p = &people[person];
    if p.kind == PersonKind::Blacklisted {
        draw.pass = false;
    } else {
        if !p.has_access && draw.abnormal == 0 {
            draw.abnormal = if p.kind == PersonKind::Visitor {
                20001
            } else {
                20002
            };
        }
        draw.pass = forced.status.may_pass() && p.has_access && draw.abnormal == 0;
    }
    Ok(())
}

/// Scores a forced record is given when its own do not fit its status; each is exact in
/// JSON text.
const FORCED_STRANGER_SCORE: f64 = 0.42;
const FORCED_SPOOF_LIVENESS: f64 = 0.21;
const FORCED_LIVENESS: f64 = 0.97;
const FORCED_MATCH_SCORE: f64 = 0.93;
const FORCED_FAILED_SCORE: f64 = 0.71;

/// The ID-card check of modes 4 to 6: the face against the ID card's photo. The score is
/// a pure function of the record (seed, SN, seq), at least the factory threshold 0.6, so
/// factory settings change nothing; a raised threshold fails the records scoring below
/// it: the door stays shut and the anomaly is 10001 (face does not match the ID card).
fn apply_certificate(draw: &mut Draw, r: &Recognition, generator: &Generator) {
    let id_card_mode = matches!(generator.config().mode.code(), 4..=6);
    if !id_card_mode || draw.person.is_none() || !draw.pass {
        return;
    }
    let h = splitmix64(
        generator.config().seed
            ^ splitmix64(fnv1a(generator.sn().as_bytes()))
            ^ Domain::Certificate.salt()
            ^ splitmix64(draw.seq),
    );
    let score = FACTORY_CERTIFICATE + (1.0 - FACTORY_CERTIFICATE) * (h % 10_000) as f64 / 10_000.0;
    if score < f64::from(r.certificate_threshold) {
        draw.pass = false;
        draw.abnormal = 10001;
        draw.status = RecognizeStatus::AuthFailed;
    }
}

/// The factory face-against-ID-card threshold.
const FACTORY_CERTIFICATE: f64 = 0.6;

/// The factory liveness threshold, which the status mix stands for.
pub const FACTORY_LIVENESS: f64 = 0.995;
/// The factory match threshold.
pub const FACTORY_VERIFY: f64 = 0.90;
/// The lowest liveness score the generator gives a live face.
const LIVE_FLOOR: f64 = 0.85;
/// The lowest match score the generator gives a recognised face.
const MATCH_FLOOR: f64 = 0.86;

/// The settings' thresholds. Scores are synthetic and their ranges already stand for the
/// factory thresholds, so a threshold raised `d` above its factory value turns the
/// genuine records scoring less than `d` above the bottom of their range into non-live
/// faces (liveness, when on) or strangers (match); lowering one changes nothing.
fn apply_thresholds(draw: &mut Draw, r: &Recognition) {
    // Without the liveness check nothing is "not live": the spoof is matched like any
    // face, and a photo is nobody the library knows.
    if !r.liveness && draw.status == RecognizeStatus::NonLiveness {
        draw.status = RecognizeStatus::Stranger;
        draw.person = None;
        draw.pass = false;
        draw.abnormal = 0;
        if draw.recognize_score >= 0.6 {
            draw.recognize_score = FORCED_STRANGER_SCORE;
        }
        return;
    }
    let live_cut = LIVE_FLOOR + (f64::from(r.liveness_threshold) - FACTORY_LIVENESS);
    let match_cut = MATCH_FLOOR + (f64::from(r.verify_threshold) - FACTORY_VERIFY);
    if r.liveness && draw.status != RecognizeStatus::NonLiveness && draw.liveness_score < live_cut {
        draw.status = RecognizeStatus::NonLiveness;
        draw.person = None;
        draw.pass = false;
        draw.abnormal = 0;
    } else if draw.status.has_user() && draw.recognize_score < match_cut {
        draw.status = RecognizeStatus::Stranger;
        draw.person = None;
        draw.pass = false;
        draw.abnormal = 0;
    }
}

/// Mask detection off reports `mask` 0; the mask refusals keep the door shut.
fn apply_mask(draw: &mut Draw, r: &Recognition) {
    if !r.mask_detect {
        draw.mask = Mask::NotEnabled;
        return;
    }
    let refused = (r.no_access_without_mask && draw.mask == Mask::NotWorn)
        || (r.no_access_with_mask && draw.mask == Mask::Worn);
    if refused {
        draw.pass = false;
    }
}

/// The record's `user` for an enrolled person, with the fields of the version.
fn library_user(person: &UserOutput, view: &View, profile: &Profile) -> User {
    let id = ids::text(&person.user_id);
    let mut user = User::basic(person.name.clone(), ids::render(&id, profile), person.kind);
    if profile.card_numbers {
        user.ic_number = Some(person.ic_number.clone());
        user.job_number = Some(person.job_number.clone());
    }
    if profile.record_ids {
        user.id_number = Some(person.id_number.clone());
        user.guest_time_start = Some(person.guest_time_start);
        user.guest_time_end = Some(person.guest_time_end);
        user.remark = Some(person.remark.clone());
        user.groups = Some(
            person
                .groups
                .iter()
                .filter_map(|g| view.groups.get(&ids::text(g)))
                .map(|g| Group {
                    id: ids::text(&g.group_id),
                    name: g.name.clone(),
                })
                .collect(),
        );
    }
    if profile.entry_details {
        user.pin = Some(person.pin.clone());
    }
    user
}
