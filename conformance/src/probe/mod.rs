//! The requests the suite sends, built deterministically from the seed: records from the
//! simulator's synthetic generator (so they look like a real terminal's), then bent into
//! the variants the checks need. The same seed gives byte-identical bodies: timestamps
//! follow from the seed too, never from the clock.
//!
//! The records follow the API version under test (`SynthConfig.api`): its fields, its
//! codes, its modes and its name limit; the version's profile says which, never a test of
//! the version number here.
//!
//! User names are kept short and ASCII in every request except those that probe names
//! and string user ids (from 1.2.1) numeric in every request except those
//! that probe them, so that a receiver that chokes on a name or on a non-numeric
//! id fails the check about it and nothing else.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use facesim::synth::{AlarmDraw, Generator, StatusMix, SynthConfig, device_sn, jpeg};
use facesim_proto::profile::{ApiVersion, PersonKind, Profile};
use facesim_proto::wire::{
    self, AlarmCode, AlarmStatus, Event, Group, Identity, Mask, Mode, RecognitionType,
    RecognizeStatus, Record, UserId, field,
};
use serde_json::{Map, Value};

mod bad;
mod variants;

/// The Content-Type every real event carries.
pub const JSON: &str = "application/json";
/// The Content-Type of the mislabelled-body probe (B-03).
pub const WRONG_CONTENT_TYPE: &str = "text/plain; charset=utf-8";
/// The smallest body of the large-snapshot probe.
pub const LARGE_BODY_BYTES: usize = 512 * 1024;
/// The size of the huge-body probe (B-04): far beyond any real event.
pub const HUGE_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Names longer than this (in bytes) are replaced outside the name probes.
const PLAIN_NAME_BYTES: usize = 32;
/// Non-ASCII names for R-06, each well under 64 bytes: Chinese, Japanese, Korean,
/// Cyrillic, Arabic (right to left), Latin with diacritics, and an emoji (four UTF-8
/// bytes, which three-byte "utf8" database columns reject).
pub const NON_ASCII_NAMES: [&str; 7] = [
    "张伟",
    "山田 さくら",
    "김민준",
    "Дмитрий Иванов",
    "محمد علي",
    "Zoë Ångström-Núñez",
    "Lin 🙂",
];
/// Names used where the name does not matter.
const PLAIN_NAMES: [&str; 8] = [
    "Alex Morgan",
    "Sam Lee",
    "Maria Garcia",
    "Tom Becker",
    "Nina Petit",
    "Omar Haddad",
    "Kate Brown",
    "Jonas Weber",
];
/// Fields the spec does not list, added by the forward-compatibility probe (C-01). They
/// are the suite's own, so no receiver can know them.
const EXTRA_FIELDS: [(&str, &str); 3] = [
    ("facecertProbe", "an unknown string field"),
    ("facecert_extension", "an unknown object field"),
    ("facecertLevel", "an unknown number field"),
];
/// Every `abnormal_type` of API 1.3's table, 0 (none) first.
pub const ABNORMAL_TYPES: [u32; 12] = [
    0, 10001, 10002, 10003, 20001, 20002, 30001, 30002, 30003, 40001, 70001, 70002,
];
/// The `entry_mode` values of API 1.3.
pub const ENTRY_MODES: std::ops::RangeInclusive<u8> = 1..=12;
/// Non-numeric string user ids: a lowercase UUID as the guide's examples have, an
/// employee code with letters, a CJK id and one of the full 128 bytes.
const TEXT_USER_IDS: [&str; 4] = [
    "3f2b8c1e-9d4a-4e7b-8a61-5c0d2e9f7b13",
    "EMP-00042-b",
    "员工-张伟-07",
    "x0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghij",
];
/// The account the identity headers name (the guide says only "account information";
/// `admin` is the terminal's web login).
const ACCOUNT: &str = "admin";
/// Record numbers of the version probes, above the connection checks' and below the
/// liveness probes' (301 on), so that every record of a run has its own `uuid`.
const SEQ_OUTCOMES: u64 = 510;
const SEQ_ENTRY: u64 = 530;
const SEQ_ABNORMAL: u64 = 550;
const SEQ_USER_IDS: u64 = 570;
const SEQ_GROUPS: u64 = 580;
const SEQ_REDELIVERY: u64 = 590;
const SEQ_BARE: u64 = 591;
// 592 is T-07's second record.

