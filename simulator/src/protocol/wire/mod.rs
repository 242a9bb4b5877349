//! Every type that crosses the network: recognition events, the receiver's answer, the
//! device API's bodies, and the outcome classes and statistics reports that `/sim/stats`
//! and the load results carry. This is the only module that spells a protocol field name;
//! it does no I/O and depends on no other module of the crate. Decoding is strict and
//! precise: a bad body yields an error naming the field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Event `type` 0: a recognition record (every version).
pub const EVENT_TYPE_RECOGNITION: i64 = 0;
/// Event `type` 1: a device alarm (API 1.3).
pub const EVENT_TYPE_ALARM: i64 = 1;
/// The success `code` of every answer, in the device API and in push answers alike.
pub const CODE_OK: i64 = 200;
/// Longest `event_dest` the device accepts, in bytes.
pub const MAX_EVENT_DEST_BYTES: usize = 1024;
/// Longest user name the device stores, in bytes.
pub const MAX_USER_NAME_BYTES: usize = 128;
/// Recommended upper bound of `customtips`, in characters (not bytes).
pub const RECOMMENDED_TIPS_CHARS: usize = 10;

mod ai;
mod answer;
mod auth;
mod functions;
mod history;
pub mod layouts;
mod library;
mod login;
mod maintenance;
mod record;
pub mod settings;

pub use ai::*;
pub use answer::*;
pub use auth::*;
pub use functions::*;
pub use history::*;
pub use library::*;
pub use login::*;
pub use maintenance::*;
pub use record::*;
pub use settings::{DeviceInfo, DoorRequest, MODEL_VERSIONS, recognize_field};

/// Names of record fields, for callers that patch records as JSON (overrides, conformance
/// variants). Kept here so that field names are spelled only in this module.
pub mod field {
    pub const TYPE: &str = "type";
    pub const DATA: &str = "data";
    pub const RECOGNIZE_STATUS: &str = "recognizeStatus";
    pub const DEVICE_SN: &str = "deviceSN";
    pub const RECOGNIZE_SCORE: &str = "recognizeScore";
    pub const LIVENESS_SCORE: &str = "livenessScore";
    pub const MASK: &str = "mask";
    pub const RGB_IMAGE: &str = "rgb_image";
    pub const PASS: &str = "pass";
    pub const MODE: &str = "mode";
    pub const USER: &str = "user";
    pub const USER_NAME: &str = "name";
    pub const USER_ID: &str = "user_id";
    pub const USER_TYPE: &str = "type";
    pub const TIMESTAMP: &str = "timestamp";
    pub const CODE: &str = "code";
    pub const MSG: &str = "msg";
    pub const MESSAGE: &str = "message";
    pub const CUSTOMTIPS: &str = "customtips";
    pub const EVENT_DEST: &str = "event_dest";
    pub const ENABLED: &str = "enabled";
    pub const RECOGNITION_TYPE: &str = "recognitionType";
    pub const UUID: &str = "uuid";
    pub const BODY_TEMPERATURE: &str = "bodyTemperature";
    pub const ENTRY_MODE: &str = "entry_mode";
    pub const ABNORMAL_TYPE: &str = "abnormal_type";
    pub const IC_NUMBER: &str = "ic_number";
    pub const JOB_NUMBER: &str = "job_number";
    pub const ID_NUMBER: &str = "id_number";
    pub const GUEST_TIME_START: &str = "guest_time_start";
    pub const GUEST_TIME_END: &str = "guest_time_end";
    pub const REMARK: &str = "remark";
    pub const PIN: &str = "pin";
    pub const GROUPS: &str = "groups";
    pub const TRACE_ID: &str = "trace_id";
    pub const EVENT_TIME: &str = "event_time";
    pub const STATUS: &str = "status";
    pub const ALARM_PHOTO: &str = "alarm_photo";
    /// Identity headers of pushes and device answers (from API 1.2.1), in lower case as
    /// the guide writes them.
    pub const HEADER_MODEL: &str = "model";
    pub const HEADER_SN: &str = "sn";
    pub const HEADER_TIMESTAMP: &str = "timestamp";
    pub const HEADER_ACCOUNT: &str = "account";
}

