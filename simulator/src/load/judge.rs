//! How the load generator judges an answer: the one classifier of the wire types, behind a
//! memo of the last body (receivers under load answer the same bytes over and over, and
//! comparing bytes is far cheaper than decoding JSON).

use crate::wire;
use crate::wire::{Outcome, OutcomeClass};

/// What an answer counts as, and the door decision of a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub class: OutcomeClass,
    pub pass: Option<bool>,
}

impl Verdict {
    /// The verdict on an exchange that came to `outcome` without a door decision.
    pub(crate) fn of<A>(outcome: &Outcome<A>) -> Self {
        Verdict {
            class: outcome.class(),
            pass: None,
        }
    }
}

/// Judges answers, remembering the last HTTP 200 body and its verdict: receivers under
/// load answer the same bytes over and over, and comparing bytes is far cheaper than
/// decoding JSON.
#[derive(Debug)]
pub(crate) struct Judge {
    rule: wire::AnswerRule,
    /// Judge auth answers instead, `data.user_id` typed so.
    auth: Option<wire::IdKind>,
    last_body: Vec<u8>,
    last: Option<(Verdict, Option<String>)>,
}

impl Judge {
    /// A judge applying `rule`, the API version's.
    pub(crate) fn new(rule: wire::AnswerRule, auth: Option<wire::IdKind>) -> Self {
        Self {
            rule,
            auth,
            last_body: Vec::new(),
            last: None,
        }
    }

    /// The verdict on an answer, and for a failure a description of it.
    pub(crate) fn judge(&mut self, status: u16, body: &[u8]) -> (Verdict, Option<String>) {
        if status != 200 {
            let verdict = Verdict {
                class: OutcomeClass::HttpStatus,
                pass: None,
            };
            return (verdict, Some(format!("HTTP {status}")));
        }
        if let Some(last) = self.last.as_ref().filter(|_| self.last_body == body) {
            return last.clone();
        }
        // The same classifier for both: push answers by the version's rule, auth answers
        // by theirs.
        let (verdict, description) = match self.auth {
            None => {
                let judged = wire::judge_answer(status, body, self.rule);
                let verdict = Verdict {
                    class: judged.class(),
                    pass: judged.pass(),
                };
                (verdict, judged.describe())
            }
            Some(ids) => {
                let judged = wire::judge_auth_answer(status, body, ids);
                let verdict = Verdict {
                    class: judged.class(),
                    pass: judged.decision().map(|d| d.pass),
                };
                (verdict, judged.describe())
            }
        };
        let why = (verdict.class != OutcomeClass::Success).then_some(description);
        let judged = (verdict, why);
        self.last_body.clear();
        self.last_body.extend_from_slice(body);
        self.last = Some(judged.clone());
        judged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judge_classifies_and_remembers() {
        let mut j = Judge::new(wire::AnswerRule::Decision, None);
        let ok = br#"{"code":200,"msg":"ok","data":{"pass":true}}"#;
        assert_eq!(
            j.judge(200, ok).0,
            Verdict {
                class: OutcomeClass::Success,
                pass: Some(true)
            }
        );
        assert_eq!(j.judge(200, ok).0.pass, Some(true));
        let deny = br#"{"code":200,"msg":"ok","data":{"pass":false}}"#;
        assert_eq!(j.judge(200, deny).0.pass, Some(false));
        let (v, why) = j.judge(200, br#"{"code":500,"msg":"busy","data":{"pass":false}}"#);
        assert_eq!(v.class, OutcomeClass::CodeNotOk);
        assert!(why.unwrap().contains("busy"));
        assert_eq!(j.judge(200, b"nope").0.class, OutcomeClass::Malformed);
        assert_eq!(j.judge(503, ok).0.class, OutcomeClass::HttpStatus);
    }
}
