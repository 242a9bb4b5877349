//! Remote-authentication callers: the kinds of person and verification method the guide's
//! table of when the callback fires lists (§6.4 of the spec summary), what the terminal
//! does for each under `auth_mode` 0, 1 and 3 ([`TRIGGERS`], one table), and the
//! deterministic callback body of each ([`Generator::auth_request`]).
//!
//! Choices the guide leaves open, made here:
//!
//! - A library caller is drawn from the device's population like a record's person (any
//!   kind, blacklisted included: the server decides, and a reference server refuses them).
//!   `recognizeStatus` is 2 (in library) for library callers and 3 (stranger) for
//!   strangers, whatever the method: the callback keeps the status codes of §2.3.
//! - The terminal's camera sees whoever stands at the door, so every body carries a
//!   snapshot and a face score, whatever the method: library people score 0.86–0.995,
//!   strangers 0.2–0.6, as in records.
//! - `entry_mode` (1.3) follows the method: face 1, QR code 2, card 3, ID card 5, face
//!   and ID card 6, PIN 12 (a job number and PIN). `qrcode_content` is `""` except for QR
//!   callers, whose code reads `facesim-qr-<16 hex digits>`.
//! - Under `auth_mode` 0 nothing is reported: library people are admitted, strangers
//!   refused with the texts of mode 1, except a stranger whose face matches the ID card
//!   presented (admitted, as the guide's mode 3 row shows).

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::face::Region;
use super::scene::Shot;
use super::{Draw, Generator, Person, truncate_at_char};
use crate::profile::{PersonKind, UserIds};
use crate::seed::{Domain, splitmix64};
use crate::wire::{AuthMode, AuthRequest, Group, RecognizeStatus, User, UserId};

/// How a caller presents themselves at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Face,
    Card,
    IdCard,
    Pin,
    QrCode,
    /// The face compared with the ID card presented.
    FaceIdCard,
}

impl Method {
    /// The 1.3 `entry_mode` code of the method.
    pub fn entry_mode(self) -> u8 {
        match self {
            Method::Face => 1,
            Method::QrCode => 2,
            Method::Card => 3,
            Method::IdCard => 5,
            Method::FaceIdCard => 6,
            Method::Pin => 12,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Method::Face => "face",
            Method::Card => "card",
            Method::IdCard => "id-card",
            Method::Pin => "pin",
            Method::QrCode => "qr",
            Method::FaceIdCard => "face-id-card",
        }
    }
}

/// Who stands at the door and how they present themselves: one row of the guide's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Caller {
    /// A person from the device's library, or a stranger.
    pub library: bool,
    pub method: Method,
}

impl Caller {
    /// Every caller: library people, then strangers, each by every method.
    pub const ALL: [Caller; 12] = {
        const M: [Method; 6] = [
            Method::Face,
            Method::Card,
            Method::IdCard,
            Method::Pin,
            Method::QrCode,
            Method::FaceIdCard,
        ];
        let mut all = [Caller {
            library: true,
            method: Method::Face,
        }; 12];
        let mut i = 0;
        while i < 12 {
            all[i] = Caller {
                library: i < 6,
                method: M[i % 6],
            };
            i += 1;
        }
        all
    };

    /// A library person presenting themselves by `method`.
    pub const fn library(method: Method) -> Self {
        Self {
            library: true,
            method,
        }
    }

    /// A stranger presenting themselves by `method`.
    pub const fn stranger(method: Method) -> Self {
        Self {
            library: false,
            method,
        }
    }

    /// The stable name: `library-face`, `stranger-qr`, `library-face-id-card`, …
    pub fn name(self) -> String {
        let who = if self.library { "library" } else { "stranger" };
        format!("{who}-{}", self.method.name())
    }