/// Whether serial number `sn` is an S8's (the temperature-measuring model, whose serial
/// numbers start `PSC8`, as the guide's `PSC800C0MC22G00025`), which alone has
/// `/v1/device/antiepidemic`.
pub fn is_s8(sn: &str) -> bool {
    sn.starts_with("PSC8")
}

/// Who a device is, as the identity headers of API 1.2.1 and later say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The device model, such as `SPSC801C0FY01`.
    pub model: String,
    pub sn: String,
    /// The web login account (the guide says only "account information").
    pub account: String,
}

impl Identity {
    /// A device's identity, its model following from the serial number's family.
    pub fn of(sn: &str, account: &str) -> Self {
        let model = if is_s8(sn) {
            "SPSC801C0FY01"
        } else if sn.starts_with("PSC7") {
            "SPSC701C0FY01"
        } else {
            "SPS71HD01"
        };
        Self {
            model: model.into(),
            sn: sn.into(),
            account: account.into(),
        }
    }

    /// The four headers at Unix time `now` (seconds: the guide does not say, and every
    /// other timestamp of a record is in seconds).
    pub fn headers(&self, now: i64) -> [(&'static str, String); 4] {
        [
            (field::HEADER_MODEL, self.model.clone()),
            (field::HEADER_SN, self.sn.clone()),
            (field::HEADER_TIMESTAMP, now.to_string()),
            (field::HEADER_ACCOUNT, self.account.clone()),
        ]
    }
}

// ---------------------------------------------------------------------------------------
// The device API.
// ---------------------------------------------------------------------------------------

/// The envelope of every device API answer: `{"code", "msg", "data"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub code: i64,
    pub msg: String,
    pub data: T,
}

impl<T> Envelope<T> {
    /// A success envelope around `data`.
    pub fn ok(data: T) -> Self {
        Self {
            code: CODE_OK,
            msg: "OK".into(),
            data,
        }
    }
}

/// An empty `data` object (`{}`), as the device answers a successful POST.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// The push configuration: where events go and whether pushing is on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// Spelled `""` on the wire and on disk when no destination is set, as the device
    /// answers before any configuration; any other value must be a valid [`Destination`].
    #[serde(
        serialize_with = "serialize_dest_or_empty",
        deserialize_with = "deserialize_dest_or_empty"
    )]
    pub event_dest: Option<Destination>,
    pub enabled: bool,
}

impl Subscription {
    /// Where pushing goes, when it is on: enabled and a destination set.
    pub fn active(&self) -> Option<&Destination> {
        self.event_dest.as_ref().filter(|_| self.enabled)
    }

    /// The destination as the API spells it, `""` when none is set.
    pub fn event_dest_str(&self) -> &str {
        self.event_dest.as_ref().map_or("", Destination::as_str)
    }
}

/// A receiver URL that passed [`validate_dest`]: an absolute `http` or `https` URL with a
/// host, at most 1024 bytes. Validated once, where it enters (the device API, the stored
/// configuration, a command line), and then carried as is to the pusher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// Exactly as given, which is what the API answers back.
    text: String,
    url: url::Url,
}

impl Destination {
    /// Validates `dest`.
    ///
    /// # Errors
    /// A [`SubscribeError`] saying what is wrong with it.
    pub fn parse(dest: &str) -> Result<Self, SubscribeError> {
        let url = validate_dest(dest)?;
        Ok(Self {
            text: dest.to_string(),
            url,
        })
    }

    /// The parsed URL.
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// The URL as it was given.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::str::FromStr for Destination {
    type Err = SubscribeError;

