//! Remote authentication (API 1.1 and later): the terminal's `/v1/device/functions`
//! settings ([`DeviceFunctions`], parsed by [`parse_functions`] under a version's
//! [`FunctionsRules`]), the body the terminal POSTs to the auth server ([`AuthRequest`]),
//! and the server's answer ([`AuthAnswer`]), decoded precisely by [`decode_auth_answer`]
//! and judged by the same classifier as a push answer ([`judge_auth_answer`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    AnswerError, CODE_OK, Destination, Judged, Mask, Mode, RecognizeStatus, SubscribeError, User,
    UserId, json_type,
};

/// Field names of the callback, its answer and `/v1/device/functions`, for code that
/// patches or inspects them as JSON (the zoo, the conformance probes).
pub mod auth_field {
    pub const DEVICE_RUN_TYPE: &str = "device_run_type";
    pub const MODE: &str = "mode";
    pub const STRONG_HINT: &str = "strong_hint";
    pub const AVATAR_STATUS: &str = "avatar_status";
    pub const NAME_STATUS: &str = "name_status";
    pub const RECORD: &str = "record";
    pub const RECORD_IMAGE: &str = "record_image";
    pub const ALARM_RECORD: &str = "alarm_record";
    pub const AUTH_MODE: &str = "auth_mode";
    pub const ADDRESS: &str = "remote_authentication_address";
    pub const FALLBACK: &str = "remote_auth_timeout_to_local_auth";
    pub const QRCODE_CONTENT: &str = "qrcode_content";
    pub const USER_NAME: &str = "user_name";
    pub const VERIFY_SCORE: &str = "verify_score";
    pub const VERIFY_CODE: &str = "verify_code";
    /// `POST /sim/trigger`: who stands at the door (a `Caller` name); not a record field.
    pub const SIM_CALLER: &str = "caller";
}

use super::field;
use auth_field as af;

// ---------------------------------------------------------------------------------------
// `/v1/device/functions`
// ---------------------------------------------------------------------------------------

/// Longest `remote_authentication_address`, in bytes (the English page's limit).
pub const MAX_AUTH_ADDRESS_BYTES: usize = 1024;
/// Longest `remote_auth_timeout_to_local_auth`, in minutes.
pub const MAX_FALLBACK_MINUTES: u8 = 60;

/// `auth_mode`: who decides the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub struct AuthMode(u8);

impl AuthMode {
    /// 0: the terminal decides alone.
    pub const LOCAL: AuthMode = AuthMode(0);
    /// 1: local verification, then the server decides for people from the library (1.0:
    /// "local + remote door opening", without a callback).
    pub const LIBRARY_TO_SERVER: AuthMode = AuthMode(1);
    /// 2: "server authentication" (1.1 to 1.2.1, never described; reserved in 1.3).
    pub const SERVER: AuthMode = AuthMode(2);
    /// 3: local for the library; strangers' faces go to the server.
    pub const STRANGERS_TO_SERVER: AuthMode = AuthMode(3);

    /// The number this value travels as.
    pub fn code(self) -> u8 {
        self.0
    }

    /// Whether the mode consults a server at all.
    pub fn is_remote(self) -> bool {
        self.0 != 0
    }
}

impl From<AuthMode> for u8 {
    fn from(m: AuthMode) -> u8 {
        m.0
    }
}

impl TryFrom<u8> for AuthMode {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        if v <= 3 {
            Ok(AuthMode(v))
        } else {
            Err(format!("{v} is not a valid auth_mode"))
        }
    }
}

