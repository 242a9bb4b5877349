//! Running the catalog against a receiver. Each catalog row says how its check runs
//! (`how`); a suite's plan walks the phases in a fixed order and, in each, the phase's rows
//! in catalog order. The push suite opens with the baseline event, since the other checks
//! compare with its answer; then come the connection checks, the real records and forward
//! compatibility, the checks that need the reference (another type, the decisions), the
//! load phase and the bad requests, each followed by a liveness probe; last, the answer
//! rules and the timing are judged over everything sent. Requests are sent one at a time,
//! each on a fresh connection, except on the kept-alive connection and in the load phase.
//! Connecting and answering are timed apart everywhere: an answer's time runs from its
//! first byte sent.
//!
//! A refused baseline does not end the run. When the receiver still answers, every check
//! that can be judged without the baseline runs: records are compared with the first
//! valid event that was taken (HTTP 200, `code` 200), so a report can show, say, that
//! only records with a user fail. When a request gets no answer at all, a liveness probe
//! tells a dead receiver from a broken request; once the receiver is dead, the checks not
//! yet run are skipped with the reason, so an early death is reported once, where it
//! happened. Every skip names what it depends on.
//!
//! The files: `plan` walks the phases and applies the rules that say whether a row runs;
//! `how` says how a row runs; `runner` holds the run's state and what checks may do with
//! it; `records` and `load_phase` are the record, baseline, load and answer checks on the
//! runner; `report` builds the run's report; `config` is what a run is given. The check
//! modules outside `run` (`connection`, `robust`, `auth`) see the `Runner` only through
//! its methods: they send, ask whether the receiver is alive, record findings, and read
//! what was sent; only the runner writes its own state.

mod config;
pub(crate) mod how;
mod load_phase;
pub(crate) mod plan;
mod records;
mod report;
pub(crate) mod runner;

pub use config::{Config, DEFAULT_AUTH_P99_MS, DEFAULT_P99_MS, Selection, SuiteError};