    fn from_str(s: &str) -> Result<Self, SubscribeError> {
        Self::parse(s)
    }
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Destination {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Destination {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Destination::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Writes `Option<Destination>` as the device API spells it: `""` for none.
fn serialize_dest_or_empty<S: serde::Serializer>(
    dest: &Option<Destination>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(dest.as_ref().map_or("", Destination::as_str))
}

/// Reads `""` as no destination and anything else as a [`Destination`], refusing what
/// does not validate.
fn deserialize_dest_or_empty<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Destination>, D::Error> {
    let text = String::deserialize(d)?;
    if text.is_empty() {
        return Ok(None);
    }
    Destination::parse(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// Why a `POST /v1/event/subscribe` body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubscribeError {
    #[error("body is not valid JSON: {0}")]
    NotJson(String),
    #[error("body must be a JSON object, got {0}")]
    NotObject(&'static str),
    #[error("missing required field `event_dest`")]
    MissingDest,
    #[error("field `{field}` must be {expected}, got {found}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    #[error("`event_dest` is {0} bytes, at most 1024 are allowed")]
    DestTooLong(usize),
    #[error("`event_dest` is not an absolute URL: {0}")]
    BadUrl(String),
    #[error("`event_dest` scheme must be http or https, got `{0}`")]
    BadScheme(String),
    #[error("`event_dest` has no host")]
    NoHost,
}

/// Parses and validates a `POST /v1/event/subscribe` body. `event_dest` is required: an
/// absolute `http` or `https` URL with a host, at most 1024 bytes. `enabled` is optional;
/// when absent the push is enabled, since naming a destination is asking for events (send
/// `"enabled": false` to store a destination without pushing). Unknown fields are ignored,
/// as the device's other endpoints do.
///
/// # Errors
/// A [`SubscribeError`] saying what is wrong; nothing is stored on error.
pub fn parse_subscription(body: &[u8]) -> Result<Subscription, SubscribeError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| SubscribeError::NotJson(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(SubscribeError::NotObject(json_type(&value)));
    };
    let dest = match obj.get(field::EVENT_DEST) {
        None | Some(Value::Null) => return Err(SubscribeError::MissingDest),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(SubscribeError::WrongType {
                field: "event_dest",
                expected: "a string",
                found: json_type(other),
            });
        }
    };
    let enabled = match obj.get(field::ENABLED) {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(SubscribeError::WrongType {
                field: "enabled",
                expected: "a boolean",
                found: json_type(other),
            });
        }
    };
    Ok(Subscription {
        event_dest: Some(Destination::parse(&dest)?),
        enabled,
    })
}

/// Checks that `dest` is a usable receiver URL.
///
/// # Errors
/// A [`SubscribeError`] saying what is wrong with it.
pub fn validate_dest(dest: &str) -> Result<url::Url, SubscribeError> {
    if dest.len() > MAX_EVENT_DEST_BYTES {
        return Err(SubscribeError::DestTooLong(dest.len()));
    }
    let url = url::Url::parse(dest).map_err(|e| SubscribeError::BadUrl(e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(SubscribeError::BadScheme(url.scheme().to_string()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(SubscribeError::NoHost);
    }
    Ok(url)
}

/// Applies JSON overrides to an event's record: each key of `overrides` replaces the field
/// of the same name in `data` (a `null` `user` is kept as an explicit null). The result is
/// JSON, since overrides may deliberately step outside the schema.
pub fn apply_overrides(event: &Event, overrides: &Map<String, Value>) -> Value {
    let mut value = serde_json::to_value(event).unwrap_or(Value::Null);
    if let Some(Value::Object(data)) = value.get_mut(field::DATA) {
        for (k, v) in overrides {
            data.insert(k.clone(), v.clone());
        }
    }
    value
}

/// The status a `/sim/trigger` override asks for: `recognizeStatus` where records carry
/// it (API 1.0), `recognitionType` where they carry that (from 1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOverride {
    Status(RecognizeStatus),
    Type(RecognitionType),
}

/// Reads the status a trigger's overrides ask for, in the field the version's records
/// have (`recognize_status`: they carry `recognizeStatus`, else `recognitionType`).
///
/// # Errors
/// Why the override cannot make a consistent record: the other version's status field,
/// a value outside the codes, or `pass: true` with a status that never passes.
pub fn status_override(
    overrides: &Map<String, Value>,
    recognize_status: bool,
) -> Result<Option<StatusOverride>, String> {
    let (ours, theirs) = if recognize_status {
        (field::RECOGNIZE_STATUS, field::RECOGNITION_TYPE)
    } else {
        (field::RECOGNITION_TYPE, field::RECOGNIZE_STATUS)
    };
    if overrides.contains_key(theirs) {
        return Err(format!(
            "records of this API version have no {theirs}; override {ours} instead"
        ));
    }
    let Some(value) = overrides.get(ours) else {
        return Ok(None);
    };
    let code = value
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("{ours} must be an integer code, got {value}"))?;
    let (wanted, may_pass) = if recognize_status {
        let s = RecognizeStatus::try_from(code).map_err(|e| format!("{ours}: {e}"))?;
        (StatusOverride::Status(s), s.may_pass() && s.has_user())
    } else {
        let t = RecognitionType::try_from(code).map_err(|e| format!("{ours}: {e}"))?;
        let may = matches!(t, RecognitionType::Employee | RecognitionType::Visitor);
        (StatusOverride::Type(t), may)
    };
    if !may_pass && overrides.get(field::PASS) == Some(&Value::Bool(true)) {
        return Err(format!(
            "{ours} {code} never opens the door, so pass cannot be true"
        ));
    }
    Ok(Some(wanted))
}

/// The `user_id` of a recognition record, as text, when it names a person.
pub fn record_user(event: &Event) -> Option<String> {
    let user = event.as_record()?.user.as_ref()?;
    Some(match serde_json::to_value(&user.user_id).ok()? {
        Value::String(s) => s,
        other => other.to_string(),
    })
}

/// The parts of a stored record body a device shows in logs: read without decoding the
/// snapshot, and tolerant of bodies that overrides took outside the schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RecordHead {
    #[serde(rename = "type", default)]
    pub kind: Option<i64>,
    #[serde(default)]
    pub data: Option<RecordHeadData>,
}

/// See [`RecordHead`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RecordHeadData {
    #[serde(rename = "recognizeStatus", default)]
    pub recognize_status: Option<i64>,
    #[serde(rename = "recognitionType", default)]
    pub recognition_type: Option<i64>,
    #[serde(default)]
    pub pass: Option<bool>,
    #[serde(default)]
    pub trace_id: Option<String>,
    #[serde(default)]
    pub user: Option<UserHead>,
}

/// See [`RecordHead`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserHead {
    #[serde(default)]
    pub name: Option<String>,
}

