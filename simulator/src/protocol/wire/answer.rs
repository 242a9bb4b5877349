//! The receiver's answer to a push: decoded into a precise [`Answer`] or [`AnswerError`],
//! and judged by the one rule every client applies ([`judge_answer`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{CODE_OK, OutcomeClass, field};

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

/// Why an answer body is not a conforming push answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AnswerError {
    /// The body is not JSON at all.
    #[error("answer is not JSON: {0}")]
    NotJson(String),
    /// The body is JSON but not an object.
    #[error("answer is JSON {0}, not an object")]
    NotObject(&'static str),
    /// A required field is missing.
    #[error("answer lacks required field `{0}`")]
    MissingField(&'static str),
    /// A field has the wrong JSON type.
    #[error("answer field `{field}` is {found}, expected {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    /// A number outside the values the field takes.
    #[error("answer field `{field}` is {value}, expected {expected}")]
    OutOfRange {
        field: &'static str,
        value: i64,
        expected: &'static str,
    },
}

/// The JSON type name of a value, for error messages.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a float",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(super) fn wrong(field: &'static str, expected: &'static str, found: &Value) -> AnswerError {
    AnswerError::WrongType {
        field,
        expected,
        found: json_type(found),
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

/// What an HTTP answer comes to, by the one rule every client applies: success only with
/// HTTP 200 and a well-formed answer whose `code` is 200. `A` is the decoded answer: a push
/// answer ([`Answer`], the default) or a remote-authentication answer
/// ([`super::AuthAnswer`]); both are judged by [`judge_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged<A = Answer> {
    /// HTTP 200, a well-formed answer, `code` 200.
    Success(A),
    /// HTTP 200 and a well-formed answer, but another `code`: the record was not taken.
    CodeNotOk(A),
    /// Another HTTP status.
    HttpStatus(u16),
    /// HTTP 200 with a body that is not a conforming answer.
    Malformed(AnswerError),
}

impl<A> Judged<A> {
    /// The outcome class statistics count it under.
    pub fn class(&self) -> OutcomeClass {
        match self {
            Judged::Success(_) => OutcomeClass::Success,
            Judged::CodeNotOk(_) => OutcomeClass::CodeNotOk,
            Judged::HttpStatus(_) => OutcomeClass::HttpStatus,
            Judged::Malformed(_) => OutcomeClass::Malformed,
        }
    }
}

impl Judged {
    /// The door decision of a success answer that carries one.
    pub fn pass(&self) -> Option<bool> {
        match self {
            Judged::Success(a) => a.pass,
            _ => None,
        }
    }

    /// One line saying what came back, for failures.
    pub fn describe(&self) -> String {
        match self {
            Judged::Success(a) => match a.pass {
                Some(pass) => format!(
                    "code {}, pass {pass}, customtips {:?}",
                    a.code,
                    a.customtips.as_deref().unwrap_or("")
                ),
                None => format!("code {} (acknowledged)", a.code),
            },
            Judged::CodeNotOk(a) => format!("code {} ({})", a.code, a.message),
            Judged::HttpStatus(status) => format!("HTTP {status}"),
            Judged::Malformed(e) => e.to_string(),
        }
    }
}

/// Judges an answer to a push: its HTTP status and body, by `rule`.
pub fn judge_answer(status: u16, body: &[u8], rule: AnswerRule) -> Judged {
    judge_with(status, body, |b| decode_push_answer(b, rule), |a| a.code)
}

/// The one classifier, whatever the answer: HTTP status first, then the body decoded by
/// `decode`, then its `code` (read by `code`) against 200.
pub fn judge_with<A>(
    status: u16,
    body: &[u8],
    decode: impl FnOnce(&[u8]) -> Result<A, AnswerError>,
    code: impl Fn(&A) -> i64,
) -> Judged<A> {
    if status != 200 {
        return Judged::HttpStatus(status);
    }
    match decode(body) {
        Ok(a) if code(&a) == CODE_OK => Judged::Success(a),
        Ok(a) => Judged::CodeNotOk(a),
        Err(e) => Judged::Malformed(e),
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
