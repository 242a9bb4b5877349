//! The answer checks (A-01 to A-11) as rules, each judging one fact of an answer and
//! named by its check's catalog row. Every answer to a valid event that came back with
//! HTTP 200 is judged by every rule that applies to it; a rule applies only when the
//! facts it needs are there (the type of `data.pass` cannot be judged when `data` is
//! missing), so one flaw fails one check. Counts explain themselves ("50 of 57 answers
//! had a `data` object; all 50 had `data.pass`"). A rule with nothing to judge is
//! skipped with the check it depends on, except a rule about an optional field that no
//! answer carried: that condition never arose, which is a pass with the reason, not a
//! gap in coverage.

use std::sync::Arc;

use crate::check::CheckId;
use crate::probe::Probe;
use crate::shape::{Body, Field, Message, TIPS_CHARS, is_json};
use crate::text::count;
use crate::verdict::Finding;
use crate::wireio::Response;

/// One answer check: what it expects, and how it judges one answer (`None` when the answer
/// lacks what the rule needs). `B` is what the answer's body was read into: a push
/// answer's [`Body`], or a callback answer's (`auth::answer::AuthBody`). A rule has no ID
/// of its own: the catalog row that names it is the check.
#[derive(Debug)]
pub struct Rule<B = Body> {
    pub expected: &'static str,
    /// What a passing answer shows, for the PASS line.
    pub holds: &'static str,
    /// What the rule needs, for the SKIP line and the counts.
    pub needs: &'static str,
    /// The check that judges what this rule needs.
    pub depends: CheckId,
    /// For a rule about an optional field: whether an answer carries it at all.
    pub optional: Option<fn(&B) -> bool>,
    pub judge: fn(&Response, &B) -> Option<Result<(), String>>,
}

/// A-01: the answer is a JSON object.
pub const OBJECT: Rule = Rule {
    expected: "a JSON object",
    holds: "a JSON object",
    needs: "an answer",
    depends: CheckId::T01,
    optional: None,
    judge: |_, body| {
        Some(match body {
            Body::Object(_) => Ok(()),
            other => Err(other.problem().unwrap_or_default()),
        })
    },
};

/// A-02: `code` is there, an integer.
pub const CODE: Rule = Rule {
    expected: "`code` present, an integer",
    holds: "an integer `code`",
    needs: "a JSON object",
    depends: CheckId::A01,
    optional: None,
    judge: |_, body| {
        let facts = body.facts()?;
        Some(match &facts.code {
            Field::Ok(_) => Ok(()),
            Field::Missing => Err("no `code`".into()),
            Field::Wrong(t) => Err(format!(
                "`code` is {t}: {}",
                facts
                    .code_value
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            )),
        })
    },
};

/// A-03: `code` is 200.
pub const CODE_200: Rule = Rule {
    expected: "`code` 200",
    holds: "`code` 200",
    needs: "an integer `code`",
    depends: CheckId::A02,
    optional: None,
    judge: |_, body| match body.facts()?.code {
        Field::Ok(200) => Some(Ok(())),
        Field::Ok(code) => Some(Err(format!("`code` is {code}"))),
        _ => None,
    },
};

/// A-04: a text field, `msg` or `message`, a string.
pub const TEXT: Rule = Rule {
    expected: "a string `msg` or `message`",
    holds: "a text field",
    needs: "a JSON object",
    depends: CheckId::A01,
    optional: None,
    judge: |_, body| {
        Some(match body.facts()?.message {
            Field::Ok(_) => Ok(()),
            Field::Missing => Err("neither `msg` nor `message`".into()),
            Field::Wrong(t) => Err(format!("the text field is {t}")),
        })
    },
};

/// A-05: the text field is named `msg`.
pub const MSG: Rule = Rule {
    expected: "the text field named `msg`",
    holds: "the text field named `msg`",
    needs: "a text field",
    depends: CheckId::A04,
    optional: None,
    judge: |_, body| match body.facts()?.message {
        Field::Ok(Message::Msg) => Some(Ok(())),
        Field::Ok(Message::Message) => Some(Err(
            "the text field is named `message` (this conforms)".into(),
        )),
        _ => None,
    },
};

/// A-06: `data` is there, an object.
pub const DATA: Rule = Rule {
    expected: "`data`, an object",
    holds: "a `data` object",
    needs: "a JSON object",
    depends: CheckId::A01,
    optional: None,
    judge: |_, body| {
        Some(match body.facts()?.data {
            Field::Ok(()) => Ok(()),
            Field::Missing => Err("no `data`".into()),
            Field::Wrong(t) => Err(format!("`data` is {t}")),
        })
    },
};

