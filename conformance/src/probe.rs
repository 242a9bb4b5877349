//! The requests the suite sends, built deterministically from the seed: records from the
//! simulator's synthetic generator (so they look like a real terminal's), then bent into
//! the variants the checks need. The same seed gives byte-identical bodies: timestamps
//! follow from the seed too, never from the clock.
//!
//! User names are kept short and ASCII in every request except those that probe names
//! so that a receiver that chokes on a name fails the check about names and
//! nothing else.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use facesim::synth::{Generator, StatusMix, SynthConfig, device_sn, jpeg};
use facesim::wire::{self, Event, Mask, Mode, RecognizeStatus, Record, field};
use serde_json::{Map, Value};

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
/// The event `type` of the forward-compatibility probe (C-02): later firmware's alarms.
pub const OTHER_EVENT_TYPE: i64 = 1;

/// One request the suite can send.
#[derive(Debug, Clone)]
pub struct Probe {
    /// A short unique slug, also the stem of the saved body file.
    pub name: String,
    pub content_type: Option<String>,
    pub body: Bytes,
    /// Whether this is a valid recognition event, whose answer the answer checks judge.
    pub valid: bool,
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
            content_type: Some(JSON.into()),
            body: Bytes::from(serde_json::to_vec(event).unwrap_or_default()),
            valid: true,
        })
    }

    fn other(name: &str, content_type: Option<&str>, body: Vec<u8>) -> Arc<Self> {
        Arc::new(Self {
            name: name.into(),
            content_type: content_type.map(str::to_string),
            body: Bytes::from(body),
            valid: false,
        })
    }

    /// The file name the body is saved under with `--artifacts`.
    pub fn file_name(&self) -> String {
        let is_json = self.content_type.as_deref() == Some(JSON) && !self.body.is_empty();
        format!("{}.{}", self.name, if is_json { "json" } else { "bin" })
    }

    pub fn request(&self) -> crate::client::Request {
        crate::client::Request {
            content_type: self.content_type.clone(),
            body: self.body.clone(),
        }
    }
}

/// Builds every probe from a seed.
#[derive(Debug)]
pub struct Factory {
    seed: u64,
    sn: String,
    generators: HashMap<RecognizeStatus, Generator>,
    /// A few rendered snapshots, stamped with each record's trace comment: rendering one
    /// per request would dominate the suite's run time in debug builds.
    pool: Vec<Vec<u8>>,
    base_timestamp: i64,
}