/// The terminal's `/v1/device/functions` settings: every documented field. The fields a
/// version does not have (`remote_authentication_address` before 1.1,
/// `remote_auth_timeout_to_local_auth` before 1.2) are `None` and left out of answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceFunctions {
    /// 1 running, 2 stopped (no recognition).
    pub device_run_type: u8,
    /// The verification mode (what each value means is the version's: `Profile::mode_name`).
    pub mode: Mode,
    pub strong_hint: bool,
    /// 0 no photo, 1 photo, 2 personalised photo.
    pub avatar_status: u8,
    /// 0 hidden, 1 shown, 2 masked.
    pub name_status: u8,
    pub record: bool,
    pub record_image: bool,
    pub alarm_record: bool,
    pub auth_mode: AuthMode,
    /// From 1.1; `""` on the wire when none is set.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "address_or_empty"
    )]
    pub remote_authentication_address: Option<Option<Destination>>,
    /// From 1.2: minutes without an answer before the terminal falls back to `auth_mode`
    /// 0; 0 = never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_auth_timeout_to_local_auth: Option<u8>,
}

impl DeviceFunctions {
    /// The defaults of a factory-fresh terminal under `rules`: running, face mode, photo
    /// and name shown, records and snapshots kept, local authentication, no address, no
    /// fallback.
    pub fn defaults(rules: &FunctionsRules) -> Self {
        Self {
            device_run_type: 1,
            mode: Mode::FACE,
            strong_hint: false,
            avatar_status: 1,
            name_status: 1,
            record: true,
            record_image: true,
            alarm_record: true,
            auth_mode: AuthMode::LOCAL,
            remote_authentication_address: rules.address.then_some(None),
            remote_auth_timeout_to_local_auth: rules.fallback.then_some(0),
        }
    }

    /// Where the callback goes, when one is set.
    pub fn address(&self) -> Option<&Destination> {
        self.remote_authentication_address.as_ref()?.as_ref()
    }

    /// The fallback delay in minutes (0: never, and always 0 before 1.2).
    pub fn fallback_minutes(&self) -> u8 {
        self.remote_auth_timeout_to_local_auth.unwrap_or(0)
    }
}

/// `Option<Option<Destination>>` as `""` (set but empty) or the URL; absence is the outer
/// `None`.
mod address_or_empty {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Destination;

    pub fn serialize<S: Serializer>(
        v: &Option<Option<Destination>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(Some(d)) => s.serialize_str(d.as_str()),
            _ => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<Destination>>, D::Error> {
        let text = String::deserialize(d)?;
        if text.is_empty() {
            return Ok(Some(None));
        }
        Destination::parse(&text)
            .map(|d| Some(Some(d)))
            .map_err(serde::de::Error::custom)
    }
}

/// What a version's `/v1/device/functions` accepts: built by the profile, applied here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionsRules {
    /// The `mode` values the version defines.
    pub modes: std::ops::RangeInclusive<u8>,
    /// The `auth_mode` values accepted.
    pub auth_modes: &'static [u8],
    /// `auth_mode` values refused with a reason (2: never described, or reserved in 1.3).
    pub refused_auth_modes: &'static [(u8, &'static str)],
    /// Whether `auth_mode` is required (1.0 and 1.1).
    pub auth_mode_required: bool,
    /// Whether `remote_authentication_address` exists (from 1.1).
    pub address: bool,
    /// Whether `remote_auth_timeout_to_local_auth` exists (from 1.2).
    pub fallback: bool,
    /// Verification modes that cannot be combined with a server (7 and 8, from 1.2.1).
    pub modes_without_server: &'static [u8],
}

