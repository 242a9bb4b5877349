//! `facesim fleet`: many full terminals in one process, each a [`Host`](crate::host::Host)
//! with its own serial number, state directory, certificate, credentials, queue and
//! address, a manifest (`fleet.json`) naming them all, and the fleet's control API
//! (`/sim/fleet/…`): statistics per terminal and in total, and faults at run time (a
//! terminal's network taken down and brought back, a reboot, a drifting clock). A fleet
//! may be one shard of a larger one, and may announce its terminals by mDNS and answer
//! mDNS queries for them.
//!
//! `config` is what a fleet is given, `manifest` what it publishes, `members` the running
//! terminals as the control API sees them, `control` that API's routes, `drift` a
//! terminal's own clock, `versions` which API version each terminal speaks, `mdns` the
//! mDNS responder (announcements and answers; `dns` reads the queries), and `run` the
//! fleet from start to shutdown; `building` makes the fleet one building (`--profile
//! building`).

mod building;
mod config;
mod control;
mod dns;
mod drift;
pub mod manifest;
mod mdns;
mod members;
mod run;
mod versions;

pub use building::{
    Building, BuildingConfig, BuildingError, MAX_CLOCK, MAX_OCCUPANTS, MIN_WALK, Progress, Seen,
    Violation, check_passages, parse_passage_comment, parse_time_of_day,
};
pub use config::{Addressing, Fault, FleetConfig, FleetError};
pub use members::{Members, SwitchError, UnknownTerminal};
pub use run::Fleet;
pub use versions::{Versions, mixed_version};
