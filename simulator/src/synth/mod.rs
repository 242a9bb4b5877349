//! Synthetic recognition records: who stands in front of each terminal, how the terminal
//! classifies them, the scores, mask and door decision, and a JPEG snapshot of the face.
//! Everything is deterministic: a device's population follows from `(seed, sn)` and
//! record `seq` from `(seed, sn, seq)`, independently of every other record and of
//! restarts, so any event can be regenerated from its trace comment alone.
//!
//! Choices the spec leaves open, made here:
//!
//! - `user` is present exactly when [`RecognizeStatus::has_user`] holds: for people in the
//!   library (2), recognised (4), authentication passed (5) and authentication failed (6,
//!   a known face whose second factor failed). It is absent for unknown faces (0),
//!   non-live faces (1: a photo or a screen must not name anybody) and strangers (3).
//! - `pass` is true only for statuses that may pass ([`RecognizeStatus::may_pass`]) and
//!   name a person with access; never for 1, 3 and 6, nor for 0 (the terminal does not
//!   open for a face it could not classify), nor for blocklisted people or visitors whose
//!   pass has expired.
//! - Who a person is (employee, visitor, blacklisted) is the population's; the number
//!   that stands for it is the API version's (`crate::profile`): 1 employee and 2 visitor
//!   everywhere, blacklisted 3 in 1.1 to 1.2.1 and 5 in 1.3. API 1.0 has no blacklist
//!   type: its blacklisted people are employees whose access was withdrawn.
//! - From API 1.1 the record says who was seen (`recognitionType`) instead of how the face
//!   was classified: statuses that name a person become employee, visitor or blacklisted
//!   by the person's kind; strangers and unknown faces become strangers; non-live faces
//!   stay non-live. The door decision (`pass`) is the terminal's own.
//! - Temperatures (from 1.1) are the person's usual one with a little noise, a fever in
//!   one visit in two hundred (which under 1.3 is `abnormal_type` 40001 and no pass), and
//!   0 for non-live faces and where temperature detection is off.
//! - Under 1.3 `abnormal_type` says why a known person was refused (a failed second
//!   factor by the verification mode, an expired visitor pass 20001, a time rule 20002, a
//!   fever 40001), and `entry_mode` how the door was opened, by the verification mode.
//! - Alarms (1.3) come in pairs: an odd record may be an alarm raised, and the record
//!   after it then clears it (status 3, or 2 when clearing failed), with the same
//!   `trace_id`; half of the clears leave `code` out, as the guide allows.
//! - Scores fit the status. Known people score 0.86–0.995 for recognition, failed
//!   authentications 0.55–0.84, strangers 0.2–0.6, unknown faces 0.1–0.6. Liveness is
//!   0.85–0.995 except for non-live faces (0.02–0.49) and unknown ones (0.3–0.85). They
//!   are drawn as `f32` and widened, as the device does (`0.9837480783462524`).
//! - `mask` is 0 on a device without mask detection; with it, each person has a habit
//!   (most rarely wear one, a quarter usually do) and each visit draws from it. The mask is
//!   drawn on the snapshot whenever it is worn, whether or not the device detects it.
//! - The snapshot is a synthetic face with a `facesim sn=<sn> seq=<n>` COM segment.
//!   Strangers, unknown faces and half of the spoofs get a fresh random look; the other
//!   spoofs show a photo of somebody from the population.

pub mod avatar;
mod callback;
mod canvas;
pub mod face;
pub(crate) mod face_find;
pub mod jpeg;
mod mix;
pub(crate) mod people;
#[cfg(test)]
mod tests;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::profile::{ApiVersion, PersonKind, UserIds};
use crate::seed::{Domain, fnv1a, splitmix64};
use crate::wire::{
    Alarm, AlarmCode, AlarmStatus, Event, Group, Mask, Mode, RecognitionType, RecognizeStatus,
    Record, User, UserId,
};
pub use callback::{Caller, Method, Reaction, TRIGGERS, Trigger, UnknownCaller};
use face::{Backdrop, Look, Region, Shot};
pub use mix::{MAX_WEIGHT, MixError, StatusMix};
use people::Population;
pub use people::{NameLocale, Person};

