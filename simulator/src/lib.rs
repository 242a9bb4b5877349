//! facesim: a simulated face-recognition access terminal. It serves the device API, keeps its
//! configuration, generates realistic recognition events and pushes them to a receiver.
//! See `ARCHITECTURE.md` at the repository root for the map of modules.
//!
//! The folders are the architecture: `protocol` (the I/O layer on the pure core of
//! `facesim-proto`), `terminal`, `receivers`, [`synth`] and [`load`]. The first three are
//! only folders: the crate root gives each of their modules its one public path, under its
//! short name (`facesim::device`, `facesim::net`).

pub mod clock;
pub mod fleet;
pub mod html;
pub mod load;
mod protocol;
mod receivers;
pub mod schedule;
pub mod synth;
mod terminal;

pub(crate) use protocol::metrics;
pub use protocol::{net, server, stats, tls};
// The pure core lives in its own crate; the crate's own code names its modules by their
// short names, and everyone outside names them in `facesim_proto`.
pub(crate) use facesim_proto::{histogram, profile, seed, wire};
pub use receivers::{receiver, zoo};
pub use terminal::{
    access, api, device, host, library, live, maintenance, push, remote, settings, store,
};
pub(crate) use terminal::{activity, ai, history, limits, lines, stop, webapi};