/// Why a `POST /v1/device/functions` body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FunctionsError {
    /// The body is not JSON.
    #[error("body is not valid JSON: {0}")]
    NotJson(String),
    /// The body is JSON but not an object.
    #[error("body must be a JSON object, got {0}")]
    NotObject(&'static str),
    /// A required field is missing.
    #[error("missing required field `{0}`")]
    MissingField(&'static str),
    /// A field has the wrong JSON type.
    #[error("field `{field}` must be {expected}, got {found}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    /// A number outside the field's values.
    #[error("field `{field}` is {value}, allowed: {allowed}")]
    OutOfRange {
        field: &'static str,
        value: i64,
        allowed: String,
    },
    /// An `auth_mode` the version names but the simulator refuses.
    #[error("`auth_mode` {value} is refused: {reason}")]
    AuthModeRefused { value: u8, reason: &'static str },
    /// A remote `auth_mode` without an address.
    #[error("`remote_authentication_address` must be set when `auth_mode` is not 0")]
    AddressRequired,
    /// The address is not a usable URL.
    #[error("`remote_authentication_address` is invalid: {0}")]
    BadAddress(SubscribeError),
    /// A verification mode that cannot work with a server.
    #[error("verification `mode` {0} cannot be combined with remote authentication")]
    ModeWithServer(u8),
}

/// Parses a `POST /v1/device/functions` body over the `current` settings: the required
/// fields (`record`, `record_image`, `alarm_record`, and `auth_mode` in 1.0 and 1.1) must
/// be there, optional fields that are absent keep their current value, fields the version
/// does not have and unknown fields are ignored. The result is checked as a whole (a remote
/// `auth_mode` needs an address; modes 7 and 8 cannot be combined with a server).
///
/// # Errors
/// A [`FunctionsError`] naming the first field that is wrong; nothing is changed.
pub fn parse_functions(
    body: &[u8],
    rules: &FunctionsRules,
    current: &DeviceFunctions,
) -> Result<DeviceFunctions, FunctionsError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| FunctionsError::NotJson(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(FunctionsError::NotObject(json_type(&value)));
    };
    let mut next = current.clone();
    let mode_values = format!("{} to {}", rules.modes.start(), rules.modes.end());
    if let Some(v) = small_int(&obj, af::DEVICE_RUN_TYPE, &[1, 2], "1 or 2")? {
        next.device_run_type = v;
    }
    if let Some(v) = int_in(&obj, af::MODE, rules.modes.clone(), &mode_values)? {
        next.mode = Mode::try_from(v).map_err(|_| FunctionsError::OutOfRange {
            field: af::MODE,
            value: i64::from(v),
            allowed: mode_values.clone(),
        })?;
    }
    if let Some(v) = boolean(&obj, af::STRONG_HINT)? {
        next.strong_hint = v;
    }
    if let Some(v) = small_int(&obj, af::AVATAR_STATUS, &[0, 1, 2], "0, 1 or 2")? {
        next.avatar_status = v;
    }
    if let Some(v) = small_int(&obj, af::NAME_STATUS, &[0, 1, 2], "0, 1 or 2")? {
        next.name_status = v;
    }
    for (name, slot) in [
        (af::RECORD, &mut next.record),
        (af::RECORD_IMAGE, &mut next.record_image),
        (af::ALARM_RECORD, &mut next.alarm_record),
    ] {
        *slot = boolean(&obj, name)?.ok_or(FunctionsError::MissingField(name))?;
    }
    match obj.get(af::AUTH_MODE) {
        None if rules.auth_mode_required => {
            return Err(FunctionsError::MissingField(af::AUTH_MODE));
        }
        None => {}
        Some(v) => {
            let n = integer(af::AUTH_MODE, v)?;
            if let Some((value, reason)) = rules
                .refused_auth_modes
                .iter()
                .find(|(m, _)| i64::from(*m) == n)
            {
                return Err(FunctionsError::AuthModeRefused {
                    value: *value,
                    reason,
                });
            }
            let allowed = rules
                .auth_modes
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let m = u8::try_from(n)
                .ok()
                .filter(|m| rules.auth_modes.contains(m))
                .ok_or(FunctionsError::OutOfRange {
                    field: af::AUTH_MODE,
                    value: n,
                    allowed,
                })?;
            next.auth_mode = AuthMode(m);
        }
    }
    if rules.address {
        match obj.get(af::ADDRESS) {
            None => {}
            Some(Value::String(s)) if s.is_empty() => {
                next.remote_authentication_address = Some(None)
            }
            Some(Value::String(s)) => {
                if s.len() > MAX_AUTH_ADDRESS_BYTES {
                    return Err(FunctionsError::BadAddress(SubscribeError::DestTooLong(
                        s.len(),
                    )));
                }
                let dest = Destination::parse(s).map_err(FunctionsError::BadAddress)?;
                next.remote_authentication_address = Some(Some(dest));
            }
            Some(other) => return Err(wrong(af::ADDRESS, "a string", other)),
        }
    }
    if rules.fallback {
        let allowed = format!("0 to {MAX_FALLBACK_MINUTES} (minutes)");
        if let Some(v) = int_in(&obj, af::FALLBACK, 0..=MAX_FALLBACK_MINUTES, &allowed)? {
            next.remote_auth_timeout_to_local_auth = Some(v);
        }
    }
    if next.auth_mode.is_remote() && rules.address && next.address().is_none() {
        return Err(FunctionsError::AddressRequired);
    }
    if next.auth_mode.is_remote() && rules.modes_without_server.contains(&next.mode.code()) {
        return Err(FunctionsError::ModeWithServer(next.mode.code()));
    }
    Ok(next)
}

fn wrong(field: &'static str, expected: &'static str, found: &Value) -> FunctionsError {
    FunctionsError::WrongType {
        field,
        expected,
        found: json_type(found),
    }
}

fn integer(name: &'static str, v: &Value) -> Result<i64, FunctionsError> {
    v.as_i64().ok_or_else(|| wrong(name, "an integer", v))
}

fn boolean(obj: &Map<String, Value>, name: &'static str) -> Result<Option<bool>, FunctionsError> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(wrong(name, "a boolean", other)),
    }
}