/// The largest population a device may have; the real terminals hold tens of thousands.
pub const MAX_PEOPLE: usize = 100_000;
/// The smallest and largest snapshot side in pixels.
pub const SNAPSHOT_SIDE: std::ops::RangeInclusive<u32> = 16..=4096;

/// What to generate for one device.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    pub seed: u64,
    /// Population size per device.
    pub people: usize,
    pub status_mix: StatusMix,
    /// Device setting: without detection every record has `mask` 0.
    pub mask_detection: bool,
    /// Device setting, copied into each record.
    pub mode: Mode,
    /// Snapshot width and height in pixels, and JPEG quality.
    pub width: u32,
    pub height: u32,
    pub quality: u8,
    /// The API version whose records are made.
    pub api: ApiVersion,
    /// Device setting (from API 1.1): without it `bodyTemperature` is 0.
    pub temperature_detection: bool,
    /// The share of pushes that are alarms, in percent (`None`: the version's default, 1
    /// under 1.3 and 0 before). Only versions with alarms make any.
    pub alarm_share: Option<f64>,
}

impl Default for SynthConfig {
    /// 200 people; the default status mix; mask detection on, since the spec's example
    /// record carries `mask: 1`; face mode; a 360×480 face crop at quality 85, which with
    /// sensor noise comes to 25–42 KB (33 KB on average), like a real terminal's snapshot.
    fn default() -> Self {
        Self {
            seed: 0,
            people: 200,
            status_mix: StatusMix::default(),
            mask_detection: true,
            mode: Mode::FACE,
            width: 360,
            height: 480,
            quality: 85,
            api: ApiVersion::default(),
            temperature_detection: true,
            alarm_share: None,
        }
    }
}

/// Why a [`SynthConfig`] was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The population is empty or too large.
    #[error("population of {0} people is out of range; use 1 to 100000")]
    People(usize),
    /// A snapshot side is too small or too large.
    #[error("snapshot size {width}x{height} is out of range; use 16 to 4096 pixels a side")]
    Size { width: u32, height: u32 },
    /// The JPEG quality is outside 1..=100.
    #[error("jpeg quality {0} is out of range; use 1 to 100")]
    Quality(u8),
    /// The verification mode is not one the API version defines.
    #[error("mode {mode} is not defined in API {api}; use 0 to {max}")]
    Mode { mode: u8, api: ApiVersion, max: u8 },
    /// The alarm share is not a percentage.
    #[error("alarm share {0} is out of range; use 0 to 100 (percent)")]
    AlarmShare(f64),
}

impl SynthConfig {
    /// Checks the ranges that [`Generator::new`] would otherwise clamp silently.
    ///
    /// # Errors
    /// The first [`ConfigError`] found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=MAX_PEOPLE).contains(&self.people) {
            return Err(ConfigError::People(self.people));
        }
        if !SNAPSHOT_SIDE.contains(&self.width) || !SNAPSHOT_SIDE.contains(&self.height) {
            return Err(ConfigError::Size {
                width: self.width,
                height: self.height,
            });
        }
        if !(1..=100).contains(&self.quality) {
            return Err(ConfigError::Quality(self.quality));
        }
        let profile = self.api.profile();
        if !profile.modes.contains(&self.mode.code()) {
            return Err(ConfigError::Mode {
                mode: self.mode.code(),
                api: self.api,
                max: *profile.modes.end(),
            });
        }
        if let Some(share) = self.alarm_share.filter(|s| !(0.0..=100.0).contains(s)) {
            return Err(ConfigError::AlarmShare(share));
        }
        Ok(())
    }

    /// The nearest valid configuration.
    fn normalised(&self) -> Self {
        Self {
            people: self.people.clamp(1, MAX_PEOPLE),
            width: self
                .width
                .clamp(*SNAPSHOT_SIDE.start(), *SNAPSHOT_SIDE.end()),
            height: self
                .height
                .clamp(*SNAPSHOT_SIDE.start(), *SNAPSHOT_SIDE.end()),
            quality: self.quality.clamp(1, 100),
            mode: if self.api.profile().modes.contains(&self.mode.code()) {
                self.mode
            } else {
                Mode::FACE
            },
            alarm_share: self.alarm_share.map(|s| s.clamp(0.0, 100.0)),
            ..self.clone()
        }
    }
}

