//! The receiver's answer to a push: decoded into a precise [`Answer`] or [`AnswerError`],
//! and judged by the one rule every client applies ([`judge_answer`], through
//! [`judge_with`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::outcome::wrong;
use super::{AnswerError, CODE_OK, Outcome, field, judge_with};

use super::json_type;
/// Which text field an answer used for its message: the spec's table says `message`, its
/// example and every device answer say `msg`. Both conform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageField {
    Msg,
    Message,
}

/// What a conforming answer to a push must hold, by API version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerRule {
    /// API 1.0: the answer decides the door: `code`, a text field, `data` and a boolean
    /// `data.pass` are required, `data.customtips` is an optional string.
    Decision,
    /// From API 1.1: the answer acknowledges the record: `code` and a `data` object
    /// (empty or not) are required; anything else in it is ignored.
    Acknowledgement,
}

/// A fully decoded answer to a pushed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub code: i64,
    /// The text field's value (empty when an acknowledgement has none).
    pub message: String,
    pub message_field: Option<MessageField>,
    /// The door decision: always present under [`AnswerRule::Decision`]; under
    /// [`AnswerRule::Acknowledgement`] only when the answer happens to carry a boolean one.
    pub pass: Option<bool>,
    pub customtips: Option<String>,
}

impl Answer {
    /// Whether the receiver reported success (`code` 200).
    pub fn is_success(&self) -> bool {
        self.code == CODE_OK
    }
}

/// The first steps of reading any answer, a push's or a callback's: a JSON object with an
/// integer `code`.
pub(super) fn object_with_code(
    body: &[u8],
) -> Result<(serde_json::Map<String, Value>, i64), AnswerError> {
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
    Ok((obj, code))
}

/// Decodes a receiver's answer by the rule of API 1.0 ([`AnswerRule::Decision`]).
///
/// # Errors
/// An [`AnswerError`] naming the first field that does not conform.
pub fn decode_answer(body: &[u8]) -> Result<Answer, AnswerError> {
    decode_push_answer(body, AnswerRule::Decision)
}

/// Decodes a receiver's answer by `rule`. Extra fields are ignored.
///
/// # Errors
/// An [`AnswerError`] naming the first field that does not conform.
pub fn decode_push_answer(body: &[u8], rule: AnswerRule) -> Result<Answer, AnswerError> {
    let decision = rule == AnswerRule::Decision;
    let (obj, code) = object_with_code(body)?;
    let (message, message_field) = match (obj.get(field::MSG), obj.get(field::MESSAGE)) {
        (Some(Value::String(s)), _) => (s.clone(), Some(MessageField::Msg)),
        (None, Some(Value::String(s))) => (s.clone(), Some(MessageField::Message)),
        _ if !decision => (String::new(), None),
        (Some(other), _) => return Err(wrong("msg", "a string", other)),
        (None, Some(other)) => return Err(wrong("message", "a string", other)),
        (None, None) => return Err(AnswerError::MissingField("msg")),
    };
    let data = match obj.get(field::DATA) {
        None => return Err(AnswerError::MissingField("data")),
        Some(Value::Object(d)) => d,
        Some(other) => return Err(wrong("data", "an object", other)),
    };
    let pass = match data.get(field::PASS) {
        Some(Value::Bool(b)) => Some(*b),
        _ if !decision => None,
        None => return Err(AnswerError::MissingField("data.pass")),
        Some(other) => return Err(wrong("data.pass", "a boolean", other)),
    };
    let customtips = match data.get(field::CUSTOMTIPS) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        _ if !decision => None,
        Some(other) => return Err(wrong("data.customtips", "a string", other)),
    };
    Ok(Answer {
        code,
        message,
        message_field,
        pass,
        customtips,
    })
}

/// Judges an answer to a push: its HTTP status and body, by `rule`.
pub fn judge_answer(status: u16, body: &[u8], rule: AnswerRule) -> Outcome<Answer> {
    judge_with(status, body, |b| decode_push_answer(b, rule), |a| a.code)
}

impl Outcome<Answer> {
    /// The door decision and tips, when the receiver took the record.
    pub fn answer(&self) -> Option<&Answer> {
        self.success()
    }

    /// The door decision of a success answer that carries one.
    pub fn pass(&self) -> Option<bool> {
        self.success().and_then(|a| a.pass)
    }

    /// One line describing the outcome, for logs and console output.
    pub fn describe(&self) -> String {
        self.describe_with(
            |a| match a.pass {
                Some(pass) => format!(
                    "pass={pass} tips={:?}",
                    a.customtips.as_deref().unwrap_or("")
                ),
                None => "acknowledged".into(),
            },
            |a| (a.code, &a.message),
        )
    }
}

/// The answer a receiver writes (the reference receiver and the test receivers use it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerBody {
    pub code: i64,
    pub msg: String,
    pub data: AnswerData,
}

/// The `data` of an answer: the door decision under API 1.0, empty in an acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customtips: Option<String>,
}

impl AnswerBody {
    /// A success answer with a door decision and optional screen text.
    pub fn decision(pass: bool, customtips: Option<String>) -> Self {
        Self {
            code: CODE_OK,
            msg: "success".into(),
            data: AnswerData {
                pass: Some(pass),
                customtips,
            },
        }
    }

    /// An acknowledgement (API 1.1 and later): `{"code":200,"msg":"success","data":{}}`.
    pub fn ack() -> Self {
        Self {
            code: CODE_OK,
            msg: "success".into(),
            data: AnswerData {
                pass: None,
                customtips: None,
            },
        }
    }

    /// A failure answer: the receiver did not take the event.
    pub fn failure(code: i64, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
            data: AnswerData {
                pass: Some(false),
                customtips: None,
            },
        }
    }
}
