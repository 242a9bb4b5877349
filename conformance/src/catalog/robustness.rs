//! The robustness checks (B-*): requests no terminal sends, each of which should be refused,
//! and the valid event after each that must still be answered (`robust`).

use crate::probe::Factory;
use crate::run::how::Push;

use super::table::{RECEIVING, RESPOND, Row, rows};

/// The group's rows, in catalog order.
pub(super) const ROWS: &[Row] = rows! {
    B01,
        Should,
        Robustness,
        RESPOND,
        (all),
        "Malformed JSON is refused with an HTTP status of 400 to 599 or a `code` other than 200.",
        [AcceptsGarbage],
        Push::Bad(Factory::malformed);
    B02,
        Should,
        Robustness,
        RESPOND,
        (all),
        "An empty body is refused with an HTTP status of 400 to 599 or a `code` other than 200.",
        [AcceptsGarbage],
        Push::Bad(Factory::empty);
    B03,
        Should,
        Robustness,
        RECEIVING,
        (all),
        "A body sent with a Content-Type other than JSON is refused with an HTTP status of 400 to 599 or a `code` other than 200.",
        [AcceptsGarbage],
        Push::Bad(Factory::mislabelled);
    B04,
        Should,
        Robustness,
        RESPOND,
        (all),
        "A 16 MiB body, far larger than any real event, is refused with an HTTP status of 400 to 599 or a `code` other than 200.",
        [AcceptsGarbage],
        Push::Huge(Factory::huge);
    B05,
        Must,
        Robustness,
        RECEIVING,
        (all),
        "After each bad request the receiver still answers a valid event with HTTP 200.",
        [DiesAfterBadInput],
        Push::Survives;
};