impl RecordHead {
    /// Reads the head of a record body; `None` when it is not a JSON object of that shape.
    pub fn read(body: &[u8]) -> Option<Self> {
        serde_json::from_slice(body).ok()
    }

    /// The record's status, when it is a known one.
    pub fn status(&self) -> Option<RecognizeStatus> {
        let code = self.data.as_ref()?.recognize_status?;
        RecognizeStatus::try_from(u32::try_from(code).ok()?).ok()
    }

    /// Who was seen (API 1.1 and later), when the record says it.
    pub fn recognition_type(&self) -> Option<RecognitionType> {
        let code = self.data.as_ref()?.recognition_type?;
        RecognitionType::try_from(u32::try_from(code).ok()?).ok()
    }

    /// The record's own door decision.
    pub fn pass(&self) -> Option<bool> {
        self.data.as_ref()?.pass
    }

    /// Whether the event is an alarm (type 1).
    pub fn is_alarm(&self) -> bool {
        self.kind == Some(EVENT_TYPE_ALARM)
    }

    /// What the log says of the event: the status label, or "alarm".
    pub fn label(&self) -> &'static str {
        if self.is_alarm() {
            return "alarm";
        }
        self.status()
            .map(RecognizeStatus::label)
            .or_else(|| self.recognition_type().map(RecognitionType::label))
            .unwrap_or("-")
    }

    /// The person's name, when the record names one.
    pub fn name(&self) -> Option<&str> {
        self.data.as_ref()?.user.as_ref()?.name.as_deref()
    }
}

/// The answer to `POST /sim/trigger`: what was sent and what the receiver said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerReport {
    pub seq: u64,
    /// Outcome class label (`success`, `timeout`, ...).
    pub outcome: String,
    /// One line describing the outcome.
    pub detail: String,
    pub latency_ms: f64,
    /// The receiver's decoded answer, when it gave a well-formed one.
    pub answer: Option<AnswerSummary>,
    /// Whether the record is still queued for a later retry.
    pub queued: bool,
    /// What remote authentication did before the push (under `auth_mode` 1 and 3, or
    /// when a caller was named).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthSummary>,
}

/// A decoded push answer, as reported by the simulator's control API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerSummary {
    pub code: i64,
    pub msg: String,
    /// The answer's door decision (none in an acknowledgement).
    pub pass: Option<bool>,
    pub customtips: Option<String>,
}

impl From<&Answer> for AnswerSummary {
    fn from(a: &Answer) -> Self {
        Self {
            code: a.code,
            msg: a.message.clone(),
            pass: a.pass,
            customtips: a.customtips.clone(),
        }
    }
}

