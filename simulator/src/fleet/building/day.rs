//! A building's day as a pure function of (seed, day): every passage of every person, in
//! time order. Rates follow the day on the schedule machinery of `load`: the morning
//! rush, the lunch break and the evening are ramps (`RateProfile`) whose arrivals are
//! handed to people in a seeded order, so a lobby terminal is busy at 08:30 and quiet at
//! night, and a server room's door sees a few people a day.
//!
//! An employee passes the lobby, then their floor's entrance and their office door;
//! perhaps later the server room; most go out through the lobby for lunch and come back
//! the same way; all leave through the lobby in the evening. A visitor comes through the
//! lobby, passes the entrance of the floor they visit, and leaves through the lobby. A
//! stranger is refused at the lobby. Every step takes a walk of at least
//! [`MIN_WALK`] seconds, and everybody is out by 21:00.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::config::DAY;
use super::people::Resident;
use super::plan::Plan;
use crate::schedule::{Arrival, RateProfile, Schedule};
use crate::seed::{Domain, splitmix64};
use crate::wire::{DoorKind, Occupation};

/// The shortest walk between two doors, in seconds: nobody is at two doors closer in
/// time than this.
pub const MIN_WALK: f64 = 20.0;

/// What a passage does to the person's whereabouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Into the building, through the lobby.
    Enter,
    /// Out of the building, through the lobby.
    Leave,
    /// Through a door inside: onto their floor, into an office or the server room.
    Inside,
    /// Turned away at the lobby.
    Refused,
}

/// One person at one door.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Passage {
    /// Seconds since midnight of day 0.
    pub(crate) at: f64,
    pub(crate) resident: usize,
    pub(crate) door: usize,
    pub(crate) step: Step,
}

const H: f64 = 3600.0;

/// `count` arrival times in `[start, end)` seconds of the day, their density a triangle
/// peaking at `peak`: the ramp `0 → peak rate → 0` scaled so that exactly `count` fall in
/// the window (constant spacing over the cumulative rate).
fn ramp(start: f64, peak: f64, end: f64, count: usize) -> Vec<f64> {
    if count == 0 {
        return Vec::new();
    }
    let rate = 2.0 * count as f64 / (end - start);
    let text = format!("0s:0,{}s:{rate},{}s:0", peak - start, end - start);
    let Ok(profile) = text.parse::<RateProfile>() else {
        return Vec::new();
    };
    let mut schedule = Schedule::new(profile, Arrival::Constant, 0).with_phase(0.5);
    std::iter::from_fn(|| schedule.next_offset())
        .take(count)
        .map(|offset| start + offset.as_secs_f64())
        .collect()
}

/// Hands `times` to `people` in a seeded order.
fn deal(rng: &mut StdRng, people: &[usize], times: Vec<f64>) -> Vec<(usize, f64)> {
    let mut order = people.to_vec();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    order.into_iter().zip(times).collect()
}