fn int_in(
    obj: &Map<String, Value>,
    name: &'static str,
    range: std::ops::RangeInclusive<u8>,
    allowed: &str,
) -> Result<Option<u8>, FunctionsError> {
    let Some(v) = obj.get(name) else {
        return Ok(None);
    };
    let n = integer(name, v)?;
    u8::try_from(n)
        .ok()
        .filter(|n| range.contains(n))
        .map(Some)
        .ok_or_else(|| FunctionsError::OutOfRange {
            field: name,
            value: n,
            allowed: allowed.to_string(),
        })
}

fn small_int(
    obj: &Map<String, Value>,
    name: &'static str,
    values: &[u8],
    allowed: &str,
) -> Result<Option<u8>, FunctionsError> {
    let Some(v) = obj.get(name) else {
        return Ok(None);
    };
    let n = integer(name, v)?;
    u8::try_from(n)
        .ok()
        .filter(|n| values.contains(n))
        .map(Some)
        .ok_or_else(|| FunctionsError::OutOfRange {
            field: name,
            value: n,
            allowed: allowed.to_string(),
        })
}

// ---------------------------------------------------------------------------------------
// The callback and its answer.
// ---------------------------------------------------------------------------------------

/// The body the terminal POSTs to `remote_authentication_address`: a JSON object without
/// the push's `type`/`data` wrapper, the superset of every version's fields (those only
/// some versions have are optional and left out when absent; the profile decides).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthRequest {
    #[serde(rename = "deviceSN")]
    pub device_sn: String,
    /// The §2.3 status (not `recognitionType`, which records use from 1.1).
    #[serde(rename = "recognizeStatus")]
    pub recognize_status: RecognizeStatus,
    /// From 1.2 (announced by that changelog; the tables list it from 1.3).
    #[serde(
        rename = "recognizeScore",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub recognize_score: Option<f64>,
    pub mask: Mask,
    /// Base64 JPEG snapshot.
    pub rgb_image: String,
    /// Unix seconds.
    pub timestamp: i64,
    #[serde(rename = "bodyTemperature")]
    pub body_temperature: f64,
    /// 1.3: how the person presented themselves (1 to 12, as records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_mode: Option<u8>,
    /// 1.3: the scanned QR code's content, `""` for other methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qrcode_content: Option<String>,
    /// The library person; absent for strangers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
}