/// One request the suite can send.
#[derive(Debug, Clone)]
pub struct Probe {
    /// A short unique slug, also the stem of the saved body file.
    pub name: String,
    /// POST for pushes and callbacks, GET for a heartbeat.
    pub method: crate::client::Method,
    pub content_type: Option<String>,
    pub body: Bytes,
    /// Whether this is a valid recognition record, whose answer the answer checks judge
    /// and which can stand in for a refused baseline. Alarms are not: their answers are
    /// R-14's to judge, and a receiver that takes alarms and refuses records must not
    /// have its records compared with an alarm's answer.
    pub valid: bool,
    /// Whether it goes with the version's identity headers (all but T-07's control).
    pub identity: bool,
}

impl Probe {
    /// A valid event. An [`Event`] serialises in the spec's field order, as the terminal
    /// sends it; a patched JSON value keeps its own order.
    fn event(name: impl Into<String>, event: &impl serde::Serialize) -> Arc<Self> {
        Self::json(name, event)
    }

    /// A valid event carrying `record`.
    fn of(name: impl Into<String>, record: &Record) -> Arc<Self> {
        Self::json(name, &Event::record(record.clone()))
    }

    fn json(name: impl Into<String>, event: &impl serde::Serialize) -> Arc<Self> {
        Arc::new(Self {
            name: name.into(),
            method: crate::client::Method::Post,
            content_type: Some(JSON.into()),
            body: Bytes::from(serde_json::to_vec(event).unwrap_or_default()),
            valid: true,
            identity: true,
        })
    }

    fn other(name: &str, content_type: Option<&str>, body: Vec<u8>) -> Arc<Self> {
        Arc::new(Self {
            name: name.into(),
            method: crate::client::Method::Post,
            content_type: content_type.map(str::to_string),
            body: Bytes::from(body),
            valid: false,
            identity: true,
        })
    }

    /// The file name the body is saved under with `--artifacts`.
    pub fn file_name(&self) -> String {
        let is_json = self.content_type.as_deref() == Some(JSON) && !self.body.is_empty();
        format!("{}.{}", self.name, if is_json { "json" } else { "bin" })
    }

    pub fn request(&self) -> crate::client::Request {
        crate::client::Request {
            method: self.method,
            content_type: self.content_type.clone(),
            body: self.body.clone(),
            identity: self.identity,
        }
    }
}

/// Builds every probe from a seed.
#[derive(Debug)]
pub struct Factory {
    seed: u64,
    api: ApiVersion,
    sn: String,
    generators: HashMap<RecognizeStatus, Generator>,
    /// A few rendered snapshots, stamped with each record's trace comment: rendering one
    /// per request would dominate the suite's run time in debug builds.
    pool: Vec<Vec<u8>>,
    base_timestamp: i64,
}

impl Factory {
    /// The probes of API version `api`, built from `seed`.
    pub fn new(seed: u64, api: ApiVersion) -> Self {
        let sn = device_sn(seed, 0);
        let generators = RecognizeStatus::ALL
            .iter()
            .map(|&status| {
                let cfg = SynthConfig {
                    seed,
                    status_mix: StatusMix::only(status),
                    api,
                    ..SynthConfig::default()
                };
                (status, Generator::new(&cfg, sn.clone()))
            })
            .collect::<HashMap<_, _>>();
        let known = &generators[&RecognizeStatus::InLibrary];
        let pool = (1..=4)
            .map(|seq| known.snapshot(&known.draw(seq)))
            .collect();
        Self {
            seed,
            api,
            sn,
            generators,
            pool,
            // A fixed second in 2023 plus an offset from the seed, so bodies never depend
            // on the clock.
            base_timestamp: 1_672_531_200 + i64::try_from(seed % 31_536_000).unwrap_or(0),
        }
    }

