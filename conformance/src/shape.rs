//! What an answer is made of, field by field. The answer checks judge each field on its
//! own (a wrong `code` must not hide a missing `msg`), so this module reads an answer into
//! independent facts instead of stopping at the first error as
//! [`facesim_proto::wire::decode_answer`] does. It also gives each answer a [`Form`]: the
//! answer checks judge the form once, and the other checks compare each answer's form
//! with the baseline's, so that a receiver whose every answer has the same flaw fails
//! the check about that flaw and no other.

use facesim::receiver::is_json_content_type;
use facesim_proto::wire::{self, field, json_type};
use serde_json::{Map, Value};

use crate::wireio::{Response, preview};

/// One field's state in an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field<T> {
    Missing,
    /// Present with the wrong JSON type (the type found).
    Wrong(&'static str),
    Ok(T),
}

impl<T> Field<T> {
    fn kind(&self) -> &'static str {
        match self {
            Field::Missing => "missing",
            Field::Wrong(found) => found,
            Field::Ok(_) => "ok",
        }
    }
}

/// Which text field an answer used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Msg,
    Message,
}

/// The facts about an answer's body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Not JSON at all (the parser's complaint).
    NotJson(String),
    /// JSON, but not an object (the type found).
    NotObject(&'static str),
    Object(Facts),
}

/// The fields of an answer object.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// `code` as found, whatever its type.
    pub code_value: Option<Value>,
    pub code: Field<i64>,
    pub message: Field<Message>,
    pub data: Field<()>,
    /// `data.pass`; `None` when `data` is not an object.
    pub pass: Option<Field<bool>>,
    /// `data.customtips`; `None` when absent, null, or `data` is not an object.
    pub customtips: Option<Field<String>>,
}

impl Body {
    /// Reads the body of an answer.
    pub fn of(body: &[u8]) -> Self {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Body::NotJson("an empty body".into());
        }
        let value: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return Body::NotJson(format!("{e} in {}", preview(body, 60))),
        };
        let Value::Object(top) = value else {
            return Body::NotObject(json_type(&value));
        };
        Body::Object(Facts::of(&top))
    }

    /// What a body that is not an answer object is, in the one wording every check
    /// uses for it (`None` for an object).
    pub fn problem(&self) -> Option<String> {
        match self {
            Body::Object(_) => None,
            Body::NotJson(e) => Some(format!("not JSON ({e})")),
            Body::NotObject(t) => Some(format!("JSON {t}, not an object")),
        }
    }

    pub fn facts(&self) -> Option<&Facts> {
        match self {
            Body::Object(f) => Some(f),
            _ => None,
        }
    }
}

impl Facts {
    fn of(top: &Map<String, Value>) -> Self {
        let code_value = top.get(field::CODE).cloned();
        let code = match &code_value {
            None => Field::Missing,
            Some(Value::Number(n)) if n.is_i64() => Field::Ok(n.as_i64().unwrap_or_default()),
            Some(other) => Field::Wrong(json_type(other)),
        };
        // The same precedence as `wire::decode_answer`: `msg` wins when both are present.
        let message = match (top.get(field::MSG), top.get(field::MESSAGE)) {
            (Some(Value::String(_)), _) => Field::Ok(Message::Msg),
            (Some(other), _) => Field::Wrong(json_type(other)),
            (None, Some(Value::String(_))) => Field::Ok(Message::Message),
            (None, Some(other)) => Field::Wrong(json_type(other)),
            (None, None) => Field::Missing,
        };
        let (data, pass, customtips) = match top.get(field::DATA) {
            None => (Field::Missing, None, None),
            Some(Value::Object(data)) => {
                let pass = match data.get(field::PASS) {
                    None => Field::Missing,
                    Some(Value::Bool(b)) => Field::Ok(*b),
                    Some(other) => Field::Wrong(json_type(other)),
                };
                let tips = match data.get(field::CUSTOMTIPS) {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(Field::Ok(s.clone())),
                    Some(other) => Some(Field::Wrong(json_type(other))),
                };
                (Field::Ok(()), Some(pass), tips)
            }
            Some(other) => (Field::Wrong(json_type(other)), None, None),
        };
        Self {
            code_value,
            code,
            message,
            data,
            pass,
            customtips,
        }
    }
}

/// Whether an answer lets the person through, read leniently (a string "true" counts),
/// since the decision checks care about the decision, not its type.
pub fn lets_through(body: &[u8]) -> bool {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let pass = &value[field::DATA][field::PASS];
    pass.as_bool() == Some(true) || pass.as_str() == Some("true")
}

/// The form of an answer: its HTTP status and the kind (not the value) of each field,
/// with the `code` value itself, since `code` says whether the event was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub status: u16,
    body: String,
    pub code: Option<String>,
}

impl Form {
    pub fn of(response: &Response) -> Self {
        let shape = Body::of(&response.body);
        let (body, code) = match &shape {
            Body::NotJson(_) | Body::NotObject(_) => (shape.problem().unwrap_or_default(), None),
            Body::Object(f) => (
                format!(
                    "code {}, text {}, data {}, pass {}",
                    f.code.kind(),
                    f.message.kind(),
                    f.data.kind(),
                    f.pass.as_ref().map_or("n/a", Field::kind)
                ),
                f.code_value.as_ref().map(Value::to_string),
            ),
        };
        Self {
            status: response.status,
            body,
            code,
        }
    }

