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
mod config;
mod draw;
pub mod face;
pub(crate) mod face_find;
mod generator;
pub mod jpeg;
mod lens;
mod mix;
mod names;
pub(crate) mod people;
pub(crate) mod picture;
pub(crate) mod quality;
mod render;
pub mod scene;
pub mod signature;
#[cfg(test)]
mod tests;

pub use callback::{Caller, Method, Reaction, TRIGGERS, Trigger, UnknownCaller};
pub use config::{ConfigError, MAX_PEOPLE, SNAPSHOT_SIDE, SynthConfig};
pub use draw::{AlarmDraw, Draw, Generated};
pub use generator::Generator;
pub use mix::{MAX_WEIGHT, MixError, StatusMix};
pub use names::device_sn;
pub(crate) use names::{truncate_at_char, uuid_v4};
pub use people::{NameLocale, Person};
