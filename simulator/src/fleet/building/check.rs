//! The building's invariants, checked on passages as a platform sees them (who, at
//! which terminal, when): nobody at two doors at once, the lobby before any door inside,
//! people on their own floor, strangers never let in, and nobody left inside at the end.
//! The same check holds the building's own day plan (unit tests) and the records a
//! receiver got from a running fleet (`tests/it/building.rs`).

use std::collections::{BTreeMap, HashMap};

use super::day::MIN_WALK;
use crate::wire::{BuildingPerson, BuildingPlan, DoorKind, Occupation};

/// One person seen at one door.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// The person's id (`BuildingPerson::id`).
    pub person: i64,
    /// The terminal that saw them.
    pub sn: String,
    /// When, in the building's seconds since midnight of its first day.
    pub at: f64,
    /// Whether the door opened.
    pub passed: bool,
}

/// A broken invariant.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// Seen by a terminal that is not in the plan.
    #[error("person {person} was seen by {sn}, which guards no door of the plan")]
    UnknownDoor { person: i64, sn: String },
    /// Seen but not one of the building's people.
    #[error("person {0} is not one of the building's people")]
    UnknownPerson(i64),
    /// At two doors closer in time than a walk.
    #[error(
        "person {person} was at {first} and at {second} {gap:.1} s apart: nobody is at two doors at once"
    )]
    TwoDoors {
        person: i64,
        first: String,
        second: String,
        gap: f64,
    },
    /// At a door inside while outside the building.
    #[error("person {person} passed {sn} at {at:.0} s without having come in through the lobby")]
    Order { person: i64, sn: String, at: f64 },
    /// At a door of another floor.
    #[error("person {person} of floor {floor:?} passed {sn} on floor {door_floor:?}")]
    Floor {
        person: i64,
        sn: String,
        floor: Option<u32>,
        door_floor: Option<u32>,
    },
    /// A stranger let in.
    #[error("stranger {person} was let in at {sn}")]
    StrangerIn { person: i64, sn: String },
    /// Still inside when the passages end.
    #[error("person {0} is still inside at the end: occupancy does not return to zero")]
    Inside(i64),
}

/// Checks `seen` against the plan and the people.
///
/// # Errors
/// The first [`Violation`] found, person by person in id order.
pub fn check_passages(
    seen: &[Seen],
    plan: &BuildingPlan,
    people: &[BuildingPerson],
) -> Result<(), Violation> {
    let doors: HashMap<&str, _> = plan.doors.iter().map(|d| (d.sn.as_str(), d)).collect();
    let known: HashMap<i64, &BuildingPerson> = people.iter().map(|p| (p.id, p)).collect();
    let mut by_person: BTreeMap<i64, Vec<&Seen>> = BTreeMap::new();
    for s in seen {
        by_person.entry(s.person).or_default().push(s);
    }
    for (id, mut list) in by_person {
        let person = known.get(&id).ok_or(Violation::UnknownPerson(id))?;
        list.sort_by(|a, b| a.at.total_cmp(&b.at));
        let mut inside = false;
        let mut last: Option<&Seen> = None;
        for s in list {
            let door = doors
                .get(s.sn.as_str())
                .ok_or_else(|| Violation::UnknownDoor {
                    person: id,
                    sn: s.sn.clone(),
                })?;
            if let Some(prev) = last
                && s.at - prev.at < MIN_WALK - 1e-6
            {
                return Err(Violation::TwoDoors {
                    person: id,
                    first: prev.sn.clone(),
                    second: s.sn.clone(),
                    gap: s.at - prev.at,
                });
            }
            last = Some(s);
            if !s.passed {
                continue;
            }
            if door.door == DoorKind::Lobby {
                if person.kind == Occupation::Stranger {
                    return Err(Violation::StrangerIn {
                        person: id,
                        sn: s.sn.clone(),
                    });
                }
                inside = !inside;
                continue;
            }
            if !inside {
                return Err(Violation::Order {
                    person: id,
                    sn: s.sn.clone(),
                    at: s.at,
                });
            }
            if door.floor != person.floor {
                return Err(Violation::Floor {
                    person: id,
                    sn: s.sn.clone(),
                    floor: person.floor,
                    door_floor: door.floor,
                });
            }
        }
        if inside {
            return Err(Violation::Inside(id));
        }
    }
    Ok(())
}