/// A realistic, deterministic serial number for device `index` of a fleet, such as
/// `PS71HD01MC22C00014` (S7 family) or `PSC700C024B0012345` (later family). The family,
/// year and production line follow from `seed`; the running number is a seed-dependent
/// base plus `index`, so distinct indices always give distinct serials.
pub fn device_sn(seed: u64, index: u32) -> String {
    let h = splitmix64(seed ^ Domain::Serial.salt());
    let line = char::from(b'A' + (h >> 8 & 7) as u8);
    let base = (h >> 16) % 20_000 + 1;
    let serial = base + u64::from(index);
    if h % 3 == 2 {
        let year = 23 + (h >> 4) % 3;
        format!("PSC700C0{year:02}{line}{serial:07}")
    } else {
        let year = 20 + (h >> 4) % 4;
        format!("PS71HD01MC{year:02}{line}{serial:05}")
    }
}

/// Everything decided about one record except its image.
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    pub seq: u64,
    pub status: RecognizeStatus,
    /// Index into the population; `Some` exactly when the status names a user.
    pub person: Option<usize>,
    pub recognize_score: f64,
    pub liveness_score: f64,
    pub mask: Mask,
    pub pass: bool,
    /// Body temperature in degrees Celsius (0: not measured).
    pub temperature: f64,
    /// Why a known person was refused (API 1.3 codes; 0: no anomaly).
    pub abnormal: u32,
    /// How the door was (or would have been) opened (API 1.3 codes).
    pub entry_mode: u8,
    /// Who appears on the snapshot.
    pub look: Look,
    /// How this snapshot came out: pose, light, noise, mask, spoof.
    pub shot: Shot,
}

/// An alarm instead of a recognition record (API 1.3).
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmDraw {
    pub seq: u64,
    pub code: AlarmCode,
    pub status: AlarmStatus,
    /// Whether a clear names its alarm's code (a raise always does).
    pub with_code: bool,
    /// The record number of the alarm raised, which names it: a clear has its raise's.
    pub raised_at: u64,
    /// Milliseconds after the record's second at which it happened.
    pub millis: u16,
}

impl AlarmDraw {
    /// A door forced open, raised by record `seq` (what `/sim/trigger` raises unless told
    /// otherwise).
    pub fn raised(seq: u64) -> Self {
        Self {
            seq,
            code: AlarmCode::ForcedOpen,
            status: AlarmStatus::Raised,
            with_code: true,
            raised_at: seq,
            millis: 0,
        }
    }
}

/// One generated record with what the caller may want to know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub seq: u64,
    pub event: Event,
    /// Size of the JPEG before base64.
    pub jpeg_len: usize,
    pub person: Option<usize>,
}

/// Generates the records of one device. Immutable after construction, so it is `Send +
/// Sync` and can be shared through an `Arc` by any number of workers.
#[derive(Debug, Clone)]
pub struct Generator {
    cfg: SynthConfig,
    sn: String,
    /// The seed mixed with the serial number; the root of every per-record seed.
    device_seed: u64,
    population: Population,
    backdrop: Backdrop,
}

