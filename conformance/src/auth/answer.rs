//! A remote-authentication answer read field by field, and the answer checks (AU-01 to
//! AU-07) as rules over the answers to valid callbacks, one constant each, which their
//! catalog rows name. As for the push answer (`shape`, `rules`), each fact is judged on
//! its own, so one flaw fails one check: an answer without `data` fails AU-03 and is
//! not judged again by the checks of the fields inside `data`.

use facesim_proto::profile::{Profile, UserIds};
use facesim_proto::wire::{auth_field, field, json_type};
use serde_json::{Map, Value};

use crate::check::CheckId;
use crate::rules::Rule;
use crate::shape::Field;
use crate::wireio::preview;

/// The answers an auth answer rule judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Over {
    /// The baseline callback's answer, whatever its status (the other callers' status is
    /// their own checks' business).
    Baseline,
    /// Every answer to a valid callback that came with HTTP 200.
    Taken,
}

/// How `data.user_id` came: the JSON type matters, since it changed with API 1.2.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdType {
    Integer,
    Text,
}

impl IdType {
    fn name(self) -> &'static str {
        match self {
            IdType::Integer => "an integer",
            IdType::Text => "a string",
        }
    }
}

/// The facts about a callback answer's body.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthBody {
    /// Not JSON at all (the parser's complaint).
    NotJson(String),
    /// JSON, but not an object (the type found).
    NotObject(&'static str),
    Object(AuthFacts),
}

/// The fields of a callback answer object.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthFacts {
    pub code: Field<i64>,
    pub msg: Field<()>,
    pub data: Field<()>,
    /// `data.pass`; `None` when `data` is not an object.
    pub pass: Option<Field<bool>>,
    /// `data.verify_code` when present and not null.
    pub verify_code: Option<Field<i64>>,
    /// `data.user_id` when present and not null.
    pub user_id: Option<Field<IdType>>,
    /// The optional text fields of `data` that are present and not strings: (name, type).
    pub not_text: Vec<(&'static str, &'static str)>,
    /// `data.verify_score` when present and not a number: its type.
    pub score_not_number: Option<&'static str>,
}

/// The optional text fields of an answer's `data`.
const TEXT_FIELDS: [&str; 3] = [auth_field::USER_NAME, field::CUSTOMTIPS, field::IC_NUMBER];

impl AuthBody {
    /// Reads the body of an answer.
    pub fn of(body: &[u8]) -> Self {
        if body.iter().all(u8::is_ascii_whitespace) {
            return AuthBody::NotJson("an empty body".into());
        }
        let value: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return AuthBody::NotJson(format!("{e} in {}", preview(body, 60))),
        };
        match value {
            Value::Object(top) => AuthBody::Object(AuthFacts::of(&top)),
            other => AuthBody::NotObject(json_type(&other)),
        }
    }

    pub fn facts(&self) -> Option<&AuthFacts> {
        match self {
            AuthBody::Object(f) => Some(f),
            _ => None,
        }
    }

    /// Whether the answer opens the door: `data.pass` is `true`. A server that opens it
    /// for a request that is not a callback at all has a hole, whatever else it says.
    pub fn opens(&self) -> bool {
        matches!(
            self.facts().and_then(|f| f.pass.as_ref()),
            Some(Field::Ok(true))
        )
    }

    /// Whether the answer is a well-formed decision: `code` 200 and a boolean `pass`.
    pub fn decides(&self) -> Option<bool> {
        let facts = self.facts()?;
        match (&facts.code, &facts.pass) {
            (Field::Ok(200), Some(Field::Ok(pass))) => Some(*pass),
            _ => None,
        }
    }

    /// What is wrong with a body that is not a decision, in one phrase. No check reports
    /// it (the caller checks compare forms instead), so only the tests read it.
    #[cfg(test)]
    pub fn problem(&self) -> String {
        match self {
            AuthBody::NotJson(e) => format!("not JSON ({e})"),
            AuthBody::NotObject(t) => format!("JSON {t}, not an object"),
            AuthBody::Object(f) => match (&f.code, &f.pass) {
                (Field::Ok(200), Some(Field::Ok(_))) => "a decision".into(),
                (Field::Ok(code), _) if *code != 200 => format!("`code` {code}"),
                (Field::Missing, _) => "no `code`".into(),
                (Field::Wrong(t), _) => format!("`code` is {t}"),
                (_, None) => "no `data` object".into(),
                (_, Some(Field::Missing)) => "no `data.pass`".into(),
                (_, Some(Field::Wrong(t))) => format!("`data.pass` is {t}"),
                _ => "not a decision".into(),
            },
        }
    }
}

