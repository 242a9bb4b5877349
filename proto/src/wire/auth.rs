//! Remote authentication (API 1.1 and later): the body the terminal POSTs to the auth
//! server ([`AuthRequest`]), the server's answer ([`AuthAnswer`]), decoded precisely by [`decode_auth_answer`]
//! and judged by the same classifier as a push answer ([`judge_auth_answer`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::answer::object_with_code;
use super::outcome::wrong;
use super::{AnswerError, CODE_OK, Mask, Outcome, RecognizeStatus, User, UserId};

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
    let (obj, code) = object_with_code(body)?;
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
pub fn judge_auth_answer(status: u16, body: &[u8], ids: IdKind) -> Outcome<AuthAnswer> {
    super::judge_with(status, body, |b| decode_auth_answer_as(b, ids), |a| a.code)
}

impl Outcome<AuthAnswer> {
    /// The decision of a success answer.
    pub fn decision(&self) -> Option<&AuthDecision> {
        self.success().map(|a| &a.data)
    }

    /// One line saying what came back.
    pub fn describe(&self) -> String {
        self.describe_with(
            |a| {
                format!(
                    "pass {}, verify_code {}, customtips {:?}",
                    a.data.pass,
                    a.data
                        .verify_code
                        .map_or_else(|| "-".to_string(), |c| c.code().to_string()),
                    a.data.customtips.as_deref().unwrap_or("")
                )
            },
            |a| (a.code, &a.msg),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