    /// Whether an answer in this form takes the event as the baseline's answer did: the
    /// same status, the same field kinds, the same `code`.
    ///
    /// # Errors
    /// A description of how this form differs from the baseline's.
    pub fn matches(&self, baseline: &Form) -> Result<(), String> {
        if self.status != baseline.status {
            return Err(format!(
                "HTTP {} where a valid event got HTTP {}",
                self.status, baseline.status
            ));
        }
        if self.code.is_none() && baseline.code.is_some() && !self.body.starts_with("code ") {
            return Err(format!("an answer that is {}", self.body));
        }
        if self.code != baseline.code {
            return Err(format!(
                "code {} where a valid event got code {}",
                self.code.as_deref().unwrap_or("(none)"),
                baseline.code.as_deref().unwrap_or("(none)")
            ));
        }
        if self.body != baseline.body {
            return Err(format!(
                "an answer of another form ({}) than a valid event's ({})",
                self.body, baseline.body
            ));
        }
        Ok(())
    }

    /// Whether an answer has the same status and field kinds as the baseline's, whatever
    /// its `code`: a well-formed answer.
    pub fn same_kind(&self, baseline: &Form) -> bool {
        self.status == baseline.status && self.body == baseline.body
    }

    /// Whether the answer refuses what was sent: an HTTP status of 400 to 599, or a
    /// `code` other than 200 (the spec's success code). A refusal needs no baseline.
    pub fn refuses(&self) -> bool {
        (400..600).contains(&self.status)
            || self
                .code
                .as_deref()
                .is_some_and(|code| code != SUCCESS_CODE)
    }

    /// Whether this is the answer of a receiver that took the event: HTTP 200 with `code`
    /// 200, whatever else the answer holds.
    pub fn takes(&self) -> bool {
        self.status == 200 && self.code.as_deref() == Some(SUCCESS_CODE)
    }
}

/// The spec's success `code`, as a form spells it.
const SUCCESS_CODE: &str = "200";

/// Whether a Content-Type names JSON (parameters allowed), as the reference receiver reads
/// it, plus `+json` suffixes.
pub fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        is_json_content_type(ct)
            || (essence.starts_with("application/") && essence.ends_with("+json"))
    })
}

/// The recommended length of `customtips`, in characters.
pub const TIPS_CHARS: usize = wire::RECOMMENDED_TIPS_CHARS;

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            http10: false,
            headers: vec![],
            body: body.as_bytes().to_vec(),
            reusable: true,
            spread: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn fields_are_judged_independently() {
        let Body::Object(f) = Body::of(br#"{"code":"200","data":{"pass":"yes","customtips":7}}"#)
        else {
            panic!("an object")
        };
        assert_eq!(f.code, Field::Wrong("a string"));
        assert_eq!(f.message, Field::Missing);
        assert_eq!(f.pass, Some(Field::Wrong("a string")));
        assert_eq!(f.customtips, Some(Field::Wrong("an integer")));
        let Body::Object(g) = Body::of(br#"{"code":200,"message":"ok","data":{"pass":true}}"#)
        else {
            panic!("an object")
        };
        assert_eq!(
            (g.code, g.message, g.customtips),
            (Field::Ok(200), Field::Ok(Message::Message), None)
        );
        assert!(matches!(Body::of(b"[1]"), Body::NotObject("an array")));
        assert!(matches!(Body::of(b"OK"), Body::NotJson(_)));
    }

    #[test]
    fn forms_compare_kinds_not_decisions() {
        let base = Form::of(&response(
            200,
            r#"{"code":200,"msg":"ok","data":{"pass":true,"customtips":"Hi"}}"#,
        ));
        let denied = Form::of(&response(
            200,
            r#"{"code":200,"msg":"no","data":{"pass":false}}"#,
        ));
        assert_eq!(denied.matches(&base), Ok(()));
        let failed = Form::of(&response(
            200,
            r#"{"code":500,"msg":"x","data":{"pass":false}}"#,
        ));
        assert!(failed.matches(&base).unwrap_err().contains("code 500"));
        assert!(failed.refuses());
        assert!(Form::of(&response(400, "{}")).refuses());
        assert!(Form::of(&response(500, r#"{"code":500}"#)).refuses());
        assert!(!Form::of(&response(200, "OK")).refuses());
        assert!(!denied.refuses());
        assert!(denied.takes() && !failed.takes());
    }

    #[test]
    fn an_empty_answer_is_described_the_same_way_everywhere() {
        let base = Form::of(&response(
            200,
            r#"{"code":200,"msg":"ok","data":{"pass":true}}"#,
        ));
        let empty = response(200, "");
        let from_form = Form::of(&empty).matches(&base).unwrap_err();
        let from_body = Body::of(&empty.body).problem().unwrap();
        assert_eq!(from_form, format!("an answer that is {from_body}"));
        assert_eq!(from_body, "not JSON (an empty body)");
    }

    #[test]
    fn json_content_types() {
        assert!(is_json(Some("application/json; charset=utf-8")));
        assert!(is_json(Some("application/problem+json")));
        assert!(!is_json(Some("text/html")));
        assert!(!is_json(None));
    }
}
