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

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::{Admission, View, evaluate, ids};
use crate::profile::PersonKind;
use crate::synth::avatar::{DeriveOptions, derive};
use crate::synth::face::{Look, Region};
use crate::synth::{Draw, Generator};
use crate::wire::{Event, Group, Mask, RecognitionType, RecognizeStatus, User, UserOutput};

/// What the recognition settings change, once they were set through the API.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recognition {
    pub liveness: bool,
    pub liveness_threshold: f32,
    pub verify_threshold: f32,
    pub mask_detect: bool,
    pub no_access_without_mask: bool,
    pub no_access_with_mask: bool,
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

const DOMAIN_PICK: u64 = 0x11b7_a7e0_0000_0001;
const DOMAIN_FACE: u64 = 0x11b7_a7e0_0000_0002;

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The synthetic face of enrolled person `user_id` on device `sn` with `seed`.
pub fn face_of(seed: u64, sn: &str, user_id: &str) -> Look {
    let mut rng = StdRng::seed_from_u64(mix(seed
        ^ mix(fnv1a(sn.as_bytes()))
        ^ fnv1a(user_id.as_bytes())
        ^ DOMAIN_FACE));
    Look::random(&mut rng, Region::Anywhere)
}

/// Which enrolled person (index into `view.users`) record `seq` shows.
fn pick(generator: &Generator, count: usize, seq: u64) -> usize {
    let h = mix(generator.config().seed
        ^ mix(fnv1a(generator.sn().as_bytes()))
        ^ DOMAIN_PICK
        ^ mix(seq));
    (h % count as u64) as usize
}

/// The event of record `seq` made at `timestamp` (Unix seconds).
///
/// An enrolled person's snapshot is derived from their photo (`photo` gives it by
/// `user_id`), so that a receiver comparing faces sees the same person; a photo that
/// cannot be used, or none, gives the synthetic face seeded by their `user_id`.
pub fn event(
    generator: &Generator,
    view: &View,
    effects: &Effects,
    photo: &dyn Fn(&str) -> Option<Vec<u8>>,
    seq: u64,
    timestamp: i64,
) -> Event {
    if view.users.is_empty() && effects.recognition.is_none() {
        return generator.generate(seq, timestamp).event;
    }
    if let Some(alarm) = generator.alarm(seq) {
        return generator.alarm_event(&alarm, timestamp);
    }
    let mut draw = generator.draw(seq);
    if let Some(r) = &effects.recognition {
        apply_thresholds(&mut draw, r);
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
        apply_mask(&mut draw, r);
    }
    let cfg = generator.config();
    let derived = enrolled
        .and_then(|person| photo(&ids::text(&person.user_id)))
        .and_then(|avatar| {
            let options = DeriveOptions::of(cfg, generator.sn(), draw.mask == Mask::Worn);
            derive(&avatar, cfg.seed, seq, &options).ok()
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
    Event::record(record)
}

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
fn library_user(person: &UserOutput, view: &View, profile: &crate::profile::Profile) -> User {
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
