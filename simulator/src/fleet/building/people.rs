//! The building's population: one set of people for every terminal, drawn from the seed
//! as a device's population is (names in several locales, looks, details), each given an
//! occupation (employee, visitor or stranger), employees a floor and a desk area (an
//! office door of their floor), a few of them the server room, and visitors the floor
//! they visit. A person's look is theirs at every door.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::plan::Plan;
use crate::profile::PersonKind;
use crate::seed::{Domain, splitmix64};
use crate::synth::Person;
use crate::synth::people::Population;
use crate::wire::{BuildingPerson, DoorKind, Occupation};

/// One person of the building.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Resident {
    pub(crate) person: Person,
    pub(crate) occupation: Occupation,
    /// The floor an employee works on or a visitor visits; none for strangers.
    pub(crate) floor: Option<u32>,
    /// An employee's office door, when their floor has one.
    pub(crate) desk: Option<usize>,
    /// An employee who also enters their floor's server room.
    pub(crate) server_room: bool,
}

/// Strangers and visitors, in percent of the population (at least one each from three
/// people on).
const STRANGERS: usize = 6;
const VISITORS: usize = 14;

/// The building's `count` people over `plan`, from `seed`.
pub(crate) fn populate(seed: u64, count: usize, plan: &Plan) -> Vec<Resident> {
    let root = splitmix64(seed ^ Domain::Building.salt());
    let mut rng = StdRng::seed_from_u64(root);
    let people = Population::generate(&mut rng, count).people().to_vec();
    let share = |pct: usize| {
        if count >= 3 {
            (count * pct / 100).max(1)
        } else {
            0
        }
    };
    let (strangers, visitors) = (share(STRANGERS), share(VISITORS));
    // Occupations go to people in a seeded order, so that they do not follow user ids.
    let mut order: Vec<usize> = (0..count).collect();
    for i in (1..count).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    let mut occupation = vec![Occupation::Employee; count];
    for (rank, &i) in order.iter().enumerate() {
        if rank < strangers {
            occupation[i] = Occupation::Stranger;
        } else if rank < strangers + visitors {
            occupation[i] = Occupation::Visitor;
        }
    }
    people
        .into_iter()
        .zip(occupation)
        .map(|(mut person, occupation)| {
            let mut rng = StdRng::seed_from_u64(splitmix64(root ^ person.user_id as u64));
            let floor = 1 + rng.random_range(0..plan.floors);
            // The building's own people have access; strangers are unknown to it.
            let (kind, access) = match occupation {
                Occupation::Employee => (PersonKind::Employee, true),
                Occupation::Visitor => (PersonKind::Visitor, true),
                Occupation::Stranger => (PersonKind::Blacklisted, false),
            };
            person.kind = kind;
            person.has_access = access;
            let offices = plan.of(DoorKind::Office, Some(floor));
            let employee = occupation == Occupation::Employee;
            let desk = (employee && !offices.is_empty())
                .then(|| offices[rng.random_range(0..offices.len())]);
            let server_room = employee
                && rng.random_bool(0.15)
                && !plan.of(DoorKind::ServerRoom, Some(floor)).is_empty();
            Resident {
                person,
                occupation,
                floor: (occupation != Occupation::Stranger).then_some(floor),
                desk,
                server_room,
            }
        })
        .collect()
}

/// The people as `GET /sim/fleet/people` lists them; `control` is the control API's base
/// URL, under which each photo is served.
pub(crate) fn wire(residents: &[Resident], plan: &Plan, control: &str) -> Vec<BuildingPerson> {
    residents
        .iter()
        .map(|r| BuildingPerson {
            id: r.person.user_id,
            uuid: r.person.details.uuid.clone(),
            name: r.person.name.clone(),
            kind: r.occupation,
            floor: r.floor,
            desk: r.desk.map(|d| plan.doors[d].sn.clone()),
            photo: format!("{control}/people/{}/photo", r.person.user_id),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        let sns: Vec<String> = (0..8).map(|i| format!("SN{i}")).collect();
        Plan::new(&sns, Some(2))
    }

    #[test]
    fn the_population_is_seeded_and_mixed() {
        let plan = plan();
        let a = populate(3, 100, &plan);
        assert_eq!(a, populate(3, 100, &plan));
        assert_ne!(a, populate(4, 100, &plan));
        let count = |o| a.iter().filter(|r| r.occupation == o).count();
        assert_eq!(count(Occupation::Stranger), 6);
        assert_eq!(count(Occupation::Visitor), 14);
        assert_eq!(count(Occupation::Employee), 80);
        for r in &a {
            match r.occupation {
                Occupation::Stranger => assert!(r.floor.is_none() && !r.person.has_access),
                _ => assert!((1..=2).contains(&r.floor.unwrap())),
            }
            if let Some(desk) = r.desk {
                assert_eq!(plan.doors[desk].floor, r.floor);
                assert_eq!(plan.doors[desk].kind, DoorKind::Office);
            }
        }
        assert!(a.iter().any(|r| r.server_room));
    }
}