    /// The profile of the version the probes are built for.
    pub fn profile(&self) -> &'static Profile {
        self.api.profile()
    }

    /// The headers every push of the version carries (none before 1.2.1), stamped with
    /// the probes' own clock so that requests stay reproducible.
    pub fn identity_headers(&self) -> Vec<(&'static str, String)> {
        if !self.profile().identity_headers {
            return Vec::new();
        }
        Identity::of(&self.sn, ACCOUNT)
            .headers(self.base_timestamp)
            .to_vec()
    }

    /// Record `seq` with this status, as the terminal would send it.
    fn event(&self, status: RecognizeStatus, seq: u64) -> Record {
        event_from(
            &self.generators[&status],
            &self.pool,
            self.seed,
            seq,
            self.base_timestamp,
        )
    }

    fn known(&self, seq: u64) -> Record {
        self.event(RecognizeStatus::InLibrary, seq)
    }

    /// The baseline: a person from the library, the most common record.
    pub fn baseline(&self) -> Arc<Probe> {
        Probe::of("baseline", &self.known(1))
    }

    /// Plain valid events for the transport checks and liveness probes.
    pub fn plain(&self, name: &str, seq: u64) -> Arc<Probe> {
        Probe::of(name, &self.known(seq))
    }

    /// A record with this `recognizeStatus`.
    pub fn status(&self, status: RecognizeStatus) -> Arc<Probe> {
        let seq = SEQ_OUTCOMES + u64::from(status.code());
        Probe::of(
            format!("status-{}", status.code()),
            &self.event(status, seq),
        )
    }
}

/// Record `seq` of `generator` with a pooled snapshot stamped with its own trace.
fn event_from(generator: &Generator, pool: &[Vec<u8>], seed: u64, seq: u64, base: i64) -> Record {
    let draw = generator.draw(seq);
    let image = &pool[(seq as usize) % pool.len()];
    let stamped = jpeg::with_comment(image, &jpeg::trace_comment(generator.sn(), seq));
    let timestamp = base + i64::try_from(seq).unwrap_or(0);
    let mut event = generator.record(&draw, STANDARD.encode(stamped), timestamp);
    own_uuid(generator, seq, &mut event);
    if let Some(user) = event.user.as_mut() {
        if !user.name.is_ascii() || user.name.len() > PLAIN_NAME_BYTES {
            let pick =
                (seed.wrapping_mul(31).wrapping_add(seq) % PLAIN_NAMES.len() as u64) as usize;
            user.name = PLAIN_NAMES[pick].to_string();
        }
        if let UserId::Text(id) = &mut user.user_id {
            *id = numeric_id(id).to_string();
        }
    }
    event
}

/// Gives record `seq` a `uuid` of its version's own (where it has one). Within a run only
/// R-15 sends a `uuid` twice; across the runs of `--api-version all` (same seed, same
/// terminal), a receiver that keeps the uuids it took would otherwise see every later
/// version's records as redeliveries of the earlier ones'.
fn own_uuid(generator: &Generator, seq: u64, record: &mut Record) {
    if record.uuid.is_some() {
        let version = generator.config().api as u64 + 1;
        record.uuid = Some(generator.record_uuid(seq | version << 48));
    }
}

/// A stable number standing in for a text user id: a numeric string is a valid id of
/// every version with string ids, and one that even a receiver parsing ids as integers
/// takes, so only R-12 probes non-numeric ids.
fn numeric_id(text: &str) -> u64 {
    let hash = facesim_proto::seed::fnv1a(text.as_bytes());
    10_000_000 + hash % 90_000_000
}

/// The first event `type` the version does not define: it has recognition records (0),
/// and alarms (1) where the profile says so.
pub fn unknown_event_type(profile: &Profile) -> i64 {
    if profile.alarms {
        wire::EVENT_TYPE_ALARM + 1
    } else {
        wire::EVENT_TYPE_ALARM
    }
}

fn set_name(event: &mut Record, name: &str) {
    if let Some(user) = event.user.as_mut() {
        user.name = name.to_string();
    }
}

fn to_value(record: &Record) -> Value {
    serde_json::to_value(Event::record(record.clone())).unwrap_or(Value::Null)
}