impl Generator {
    /// A generator for device `sn`. Out-of-range settings are clamped to the nearest valid
    /// value (see [`SynthConfig::validate`] to refuse them instead); the population
    /// follows deterministically from `(cfg.seed, sn)` and the population size.
    pub fn new(cfg: &SynthConfig, sn: impl Into<String>) -> Self {
        let cfg = cfg.normalised();
        let sn = sn.into();
        let device_seed = splitmix64(cfg.seed ^ splitmix64(fnv1a(sn.as_bytes())));
        let mut rng = StdRng::seed_from_u64(splitmix64(device_seed ^ Domain::Population.salt()));
        let population = Population::generate(&mut rng, cfg.people);
        let mut rng = StdRng::seed_from_u64(splitmix64(device_seed ^ Domain::Backdrop.salt()));
        let backdrop = Backdrop::random(&mut rng);
        Self {
            cfg,
            sn,
            device_seed,
            population,
            backdrop,
        }
    }

    /// The same device under another verification `mode` (set through
    /// `/v1/device/functions`): the same people and snapshots, records that show the mode
    /// and draw their entry methods from it.
    pub fn with_mode(&self, mode: Mode) -> Self {
        let mut other = self.clone();
        other.cfg.mode = mode;
        other
    }

    pub fn sn(&self) -> &str {
        &self.sn
    }

    /// The configuration in use, after clamping.
    pub fn config(&self) -> &SynthConfig {
        &self.cfg
    }

    pub fn population(&self) -> &[Person] {
        self.population.people()
    }

    /// Decides everything about record `seq` except the image: a pure function of
    /// `(seed, sn, seq)` and the configuration.
    pub fn draw(&self, seq: u64) -> Draw {
        let seed = splitmix64(splitmix64(self.device_seed ^ Domain::Record.salt()) ^ seq);
        let mut rng = StdRng::seed_from_u64(seed);
        let status = self.cfg.status_mix.sample(&mut rng);
        let person = if status.has_user() {
            self.population.pick(&mut rng)
        } else {
            None
        };
        let known = person.map(|i| &self.population()[i]);
        let look = match known {
            Some(p) => p.look,
            None if status == RecognizeStatus::NonLiveness && rng.random_bool(0.5) => {
                // A spoof often shows a photo of somebody who does have access.
                let victim = self.population.pick(&mut rng).unwrap_or(0);
                self.population()[victim].look
            }
            None => {
                let region = if rng.random_bool(0.5) {
                    Region::EastAsia
                } else {
                    Region::Anywhere
                };
                Look::random(&mut rng, region)
            }
        };
        let (recognize_score, liveness_score) = scores(&mut rng, status);
        let propensity = known.map_or(0.3, |p| p.mask_propensity);
        let mask_worn = rng.random_bool(f64::from(propensity.clamp(0.0, 1.0)));
        let mask = match (self.cfg.mask_detection, mask_worn) {
            (false, _) => Mask::NotEnabled,
            (true, false) => Mask::NotWorn,
            (true, true) => Mask::Worn,
        };
        let mut pass = status.may_pass() && known.is_some_and(|p| p.has_access);
        let mut shot = Shot::random(&mut rng, self.backdrop);
        shot.mask_worn = mask_worn;
        shot.spoof = status == RecognizeStatus::NonLiveness;
        // Drawn after everything API 1.0 needs, so that 1.0 records stay as they were.
        let fever = known.is_some() && rng.random_bool(0.005);
        let temperature = if !self.cfg.temperature_detection || shot.spoof {
            0.0
        } else {
            let usual = known.map_or(36.6, |p| p.details.temperature);
            let t = if fever {
                rng.random_range(37.6..38.6)
            } else {
                usual + rng.random_range(-0.2..0.2)
            };
            (t * 100.0).round() / 100.0
        };
        let entry_mode = entry_mode(&mut rng, self.cfg.mode.code());
        let abnormal = abnormal(
            status,
            known,
            fever && self.cfg.temperature_detection,
            self.cfg.mode.code(),
        );
        if abnormal != 0 {
            pass = false;
        }
        Draw {
            seq,
            status,
            person,
            recognize_score,
            liveness_score,
            mask,
            pass,
            temperature,
            abnormal,
            entry_mode,
            look,
            shot,
        }
    }

