//! facesim: a simulated face-recognition access terminal. It serves the device API, keeps its
//! configuration, generates realistic recognition events and pushes them to a receiver.
//! See `ARCHITECTURE.md` at the repository root for the map of modules.
//!
//! The folders are the architecture: [`protocol`] (the core every other part is built on),
//! [`terminal`], [`receivers`], [`synth`] and [`load`]. The crate root re-exports each
//! module under its short name (`facesim::wire`, `facesim::device`), so paths stay short.

pub mod clock;
pub mod html;
#[cfg(test)]
mod invariants;
pub mod load;
pub mod protocol;
pub mod receivers;
pub mod schedule;
pub mod synth;
pub mod terminal;
pub mod usage;

pub(crate) use protocol::histogram;
pub use protocol::{net, profile, seed, server, stats, tls, wire};
pub use receivers::{receiver, zoo};
pub use terminal::{
    access, api, device, host, library, live, maintenance, push, remote, settings, store,
};
pub(crate) use terminal::{activity, ai, history, limits, lines, stop, webapi};