/// A-07: `data` has `pass`.
pub const PASS: Rule = Rule {
    expected: "`data.pass` present",
    holds: "`data.pass`",
    needs: "a `data` object",
    depends: CheckId::A06,
    optional: None,
    judge: |_, body| match body.facts()?.pass.as_ref()? {
        Field::Missing => Some(Err("`data` has no `pass`".into())),
        _ => Some(Ok(())),
    },
};

/// A-08: `data.pass` is a boolean.
pub const PASS_BOOL: Rule = Rule {
    expected: "`data.pass` a boolean",
    holds: "a boolean `data.pass`",
    needs: "`data.pass`",
    depends: CheckId::A07,
    optional: None,
    judge: |_, body| match body.facts()?.pass.as_ref()? {
        Field::Ok(_) => Some(Ok(())),
        Field::Wrong(t) => Some(Err(format!("`data.pass` is {t}"))),
        Field::Missing => None,
    },
};

/// A-09: `data.customtips`, when present, is a string.
pub const TIPS: Rule = Rule {
    expected: "`data.customtips` a string when present",
    holds: "a string `customtips`",
    needs: "`data.customtips`",
    depends: CheckId::A06,
    optional: Some(carries_customtips),
    judge: |_, body| match body.facts()?.customtips.as_ref()? {
        Field::Ok(_) => Some(Ok(())),
        Field::Wrong(t) => Some(Err(format!("`data.customtips` is {t}"))),
        Field::Missing => None,
    },
};

/// A-10: `data.customtips` has at most 10 characters.
pub const TIPS_LENGTH: Rule = Rule {
    expected: "`data.customtips` of at most 10 characters",
    holds: "`customtips` of at most 10 characters",
    needs: "a string `data.customtips`",
    depends: CheckId::A09,
    optional: Some(carries_customtips),
    judge: |_, body| match body.facts()?.customtips.as_ref()? {
        Field::Ok(tips) => {
            let chars = tips.chars().count();
            Some(if chars <= TIPS_CHARS {
                Ok(())
            } else {
                Err(format!("`customtips` {tips:?} has {chars} characters"))
            })
        }
        _ => None,
    },
};

/// A-11: the Content-Type is JSON.
pub const CONTENT_TYPE: Rule = Rule {
    expected: "Content-Type application/json",
    holds: "a JSON Content-Type",
    needs: "an answer",
    depends: CheckId::T01,
    optional: None,
    judge: |response, _| {
        let ct = response.content_type();
        Some(if is_json(ct) {
            Ok(())
        } else {
            Err(format!("Content-Type is {}", ct.unwrap_or("missing")))
        })
    },
};

/// Whether an answer carries `data.customtips` at all (of whatever type).
fn carries_customtips(body: &Body) -> bool {
    body.facts().is_some_and(|f| f.customtips.is_some())
}

/// Judges one rule over every answer: met when it holds for all that it applies to.
pub fn apply(rule: &Rule, answers: &[(Arc<Probe>, &Response, &Body)]) -> (Finding, usize) {
    apply_to(rule, answers, || {
        Finding::depends(CheckId::T01, "no valid event was answered with HTTP 200")
    })
}

