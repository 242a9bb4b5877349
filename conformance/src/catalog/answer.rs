//! The answer checks (A-*): each fact of the answer to a valid event, one rule per row
//! (`rules`), so that one flaw fails one check.

use crate::rules;
use crate::run::how::Push;

use super::table::{RECEIVING, RESPOND, Row, rows};

/// The group's rows, in catalog order.
pub(super) const ROWS: &[Row] = rows! {
    A01,
        Must,
        Answer,
        RESPOND,
        (all),
        "The answer to a valid event is a JSON object.",
        [NotJson],
        Push::Rule(&rules::OBJECT);
    A02,
        Must,
        Answer,
        RESPOND,
        (all),
        "The answer has `code`, an integer.",
        [CodeAsString],
        Push::Rule(&rules::CODE);
    A03,
        Must,
        Answer,
        RESPOND,
        (all),
        "The answer's `code` is 200 for a valid event.",
        [CodeNot200],
        Push::Rule(&rules::CODE_200);
    A04,
        Must,
        Answer,
        RESPOND,
        (all),
        "The answer has a text field named `msg` or `message`, a string.",
        [MissingMsg],
        Push::Rule(&rules::TEXT);
    A05,
        Info,
        Answer,
        RESPOND,
        (all),
        "The text field is named `msg` as in every example; `message`, the table's name, conforms too and is reported.",
        [MessageField],
        Push::Rule(&rules::MSG);
    A06,
        Must,
        Answer,
        RESPOND,
        (all),
        "The answer has `data`, an object.",
        [DataMissing],
        Push::Rule(&rules::DATA);
    A07,
        Must,
        Answer,
        RESPOND,
        (only V1_0),
        "The answer's `data` has `pass`.",
        [PassMissing],
        Push::Rule(&rules::PASS);
    A08,
        Must,
        Answer,
        RESPOND,
        (only V1_0),
        "The answer's `data.pass` is a boolean.",
        [PassAsString],
        Push::Rule(&rules::PASS_BOOL);
    A09,
        Must,
        Answer,
        RESPOND,
        (only V1_0),
        "The answer's `data.customtips`, when present, is a string.",
        [CustomtipsNumber],
        Push::Rule(&rules::TIPS);
    A10,
        Should,
        Answer,
        RESPOND,
        (only V1_0),
        "The answer's `data.customtips` has at most 10 characters (characters, not bytes).",
        [LongCustomtips],
        Push::Rule(&rules::TIPS_LENGTH);
    A11,
        Should,
        Answer,
        RECEIVING,
        (all),
        "The answer's Content-Type is application/json (parameters such as charset are fine).",
        [HtmlContentType],
        Push::Rule(&rules::CONTENT_TYPE);
};