impl AuthFacts {
    fn of(top: &Map<String, Value>) -> Self {
        let code = match top.get(field::CODE) {
            None => Field::Missing,
            Some(Value::Number(n)) if n.is_i64() => Field::Ok(n.as_i64().unwrap_or_default()),
            Some(other) => Field::Wrong(json_type(other)),
        };
        let msg = match top.get(field::MSG) {
            None => Field::Missing,
            Some(Value::String(_)) => Field::Ok(()),
            Some(other) => Field::Wrong(json_type(other)),
        };
        let mut facts = AuthFacts {
            code,
            msg,
            data: Field::Missing,
            pass: None,
            verify_code: None,
            user_id: None,
            not_text: Vec::new(),
            score_not_number: None,
        };
        match top.get(field::DATA) {
            None => {}
            Some(Value::Object(data)) => {
                facts.data = Field::Ok(());
                facts.read_data(data);
            }
            Some(other) => facts.data = Field::Wrong(json_type(other)),
        }
        facts
    }

    fn read_data(&mut self, data: &Map<String, Value>) {
        let present = |name: &str| data.get(name).filter(|v| !v.is_null());
        self.pass = Some(match data.get(field::PASS) {
            None => Field::Missing,
            Some(Value::Bool(b)) => Field::Ok(*b),
            Some(other) => Field::Wrong(json_type(other)),
        });
        self.verify_code = present(auth_field::VERIFY_CODE).map(|v| match v {
            Value::Number(n) if n.is_i64() => Field::Ok(n.as_i64().unwrap_or_default()),
            other => Field::Wrong(json_type(other)),
        });
        self.user_id = present(field::USER_ID).map(|v| match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Field::Ok(IdType::Integer),
            Value::String(_) => Field::Ok(IdType::Text),
            other => Field::Wrong(json_type(other)),
        });
        for name in TEXT_FIELDS {
            if let Some(v) = present(name).filter(|v| !v.is_string()) {
                self.not_text.push((name, json_type(v)));
            }
        }
        self.score_not_number = present(auth_field::VERIFY_SCORE)
            .filter(|v| !v.is_number())
            .map(json_type);
    }
}