impl Factory {
    pub fn new(seed: u64) -> Self {
        let sn = device_sn(seed, 0);
        let generators = RecognizeStatus::ALL
            .iter()
            .map(|&status| {
                let cfg = SynthConfig {
                    seed,
                    status_mix: StatusMix::only(status),
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
            sn,
            generators,
            pool,
            // A fixed second in 2023 plus an offset from the seed, so bodies never depend
            // on the clock.
            base_timestamp: 1_672_531_200 + i64::try_from(seed % 31_536_000).unwrap_or(0),
        }
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
        Probe::of(format!("status-{}", status.code()), &self.event(status, 10))
    }

    /// One record per `recognizeStatus`.
    pub fn statuses(&self) -> Vec<Arc<Probe>> {
        RecognizeStatus::ALL
            .iter()
            .map(|&s| self.status(s))
            .collect()
    }

    /// One record per `mask` value.
    pub fn masks(&self) -> Vec<Arc<Probe>> {
        Mask::ALL
            .iter()
            .map(|&m| {
                let mut event = self.known(20 + u64::from(m.code()));
                event.mask = m;
                Probe::of(format!("mask-{}", m.code()), &event)
            })
            .collect()
    }

    /// One record per `mode`.
    pub fn modes(&self) -> Vec<Arc<Probe>> {
        (0..=6)
            .filter_map(|m| Mode::try_from(m).ok())
            .map(|m| {
                let mut event = self.known(30 + u64::from(m.code()));
                event.mode = m;
                Probe::of(format!("mode-{}", m.code()), &event)
            })
            .collect()
    }

    /// A stranger's record, which has no `user`.
    pub fn user_absent(&self) -> Arc<Probe> {
        Probe::of("user-absent", &self.event(RecognizeStatus::Stranger, 40))
    }

    /// A stranger's record with an explicit `"user": null`.
    pub fn user_null(&self) -> Arc<Probe> {
        let event = Event::record(self.event(RecognizeStatus::Stranger, 41));
        let overrides = Map::from_iter([(field::USER.to_string(), Value::Null)]);
        Probe::event("user-null", &wire::apply_overrides(&event, &overrides))
    }

    /// Records whose users have non-ASCII names.
    pub fn non_ascii_names(&self) -> Vec<Arc<Probe>> {
        NON_ASCII_NAMES
            .iter()
            .zip(50..)
            .enumerate()
            .map(|(i, (name, seq))| {
                let mut event = self.known(seq);
                set_name(&mut event, name);
                Probe::of(format!("name-{}", i + 1), &event)
            })
            .collect()
    }

    /// A record whose user's name is exactly the device's 128-byte limit.
    pub fn long_name(&self) -> Arc<Probe> {
        let mut event = self.known(60);
        let words = [
            "Maximilian",
            "Alexander",
            "Wolfgang",
            "Bartholomew",
            "Theodore",
        ];
        let mut name = String::new();
        for word in words.iter().cycle() {
            if name.len() >= wire::MAX_USER_NAME_BYTES {
                break;
            }
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(word);
        }
        name.truncate(wire::MAX_USER_NAME_BYTES);
        // A name ending in a space would look trimmed by accident; end on a letter.
        name.replace_range(wire::MAX_USER_NAME_BYTES - 1.., "z");
        set_name(&mut event, &name);
        Probe::of("name-128-bytes", &event)
    }

    /// A record whose snapshot makes the body at least [`LARGE_BODY_BYTES`].
    pub fn large(&self) -> Arc<Probe> {
        let mut event = self.known(61);
        let jpeg = STANDARD.decode(&event.rgb_image).unwrap_or_default();
        event.rgb_image = STANDARD.encode(pad_jpeg(&jpeg, LARGE_BODY_BYTES / 4 * 3 + 16 * 1024));
        Probe::of("large-snapshot", &event)
    }

    /// The smallest valid record: unclassified face, no user, zero scores, mask detection
    /// off, face mode, and a 16×16 snapshot.
    pub fn smallest(&self) -> Arc<Probe> {
        let cfg = SynthConfig {
            seed: self.seed,
            status_mix: StatusMix::only(RecognizeStatus::Unknown),
            mask_detection: false,
            width: 16,
            height: 16,
            quality: 10,
            people: 1,
            ..SynthConfig::default()
        };
        let generator = Generator::new(&cfg, self.sn.clone());
        let draw = generator.draw(62);
        let jpeg = generator.snapshot(&draw);
        let mut event = generator.record(&draw, STANDARD.encode(jpeg), self.base_timestamp + 62);
        event.recognize_score = 0.0;
        event.liveness_score = Some(0.0);
        event.pass = false;
        event.user = None;
        Probe::of("smallest-record", &event)
    }

    /// A valid record with extra fields at every level.
    pub fn unknown_fields(&self) -> Arc<Probe> {
        let mut value = to_value(&self.known(70));
        add_extras(&mut value);
        if let Some(data) = value.get_mut(field::DATA) {
            add_extras(data);
            if let Some(user) = data.get_mut(field::USER) {
                add_extras(user);
            }
        }
        Probe::event("unknown-fields", &value)
    }

    /// An event of another `type`, carrying a record as later firmware does.
    pub fn other_type(&self) -> Arc<Probe> {
        let mut value = to_value(&self.known(71));
        if let Value::Object(top) = &mut value {
            top.insert(field::TYPE.into(), Value::from(OTHER_EVENT_TYPE));
        }
        let mut probe = Probe::event("type-1", &value);
        Arc::make_mut(&mut probe).valid = false;
        probe
    }

    /// A valid event cut off in the middle: not JSON.
    pub fn malformed(&self) -> Arc<Probe> {
        let body = serde_json::to_vec(&self.known(80)).unwrap_or_default();
        Probe::other(
            "malformed-json",
            Some(JSON),
            body[..body.len() / 2].to_vec(),
        )
    }

    /// An empty body labelled JSON.
    pub fn empty(&self) -> Arc<Probe> {
        Probe::other("empty-body", Some(JSON), Vec::new())
    }

    /// A valid event labelled as plain text.
    pub fn mislabelled(&self) -> Arc<Probe> {
        let body = serde_json::to_vec(&self.known(81)).unwrap_or_default();
        Probe::other("wrong-content-type", Some(WRONG_CONTENT_TYPE), body)
    }

    /// The request of this name among those the run sends one of (the load phase's and
    /// the liveness probes excepted), for `facecert body`.
    pub fn named(&self, name: &str) -> Option<Arc<Probe>> {
        let mut all = vec![
            self.baseline(),
            self.user_absent(),
            self.user_null(),
            self.long_name(),
            self.large(),
            self.smallest(),
            self.unknown_fields(),
            self.other_type(),
            self.malformed(),
            self.empty(),
            self.mislabelled(),
            self.huge(),
        ];
        all.extend(self.statuses());
        all.extend(self.masks());
        all.extend(self.modes());
        all.extend(self.non_ascii_names());
        all.into_iter().find(|p| p.name == name)
    }

    /// A syntactically valid event of [`HUGE_BODY_BYTES`], its snapshot padded.
    pub fn huge(&self) -> Arc<Probe> {
        let mut event = self.known(82);
        let jpeg = STANDARD.decode(&event.rgb_image).unwrap_or_default();
        event.rgb_image = STANDARD.encode(pad_jpeg(&jpeg, HUGE_BODY_BYTES / 4 * 3));
        let mut probe = Probe::of("huge-body", &event);
        Arc::make_mut(&mut probe).valid = false;
        probe
    }

    /// The load phase's events: `count` records spread over `devices` terminals, each
    /// with its own serial number, in the default status mix.
    pub fn load(&self, count: usize, devices: usize) -> Vec<Arc<Probe>> {
        let devices = devices.max(1);
        let generators: Vec<Generator> = (0..devices)
            .map(|d| {
                let cfg = SynthConfig {
                    seed: self.seed,
                    ..SynthConfig::default()
                };
                Generator::new(
                    &cfg,
                    device_sn(self.seed, u32::try_from(d + 1).unwrap_or(u32::MAX)),
                )
            })
            .collect();
        (0..count)
            .map(|i| {
                let generator = &generators[i % devices];
                let seq = 1000 + (i / devices) as u64;
                let event = event_from(generator, &self.pool, self.seed, seq, self.base_timestamp);
                Probe::of(format!("load-{:04}", i + 1), &event)
            })
            .collect()
    }
}

/// Record `seq` of `generator` with a pooled snapshot stamped with its own trace.
fn event_from(generator: &Generator, pool: &[Vec<u8>], seed: u64, seq: u64, base: i64) -> Record {
    let draw = generator.draw(seq);
    let image = &pool[(seq as usize) % pool.len()];
    let stamped = jpeg::with_comment(image, &jpeg::trace_comment(generator.sn(), seq));
    let timestamp = base + i64::try_from(seq).unwrap_or(0);
    let mut event = generator.record(&draw, STANDARD.encode(stamped), timestamp);
    if let Some(user) = event.user.as_mut() {
        if !user.name.is_ascii() || user.name.len() > PLAIN_NAME_BYTES {
            let pick =
                (seed.wrapping_mul(31).wrapping_add(seq) % PLAIN_NAMES.len() as u64) as usize;
            user.name = PLAIN_NAMES[pick].to_string();
        }
    }
    event
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
        let (a, b) = (Factory::new(7), Factory::new(7));
        assert_eq!(a.baseline().body, b.baseline().body);
        assert_eq!(a.load(5, 2)[4].body, b.load(5, 2)[4].body);
        assert_ne!(a.baseline().body, Factory::new(8).baseline().body);
    }

    #[test]
    fn probes_are_what_they_claim() {
        let f = Factory::new(1);
        let decode = |p: &Probe| {
            let event = serde_json::from_slice::<Event>(&p.body).unwrap();
            event.as_record().cloned().expect("a record")
        };
        assert!(f.large().body.len() >= LARGE_BODY_BYTES);
        assert!(decode(&f.large()).user.is_some());
        assert_eq!(decode(&f.long_name()).user.unwrap().name.len(), 128);
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

    #[test]
    fn padding_keeps_the_trace_comment_first() {
        let f = Factory::new(3);
        let jpeg = f.pool[0].clone();
        let padded = pad_jpeg(&jpeg, 200_000);
        assert!(padded.len() >= 200_000);
        assert_eq!(jpeg::read_comment(&padded), jpeg::read_comment(&jpeg));
        assert!(padded.ends_with(&jpeg[jpeg.len() - 2..]));
    }
}