/// `verify_code` of an auth answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
#[repr(u8)]
pub enum VerifyCode {
    /// 1: the person's account is not activated.
    NotActivated = 1,
    /// 2: recognised.
    Recognised = 2,
    /// 3: no permission.
    NoPermission = 3,
    /// 4: no match.
    NoMatch = 4,
    /// 5: outside the permitted hours.
    OutsideHours = 5,
}

impl VerifyCode {
    /// Every value, in numeric order.
    pub const ALL: [VerifyCode; 5] = [
        Self::NotActivated,
        Self::Recognised,
        Self::NoPermission,
        Self::NoMatch,
        Self::OutsideHours,
    ];

    /// The number this value travels as.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<VerifyCode> for u8 {
    fn from(v: VerifyCode) -> u8 {
        v as u8
    }
}

impl TryFrom<u8> for VerifyCode {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.code() == v)
            .ok_or_else(|| format!("{v} is not a valid verify_code"))
    }
}

/// An auth server's answer, as decoded and as written: `{"code", "msg", "data": {..}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthAnswer {
    pub code: i64,
    pub msg: String,
    pub data: AuthDecision,
}

/// The `data` of an auth answer: the door decision and, optionally, who the server says
/// the person is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AuthDecision {
    pub pass: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customtips: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Emitted on the Wiegand output (1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ic_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_code: Option<VerifyCode>,
}

impl AuthAnswer {
    /// A success answer (`code` 200, `msg` "OK") around a decision.
    pub fn ok(data: AuthDecision) -> Self {
        Self {
            code: CODE_OK,
            msg: "OK".into(),
            data,
        }
    }

    /// Whether the server reported success (`code` 200).
    pub fn is_success(&self) -> bool {
        self.code == CODE_OK
    }
}

/// How a version types the ids of an auth answer's `data.user_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// A JSON integer (up to 1.2).
    Integer,
    /// A JSON string (from 1.2.1).
    Text,
    /// Either (when the version is not known).
    Either,
}

/// Decodes an auth server's answer, taking `data.user_id` of either type.
///
/// # Errors
/// An [`AnswerError`] naming the first field that does not conform.
pub fn decode_auth_answer(body: &[u8]) -> Result<AuthAnswer, AnswerError> {
    decode_auth_answer_as(body, IdKind::Either)
}