/// The body of `GET /sim/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimStats {
    pub sn: String,
    pub subscription: Subscription,
    /// Number of the last record made (counts across restarts).
    pub last_seq: u64,
    /// Records made by this process.
    pub generated: u64,
    pub queue: QueueStats,
    /// Every delivery attempt, by outcome class, with latencies.
    pub pushes: StatsReport,
    /// Attempts repeated after an outcome in which the receiver may have taken the record
    /// (timeouts, broken connections, bad answers): the possible duplicates.
    pub redeliveries: u64,
    pub door: DoorStats,
    /// Remote authentication: callbacks, decisions, heartbeats, fallbacks.
    #[serde(default)]
    pub callbacks: CallbackStats,
}

/// Offline cache figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueStats {
    pub depth: u64,
    pub cap: u64,
    /// Records dropped because the cache was full (oldest first).
    pub dropped: u64,
}

/// What the door and screen did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoorStats {
    pub opened: u64,
    pub kept_shut: u64,
    /// The text on the screen after the last answer.
    pub last_screen: Option<String>,
    /// Remote openings (`POST /v1/device/door`).
    #[serde(default)]
    pub remote: u64,
    /// A remote hold in force: `"open"` or `"closed"`.
    #[serde(default)]
    pub held: Option<String>,
    /// The door now: `"open"` (held open, or within `keep_door_open_duration` of a pass)
    /// or `"closed"`.
    #[serde(default)]
    pub state: String,
    /// While a pass holds it open: until when, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_until: Option<i64>,
}

// ----- push outcomes and their statistics, as reports and `/sim/stats` spell them -----

/// The classes answers are counted by, in statistics and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeClass {
    /// A well-formed answer with `code` 200.
    Success,
    /// A well-formed answer with another `code`.
    CodeNotOk,
    /// An HTTP status other than 200.
    HttpStatus,
    /// No answer in time.
    Timeout,
    /// No connection.
    ConnectError,
    /// Connection broken mid-exchange.
    TransportError,
    /// An answer that is not a conforming push answer.
    Malformed,
}

impl OutcomeClass {
    /// Every class, in report order.
    pub const ALL: [OutcomeClass; 7] = [
        Self::Success,
        Self::CodeNotOk,
        Self::HttpStatus,
        Self::Timeout,
        Self::ConnectError,
        Self::TransportError,
        Self::Malformed,
    ];

    /// The snake_case label used in logs, JSON and `/sim/stats`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::CodeNotOk => "code_not_ok",
            Self::HttpStatus => "http_status",
            Self::Timeout => "timeout",
            Self::ConnectError => "connect_error",
            Self::TransportError => "transport_error",
            Self::Malformed => "malformed",
        }
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

