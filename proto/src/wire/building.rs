//! A building's bodies (`facesim fleet --profile building`): its people
//! (`GET /sim/fleet/people`, what a platform enrols), its plan (`GET /sim/fleet/plan`:
//! which terminal guards which door) and who is inside (`GET /sim/fleet/occupancy`).

use serde::{Deserialize, Serialize};

/// Who a person of the building is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Occupation {
    /// Works on a floor: in through the lobby in the morning, out for lunch and back,
    /// out in the evening.
    Employee,
    /// Comes once through the lobby, visits a floor, leaves through the lobby.
    Visitor,
    /// Unknown to the building: refused at the lobby. Not to be enrolled.
    Stranger,
}

/// What a door guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DoorKind {
    /// The building's entrance: everybody passes it, in and out.
    Lobby,
    /// A floor's entrance, passed after the lobby.
    FloorEntrance,
    /// An office on a floor.
    Office,
    /// A floor's server room: few people, rarely.
    ServerRoom,
}

/// One person of `GET /sim/fleet/people`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildingPerson {
    /// The `user_id` records carry up to API 1.2.
    pub id: i64,
    /// The `user_id` records carry from API 1.2.1.
    pub uuid: String,
    pub name: String,
    pub kind: Occupation,
    /// The floor an employee works on or a visitor visits (from 1); none for strangers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<u32>,
    /// The office door of an employee's desk area, by its terminal's serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desk: Option<String>,
    /// The enrolment photo (a JPEG portrait): a path under the control API,
    /// `<control>/people/<id>/photo`.
    pub photo: String,
}

/// `GET /sim/fleet/people`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildingPeople {
    pub people: Vec<BuildingPerson>,
}

/// One door of the plan and the terminal guarding it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDoor {
    pub sn: String,
    pub door: DoorKind,
    /// The floor (from 1); none for the lobby.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<u32>,
}

/// `GET /sim/fleet/plan`: the terminals in the fleet's order, each with its door.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildingPlan {
    pub floors: u32,
    /// How many times faster than real time the building's day runs.
    pub clock: f64,
    pub doors: Vec<PlanDoor>,
}

/// One person inside, in [`Occupancy`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Occupant {
    pub id: i64,
    pub name: String,
    pub kind: Occupation,
    /// The floor they are on; none while in the lobby.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<u32>,
}

/// People on one floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloorCount {
    pub floor: u32,
    pub count: u64,
}

/// `GET /sim/fleet/occupancy`: who is inside now, by the building's own account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Occupancy {
    /// The building's day, from 0 at start.
    pub day: u64,
    /// The building's time of day, `HH:MM:SS`.
    pub time: String,
    /// People inside.
    pub count: u64,
    /// People inside but on no floor yet (between the lobby and a floor entrance).
    pub lobby: u64,
    pub floors: Vec<FloorCount>,
    pub people: Vec<Occupant>,
    /// Passages so far: people at doors, refused ones included.
    pub passages: u64,
    /// Passages that became a record on their terminal.
    pub recorded: u64,
}
