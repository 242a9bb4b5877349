//! `facesim load`: load-testing a receiver with realistic recognition events from many
//! simulated devices, and `facesim merge`: combining the results of several shards.
//!
//! How a run works (see each module for the details):
//!
//! - [`source`] decides when events are due. **Open model** (the default): arrivals
//!   follow the [`Schedule`](crate::schedule::Schedule) (constant or Poisson, fixed rate or
//!   ramp) whatever the receiver does. Each of `--connections` workers owns one keep-alive
//!   connection and sends the oldest due arrival whenever it is free; when all are busy,
//!   arrivals queue with their scheduled time, and **latency is measured from the
//!   scheduled time**, so a stalled receiver shows in the percentiles instead of silently
//!   slowing the load (no coordinated omission). The time from the actual send is
//!   reported too, as service time. When the schedule ends, queued arrivals may still be
//!   sent until the last due time plus `--timeout`; the rest count as timeouts, unsent.
//!   **Closed model** (`--max`): every connection sends its next event as soon as the
//!   previous answer is in; latency is then the service time.
//! - [`pool`] builds the bodies: per-device generators with their own serial numbers and
//!   people, and a pool of pre-rendered snapshots whose trace comment is patched per
//!   event, so synthesis never limits the rate.
//! - each worker sends them on its `net::Connection` (plain or rustls): one vectored
//!   write per event of the small per-event front, the shared snapshot's base64 (never
//!   copied in memory) and the small per-event back.
//! - [`aggregate`] owns the histograms; [`report`] turns its totals into a [`LoadResult`]
//!   (JSON, console summary, thresholds), [`html`] into a self-contained page, and
//!   [`merge`] adds results of shards exactly, histogram bucket by histogram bucket.
//! - [`judge`] is the one classifier behind a memo of the last answer.
//! - [`drive`] is the one send loop: workers take [`Job`]s from a [`Source`] and hand
//!   them to a [`Sender`]. `facesim load` is it with the pool and a keep-alive
//!   connection per worker; `facesim push` with a device's pusher per worker; facecert's
//!   load phase with its exact-bytes terminals.
//! - The binary's `app::load_cli` holds the command-line arguments and turns them into a
//!   [`LoadConfig`].

pub(crate) mod aggregate;
mod config;
mod drive;
mod engine;
mod error;
mod exposition;
pub mod html;
mod judge;
pub(crate) mod merge;
pub mod pool;
mod progress;
pub(crate) mod report;
mod source;

pub use config::{LoadConfig, Mode, Shard, Target};
pub use drive::{Ended, Sender, drive};
pub use engine::run_load;
pub use error::LoadError;
pub use merge::run_merge;
pub use report::{LoadResult, Thresholds};
pub use source::{Job, Source};