/// The serialisable form of [`Stats`]: readable figures plus the histogram as
/// `[microseconds, count]` pairs, from which [`Stats`] is rebuilt exactly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsReport {
    pub sent: u64,
    pub ok: u64,
    pub passed: u64,
    pub denied: u64,
    /// Count per outcome class other than success.
    pub errors: BTreeMap<String, u64>,
    pub latency_ms: Percentiles,
    pub histogram_us: Vec<(u64, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_with_msg_or_message_decodes() {
        let a = decode_answer(br#"{"code":200,"msg":"ok","data":{"pass":true,"customtips":"Hi"}}"#)
            .unwrap();
        assert_eq!(a.message_field, Some(MessageField::Msg));
        assert!(a.pass == Some(true) && a.is_success());
        let b = decode_answer(br#"{"code":200,"message":"ok","data":{"pass":false}}"#).unwrap();
        assert_eq!(b.message_field, Some(MessageField::Message));
        assert_eq!(b.customtips, None);
    }

    #[test]
    fn answer_errors_name_the_field() {
        assert!(matches!(
            decode_answer(b"nope"),
            Err(AnswerError::NotJson(_))
        ));
        assert_eq!(
            decode_answer(b"[]"),
            Err(AnswerError::NotObject("an array"))
        );
        assert_eq!(
            decode_answer(br#"{"code":200,"msg":"x","data":{}}"#),
            Err(AnswerError::MissingField("data.pass"))
        );
        assert_eq!(
            decode_answer(br#"{"code":"200","msg":"x","data":{"pass":true}}"#),
            Err(AnswerError::WrongType {
                field: "code",
                expected: "an integer",
                found: "a string"
            })
        );
        assert_eq!(
            decode_answer(br#"{"code":200,"msg":"x","data":{"pass":"true"}}"#),
            Err(AnswerError::WrongType {
                field: "data.pass",
                expected: "a boolean",
                found: "a string"
            })
        );
    }

    #[test]
    fn subscription_rules() {
        let s = parse_subscription(br#"{"event_dest":"http://127.0.0.1:9/eventRcv"}"#).unwrap();
        assert!(s.enabled);
        assert_eq!(s.event_dest_str(), "http://127.0.0.1:9/eventRcv");
        assert_eq!(
            parse_subscription(br#"{"event_dest":"ftp://h/x"}"#),
            Err(SubscribeError::BadScheme("ftp".into()))
        );
        assert_eq!(
            parse_subscription(br#"{"enabled":true}"#),
            Err(SubscribeError::MissingDest)
        );
        let long = format!(r#"{{"event_dest":"http://h/{}"}}"#, "a".repeat(1100));
        assert!(matches!(
            parse_subscription(long.as_bytes()),
            Err(SubscribeError::DestTooLong(_))
        ));
        assert!(matches!(
            parse_subscription(br#"{"event_dest":"http://h/","enabled":1}"#),
            Err(SubscribeError::WrongType {
                field: "enabled",
                ..
            })
        ));
    }

    #[test]
    fn destinations_are_validated_wherever_they_are_read() {
        let unset = Subscription::default();
        let json = serde_json::to_string(&unset).unwrap();
        assert_eq!(json, r#"{"event_dest":"","enabled":false}"#);
        assert_eq!(serde_json::from_str::<Subscription>(&json).unwrap(), unset);
        let set: Subscription =
            serde_json::from_str(r#"{"event_dest":"https://h:8443/e?x=1","enabled":true}"#)
                .unwrap();
        assert_eq!(set.active().unwrap().url().port(), Some(8443));
        assert_eq!(
            serde_json::to_string(&set).unwrap(),
            r#"{"event_dest":"https://h:8443/e?x=1","enabled":true}"#
        );
        let bad =
            serde_json::from_str::<Subscription>(r#"{"event_dest":"ftp://h/","enabled":true}"#)
                .unwrap_err();
        assert!(
            bad.to_string().contains("scheme must be http or https"),
            "{bad}"
        );
        assert_eq!(
            "http://".parse::<Destination>().unwrap_err(),
            SubscribeError::BadUrl("empty host".into())
        );
        let off = Subscription {
            enabled: false,
            ..set
        };
        assert_eq!(off.active(), None);
    }

    /// The module is the leaf everything else builds on: it names no other module of the
    /// crate and no I/O library, so it can never be pulled into a dependency cycle.
    #[test]
    fn wire_is_a_leaf_without_io() {
        let files = [
            ("mod.rs", include_str!("mod.rs")),
            ("answer.rs", include_str!("answer.rs")),
            ("history.rs", include_str!("history.rs")),
            ("record.rs", include_str!("record.rs")),
            ("auth.rs", include_str!("auth.rs")),
            ("functions.rs", include_str!("functions.rs")),
            ("library.rs", include_str!("library.rs")),
            ("login.rs", include_str!("login.rs")),
            ("settings.rs", include_str!("settings.rs")),
        ];
        for (name, source) in files {
            let code = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
            // Submodules may name their parent; the module as a whole names nothing else.
            let parent = if name == "mod.rs" {
                "super::"
            } else {
                "std::io"
            };
            for forbidden in ["crate::", parent, "tokio", "reqwest", "std::fs", "std::net"] {
                assert!(!code.contains(forbidden), "wire/{name} uses {forbidden}");
            }
        }
    }

    #[test]
    fn enums_reject_unknown_numbers() {
        assert!(serde_json::from_str::<RecognizeStatus>("7").is_err());
        assert_eq!(serde_json::from_str::<Mask>("2").unwrap(), Mask::Worn);
        assert_eq!(
            serde_json::to_string(&Mode::try_from(6).unwrap()).unwrap(),
            "6"
        );
        assert!(serde_json::from_str::<Mode>("9").is_ok());
        assert!(serde_json::from_str::<Mode>("10").is_err());
        assert!(serde_json::from_str::<RecognitionType>("0").is_err());
        assert!(serde_json::from_str::<AlarmCode>("20003").is_ok());
    }
}
