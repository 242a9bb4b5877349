//! The transport checks (T-*): a valid event answered on a fresh connection, TLS, kept-alive
//! connections, bursts of fresh connections, the listen backlog, Nagle stalls and the identity
//! headers.

use crate::check::CheckId;
use crate::connection;
use crate::run::how::{Phase, Push};
use crate::run::runner::Runner;

use super::table::{DEST, HEADERS, NOTES, RECEIVING, Row, rows};

/// The group's rows, in catalog order.
pub(super) const ROWS: &[Row] = rows! {
    T01,
        Must,
        Transport,
        RECEIVING,
        (all),
        "A valid event sent as POST application/json on a fresh connection is answered with HTTP 200.",
        [
            RequiresRecognizeStatus @ (from V1_1),
            Http500,
            NeverAnswers,
            ResetMidRequest,
            CloseWithoutAnswer,
            TruncatedAnswer,
            GarbageAnswer
        ],
        Push::Baseline(Runner::answered);
    T02,
        Must,
        Transport,
        DEST,
        (all),
        "An https receiver completes the TLS handshake with a certificate the terminal trusts.",
        [],
        Push::Baseline(Runner::handshake);
    T03,
        Info,
        Transport,
        RECEIVING,
        (all),
        "The connection stays open for a second event (closing is allowed; it costs a handshake per event).",
        [NoKeepAlive],
        Push::Feeds(Phase::Connections, CheckId::T06, connection::keep_alive);
    T04,
        Must,
        Transport,
        RECEIVING,
        (all),
        "Twenty valid events in a row, each on a fresh connection, are all answered with HTTP 200.",
        [RefusesAfterN],
        Push::Own(Phase::Connections, connection::burst);
    // SHOULD, not MUST: a SYN the receiver's kernel dropped is sent again a second later,
    // so the event is late, not lost; but a door that opens a second late is noticed.
    T05,
        Should,
        Transport,
        NOTES,
        (all),
        "Terminals connecting at once are all accepted without waiting for a SYN retransmission (the listen backlog holds them).",
        [SmallBacklog],
        Push::Judged(connection::backlog);
    // INFO: nothing breaks, but a terminal draining its offline queue one record at a
    // time goes about 40 times slower, which an integrator wants to know.
    T06,
        Info,
        Transport,
        RECEIVING,
        (all),
        "Answers on a kept-alive connection come as fast as on a fresh one (no ~40 ms stall from Nagle's algorithm meeting the terminal's delayed ACK).",
        [NagleDelay, SlowWhenConcurrent],
        Push::Judged(connection::stall);
    // MUST: from 1.2.1 every push carries them, so a receiver that refuses them refuses
    // every event; the check tells that apart from a receiver that refuses the records.
    T07,
        Must,
        Transport,
        HEADERS,
        (from V1_2_1),
        "Events carrying the identity headers `model`, `sn`, `timestamp` and `account` are taken like events without them.",
        [],
        Push::Own(Phase::Baseline, Runner::identity_check);
};
