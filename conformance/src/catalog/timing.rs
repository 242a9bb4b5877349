//! The timing checks (P-*): every answer within the terminal's push timeout, and the load
//! phase.

use crate::run::how::{Phase, Push};
use crate::run::runner::Runner;

use super::table::{NOTES, Row, rows};

/// The group's rows, in catalog order.
pub(super) const ROWS: &[Row] = rows! {
    P01,
        Must,
        Timing,
        NOTES,
        (all),
        "Every answer arrives within the terminal's push timeout (--timeout-ms, from the first byte sent).",
        [SlowAnswer],
        Push::Judged(Runner::timing);
    P02,
        Must,
        Timing,
        NOTES,
        (all),
        "Under load (--concurrency devices, --load-events events) no event fails and the p99 answer time stays within --p99-ms.",
        [RequiresUser, SlowAnswer, SlowUnderLoad, OneAtATime, SlowWhenConcurrent],
        Push::Own(Phase::Load, Runner::load_phase);
};
