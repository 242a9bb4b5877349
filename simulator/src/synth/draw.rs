//! What the terminal saw, whatever the API version: a record's draw, an alarm's, and a
//! generated event with the facts about it that tests and load runs want.

use super::face::Look;
use super::scene::Shot;
use crate::wire::{AlarmCode, AlarmStatus, Event, Mask, RecognizeStatus};

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
