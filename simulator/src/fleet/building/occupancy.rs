//! Who is inside, by the building's own account: each person's whereabouts, moved by
//! every passage as it happens, and the counts `GET /sim/fleet/occupancy` shows.

use super::config::{DAY, time_of_day};
use super::day::{Passage, Step};
use super::people::Resident;
use super::plan::Plan;
use crate::wire::{FloorCount, Occupancy, Occupant};

/// Where a person is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Outside,
    /// In, not yet on a floor.
    Lobby,
    Floor(u32),
}

/// Everybody's whereabouts and the passages so far.
#[derive(Debug, Clone)]
pub(crate) struct Whereabouts {
    places: Vec<Place>,
    pub(crate) passages: u64,
    pub(crate) recorded: u64,
}

impl Whereabouts {
    pub(crate) fn new(people: usize) -> Self {
        Self {
            places: vec![Place::Outside; people],
            passages: 0,
            recorded: 0,
        }
    }

    /// Moves the person of `passage` and counts it.
    pub(crate) fn apply(&mut self, passage: &Passage, plan: &Plan) {
        self.place(passage, plan);
        self.passages += 1;
    }

    /// Moves the person of `passage` without counting it: a passage before the building
    /// started, replayed so that whoever is inside at start is inside.
    pub(crate) fn place(&mut self, passage: &Passage, plan: &Plan) {
        let place = &mut self.places[passage.resident];
        *place = match passage.step {
            Step::Enter => Place::Lobby,
            Step::Leave => Place::Outside,
            Step::Refused => *place,
            Step::Inside => plan.doors[passage.door]
                .floor
                .map_or(Place::Lobby, Place::Floor),
        };
    }

    /// The report at building time `now` (seconds since midnight of day 0).
    pub(crate) fn report(&self, now: f64, residents: &[Resident], plan: &Plan) -> Occupancy {
        let mut floors: Vec<FloorCount> = (1..=plan.floors)
            .map(|floor| FloorCount { floor, count: 0 })
            .collect();
        let mut people = Vec::new();
        let mut lobby = 0;
        for (r, place) in residents.iter().zip(&self.places) {
            let floor = match *place {
                Place::Outside => continue,
                Place::Lobby => {
                    lobby += 1;
                    None
                }
                Place::Floor(f) => {
                    if let Some(c) = floors.get_mut(f as usize - 1) {
                        c.count += 1;
                    }
                    Some(f)
                }
            };
            people.push(Occupant {
                id: r.person.user_id,
                name: r.person.name.clone(),
                kind: r.occupation,
                floor,
            });
        }
        Occupancy {
            day: (now / DAY).max(0.0) as u64,
            time: time_of_day(now),
            count: people.len() as u64,
            lobby,
            floors,
            people,
            passages: self.passages,
            recorded: self.recorded,
        }
    }
}
