//! The building's plan: which terminal guards which door. Terminals are assigned in the
//! fleet's order: the first fifth (at least one) guard the lobby, the rest go to the
//! floors in turn, each floor getting its entrance first, then an office, then its server
//! room, then more offices.

use crate::wire::{BuildingPlan, DoorKind, PlanDoor};

/// One door and the terminal guarding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Door {
    pub(crate) sn: String,
    pub(crate) kind: DoorKind,
    pub(crate) floor: Option<u32>,
}

/// The doors of a building, in the fleet's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) floors: u32,
    pub(crate) doors: Vec<Door>,
}

impl Plan {
    /// The plan of a fleet whose terminals are `sns`, in its order, over `floors` floors
    /// (`None`: one floor per three terminals off the lobby, at least one).
    pub(crate) fn new(sns: &[String], floors: Option<u32>) -> Self {
        let n = sns.len();
        let lobbies = (n / 5).max(1).min(n);
        let rest = u32::try_from(n - lobbies).unwrap_or(u32::MAX);
        let floors = floors.unwrap_or_else(|| rest.div_ceil(3)).max(1);
        let doors = sns
            .iter()
            .enumerate()
            .map(|(i, sn)| {
                let (kind, floor) = if i < lobbies {
                    (DoorKind::Lobby, None)
                } else {
                    let j = u32::try_from(i - lobbies).unwrap_or(u32::MAX);
                    let kind = match j / floors {
                        0 => DoorKind::FloorEntrance,
                        2 => DoorKind::ServerRoom,
                        _ => DoorKind::Office,
                    };
                    (kind, Some(1 + j % floors))
                };
                Door {
                    sn: sn.clone(),
                    kind,
                    floor,
                }
            })
            .collect();
        Self { floors, doors }
    }

    /// The lobby's doors.
    pub(crate) fn lobbies(&self) -> Vec<usize> {
        self.of(DoorKind::Lobby, None)
    }

    /// The doors of `kind` on `floor` (`None`: the lobby's).
    pub(crate) fn of(&self, kind: DoorKind, floor: Option<u32>) -> Vec<usize> {
        (0..self.doors.len())
            .filter(|&i| self.doors[i].kind == kind && self.doors[i].floor == floor)
            .collect()
    }

    /// The plan as `GET /sim/fleet/plan` shows it.
    pub(crate) fn wire(&self, clock: f64) -> BuildingPlan {
        BuildingPlan {
            floors: self.floors,
            clock,
            doors: self
                .doors
                .iter()
                .map(|d| PlanDoor {
                    sn: d.sn.clone(),
                    door: d.kind,
                    floor: d.floor,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sns(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("SN{i}")).collect()
    }

    #[test]
    fn the_lobby_comes_first_then_each_floor_gets_its_entrance_first() {
        let plan = Plan::new(&sns(5), None);
        let kinds: Vec<_> = plan.doors.iter().map(|d| (d.kind, d.floor)).collect();
        assert_eq!(
            kinds,
            [
                (DoorKind::Lobby, None),
                (DoorKind::FloorEntrance, Some(1)),
                (DoorKind::FloorEntrance, Some(2)),
                (DoorKind::Office, Some(1)),
                (DoorKind::Office, Some(2)),
            ]
        );
        assert_eq!(plan.floors, 2);
        let plan = Plan::new(&sns(4), None);
        assert_eq!(plan.floors, 1);
        assert_eq!(plan.of(DoorKind::ServerRoom, Some(1)), [3]);
        let plan = Plan::new(&sns(10), Some(2));
        assert_eq!(plan.lobbies(), [0, 1]);
        assert_eq!(plan.of(DoorKind::ServerRoom, Some(2)), [7]);
        assert_eq!(plan.of(DoorKind::Office, Some(1)), [4, 8]);
    }

    #[test]
    fn a_single_terminal_guards_the_lobby() {
        let plan = Plan::new(&sns(1), None);
        assert_eq!(plan.lobbies(), [0]);
        assert_eq!(plan.floors, 1);
    }
}
