//! facesim: a simulated face-recognition access terminal. It serves the device API, keeps its
//! configuration, generates realistic recognition events and pushes them to a receiver.
//! See `ARCHITECTURE.md` at the repository root for the map of modules.

pub mod access;
pub(crate) mod activity;
pub mod api;
pub mod clock;
pub mod device;
pub(crate) mod histogram;
pub(crate) mod history;
pub mod html;
#[cfg(test)]
mod invariants;
pub mod library;
pub mod live;
pub mod load;
pub mod net;
pub mod profile;
pub mod push;
pub mod receiver;
pub mod remote;
pub mod schedule;
pub mod server;
pub(crate) mod settings;
pub mod stats;
pub mod store;
pub mod synth;
pub mod tls;
pub mod usage;
pub(crate) mod webapi;
pub mod wire;
pub mod zoo;