    /// What the terminal does for this caller under `mode` (see [`TRIGGERS`]).
    pub fn reaction(self, mode: AuthMode) -> Reaction {
        let row = TRIGGERS
            .iter()
            .find(|t| t.caller == self)
            .unwrap_or(&TRIGGERS[0]);
        match mode.code() {
            1 => row.mode_1,
            3 => row.mode_3,
            _ => row.local,
        }
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A caller name that is not one of [`Caller::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown caller `{0}`; use library-* or stranger-* with face, card, id-card, pin, qr or face-id-card"
)]
pub struct UnknownCaller(pub String);

impl FromStr for Caller {
    type Err = UnknownCaller;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Caller::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownCaller(s.to_string()))
    }
}

/// What the terminal does for a caller under one `auth_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    /// It POSTs the callback and lets the answer decide.
    Callback,
    /// It decides locally and opens the door (the success card is shown).
    Admit,
    /// It decides locally and keeps the door shut, showing this text (`""`: none).
    Refuse(&'static str),
}

impl Reaction {
    /// Whether the callback fires.
    pub fn calls(self) -> bool {
        self == Reaction::Callback
    }
}

/// One row of the guide's table: a caller and the terminal's reaction by `auth_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    pub caller: Caller,
    /// `auth_mode` 0 (not in the guide's table; see the module's choices).
    pub local: Reaction,
    pub mode_1: Reaction,
    pub mode_3: Reaction,
}

const INVALID_CARD: &str = "invalid card, contact the administrator";
const VISITOR: &str = "visitor, contact the administrator";
const INVALID_ID_CARD: &str = "invalid ID card, contact the administrator";
const INVALID_QR: &str = "invalid QR code";

const fn row(caller: Caller, local: Reaction, mode_1: Reaction, mode_3: Reaction) -> Trigger {
    Trigger {
        caller,
        local,
        mode_1,
        mode_3,
    }
}

/// When the callback fires: the guide's 1.3 application examples (§6.4), row by row.
pub const TRIGGERS: [Trigger; 12] = {
    use Method::*;
    use Reaction::*;
    [
        // Library people: after local success the server decides under mode 1; under
        // mode 3 they are admitted locally, except QR codes, which always go to the server.
        row(Caller::library(Face), Admit, Callback, Admit),
        row(Caller::library(Card), Admit, Callback, Admit),
        row(Caller::library(IdCard), Admit, Callback, Admit),
        row(Caller::library(Pin), Admit, Callback, Admit),
        row(Caller::library(QrCode), Admit, Callback, Callback),
        row(Caller::library(FaceIdCard), Admit, Callback, Admit),
        // Strangers: refused locally with the guide's texts, except their faces under mode
        // 3 (the server may recognise them), QR codes, and the face-vs-ID-card check,
        // which mode 1 reports and mode 3 admits without reporting.
        row(
            Caller::stranger(Face),
            Refuse(VISITOR),
            Refuse(VISITOR),
            Callback,
        ),
        row(
            Caller::stranger(Card),
            Refuse(INVALID_CARD),
            Refuse(INVALID_CARD),
            Refuse(INVALID_CARD),
        ),
        row(
            Caller::stranger(IdCard),
            Refuse(INVALID_ID_CARD),
            Refuse(INVALID_ID_CARD),
            Refuse(INVALID_ID_CARD),
        ),
        row(Caller::stranger(Pin), Refuse(""), Refuse(""), Refuse("")),
        row(
            Caller::stranger(QrCode),
            Refuse(INVALID_QR),
            Callback,
            Callback,
        ),
        row(Caller::stranger(FaceIdCard), Admit, Callback, Admit),
    ]
};

impl Generator {
    /// The callback body for `caller` as record number `seq` at `timestamp` (Unix
    /// seconds), with the configured API version's fields: a pure function of `(seed, sn,
    /// caller, seq)`. A library caller is named in `user`; a stranger has none.
    pub fn auth_request(&self, caller: Caller, seq: u64, timestamp: i64) -> AuthRequest {
        let (draw, person) = self.caller_draw(caller, seq);
        let image = STANDARD.encode(self.snapshot(&draw));
        self.auth_body(caller, &draw, person, image, timestamp)
    }

    /// [`Generator::auth_request`] with a given snapshot (base64), for load generators that
    /// reuse a pool of snapshots.
    pub fn auth_request_with_image(
        &self,
        caller: Caller,
        seq: u64,
        rgb_image_b64: String,
        timestamp: i64,
    ) -> AuthRequest {
        let (draw, person) = self.caller_draw(caller, seq);
        self.auth_body(caller, &draw, person, rgb_image_b64, timestamp)
    }

    /// What a terminal makes for `caller` as record `seq`: the recognition event (its `pass`
    /// the local verdict of `auth_mode` 0, which a callback may overturn) and the callback
    /// body, sharing one snapshot.
    pub fn caller_event(
        &self,
        caller: Caller,
        seq: u64,
        timestamp: i64,
    ) -> (crate::wire::Event, AuthRequest) {
        let (mut draw, person) = self.caller_draw(caller, seq);
        draw.pass = caller.reaction(AuthMode::LOCAL) == Reaction::Admit;
        let image = STANDARD.encode(self.snapshot(&draw));
        let request = self.auth_body(caller, &draw, person, image.clone(), timestamp);
        (self.event(&draw, image, timestamp), request)
    }

    /// The callback body of a recognised face (a scheduled record's draw), as `caller`,
    /// with the record's snapshot.
    pub fn auth_request_for_draw(
        &self,
        caller: Caller,
        draw: &Draw,
        rgb_image_b64: String,
        timestamp: i64,
    ) -> AuthRequest {
        let mut request = self.auth_body(caller, draw, draw.person, rgb_image_b64, timestamp);
        request.recognize_status = draw.status;
        request
    }

    /// The caller's person (library callers only), and the draw their snapshot is made from.
    fn caller_draw(&self, caller: Caller, seq: u64) -> (Draw, Option<usize>) {
        let salt =
            splitmix64(self.device_seed ^ Domain::Callback.salt()) ^ (caller.method as u64) << 1;
        let seed = splitmix64(salt ^ u64::from(caller.library) ^ seq.rotate_left(7));
        let mut rng = StdRng::seed_from_u64(seed);
        let person = if caller.library {
            self.population.pick(&mut rng)
        } else {
            None
        };
        let known = person.map(|i| &self.population()[i]);
        let status = if known.is_some() {
            RecognizeStatus::InLibrary
        } else {
            RecognizeStatus::Stranger
        };
        let look = known.map_or_else(
            || self.population.stranger(&mut rng, Region::Anywhere),
            |p| p.look,
        );
        let score = if known.is_some() {
            0.86 + 0.135 * f64::from(rng.random::<f32>().max(rng.random::<f32>()))
        } else {
            rng.random_range(0.2..0.6)
        };
        let (mask, mask_worn) = self.draw_mask(&mut rng, known);
        let mut shot = Shot::random(&mut rng, self.backdrop);
        shot.mask_worn = mask_worn;
        let temperature = if self.cfg.temperature_detection {
            let usual = known.map_or(36.6, |p| p.details.temperature);
            ((usual + rng.random_range(-0.2..0.2)) * 100.0).round() / 100.0
        } else {
            0.0
        };
        let draw = Draw {
            seq,
            status,
            person,
            recognize_score: (score.clamp(0.0, 1.0) * 10_000.0).round() / 10_000.0,
            liveness_score: 0.95,
            mask,
            pass: false,
            temperature,
            abnormal: 0,
            entry_mode: caller.method.entry_mode(),
            look,
            shot,
        };
        (draw, person)
    }

    fn auth_body(
        &self,
        caller: Caller,
        draw: &Draw,
        person: Option<usize>,
        rgb_image: String,
        timestamp: i64,
    ) -> AuthRequest {
        let profile = self.cfg.api.profile();
        let auth = &profile.auth;
        let qrcode = if caller.method == Method::QrCode {
            let h =
                splitmix64(self.device_seed ^ Domain::Callback.salt() ^ draw.seq.rotate_left(29));
            format!("facesim-qr-{h:016x}")
        } else {
            String::new()
        };
        AuthRequest {
            device_sn: self.sn.clone(),
            recognize_status: draw.status,
            recognize_score: auth.details.then_some(draw.recognize_score),
            mask: draw.mask,
            rgb_image,
            timestamp,
            body_temperature: draw.temperature,
            entry_mode: auth.entry.then_some(draw.entry_mode),
            qrcode_content: auth.entry.then_some(qrcode),
            user: person
                .and_then(|i| self.population().get(i))
                .map(|p| self.callback_user(p, timestamp)),
        }
    }

    /// The callback's `user`: the fields §6.2 lists for the configured version.
    fn callback_user(&self, person: &Person, timestamp: i64) -> User {
        let profile = self.cfg.api.profile();
        let auth = &profile.auth;
        let details = &person.details;
        let kind = profile
            .user_type(person.kind)
            .or_else(|| profile.user_type(PersonKind::Employee))
            .unwrap_or(1);
        let user_id = match profile.user_ids {
            UserIds::Integer(max) => UserId::Int(person.user_id.clamp(1, max - 1)),
            UserIds::Text => UserId::Text(details.uuid.clone()),
        };
        let name = truncate_at_char(&person.name, profile.max_name_bytes);
        let mut user = User::basic(name, user_id, kind);
        const DAY_MS: i64 = 86_400_000;
        let today = timestamp.div_euclid(86_400) * DAY_MS;
        let (start, end) = details.guest_days.map_or((0, 0), |(from, to)| {
            (today + from * DAY_MS, today + (to + 1) * DAY_MS - 1)
        });
        if auth.details {
            user.ic_number = Some(details.ic_number.clone());
            user.job_number = Some(details.job_number.clone());
            user.remark = Some(details.remark.clone());
            user.guest_time_start = Some(start);
            user.guest_time_end = Some(end);
        }
        if auth.id_number {
            user.id_number = Some(details.id_number.clone());
        }
        if auth.entry {
            user.pin = Some(String::new());
            user.groups = Some(
                details
                    .groups
                    .iter()
                    .map(|&g| Group {
                        id: super::people::GROUPS[g].0.into(),
                        name: super::people::GROUPS[g].1.into(),
                    })
                    .collect(),
            );
        }
        user
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ApiVersion;
    use crate::synth::SynthConfig;
    use proptest::prelude::*;

    /// §6.4 row by row: (person, method, reported under 1, reported under 3).
    #[test]
    fn the_trigger_table_is_the_guides() {
        use Method::*;
        let guide = [
            (false, Card, false, false),
            (false, Face, false, true),
            (false, IdCard, false, false),
            (false, Pin, false, false),
            (false, QrCode, true, true),
            (false, FaceIdCard, true, false),
            (true, Card, true, false),
            (true, Face, true, false),
            (true, IdCard, true, false),
            (true, Pin, true, false),
            (true, QrCode, true, true),
            (true, FaceIdCard, true, false),
        ];
        for (library, method, one, three) in guide {
            let caller = Caller { library, method };
            assert_eq!(
                caller.reaction(AuthMode::LIBRARY_TO_SERVER).calls(),
                one,
                "{caller} under 1"
            );
            assert_eq!(
                caller.reaction(AuthMode::STRANGERS_TO_SERVER).calls(),
                three,
                "{caller} under 3"
            );
            assert!(
                !caller.reaction(AuthMode::LOCAL).calls(),
                "{caller} under 0"
            );
        }
        assert_eq!(
            Caller::stranger(Card).reaction(AuthMode::LIBRARY_TO_SERVER),
            Reaction::Refuse(INVALID_CARD)
        );
        assert_eq!(
            Caller::stranger(FaceIdCard).reaction(AuthMode::STRANGERS_TO_SERVER),
            Reaction::Admit
        );
        assert_eq!(
            Caller::library(Face).reaction(AuthMode::STRANGERS_TO_SERVER),
            Reaction::Admit
        );
        assert_eq!(TRIGGERS.len(), Caller::ALL.len());
        for caller in Caller::ALL {
            assert_eq!(caller.name().parse::<Caller>(), Ok(caller));
            assert_eq!(TRIGGERS.iter().filter(|t| t.caller == caller).count(), 1);
        }
        assert!("library-iris".parse::<Caller>().is_err());
    }

    fn check_body(api: ApiVersion, caller: Caller, body: &serde_json::Value) {
        let p = api.profile();
        let obj = body.as_object().expect("an object");
        let mut expected: Vec<&str> = p
            .auth
            .callback_fields()
            .into_iter()
            .filter(|f| *f != "user" || caller.library)
            .collect();
        let mut found: Vec<&str> = obj.keys().map(String::as_str).collect();
        expected.sort_unstable();
        found.sort_unstable();
        assert_eq!(found, expected, "callback fields of {caller} under {api}");
        if let Some(user) = obj.get("user") {
            let mut expected = p.auth.callback_user_fields();
            let mut found: Vec<&str> = user
                .as_object()
                .expect("user is an object")
                .keys()
                .map(String::as_str)
                .collect();
            expected.sort_unstable();
            found.sort_unstable();
            assert_eq!(found, expected, "callback user fields under {api}");
            match p.user_ids {
                UserIds::Integer(_) => assert!(user["user_id"].is_i64()),
                UserIds::Text => assert!(user["user_id"].is_string()),
            }
        }
        let status = obj["recognizeStatus"].as_i64().expect("status");
        assert_eq!(status, if caller.library { 2 } else { 3 });
        if let Some(qr) = obj.get("qrcode_content") {
            let qr = qr.as_str().expect("a string");
            assert_eq!(!qr.is_empty(), caller.method == Method::QrCode);
            assert_eq!(obj["entry_mode"], caller.method.entry_mode());
        }
        for never in [
            "uuid",
            "recognitionType",
            "mode",
            "pass",
            "abnormal_type",
            "livenessScore",
            "type",
            "data",
        ] {
            assert!(!obj.contains_key(never), "{never} in a callback");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn every_callback_body_has_exactly_its_versions_fields(
            seed in any::<u64>(),
            seq in 0u64..100_000,
            version in proptest::sample::select(ApiVersion::ALL[1..].to_vec()),
            caller in proptest::sample::select(Caller::ALL.to_vec()),
        ) {
            let cfg = SynthConfig { seed, api: version, people: 20, width: 32, height: 32, ..SynthConfig::default() };
            let g = Generator::new(&cfg, "PS71HD01MC22C00014");
            let request = g.auth_request_with_image(caller, seq, "/9k=".into(), 1_700_000_000);
            let json = serde_json::to_value(&request).expect("json");
            check_body(version, caller, &json);
            let back: AuthRequest = serde_json::from_value(json).expect("parses back");
            prop_assert_eq!(&back, &request);
            prop_assert_eq!(g.auth_request_with_image(caller, seq, "/9k=".into(), 1_700_000_000), request);
        }
    }

    #[test]
    fn a_callback_carries_a_traced_snapshot() {
        let cfg = SynthConfig {
            api: ApiVersion::V1_3,
            width: 64,
            height: 64,
            ..SynthConfig::default()
        };
        let g = Generator::new(&cfg, "PS71HD01MC22C00014");
        let request = g.auth_request(Caller::stranger(Method::Face), 42, 1_700_000_000);
        let jpeg = STANDARD.decode(&request.rgb_image).expect("base64");
        let trace = crate::synth::jpeg::read_comment(&jpeg)
            .and_then(|c| crate::synth::jpeg::parse_trace(&c));
        assert_eq!(trace, Some((g.sn().to_string(), 42)));
        assert!(request.user.is_none());
    }
}