    /// Whether record `seq` is an alarm, and which: a pure function of `(seed, sn, seq)`,
    /// `None` for versions without alarms. An odd record is an alarm raised with the
    /// configured share; the record after a raise clears it.
    pub fn alarm(&self, seq: u64) -> Option<AlarmDraw> {
        let share = self
            .cfg
            .alarm_share
            .unwrap_or_else(|| self.cfg.api.profile().default_alarm_share());
        if !self.cfg.api.profile().alarms || share <= 0.0 {
            return None;
        }
        let roll = |n: u64| splitmix64(splitmix64(self.device_seed ^ Domain::Alarm.salt()) ^ n);
        let raised = |n: u64| n % 2 == 1 && (roll(n) % 1_000_000) as f64 / 10_000.0 < share;
        let (raised_at, status) = if raised(seq) {
            (seq, AlarmStatus::Raised)
        } else if seq % 2 == 0 && seq > 0 && raised(seq - 1) {
            let failed = roll(seq) % 100 < 15;
            let status = if failed {
                AlarmStatus::ClearFailed
            } else {
                AlarmStatus::Cleared
            };
            (seq - 1, status)
        } else {
            return None;
        };
        let codes = AlarmCode::ALL;
        let code = codes[(roll(raised_at) >> 20) as usize % codes.len()];
        Some(AlarmDraw {
            seq,
            code,
            status,
            with_code: status == AlarmStatus::Raised || roll(seq) >> 40 & 1 == 0,
            raised_at,
            millis: (roll(seq) >> 50 & 0x3ff) as u16 % 1000,
        })
    }

    /// Renders and encodes the snapshot JPEG of a draw, with its trace comment.
    pub fn snapshot(&self, draw: &Draw) -> Vec<u8> {
        let (w, h) = (self.cfg.width, self.cfg.height);
        let rgb = face::render(&draw.look, &draw.shot, w, h);
        let comment = jpeg::trace_comment(&self.sn, draw.seq);
        jpeg::encode(&rgb, w, h, self.cfg.quality, &comment)
    }

    /// Builds the wire event from a draw and the base64 of its snapshot, with the fields
    /// of the configured API version.
    pub fn event(&self, draw: &Draw, rgb_image_b64: String, timestamp: i64) -> Event {
        Event::record(self.record(draw, rgb_image_b64, timestamp))
    }

    /// The recognition record of [`Generator::event`].
    pub fn record(&self, draw: &Draw, rgb_image_b64: String, timestamp: i64) -> Record {
        let mut record = Record {
            recognize_status: None,
            recognition_type: None,
            device_sn: String::new(),
            uuid: None,
            recognize_score: 0.0,
            liveness_score: None,
            mask: Mask::NotEnabled,
            rgb_image: rgb_image_b64,
            pass: false,
            mode: Mode::FACE,
            user: None,
            timestamp,
            body_temperature: None,
            entry_mode: None,
            abnormal_type: None,
        };
        self.fill_record(draw, timestamp, &mut record, &mut None);
        record
    }

    /// Fills `user` with `person` as the API version reports them, reusing its strings.
    fn fill_user(&self, person: &Person, timestamp: i64, user: &mut User) {
        let profile = self.cfg.api.profile();
        let details = &person.details;
        user.kind = profile
            .user_type(person.kind)
            .or_else(|| profile.user_type(PersonKind::Employee))
            .unwrap_or(1);
        user.user_id = match (
            profile.user_ids,
            std::mem::replace(&mut user.user_id, UserId::Int(0)),
        ) {
            (UserIds::Integer(max), _) => UserId::Int(person.user_id.clamp(1, max - 1)),
            (UserIds::Text, UserId::Text(mut text)) => {
                text.clear();
                text.push_str(&details.uuid);
                UserId::Text(text)
            }
            (UserIds::Text, UserId::Int(_)) => UserId::Text(details.uuid.clone()),
        };
        user.name.clear();
        user.name
            .push_str(truncate_at_char(&person.name, profile.max_name_bytes));
        let set = |slot: &mut Option<String>, on: bool, value: &str| {
            *slot = on.then(|| value.to_string());
        };
        set(
            &mut user.ic_number,
            profile.card_numbers,
            &details.ic_number,
        );
        set(
            &mut user.job_number,
            profile.card_numbers,
            &details.job_number,
        );
        set(&mut user.id_number, profile.record_ids, &details.id_number);
        set(&mut user.remark, profile.record_ids, &details.remark);
        set(&mut user.pin, profile.entry_details, "");
        const DAY_MS: i64 = 86_400_000;
        let today = timestamp.div_euclid(86_400) * DAY_MS;
        let (start, end) = details.guest_days.map_or((0, 0), |(from, to)| {
            (today + from * DAY_MS, today + (to + 1) * DAY_MS - 1)
        });
        user.guest_time_start = profile.record_ids.then_some(start);
        user.guest_time_end = profile.record_ids.then_some(end);
        user.groups = profile.record_ids.then(|| {
            details
                .groups
                .iter()
                .map(|&g| Group {
                    id: people::GROUPS[g].0.into(),
                    name: people::GROUPS[g].1.into(),
                })
                .collect()
        });
    }

