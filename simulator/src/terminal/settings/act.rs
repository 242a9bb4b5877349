//! What the access and recognition settings do over time: [`Recent`] remembers when each
//! person was last recognised and last let through, for `open_interval` (the same person
//! is not recognised again within it) and `resign_interval` (1.3: the same user does not
//! pass again within it); [`Door`] is the door, opened by a pass for
//! `keep_door_open_duration` seconds or held by a remote command. Time is the device's
//! injectable clock, in Unix seconds.

use std::collections::HashMap;
use std::sync::Mutex;

/// When each person (by `user_id` as text) was last recognised and last passed.
#[derive(Debug, Default)]
pub struct Recent {
    seen: Mutex<HashMap<String, Seen>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    recognised: i64,
    passed: Option<i64>,
}

impl Recent {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Seen>> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many seconds ago `user` was recognised, when that is less than `interval`.
    pub fn too_soon(&self, user: &str, now: i64, interval: i64) -> Option<i64> {
        let ago = now - self.lock().get(user)?.recognised;
        (interval > 0 && (0..interval).contains(&ago)).then_some(ago)
    }

    /// Whether `user` passed less than `interval` seconds ago.
    pub fn passed_within(&self, user: &str, now: i64, interval: i64) -> bool {
        interval > 0
            && self
                .lock()
                .get(user)
                .and_then(|s| s.passed)
                .is_some_and(|at| (0..interval).contains(&(now - at)))
    }

    /// Notes a record of `user` made at `now`, and whether it passed.
    pub fn note(&self, user: &str, now: i64, passed: bool) {
        let mut seen = self.lock();
        let entry = seen.entry(user.to_string()).or_default();
        entry.recognised = now;
        if passed {
            entry.passed = Some(now);
        }
    }
}

/// The door: open until a moment, or held open or shut by a remote command.
#[derive(Debug, Default)]
pub struct Door {
    state: Mutex<DoorState>,
}

#[derive(Debug, Default)]
struct DoorState {
    open_until: Option<i64>,
    held: Option<&'static str>,
}

/// `"open"` or `"closed"`, as `/sim/stats` shows the door.
pub const OPEN: &str = "open";
/// See [`OPEN`].
pub const CLOSED: &str = "closed";

impl Door {
    fn lock(&self) -> std::sync::MutexGuard<'_, DoorState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Opens the door at `now` for `seconds`, and ends a remote hold.
    pub fn open_for(&self, now: i64, seconds: i64) {
        let mut state = self.lock();
        state.open_until = Some(now + seconds.max(0));
        state.held = None;
    }

    /// A remote hold (`open_mode` 1 open, 2 shut) until the next command.
    pub fn hold(&self, open: bool) {
        let mut state = self.lock();
        state.held = Some(if open { OPEN } else { CLOSED });
        if !open {
            state.open_until = None;
        }
    }

    /// The hold in force, if any.
    pub fn held(&self) -> Option<&'static str> {
        self.lock().held
    }

    /// The door at `now`: held, or open until its moment, and that moment while open.
    pub fn state(&self, now: i64) -> (&'static str, Option<i64>) {
        let state = self.lock();
        if let Some(held) = state.held {
            return (held, None);
        }
        match state.open_until {
            Some(until) if now < until => (OPEN, Some(until)),
            _ => (CLOSED, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_and_the_door_follow_the_clock() {
        let recent = Recent::default();
        assert_eq!(recent.too_soon("7", 100, 5), None);
        recent.note("7", 100, true);
        assert_eq!(recent.too_soon("7", 104, 5), Some(4));
        assert_eq!(recent.too_soon("7", 105, 5), None);
        assert_eq!(recent.too_soon("8", 101, 5), None);
        assert!(recent.passed_within("7", 129, 30));
        assert!(!recent.passed_within("7", 130, 30));
        assert!(!recent.passed_within("7", 101, 0));
        let door = Door::default();
        assert_eq!(door.state(0), (CLOSED, None));
        door.open_for(100, 6);
        assert_eq!(door.state(105), (OPEN, Some(106)));
        assert_eq!(door.state(106), (CLOSED, None));
        door.hold(true);
        assert_eq!(door.state(500), (OPEN, None));
        door.open_for(500, 3);
        assert_eq!(door.held(), None);
    }
}