/// [`apply`] for any kind of answer body; `nothing` is the finding when no answer came.
pub fn apply_to<B>(
    rule: &Rule<B>,
    answers: &[(Arc<Probe>, &Response, &B)],
    nothing: impl FnOnce() -> Finding,
) -> (Finding, usize) {
    let total = answers.len();
    let mut applicable = 0;
    let mut bad = 0;
    let mut first: Option<(Arc<Probe>, String)> = None;
    for (probe, response, body) in answers {
        match (rule.judge)(response, body) {
            None => {}
            Some(Ok(())) => applicable += 1,
            Some(Err(problem)) => {
                applicable += 1;
                bad += 1;
                first.get_or_insert_with(|| (probe.clone(), problem));
            }
        }
    }
    // "50 of 57 answers had a `data` object" when the rule judged only some answers.
    let scope = if applicable == total {
        count(total, "answer")
    } else {
        format!(
            "{applicable} of {} had {}",
            count(total, "answer"),
            rule.needs
        )
    };
    let finding = match first {
        _ if total == 0 => nothing(),
        _ if applicable == 0 => match rule.optional {
            Some(carries) if !answers.iter().any(|(_, _, body)| carries(body)) => {
                Finding::Met(format!(
                    "no answer carried the optional field ({} judged)",
                    count(total, "answer")
                ))
            }
            _ => Finding::depends(rule.depends, format!("no answer had {}", rule.needs)),
        },
        None if applicable == total && total == 1 => {
            Finding::Met(format!("1 answer, with {}", rule.holds))
        }
        None if applicable == total => Finding::Met(format!("{scope}, each with {}", rule.holds)),
        None => Finding::Met(format!("{scope}; all {applicable} had {}", rule.holds)),
        Some((probe, problem)) => {
            let of = if applicable == total {
                count(total, "answer")
            } else {
                format!(
                    "{} with {}, {total} in all",
                    count(applicable, "answer"),
                    rule.needs
                )
            };
            Finding::unmet(
                rule.expected,
                format!("{problem} (request {}; {bad} of {of})", probe.name),
                Some(probe),
            )
        }
    };
    (finding, applicable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_tips_count_characters() {
        let rule = &TIPS_LENGTH;
        let response = |body: &str| Response {
            status: 200,
            http10: false,
            headers: vec![],
            body: body.as_bytes().to_vec(),
            reusable: true,
            spread: std::time::Duration::ZERO,
        };
        let cjk = response(
            r#"{"code":200,"msg":"ok","data":{"pass":true,"customtips":"欢迎光临欢迎光临欢迎"}}"#,
        );
        assert_eq!((rule.judge)(&cjk, &Body::of(&cjk.body)), Some(Ok(())));
        let long = response(
            r#"{"code":200,"msg":"ok","data":{"pass":true,"customtips":"Welcome back!"}}"#,
        );
        assert!(matches!(
            (rule.judge)(&long, &Body::of(&long.body)),
            Some(Err(_))
        ));
        let none = response(r#"{"code":200,"msg":"ok","data":{"pass":true}}"#);
        assert_eq!((rule.judge)(&none, &Body::of(&none.body)), None);
    }

    fn answers(bodies: &[&str]) -> Vec<(Arc<Probe>, Response, Body)> {
        bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let probe = Arc::new(Probe {
                    name: format!("probe-{i}"),
                    method: crate::client::Method::Post,
                    content_type: None,
                    body: bytes::Bytes::new(),
                    valid: true,
                    identity: true,
                });
                let response = Response {
                    status: 200,
                    http10: false,
                    headers: vec![],
                    body: body.as_bytes().to_vec(),
                    reusable: true,
                    spread: std::time::Duration::ZERO,
                };
                let shape = Body::of(&response.body);
                (probe, response, shape)
            })
            .collect()
    }

    fn finding(rule: &Rule, bodies: &[&str]) -> Finding {
        let owned = answers(bodies);
        let borrowed: Vec<(Arc<Probe>, &Response, &Body)> =
            owned.iter().map(|(p, r, b)| (p.clone(), r, b)).collect();
        apply(rule, &borrowed).0
    }

    #[test]
    fn counts_explain_themselves() {
        let with = r#"{"code":200,"msg":"ok","data":{"pass":true}}"#;
        let without = r#"{"code":200,"msg":"ok"}"#;
        let Finding::Met(note) = finding(&PASS, &[with, with, without]) else {
            panic!("met")
        };
        assert_eq!(
            note,
            "2 of 3 answers had a `data` object; all 2 had `data.pass`"
        );
        let Finding::Unmet { actual, .. } = finding(&DATA, &[with, with, without]) else {
            panic!("unmet")
        };
        assert_eq!(actual, "no `data` (request probe-2; 1 of 3 answers)");
        let Finding::Met(one) = finding(&OBJECT, &[with]) else {
            panic!("met")
        };
        assert_eq!(one, "1 answer, with a JSON object");
    }

    #[test]
    fn an_optional_field_no_answer_carried_passes_and_a_missing_fact_names_its_check() {
        let plain = r#"{"code":200,"msg":"ok","data":{"pass":true}}"#;
        let Finding::Met(note) = finding(&TIPS_LENGTH, &[plain, plain]) else {
            panic!("met")
        };
        assert!(note.starts_with("no answer carried"), "{note}");
        let number = r#"{"code":200,"msg":"ok","data":{"pass":true,"customtips":7}}"#;
        let Finding::NotRun(why) = finding(&TIPS_LENGTH, &[number]) else {
            panic!("skipped")
        };
        assert!(why.contains("depends on A-09"), "{why}");
        let Finding::NotRun(why) = finding(&PASS_BOOL, &[r#"{"code":200,"msg":"ok"}"#]) else {
            panic!("skipped")
        };
        assert!(why.contains("depends on A-07"), "{why}");
    }
}