    /// The picture of a raised tamper or forced-door alarm (who stood at the terminal),
    /// small and seeded by the alarm; other alarms and clears carry none, which the guide
    /// allows.
    fn alarm_photo(&self, alarm: &AlarmDraw) -> Option<String> {
        let pictured = alarm.status == AlarmStatus::Raised
            && matches!(alarm.code, AlarmCode::Tamper | AlarmCode::ForcedOpen);
        if !pictured {
            return None;
        }
        let mut rng = StdRng::seed_from_u64(splitmix64(
            self.device_seed ^ Domain::Alarm.salt() ^ !alarm.seq,
        ));
        let look = Look::random(&mut rng, Region::Anywhere);
        let shot = Shot::random(&mut rng, self.backdrop);
        let (w, h) = (160, 120);
        let rgb = face::render(&look, &shot, w, h);
        let comment = jpeg::trace_comment(&self.sn, alarm.seq);
        Some(STANDARD.encode(jpeg::encode(&rgb, w, h, 75, &comment)))
    }

    /// The `uuid` of record `seq`: a UUID (version 4 layout) drawn from `(seed, sn, seq)`,
    /// so that the same record always has the same one.
    pub fn record_uuid(&self, seq: u64) -> String {
        let a = splitmix64(self.device_seed ^ Domain::Uuid.salt() ^ seq.rotate_left(17));
        uuid_v4(a, splitmix64(a ^ seq))
    }

    /// The wire event of an alarm drawn for a record made at `timestamp` (Unix seconds).
    pub fn alarm_event(&self, alarm: &AlarmDraw, timestamp: i64) -> Event {
        let event_time = timestamp * 1000 + i64::from(alarm.millis);
        let suffix: String = {
            const ALNUM: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
            let mut h = splitmix64(self.device_seed ^ alarm.raised_at);
            (0..6)
                .map(|_| {
                    h = splitmix64(h);
                    char::from(ALNUM[(h % ALNUM.len() as u64) as usize])
                })
                .collect()
        };
        let description = match alarm.code {
            AlarmCode::Tamper => "device tamper",
            AlarmCode::ForcedOpen => "door forced open",
            AlarmCode::DoorSensorTimeout => "door left open",
            AlarmCode::PasswordAttack => "too many wrong passwords",
            AlarmCode::Fire => "fire alarm",
        };
        // The guide's example id is a prefix, 13 digits, 3 digits and 6 characters; the
        // 13 digits look like a time in milliseconds. A clear must carry its raise's id,
        // so the digits are drawn from the alarm (the raise's record number), not taken
        // from this event's time.
        let stamp = 1_600_000_000_000
            + splitmix64(self.device_seed ^ Domain::Alarm.salt() ^ alarm.raised_at)
                % 100_000_000_000;
        Event::alarm(Alarm {
            trace_id: format!("SPX-{:013}-{:03}-{suffix}", stamp, alarm.raised_at % 1000),
            description: Some(description.into()),
            code: alarm.with_code.then_some(alarm.code),
            user_id: None,
            event_time,
            status: alarm.status,
            alarm_photo: self.alarm_photo(alarm),
        })
    }