/// Decodes an auth server's answer, `data.user_id` typed as `ids` says. Required: `code`
/// (integer), `msg` (string), `data` (object), `data.pass` (boolean); optional, typed when
/// present (`null` counts as absent): `customtips`, `user_name`, `ic_number` (strings),
/// `verify_score` (number), `verify_code` (1 to 5). Extra fields are ignored.
///
/// # Errors
/// An [`AnswerError`] naming the first field that does not conform.
pub fn decode_auth_answer_as(body: &[u8], ids: IdKind) -> Result<AuthAnswer, AnswerError> {
    let wrong =
        |field: &'static str, expected: &'static str, found: &Value| AnswerError::WrongType {
            field,
            expected,
            found: json_type(found),
        };
    let value: Value =
        serde_json::from_slice(body).map_err(|e| AnswerError::NotJson(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(AnswerError::NotObject(json_type(&value)));
    };
    let code = match obj.get(field::CODE) {
        None => return Err(AnswerError::MissingField("code")),
        Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or_default(),
        Some(other) => return Err(wrong("code", "an integer", other)),
    };
    let msg = match obj.get(field::MSG) {
        None => return Err(AnswerError::MissingField("msg")),
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(wrong("msg", "a string", other)),
    };
    let data = match obj.get(field::DATA) {
        None => return Err(AnswerError::MissingField("data")),
        Some(Value::Object(d)) => d,
        Some(other) => return Err(wrong("data", "an object", other)),
    };
    let pass = match data.get(field::PASS) {
        None => return Err(AnswerError::MissingField("data.pass")),
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(wrong("data.pass", "a boolean", other)),
    };
    let text = |name: &str, label: &'static str| match data.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(wrong(label, "a string", other)),
    };
    let customtips = text(field::CUSTOMTIPS, "data.customtips")?;
    let user_name = text(af::USER_NAME, "data.user_name")?;
    let ic_number = text(field::IC_NUMBER, "data.ic_number")?;
    let user_id = match (data.get(field::USER_ID), ids) {
        (None | Some(Value::Null), _) => None,
        (Some(Value::Number(n)), IdKind::Integer | IdKind::Either) if n.is_i64() => {
            Some(UserId::Int(n.as_i64().unwrap_or_default()))
        }
        (Some(Value::String(s)), IdKind::Text | IdKind::Either) => Some(UserId::Text(s.clone())),
        (Some(other), IdKind::Integer) => return Err(wrong("data.user_id", "an integer", other)),
        (Some(other), IdKind::Text) => return Err(wrong("data.user_id", "a string", other)),
        (Some(other), IdKind::Either) => {
            return Err(wrong("data.user_id", "an integer or a string", other));
        }
    };
    let verify_score = match data.get(af::VERIFY_SCORE) {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(other) => return Err(wrong("data.verify_score", "a number", other)),
    };
    let verify_code = match data.get(af::VERIFY_CODE) {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.is_i64() => {
            let n = n.as_i64().unwrap_or_default();
            let code = u8::try_from(n)
                .ok()
                .and_then(|c| VerifyCode::try_from(c).ok())
                .ok_or(AnswerError::OutOfRange {
                    field: "data.verify_code",
                    value: n,
                    expected: "1 to 5",
                })?;
            Some(code)
        }
        Some(other) => return Err(wrong("data.verify_code", "an integer", other)),
    };
    Ok(AuthAnswer {
        code,
        msg,
        data: AuthDecision {
            pass,
            customtips,
            user_id,
            user_name,
            ic_number,
            verify_score,
            verify_code,
        },
    })
}

/// Judges an HTTP answer to a callback by the rule every push answer is judged by
/// ([`super::judge_with`]): success only with HTTP 200 and a well-formed answer whose
/// `code` is 200; `data.user_id` typed as `ids` says.
pub fn judge_auth_answer(status: u16, body: &[u8], ids: IdKind) -> Judged<AuthAnswer> {
    super::judge_with(status, body, |b| decode_auth_answer_as(b, ids), |a| a.code)
}

impl Judged<AuthAnswer> {
    /// The decision of a success answer.
    pub fn decision(&self) -> Option<&AuthDecision> {
        match self {
            Judged::Success(a) => Some(&a.data),
            _ => None,
        }
    }

