//! What one exchange with a server came to ([`Outcome`]), the classes statistics count it
//! in ([`OutcomeClass`]), and the one rule that judges an HTTP answer ([`judge_with`]):
//! a push's, a callback's, in the device, `push`, `load` and facecert alike.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::CODE_OK;

/// What one exchange came to. `A` is the decoded answer: a push answer (`Answer`) or a
/// remote-authentication answer (`AuthAnswer`). The first four variants are an HTTP answer
/// as [`judge_with`] judges it; the last three are why none came.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome<A> {
    /// HTTP 200, a well-formed answer, `code` 200.
    Success(A),
    /// HTTP 200 and a well-formed answer, but another `code`: the record was not taken.
    CodeNotOk(A),
    /// Another HTTP status.
    HttpStatus(u16),
    /// HTTP 200 with a body that is not a conforming answer.
    Malformed(AnswerError),
    /// No complete answer within the timeout.
    Timeout,
    /// The connection could not be made (refused, unreachable, TLS handshake failed).
    Connect(String),
    /// The connection broke during the exchange (reset, truncated answer, oversized answer).
    Transport(String),
}

impl<A> Outcome<A> {
    /// The class this outcome is counted in: the one mapping from outcomes to classes.
    pub fn class(&self) -> OutcomeClass {
        match self {
            Outcome::Success(_) => OutcomeClass::Success,
            Outcome::CodeNotOk(_) => OutcomeClass::CodeNotOk,
            Outcome::HttpStatus(_) => OutcomeClass::HttpStatus,
            Outcome::Malformed(_) => OutcomeClass::Malformed,
            Outcome::Timeout => OutcomeClass::Timeout,
            Outcome::Connect(_) => OutcomeClass::ConnectError,
            Outcome::Transport(_) => OutcomeClass::TransportError,
        }
    }

    /// Whether the server took the request: HTTP 200 and a well-formed answer with `code`
    /// 200. Anything else counts as "no answer", and a device keeps the record.
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Success(_))
    }

    /// The answer, when the server took the request.
    pub fn success(&self) -> Option<&A> {
        match self {
            Outcome::Success(a) => Some(a),
            _ => None,
        }
    }

    /// One line describing the outcome: `success` describes a success answer, `code` reads
    /// a refusal's code and message.
    pub(super) fn describe_with(
        &self,
        success: impl FnOnce(&A) -> String,
        code: impl FnOnce(&A) -> (i64, &str),
    ) -> String {
        match self {
            Outcome::Success(a) => success(a),
            Outcome::CodeNotOk(a) => {
                let (code, message) = code(a);
                format!("code {code} ({message})")
            }
            Outcome::HttpStatus(status) => format!("HTTP {status}"),
            Outcome::Malformed(e) => e.to_string(),
            Outcome::Timeout => "timeout".into(),
            Outcome::Connect(e) => format!("connect error: {e}"),
            Outcome::Transport(e) => format!("transport error: {e}"),
        }
    }
}

/// The one classifier, whatever the answer: HTTP status first, then the body decoded by
/// `decode`, then its `code` (read by `code`) against 200.
pub fn judge_with<A>(
    status: u16,
    body: &[u8],
    decode: impl FnOnce(&[u8]) -> Result<A, AnswerError>,
    code: impl Fn(&A) -> i64,
) -> Outcome<A> {
    if status != 200 {
        return Outcome::HttpStatus(status);
    }
    match decode(body) {
        Ok(a) if code(&a) == CODE_OK => Outcome::Success(a),
        Ok(a) => Outcome::CodeNotOk(a),
        Err(e) => Outcome::Malformed(e),
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
    /// The answer differs from the answer the same receiver gave a valid reference event
    /// (facecert's load phase judges answers by likeness, not by a fixed rule).
    #[error("answer is not like the reference answer: {0}")]
    UnlikeReference(String),
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
