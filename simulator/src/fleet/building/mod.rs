//! `facesim fleet --profile building`: the fleet as one building. One seeded population
//! (employees with a floor and a desk area, visitors, strangers) walks through the
//! fleet's doors over the day: the lobby before a floor's doors, out for lunch and back,
//! out in the evening; strangers are refused at the lobby. Each passage is a record of
//! the door's terminal showing the person's one face.
//!
//! `config` is what a building is given, `plan` which terminal guards which door,
//! `people` the population, `day` a day's passages (pure), `face` a person's photo and
//! snapshots, `occupancy` who is inside, `check` the invariants, `model` the building
//! shared by `walk` (the day in motion) and `routes` (the control API's part), and
//! `enrol` the people written into every terminal's library (`--enrol`).

mod check;
mod config;
mod day;
mod enrol;
mod face;
mod model;
mod occupancy;
mod people;
mod plan;
pub(crate) mod routes;
mod walk;

pub use check::{Seen, Violation, check_passages};
pub use config::{BuildingConfig, BuildingError, MAX_CLOCK, MAX_OCCUPANTS, parse_time_of_day};
pub use day::MIN_WALK;
pub use face::parse_passage_comment;
pub use model::{Building, Progress};