fn add_extras(value: &mut Value) {
    if let Value::Object(map) = value {
        let [(s, s_doc), (o, o_doc), (n, _)] = EXTRA_FIELDS;
        map.insert(s.into(), Value::from(s_doc));
        map.insert(
            o.into(),
            serde_json::json!({ "note": o_doc, "list": [1, 2, 3] }),
        );
        map.insert(n.into(), Value::from(3));
    }
}

/// A JPEG padded with comment segments to at least `at_least` bytes. The padding goes
/// behind the first comment (the trace), so the image and its trace stay readable.
pub fn pad_jpeg(jpeg: &[u8], at_least: usize) -> Vec<u8> {
    const FILL: &[u8] = b"facecert padding for a large snapshot. ";
    if jpeg.len() < 4 || jpeg[..2] != [0xFF, 0xD8] {
        return jpeg.to_vec();
    }
    let mut insert_at = 2;
    if jpeg[2..4] == [0xFF, 0xFE] && jpeg.len() >= 6 {
        insert_at = (4 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]))).min(jpeg.len());
    }
    let mut padding = Vec::new();
    while jpeg.len() + padding.len() < at_least {
        let want = (at_least - jpeg.len() - padding.len()).clamp(1, jpeg::MAX_COMMENT_BYTES);
        padding.extend_from_slice(&[0xFF, 0xFE]);
        padding.extend_from_slice(&u16::try_from(want + 2).unwrap_or(u16::MAX).to_be_bytes());
        padding.extend(FILL.iter().cycle().take(want));
    }
    let mut out = Vec::with_capacity(jpeg.len() + padding.len());
    out.extend_from_slice(&jpeg[..insert_at]);
    out.extend_from_slice(&padding);
    out.extend_from_slice(&jpeg[insert_at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        let (a, b) = (
            Factory::new(7, ApiVersion::V1_0),
            Factory::new(7, ApiVersion::V1_0),
        );
        assert_eq!(a.baseline().body, b.baseline().body);
        assert_eq!(a.load(5, 2)[4].body, b.load(5, 2)[4].body);
        assert_ne!(
            a.baseline().body,
            Factory::new(8, ApiVersion::V1_0).baseline().body
        );
    }

    #[test]
    fn probes_are_what_they_claim() {
        let f = Factory::new(1, ApiVersion::V1_0);
        let decode = |p: &Probe| {
            let event = serde_json::from_slice::<Event>(&p.body).unwrap();
            event.as_record().cloned().expect("a record")
        };
        assert!(f.large().body.len() >= LARGE_BODY_BYTES);
        assert!(decode(&f.large()).user.is_some());
        assert_eq!(decode(&f.long_name()).user.unwrap().name.len(), 32);
        assert!(decode(&f.user_absent()).user.is_none());
        let null: Value = serde_json::from_slice(&f.user_null().body).unwrap();
        assert_eq!(null[field::DATA][field::USER], Value::Null);
        for probe in f.statuses().iter().chain(&f.masks()).chain(&f.modes()) {
            let event = decode(probe);
            let name = event.user.map(|u| u.name).unwrap_or_default();
            assert!(
                name.is_ascii() && name.len() <= PLAIN_NAME_BYTES,
                "{}: {name}",
                probe.name
            );
        }
        assert!(serde_json::from_slice::<Value>(&f.malformed().body).is_err());
        let smallest = f.smallest();
        assert!(smallest.body.len() < f.baseline().body.len());
        assert_eq!(
            decode(&smallest).recognize_status,
            Some(RecognizeStatus::Unknown)
        );
    }

    /// Every probe of a version, as `named` knows them.
    fn every_probe(f: &Factory) -> Vec<Arc<Probe>> {
        let mut all = vec![
            f.baseline(),
            f.user_absent(),
            f.user_null(),
            f.long_name(),
            f.smallest(),
            f.unknown_fields(),
        ];
        for batch in [
            f.bare().to_vec(),
            f.outcomes(),
            f.masks(),
            f.modes(),
            f.non_ascii_names(),
            f.entry_modes(),
            f.abnormal_types(),
            f.text_user_ids(),
            f.groups(),
        ] {
            all.extend(batch);
        }
        all.extend((2..=11).map(|k| f.plain(&format!("keep-alive-{k}"), k)));
        all.extend((100..120).map(|k| f.plain(&format!("burst-{k}"), k)));
        all.extend(
            (200..240)
                .chain(301..400)
                .map(|k| f.plain(&format!("alive-{k}"), k)),
        );
        all
    }

    #[test]
    fn records_follow_the_version() {
        let mut uuids = std::collections::HashSet::new();
        for api in ApiVersion::ALL {
            let f = Factory::new(5, api);
            let profile = api.profile();
            let records: Vec<(String, Record)> = every_probe(&f)
                .iter()
                .map(|p| {
                    let event = serde_json::from_slice::<Event>(&p.body).unwrap();
                    (
                        p.name.clone(),
                        event.as_record().cloned().expect("a record"),
                    )
                })
                .collect();
            // Every record of a run has its own `uuid` (a shared one would be a
            // redelivery, which only R-15 sends), unlike any of another version's run,
            // and only where the version has one.
            for (name, record) in &records {
                assert_eq!(record.uuid.is_some(), profile.record_ids, "{api} {name}");
                if let Some(uuid) = &record.uuid {
                    assert!(uuids.insert(uuid.clone()), "{api}: {name} repeats {uuid}");
                }
                assert_eq!(record.recognize_status.is_some(), profile.recognize_status);
                assert_eq!(record.recognition_type.is_some(), profile.recognition_type);
                assert_eq!(record.entry_mode.is_some(), profile.entry_details, "{name}");
                // Outside R-12 every text id is numeric.
                if let Some(wire::UserId::Text(id)) = record.user.as_ref().map(|u| &u.user_id) {
                    assert!(
                        name.starts_with("user-id-text") || id.parse::<u64>().is_ok(),
                        "{api} {name}: {id}"
                    );
                }
            }
            let modes: Vec<u8> = f
                .modes()
                .iter()
                .map(|p| {
                    let event = serde_json::from_slice::<Event>(&p.body).unwrap();
                    event.as_record().unwrap().mode.code()
                })
                .collect();
            assert_eq!(modes, profile.modes.clone().collect::<Vec<_>>());
            assert_eq!(
                f.long_name().name,
                format!("name-{}-bytes", profile.max_name_bytes)
            );
            let redelivered = f.redelivery();
            assert_eq!(redelivered[0].body, redelivered[1].body);
            assert_eq!(f.identity_headers().is_empty(), !profile.identity_headers);
            let other: Value = serde_json::from_slice(&f.other_type().body).unwrap();
            assert_eq!(other[field::TYPE], unknown_event_type(profile));
        }
        let f = Factory::new(5, ApiVersion::V1_3);
        let alarms = f.alarms();
        assert_eq!(alarms.len(), AlarmCode::ALL.len() * 5);
        let without_code = alarms
            .iter()
            .filter(|p| {
                let v: Value = serde_json::from_slice(&p.body).unwrap();
                v[field::TYPE] == wire::EVENT_TYPE_ALARM
                    && v[field::DATA].get(field::CODE).is_none()
            })
            .count();
        assert_eq!(without_code, AlarmCode::ALL.len() * 2);
        let kinds: Vec<_> = f
            .outcomes()
            .iter()
            .map(|p| {
                let event = serde_json::from_slice::<Event>(&p.body).unwrap();
                event.as_record().unwrap().recognition_type.unwrap()
            })
            .collect();
        assert_eq!(kinds, RecognitionType::ALL);
    }

    #[test]
    fn padding_keeps_the_trace_comment_first() {
        let f = Factory::new(3, ApiVersion::V1_0);
        let jpeg = f.pool[0].clone();
        let padded = pad_jpeg(&jpeg, 200_000);
        assert!(padded.len() >= 200_000);
        assert_eq!(jpeg::read_comment(&padded), jpeg::read_comment(&jpeg));
        assert!(padded.ends_with(&jpeg[jpeg.len() - 2..]));
    }
}