    /// Rewrites `event` into [`event`](Self::event)`(draw, <its rgb_image>, timestamp)`,
    /// reusing the strings it already holds, so that a load generator refilling one event
    /// per worker allocates nothing per event once the buffers have grown. `spare` keeps
    /// the `user` of a record that has none, for the next record that has one.
    pub fn fill_event(
        &self,
        draw: &Draw,
        timestamp: i64,
        event: &mut Event,
        spare: &mut Option<User>,
    ) {
        event.kind = crate::wire::EVENT_TYPE_RECOGNITION;
        match event.as_record_mut() {
            Some(record) => self.fill_record(draw, timestamp, record, spare),
            None => *event = self.event(draw, String::new(), timestamp),
        }
    }

    /// Fills `record` from a draw, as [`Generator::fill_event`] does.
    fn fill_record(
        &self,
        draw: &Draw,
        timestamp: i64,
        record: &mut Record,
        spare: &mut Option<User>,
    ) {
        let profile = self.cfg.api.profile();
        let person = draw
            .person
            .filter(|_| draw.status.has_user())
            .and_then(|i| self.population().get(i));
        record.recognize_status = profile.recognize_status.then_some(draw.status);
        let seen = match (draw.status, person) {
            (RecognizeStatus::NonLiveness, _) => RecognitionType::NonLiveness,
            (_, None) => RecognitionType::Stranger,
            (_, Some(p)) => match p.kind {
                PersonKind::Employee => RecognitionType::Employee,
                PersonKind::Visitor => RecognitionType::Visitor,
                PersonKind::Blacklisted => RecognitionType::Blacklisted,
            },
        };
        record.recognition_type = profile.recognition_type.then_some(seen);
        record.device_sn.clear();
        record.device_sn.push_str(&self.sn);
        record.uuid = profile.record_ids.then(|| self.record_uuid(draw.seq));
        record.recognize_score = draw.recognize_score;
        record.liveness_score = profile.recognize_status.then_some(draw.liveness_score);
        record.mask = draw.mask;
        record.pass = draw.pass;
        record.mode = self.cfg.mode;
        record.timestamp = timestamp;
        record.body_temperature = profile.recognition_type.then_some(draw.temperature);
        record.entry_mode = profile.entry_details.then_some(draw.entry_mode);
        record.abnormal_type = profile.entry_details.then_some(draw.abnormal);
        match person {
            Some(p) => {
                let mut user = record
                    .user
                    .take()
                    .or_else(|| spare.take())
                    .unwrap_or_else(|| User::basic(String::new(), UserId::Int(0), 0));
                self.fill_user(p, timestamp, &mut user);
                record.user = Some(user);
            }
            None => {
                if let Some(user) = record.user.take() {
                    *spare = Some(user);
                }
            }
        }
    }

    /// Draw, snapshot, base64 and event in one. The same `(seed, sn, seq)` gives the same
    /// event in every field but `timestamp`.
    pub fn generate(&self, seq: u64, timestamp: i64) -> Generated {
        if let Some(alarm) = self.alarm(seq) {
            return Generated {
                seq,
                event: self.alarm_event(&alarm, timestamp),
                jpeg_len: 0,
                person: None,
            };
        }
        let draw = self.draw(seq);
        let jpeg = self.snapshot(&draw);
        let event = self.event(&draw, STANDARD.encode(&jpeg), timestamp);
        Generated {
            seq,
            event,
            jpeg_len: jpeg.len(),
            person: draw.person,
        }
    }
}

