//! The generator of one device: its population and backdrop, derived once from the seed
//! and the serial number, and record `n` drawn as a pure function of (seed, SN, n).

use super::face::Region;
use super::people::Population;
use super::scene::{Backdrop, Shot};
use super::*;
use crate::profile::PersonKind;
use crate::seed::{Domain, fnv1a, splitmix64};
use crate::wire::{AlarmCode, AlarmStatus, Mask, Mode, RecognizeStatus};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Generates the records of one device. Immutable after construction, so it is `Send +
/// Sync` and can be shared through an `Arc` by any number of workers.
#[derive(Debug, Clone)]
pub struct Generator {
    pub(super) cfg: SynthConfig,
    pub(super) sn: String,
    /// The seed mixed with the serial number; the root of every per-record seed.
    pub(super) device_seed: u64,
    pub(super) population: Population,
    pub(super) backdrop: Backdrop,
}

impl Generator {
    /// Whether the person in front of the terminal wears a mask (their habit, or 0.3 for
    /// someone unknown), and the `mask` the record reports under the device's detection.
    pub(super) fn draw_mask<R: RngExt + ?Sized>(
        &self,
        rng: &mut R,
        known: Option<&Person>,
    ) -> (Mask, bool) {
        let propensity = known.map_or(0.3, |p| p.mask_propensity);
        let worn = rng.random_bool(f64::from(propensity.clamp(0.0, 1.0)));
        let mask = match (self.cfg.mask_detection, worn) {
            (false, _) => Mask::NotEnabled,
            (true, false) => Mask::NotWorn,
            (true, true) => Mask::Worn,
        };
        (mask, worn)
    }

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
                self.population.stranger(&mut rng, region)
            }
        };
        let (recognize_score, liveness_score) = scores(&mut rng, status);
        let (mask, mask_worn) = self.draw_mask(&mut rng, known);
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
pub(super) fn json_exact(x: f32) -> f64 {
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
