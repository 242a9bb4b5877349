//! The terminal's `/v1/device/functions` settings: [`DeviceFunctions`] with every
//! documented field, parsed by [`parse_functions`] under a version's [`FunctionsRules`]
//! (built by the profile), with errors that name the first bad field.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::auth_field as af;
use super::{Destination, Mode, SubscribeError, json_type};

/// Longest `remote_authentication_address`, in bytes (the English page's limit).
pub const MAX_AUTH_ADDRESS_BYTES: usize = 1024;
/// Longest `remote_auth_timeout_to_local_auth`, in minutes.
pub const MAX_FALLBACK_MINUTES: u8 = 60;

/// `auth_mode`: who decides the door.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
    #[schemars(with = "Option<String>")]
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

impl FunctionsRules {
    /// The fields a POST accepts under these rules, each with its type and values and
    /// whether it is required, in the order the guide lists them (for the generated
    /// documentation; [`parse_functions`] is the validator).
    pub fn fields(&self) -> Vec<(&'static str, String, bool)> {
        let list = |values: &[u8]| {
            values
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join("/")
        };
        let mut fields = vec![
            (af::DEVICE_RUN_TYPE, "int 1/2".to_string(), false),
            (
                af::MODE,
                format!("int {}–{}", self.modes.start(), self.modes.end()),
                false,
            ),
            (af::STRONG_HINT, "bool".into(), false),
            (af::AVATAR_STATUS, "int 0/1/2".into(), false),
            (af::NAME_STATUS, "int 0/1/2".into(), false),
            (af::RECORD, "bool".into(), true),
            (af::RECORD_IMAGE, "bool".into(), true),
            (af::ALARM_RECORD, "bool".into(), true),
            (
                af::AUTH_MODE,
                format!("int {}", list(self.auth_modes)),
                self.auth_mode_required,
            ),
        ];
        if self.address {
            fields.push((
                af::ADDRESS,
                format!("string ≤{MAX_AUTH_ADDRESS_BYTES} B, http(s) URL"),
                false,
            ));
        }
        if self.fallback {
            fields.push((
                af::FALLBACK,
                format!("int 0–{MAX_FALLBACK_MINUTES} (minutes)"),
                false,
            ));
        }
        fields
    }
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
    int_where(obj, name, |n| range.contains(&n), allowed)
}

fn small_int(
    obj: &Map<String, Value>,
    name: &'static str,
    values: &[u8],
    allowed: &str,
) -> Result<Option<u8>, FunctionsError> {
    int_where(obj, name, |n| values.contains(&n), allowed)
}

/// The integer field `name`, when present, refused unless `takes` it (`allowed` says which).
fn int_where(
    obj: &Map<String, Value>,
    name: &'static str,
    takes: impl Fn(u8) -> bool,
    allowed: &str,
) -> Result<Option<u8>, FunctionsError> {
    let Some(v) = obj.get(name) else {
        return Ok(None);
    };
    let n = integer(name, v)?;
    u8::try_from(n)
        .ok()
        .filter(|&n| takes(n))
        .map(Some)
        .ok_or_else(|| FunctionsError::OutOfRange {
            field: name,
            value: n,
            allowed: allowed.to_string(),
        })
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
}