/// How the door is opened under verification mode `mode` (API 1.3 `entry_mode` codes):
/// the mode decides which credentials count, and a draw picks among them.
fn entry_mode<R: RngExt + ?Sized>(rng: &mut R, mode: u8) -> u8 {
    const FACE: u8 = 1;
    const QR: u8 = 2;
    const CARD: u8 = 3;
    match mode {
        1 if rng.random_bool(0.2) => CARD,
        2 => 4,
        3 => match rng.random_range(0..100) {
            0..70 => FACE,
            70..85 => CARD,
            85..95 => QR,
            _ => 12,
        },
        4 => 5,
        5 if rng.random_bool(0.3) => 5,
        6 => 6,
        7 => 8,
        8 => 10,
        9 => 9,
        _ => FACE,
    }
}

/// Why a record is refused, in API 1.3's `abnormal_type` codes (0: no anomaly). Only
/// people the terminal knows get one: a failed second factor by the verification mode,
/// an expired visitor pass, a time rule that excludes the hour, or a fever.
fn abnormal(status: RecognizeStatus, person: Option<&Person>, fever: bool, mode: u8) -> u32 {
    let Some(person) = person else { return 0 };
    if fever {
        return 40001;
    }
    if status == RecognizeStatus::AuthFailed {
        return match mode {
            5 | 6 => 10001,
            7..=9 => 70001,
            _ => 10002,
        };
    }
    match (person.kind, person.has_access) {
        (_, true) | (PersonKind::Blacklisted, _) => 0,
        (PersonKind::Visitor, false) => 20001,
        (PersonKind::Employee, false) => 20002,
    }
}

/// Recognition and liveness scores that fit `status`.
fn scores<R: RngExt + ?Sized>(rng: &mut R, status: RecognizeStatus) -> (f64, f64) {
    // The larger of two uniform draws leans towards the top of the range, as matching
    // scores of genuine users do.
    let high = |rng: &mut R, lo: f32, hi: f32| {
        let u = rng.random::<f32>().max(rng.random::<f32>());
        lo + (hi - lo) * u
    };
    let (recognize, liveness) = match status {
        RecognizeStatus::InLibrary | RecognizeStatus::Recognized | RecognizeStatus::AuthPassed => {
            (high(rng, 0.86, 0.995), high(rng, 0.85, 0.995))
        }
        RecognizeStatus::AuthFailed => (rng.random_range(0.55..0.84), high(rng, 0.85, 0.995)),
        RecognizeStatus::Stranger => (rng.random_range(0.2..0.6), high(rng, 0.85, 0.995)),
        RecognizeStatus::NonLiveness => (rng.random_range(0.3..0.9), rng.random_range(0.02..0.49)),
        RecognizeStatus::Unknown => (rng.random_range(0.1..0.6), rng.random_range(0.3..0.85)),
    };
    (json_exact(recognize), json_exact(liveness))
}

/// Widens a score in `[0, 1]` to `f64`, nudged by a few ulps if needed so that its JSON
/// text parses back to the very same `f64`. serde_json's default float parser is off by an
/// ulp for about one value in eight of this kind (its exact parser sits behind the
/// `float_roundtrip` feature), and an event must survive JSON unchanged.
fn json_exact(x: f32) -> f64 {
    let mut v = x.clamp(0.0, 1.0);
    // Every event draws two scores, so the text goes through a stack buffer, not a String.
    let mut text = [0u8; 40];
    for _ in 0..64 {
        let wide = f64::from(v);
        let written = {
            let mut out = &mut text[..];
            serde_json::to_writer(&mut out, &wide)
                .ok()
                .map(|()| 40 - out.len())
        };
        let back = written.and_then(|n| serde_json::from_slice::<f64>(&text[..n]).ok());
        if back == Some(wide) {
            return wide;
        }
        // Positive floats order like their bit patterns; step towards the middle of the
        // range so the value stays inside [0, 1].
        v = f32::from_bits(if v > 0.5 {
            v.to_bits() - 1
        } else {
            v.to_bits() + 1
        });
    }
    f64::from(x.clamp(0.0, 1.0))
}

/// A UUID in the version 4 layout (as the guide's examples spell them) from 128 bits.
pub(crate) fn uuid_v4(a: u64, b: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | (b >> 48 & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(crate) fn truncate_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