/// Every passage of day `day`, in time order.
pub(crate) fn passages(seed: u64, day: u64, residents: &[Resident], plan: &Plan) -> Vec<Passage> {
    let root = splitmix64(splitmix64(seed ^ Domain::Building.salt()) ^ day.wrapping_add(1));
    let mut rng = StdRng::seed_from_u64(root);
    let base = day as f64 * DAY;
    let lobbies = plan.lobbies();
    let of = |o: Occupation| -> Vec<usize> {
        (0..residents.len())
            .filter(|&i| residents[i].occupation == o)
            .collect()
    };
    let (employees, visitors, strangers) = (
        of(Occupation::Employee),
        of(Occupation::Visitor),
        of(Occupation::Stranger),
    );
    let mut out = Vec::new();
    let walk = |rng: &mut StdRng, at: &mut f64, lo: f64, hi: f64| {
        *at += rng.random_range(lo.max(MIN_WALK)..hi.max(MIN_WALK + 1.0));
    };
    let lobby = |rng: &mut StdRng| lobbies[rng.random_range(0..lobbies.len())];
    // Through the lobby, then the floor's entrance and the desk, each a short walk on.
    let arrive = |rng: &mut StdRng, out: &mut Vec<Passage>, r: usize, at: f64| {
        let mut at = at;
        out.push(Passage {
            at,
            resident: r,
            door: lobby(rng),
            step: Step::Enter,
        });
        let floor = residents[r].floor;
        let entrances = plan.of(DoorKind::FloorEntrance, floor);
        let doors = entrances
            .first()
            .copied()
            .into_iter()
            .chain(residents[r].desk);
        for door in doors {
            at += rng.random_range(MIN_WALK..150.0);
            out.push(Passage {
                at,
                resident: r,
                door,
                step: Step::Inside,
            });
        }
        at
    };
    let morning = deal(
        &mut rng,
        &employees,
        ramp(7.0 * H, 8.5 * H, 10.0 * H, employees.len()),
    );
    let lunchers: Vec<usize> = employees
        .iter()
        .copied()
        .filter(|_| rng.random_bool(0.8))
        .collect();
    let lunch = deal(
        &mut rng,
        &lunchers,
        ramp(11.5 * H, 12.25 * H, 13.5 * H, lunchers.len()),
    );
    let evening = deal(
        &mut rng,
        &employees,
        ramp(16.0 * H, 17.5 * H, 20.0 * H, employees.len()),
    );
    for &(r, at) in &morning {
        let mut rng = StdRng::seed_from_u64(splitmix64(root ^ r as u64));
        let mut at = arrive(&mut rng, &mut out, r, base + at);
        let floor = residents[r].floor;
        if residents[r].server_room
            && let Some(&door) = plan.of(DoorKind::ServerRoom, floor).first()
        {
            walk(&mut rng, &mut at, 20.0 * 60.0, 80.0 * 60.0);
            out.push(Passage {
                at,
                resident: r,
                door,
                step: Step::Inside,
            });
        }
    }
    for &(r, at) in &lunch {
        let mut rng = StdRng::seed_from_u64(splitmix64(root ^ !(r as u64)));
        let out_at = base + at;
        out.push(Passage {
            at: out_at,
            resident: r,
            door: lobby(&mut rng),
            step: Step::Leave,
        });
        let back = out_at + rng.random_range(25.0 * 60.0..55.0 * 60.0);
        arrive(&mut rng, &mut out, r, back);
    }
    for &(r, at) in &evening {
        let mut rng = StdRng::seed_from_u64(splitmix64(root ^ (r as u64).rotate_left(32)));
        out.push(Passage {
            at: base + at,
            resident: r,
            door: lobby(&mut rng),
            step: Step::Leave,
        });
    }
    let visits = deal(
        &mut rng,
        &visitors,
        ramp(9.0 * H, 11.0 * H, 16.0 * H, visitors.len()),
    );
    for &(r, at) in &visits {
        let mut rng = StdRng::seed_from_u64(splitmix64(root ^ ((r as u64) << 1)));
        let mut at = base + at;
        out.push(Passage {
            at,
            resident: r,
            door: lobby(&mut rng),
            step: Step::Enter,
        });
        if let Some(&door) = plan.of(DoorKind::FloorEntrance, residents[r].floor).first() {
            walk(&mut rng, &mut at, MIN_WALK, 150.0);
            out.push(Passage {
                at,
                resident: r,
                door,
                step: Step::Inside,
            });
        }
        walk(&mut rng, &mut at, 20.0 * 60.0, 120.0 * 60.0);
        out.push(Passage {
            at,
            resident: r,
            door: lobby(&mut rng),
            step: Step::Leave,
        });
    }
    let tries = deal(
        &mut rng,
        &strangers,
        ramp(8.0 * H, 12.0 * H, 18.0 * H, strangers.len()),
    );
    for &(r, at) in &tries {
        out.push(Passage {
            at: base + at,
            resident: r,
            door: lobby(&mut rng),
            step: Step::Refused,
        });
    }
    out.sort_by(|a, b| a.at.total_cmp(&b.at).then(a.resident.cmp(&b.resident)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::building::check::{Seen, Violation, check_passages as check};
    use crate::fleet::building::people::populate;

    fn building(terminals: usize, people: usize) -> (Plan, Vec<Resident>) {
        let sns: Vec<String> = (0..terminals).map(|i| format!("SN{i}")).collect();
        let plan = Plan::new(&sns, None);
        let residents = populate(9, people, &plan);
        (plan, residents)
    }

    fn seen(passages: &[Passage], residents: &[Resident], plan: &Plan) -> Vec<Seen> {
        passages
            .iter()
            .map(|p| Seen {
                person: residents[p.resident].person.user_id,
                sn: plan.doors[p.door].sn.clone(),
                at: p.at,
                passed: p.step != Step::Refused,
            })
            .collect()
    }

    #[test]
    fn a_day_keeps_the_invariants_and_empties_the_building_at_night() {
        for (terminals, people) in [(1, 5), (4, 40), (12, 300)] {
            let (plan, residents) = building(terminals, people);
            for day in 0..3 {
                let day_passages = passages(9, day, &residents, &plan);
                assert_eq!(day_passages, passages(9, day, &residents, &plan));
                let people = super::super::people::wire(&residents, &plan, "");
                check(
                    &seen(&day_passages, &residents, &plan),
                    &plan.wire(1.0),
                    &people,
                )
                .unwrap_or_else(|v| panic!("{terminals} terminals, day {day}: {v}"));
                let last = day_passages.last().unwrap().at - day as f64 * DAY;
                assert!(last < 21.0 * H, "the last passage at {last}");
            }
        }
    }

    #[test]
    fn the_lobby_is_busy_and_the_server_room_is_not_and_the_rush_peaks_in_the_morning() {
        let (plan, residents) = building(4, 200);
        let day = passages(9, 0, &residents, &plan);
        let at = |door: usize| day.iter().filter(|p| p.door == door).count();
        let server = plan.of(DoorKind::ServerRoom, Some(1))[0];
        assert!(
            at(0) > 10 * at(server).max(1),
            "lobby {} server {}",
            at(0),
            at(server)
        );
        let within = |from: f64, to: f64| {
            day.iter()
                .filter(|p| p.door == 0 && (from * H..to * H).contains(&p.at))
                .count()
        };
        assert!(
            within(8.0, 9.0) > 3 * within(7.0, 7.5),
            "the rush peaks near 08:30"
        );
        assert_eq!(within(21.0, 24.0) + within(0.0, 7.0), 0, "nobody at night");
    }

    #[test]
    fn a_person_passing_a_floor_door_before_the_lobby_is_caught() {
        let (plan, residents) = building(4, 20);
        let mut day = passages(9, 0, &residents, &plan);
        let first_inside = day.iter().position(|p| p.step == Step::Inside).unwrap();
        // Planted: the person reaches their floor an hour before they came in.
        day[first_inside].at -= 3600.0;
        let people = super::super::people::wire(&residents, &plan, "");
        let err = check(&seen(&day, &residents, &plan), &plan.wire(1.0), &people).unwrap_err();
        assert!(matches!(err, Violation::Order { .. }), "{err}");
    }
}