/// A callback answer rule: the body read field by field, and the version's profile (the
/// type of `user_id` changed with 1.2.1).
pub type AuthRule = Rule<(AuthBody, &'static Profile)>;

// The answer checks of the auth suite. Each judges every answer to a valid callback that
// came back with HTTP 200, except AU-01, which judges the baseline's answer and its status
// too (the catalog row says which answers: `Over`).

/// AU-01: the baseline callback is answered with HTTP 200 and a JSON object.
pub const OBJECT: AuthRule = Rule {
    expected: "HTTP 200 and a JSON object",
    holds: "HTTP 200 and a JSON object",
    needs: "an answer",
    depends: CheckId::AU01,
    optional: None,
    judge: |response, (body, _)| {
        Some(match body {
            _ if response.status != 200 => Err(response.summary()),
            AuthBody::Object(_) => Ok(()),
            AuthBody::NotJson(e) => Err(format!("not JSON ({e})")),
            AuthBody::NotObject(t) => Err(format!("JSON {t}, not an object")),
        })
    },
};

/// AU-02: `code` 200 and a string `msg`.
pub const ENVELOPE: AuthRule = Rule {
    expected: "`code` 200 and a string `msg`",
    holds: "`code` 200 and a string `msg`",
    needs: "a JSON object",
    depends: CheckId::AU01,
    optional: None,
    judge: |_, (body, _)| {
        let facts = body.facts()?;
        Some(match (&facts.code, &facts.msg) {
            (Field::Ok(200), Field::Ok(())) => Ok(()),
            (Field::Ok(200), msg) => Err(match msg {
                Field::Wrong(t) => format!("`msg` is {t}"),
                _ => "no `msg`".into(),
            }),
            (Field::Ok(code), _) => Err(format!("`code` {code}")),
            (Field::Missing, _) => Err("no `code`".into()),
            (Field::Wrong(t), _) => Err(format!("`code` is {t}")),
        })
    },
};

/// AU-03: `data`, an object, with `pass`.
pub const PASS: AuthRule = Rule {
    expected: "`data`, an object, with `pass`",
    holds: "`data.pass`",
    needs: "a JSON object",
    depends: CheckId::AU01,
    optional: None,
    judge: |_, (body, _)| {
        let facts = body.facts()?;
        Some(match (&facts.data, &facts.pass) {
            (Field::Ok(()), Some(Field::Missing)) => Err("`data` has no `pass`".into()),
            (Field::Ok(()), _) => Ok(()),
            (Field::Missing, _) => Err("no `data`".into()),
            (Field::Wrong(t), _) => Err(format!("`data` is {t}")),
        })
    },
};

/// AU-04: `data.pass` is a boolean.
pub const PASS_BOOL: AuthRule = Rule {
    expected: "`data.pass` a boolean",
    holds: "a boolean `data.pass`",
    needs: "`data.pass`",
    depends: CheckId::AU03,
    optional: None,
    judge: |_, (body, _)| match body.facts()?.pass.as_ref()? {
        Field::Ok(_) => Some(Ok(())),
        Field::Wrong(t) => Some(Err(format!("`data.pass` is {t}"))),
        Field::Missing => None,
    },
};

/// AU-05: `data.verify_code`, when present, is from 1 to 5.
pub const VERIFY_CODE: AuthRule = Rule {
    expected: "`data.verify_code` an integer from 1 to 5",
    holds: "`verify_code` from 1 to 5",
    needs: "`data.verify_code`",
    depends: CheckId::AU03,
    optional: Some(|(body, _)| body.facts().is_some_and(|f| f.verify_code.is_some())),
    judge: |_, (body, _)| match body.facts()?.verify_code.as_ref()? {
        Field::Ok(code) if (1..=5).contains(code) => Some(Ok(())),
        Field::Ok(code) => Some(Err(format!("`data.verify_code` is {code}"))),
        Field::Wrong(t) => Some(Err(format!("`data.verify_code` is {t}"))),
        Field::Missing => None,
    },
};

/// AU-06: the optional fields have their documented types.
pub const FIELD_TYPES: AuthRule = Rule {
    expected: "`data.user_id` of the version's type; `user_name`, `customtips`, `ic_number` strings; `verify_score` a number",
    holds: "optional fields of the documented types",
    needs: "a `data` object",
    depends: CheckId::AU03,
    optional: None,
    judge: |_, (body, profile)| {
        let facts = body.facts()?;
        if !matches!(facts.data, Field::Ok(())) {
            return None;
        }
        let wanted = match profile.user_ids {
            UserIds::Text => IdType::Text,
            UserIds::Integer(_) => IdType::Integer,
        };
        Some(
            match (
                &facts.user_id,
                facts.not_text.first(),
                facts.score_not_number,
            ) {
                (Some(Field::Ok(found)), _, _) if *found != wanted => Err(format!(
                    "`data.user_id` is {}; API {} sends and expects {}",
                    found.name(),
                    profile.version,
                    wanted.name()
                )),
                (Some(Field::Wrong(t)), _, _) => Err(format!("`data.user_id` is {t}")),
                (_, Some((name, t)), _) => Err(format!("`data.{name}` is {t}")),
                (_, _, Some(t)) => Err(format!("`data.verify_score` is {t}")),
                _ => Ok(()),
            },
        )
    },
};

/// AU-07: `verify_code` agrees with `pass`.
pub const AGREES: AuthRule = Rule {
    expected: "`verify_code` 2 (recognised) when `pass` is true, another code when it is false",
    holds: "a `verify_code` that agrees with `pass`",
    needs: "a boolean `pass` and an integer `verify_code`",
    depends: CheckId::AU05,
    optional: Some(|(body, _)| body.facts().is_some_and(|f| f.verify_code.is_some())),
    judge: |_, (body, _)| {
        let facts = body.facts()?;
        match (facts.pass.as_ref()?, facts.verify_code.as_ref()?) {
            (Field::Ok(pass), Field::Ok(code)) if (1..=5).contains(code) => {
                Some(if *pass == (*code == 2) {
                    Ok(())
                } else {
                    Err(format!("`pass` {pass} with `verify_code` {code}"))
                })
            }
            _ => None,
        }
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(json: &str) -> AuthFacts {
        AuthBody::of(json.as_bytes())
            .facts()
            .cloned()
            .expect("an object")
    }

    #[test]
    fn each_flaw_is_one_fact() {
        let ok =
            facts(r#"{"code":200,"msg":"OK","data":{"pass":true,"verify_code":2,"user_id":"7"}}"#);
        assert_eq!(ok.pass, Some(Field::Ok(true)));
        assert_eq!(ok.verify_code, Some(Field::Ok(2)));
        assert_eq!(ok.user_id, Some(Field::Ok(IdType::Text)));
        let bare = facts(r#"{"pass":true}"#);
        assert_eq!(
            (bare.code.clone(), bare.data.clone()),
            (Field::Missing, Field::Missing)
        );
        assert_eq!(bare.pass, None);
        let odd = facts(
            r#"{"code":200,"msg":"OK","data":{"pass":"true","user_name":3,"verify_score":"high"}}"#,
        );
        assert_eq!(odd.pass, Some(Field::Wrong("a string")));
        assert_eq!(odd.not_text, vec![(auth_field::USER_NAME, "an integer")]);
        assert_eq!(odd.score_not_number, Some("a string"));
        assert!(!AuthBody::of(b"[]").opens());
        assert_eq!(AuthBody::of(b"").problem(), "not JSON (an empty body)");
    }
}