    /// One line saying what came back.
    pub fn describe(&self) -> String {
        match self {
            Judged::Success(a) => format!(
                "pass {}, verify_code {}, customtips {:?}",
                a.data.pass,
                a.data
                    .verify_code
                    .map_or_else(|| "-".to_string(), |c| c.code().to_string()),
                a.data.customtips.as_deref().unwrap_or("")
            ),
            Judged::CodeNotOk(a) => format!("code {} ({})", a.code, a.msg),
            Judged::HttpStatus(status) => format!("HTTP {status}"),
            Judged::Malformed(e) => e.to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// What `/sim/trigger` and `/sim/stats` say of remote authentication.
// ---------------------------------------------------------------------------------------

/// What remote authentication did for one triggered record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthSummary {
    /// The caller's name (`library-face`, `stranger-qr`, …).
    pub caller: String,
    /// The `auth_mode` in force.
    pub auth_mode: u8,
    /// Whether the callback was sent (the guide's table says for whom).
    pub called: bool,
    /// The callback's outcome class, when it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// One line describing the callback's outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// The final door decision, which the pushed record carries.
    pub pass: bool,
    /// The text on the screen.
    pub screen: String,
    /// The person the server named (mode 3), as the record then names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_code: Option<VerifyCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_score: Option<f64>,
}

/// The `callbacks` section of `/sim/stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallbackStats {
    /// The `auth_mode` in force (0 after a fallback).
    pub auth_mode: u8,
    /// Every callback sent, by outcome class (the push's classes), with latencies.
    pub calls: super::StatsReport,
    /// Doors opened and kept shut after a callback.
    pub opened: u64,
    pub refused: u64,
    pub heartbeats_ok: u64,
    pub heartbeats_failed: u64,
    /// Times the terminal fell back to `auth_mode` 0.
    pub fallbacks: u64,
    /// The text on the screen after the last callback.
    pub last_screen: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> FunctionsRules {
        FunctionsRules {
            modes: 0..=9,
            auth_modes: &[0, 1, 3],
            refused_auth_modes: &[(2, "reserved in API 1.3")],
            auth_mode_required: false,
            address: true,
            fallback: true,
            modes_without_server: &[7, 8],
        }
    }

    const REQUIRED: &str = r#""record":true,"record_image":true,"alarm_record":false"#;

    #[test]
    fn functions_parse_over_the_current_settings() {
        let r = rules();
        let base = DeviceFunctions::defaults(&r);
        let body = format!(
            r#"{{{REQUIRED},"auth_mode":3,"remote_authentication_address":"http://127.0.0.1:9/auth","remote_auth_timeout_to_local_auth":5}}"#
        );
        let f = parse_functions(body.as_bytes(), &r, &base).unwrap();
        assert_eq!(f.auth_mode, AuthMode::STRANGERS_TO_SERVER);
        assert_eq!(f.address().unwrap().as_str(), "http://127.0.0.1:9/auth");
        assert_eq!(f.fallback_minutes(), 5);
        assert!(!f.alarm_record);
        // Absent optional fields keep their value.
        let again = parse_functions(format!("{{{REQUIRED}}}").as_bytes(), &r, &f).unwrap();
        assert_eq!(again.auth_mode, AuthMode::STRANGERS_TO_SERVER);
        let json = serde_json::to_value(&base).unwrap();
        assert_eq!(json[af::ADDRESS], "");
        assert_eq!(
            serde_json::from_value::<DeviceFunctions>(json).unwrap(),
            base
        );
    }

    #[test]
    fn functions_errors_name_the_field() {
        let r = rules();
        let base = DeviceFunctions::defaults(&r);
        let parse = |s: &str| parse_functions(s.as_bytes(), &r, &base);
        assert!(matches!(parse("{"), Err(FunctionsError::NotJson(_))));
        assert_eq!(parse("[]"), Err(FunctionsError::NotObject("an array")));
        assert_eq!(
            parse(r#"{"record":true,"record_image":true}"#),
            Err(FunctionsError::MissingField("alarm_record"))
        );
        assert_eq!(
            parse(&format!(r#"{{{REQUIRED},"auth_mode":"1"}}"#)),
            Err(FunctionsError::WrongType {
                field: "auth_mode",
                expected: "an integer",
                found: "a string"
            })
        );
        assert!(matches!(
            parse(&format!(r#"{{{REQUIRED},"auth_mode":2}}"#)),
            Err(FunctionsError::AuthModeRefused { value: 2, .. })
        ));
        assert!(matches!(
            parse(&format!(r#"{{{REQUIRED},"auth_mode":4}}"#)),
            Err(FunctionsError::OutOfRange {
                field: "auth_mode",
                value: 4,
                ..
            })
        ));
        assert_eq!(
            parse(&format!(r#"{{{REQUIRED},"auth_mode":1}}"#)),
            Err(FunctionsError::AddressRequired)
        );
        assert!(matches!(
            parse(&format!(
                r#"{{{REQUIRED},"remote_authentication_address":"ftp://h/"}}"#
            )),
            Err(FunctionsError::BadAddress(SubscribeError::BadScheme(_)))
        ));
        assert!(matches!(
            parse(&format!(
                r#"{{{REQUIRED},"remote_auth_timeout_to_local_auth":61}}"#
            )),
            Err(FunctionsError::OutOfRange { value: 61, .. })
        ));
        assert_eq!(
            parse(&format!(
                r#"{{{REQUIRED},"mode":7,"auth_mode":1,"remote_authentication_address":"http://h/a"}}"#
            )),
            Err(FunctionsError::ModeWithServer(7))
        );
        assert!(matches!(
            parse(&format!(r#"{{{REQUIRED},"name_status":3}}"#)),
            Err(FunctionsError::OutOfRange {
                field: "name_status",
                ..
            })
        ));
    }

    #[test]
    fn auth_answers_decode_precisely() {
        let ok = decode_auth_answer(
            br#"{"code":200,"msg":"OK","data":{"pass":true,"customtips":"Hi","user_id":"u1","user_name":"Li","verify_score":0.9,"verify_code":2}}"#,
        )
        .unwrap();
        assert!(ok.is_success() && ok.data.pass);
        assert_eq!(ok.data.verify_code, Some(VerifyCode::Recognised));
        assert_eq!(ok.data.user_id, Some(UserId::Text("u1".into())));
        assert!(matches!(
            decode_auth_answer(b"OK"),
            Err(AnswerError::NotJson(_))
        ));
        assert_eq!(
            decode_auth_answer(br#"{"pass":true}"#),
            Err(AnswerError::MissingField("code"))
        );
        assert_eq!(
            decode_auth_answer(br#"{"code":200,"msg":"OK","data":{}}"#),
            Err(AnswerError::MissingField("data.pass"))
        );
        assert_eq!(
            decode_auth_answer(br#"{"code":200,"msg":"OK","data":{"pass":"true"}}"#),
            Err(AnswerError::WrongType {
                field: "data.pass",
                expected: "a boolean",
                found: "a string"
            })
        );
        assert_eq!(
            decode_auth_answer(br#"{"code":200,"msg":"OK","data":{"pass":false,"verify_code":7}}"#),
            Err(AnswerError::OutOfRange {
                field: "data.verify_code",
                value: 7,
                expected: "1 to 5"
            })
        );
        assert_eq!(
            decode_auth_answer_as(
                br#"{"code":200,"msg":"OK","data":{"pass":true,"user_id":12}}"#,
                IdKind::Text
            ),
            Err(AnswerError::WrongType {
                field: "data.user_id",
                expected: "a string",
                found: "an integer"
            })
        );
        let back = serde_json::to_vec(&ok).unwrap();
        assert_eq!(decode_auth_answer(&back).unwrap(), ok);
    }

    #[test]
    fn auth_answers_are_judged_like_push_answers() {
        let ok = br#"{"code":200,"msg":"OK","data":{"pass":false}}"#;
        assert_eq!(
            judge_auth_answer(200, ok, IdKind::Either).class(),
            super::super::OutcomeClass::Success
        );
        assert_eq!(
            judge_auth_answer(405, ok, IdKind::Either).class(),
            super::super::OutcomeClass::HttpStatus
        );
        let not_ok = br#"{"code":500,"msg":"x","data":{"pass":false}}"#;
        assert_eq!(
            judge_auth_answer(200, not_ok, IdKind::Either).class(),
            super::super::OutcomeClass::CodeNotOk
        );
        assert_eq!(
            judge_auth_answer(200, b"{}", IdKind::Either).class(),
            super::super::OutcomeClass::Malformed
        );
    }
}
