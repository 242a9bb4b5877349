//! The answer checks (A-01 to A-11) as a table of rules, each judging one fact of an
//! answer. Every answer to a valid event that came back with HTTP 200 is judged by every
//! rule that applies to it; a rule applies only when the facts it needs are there (the
//! type of `data.pass` cannot be judged when `data` is missing), so one flaw fails one
//! check, and a check with nothing to judge is skipped rather than passed.

use std::sync::Arc;

use crate::probe::Probe;
use crate::shape::{Body, Field, Message, TIPS_CHARS, is_json};
use crate::verdict::Finding;
use crate::wireio::Response;

/// One answer check: what it expects, and how it judges one answer (`None` when the answer
/// lacks what the rule needs).
pub struct Rule {
    pub id: &'static str,
    pub expected: &'static str,
    /// What a passing answer shows, for the PASS line.
    pub holds: &'static str,
    /// What the rule needs, for the SKIP line.
    pub needs: &'static str,
    pub judge: fn(&Response, &Body) -> Option<Result<(), String>>,
}

/// The answer rules, in catalog order.
pub const RULES: &[Rule] = &[
    Rule {
        id: "A-01",
        expected: "a JSON object",
        holds: "a JSON object",
        needs: "an answer",
        judge: |_, body| {
            Some(match body {
                Body::Object(_) => Ok(()),
                Body::NotJson(e) => Err(format!("not JSON ({e})")),
                Body::NotObject(t) => Err(format!("JSON {t}, not an object")),
            })
        },
    },
    Rule {
        id: "A-02",
        expected: "`code` present, an integer",
        holds: "an integer `code`",
        needs: "a JSON object",
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
    },
    Rule {
        id: "A-03",
        expected: "`code` 200",
        holds: "`code` 200",
        needs: "an integer `code`",
        judge: |_, body| match body.facts()?.code {
            Field::Ok(200) => Some(Ok(())),
            Field::Ok(code) => Some(Err(format!("`code` is {code}"))),
            _ => None,
        },
    },
    Rule {
        id: "A-04",
        expected: "a string `msg` or `message`",
        holds: "a text field",
        needs: "a JSON object",
        judge: |_, body| {
            Some(match body.facts()?.message {
                Field::Ok(_) => Ok(()),
                Field::Missing => Err("neither `msg` nor `message`".into()),
                Field::Wrong(t) => Err(format!("the text field is {t}")),
            })
        },
    },
    Rule {
        id: "A-05",
        expected: "the text field named `msg`",
        holds: "the text field named `msg`",
        needs: "a text field",
        judge: |_, body| match body.facts()?.message {
            Field::Ok(Message::Msg) => Some(Ok(())),
            Field::Ok(Message::Message) => Some(Err(
                "the text field is named `message` (this conforms)".into(),
            )),
            _ => None,
        },
    },
    Rule {
        id: "A-06",
        expected: "`data`, an object",
        holds: "a `data` object",
        needs: "a JSON object",
        judge: |_, body| {
            Some(match body.facts()?.data {
                Field::Ok(()) => Ok(()),
                Field::Missing => Err("no `data`".into()),
                Field::Wrong(t) => Err(format!("`data` is {t}")),
            })
        },
    },
    Rule {
        id: "A-07",
        expected: "`data.pass` present",
        holds: "`data.pass`",
        needs: "a `data` object",
        judge: |_, body| match body.facts()?.pass.as_ref()? {
            Field::Missing => Some(Err("`data` has no `pass`".into())),
            _ => Some(Ok(())),
        },
    },
    Rule {
        id: "A-08",
        expected: "`data.pass` a boolean",
        holds: "a boolean `data.pass`",
        needs: "`data.pass`",
        judge: |_, body| match body.facts()?.pass.as_ref()? {
            Field::Ok(_) => Some(Ok(())),
            Field::Wrong(t) => Some(Err(format!("`data.pass` is {t}"))),
            Field::Missing => None,
        },
    },
    Rule {
        id: "A-09",
        expected: "`data.customtips` a string when present",
        holds: "a string `customtips` where present",
        needs: "`data.customtips`",
        judge: |_, body| match body.facts()?.customtips.as_ref()? {
            Field::Ok(_) => Some(Ok(())),
            Field::Wrong(t) => Some(Err(format!("`data.customtips` is {t}"))),
            Field::Missing => None,
        },
    },
    Rule {
        id: "A-10",
        expected: "`data.customtips` of at most 10 characters",
        holds: "`customtips` of at most 10 characters",
        needs: "a string `data.customtips`",
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
    },
    Rule {
        id: "A-11",
        expected: "Content-Type application/json",
        holds: "a JSON Content-Type",
        needs: "an answer",
        judge: |response, _| {
            let ct = response.content_type();
            Some(if is_json(ct) {
                Ok(())
            } else {
                Err(format!("Content-Type is {}", ct.unwrap_or("missing")))
            })
        },
    },
];

/// Judges one rule over every answer: met when it holds for all that it applies to.
pub fn apply(rule: &Rule, answers: &[(Arc<Probe>, &Response, Body)]) -> (Finding, usize) {
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
    let finding = match first {
        _ if applicable == 0 => Finding::NotRun(format!("no answer had {}", rule.needs)),
        None => Finding::Met(format!("{applicable} answers, each with {}", rule.holds)),
        Some((probe, problem)) => Finding::unmet(
            rule.expected,
            format!(
                "{problem} (request {}; {bad} of {applicable} answers)",
                probe.name
            ),
            Some(probe),
        ),
    };
    (finding, applicable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{CATALOG, Group};

    #[test]
    fn every_answer_check_has_exactly_one_rule() {
        let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        let catalog: Vec<&str> = CATALOG
            .iter()
            .filter(|c| c.group == Group::Answer)
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, catalog);
    }

    #[test]
    fn long_tips_count_characters() {
        let rule = RULES.iter().find(|r| r.id == "A-10").unwrap();
        let response = |body: &str| Response {
            status: 200,
            http10: false,
            headers: vec![],
            body: body.as_bytes().to_vec(),
            reusable: true,
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
}
