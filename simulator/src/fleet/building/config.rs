//! What a building is given (how many people, floors, how fast its day runs, when it
//! starts) and why it can fail. A leaf of the building.

/// Seconds in a day.
pub(crate) const DAY: f64 = 86_400.0;

/// The most people a building holds.
pub const MAX_OCCUPANTS: usize = 100_000;

/// The fastest a building's day may run: a day in under a second.
pub const MAX_CLOCK: f64 = 1_000_000.0;

/// Everything a building needs besides its terminals.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildingConfig {
    /// People in the building's population: employees, visitors and strangers.
    pub people: usize,
    /// Floors; `None`: one per three terminals that do not guard the lobby.
    pub floors: Option<u32>,
    /// How many times faster than real time the day runs (1: a real day).
    pub clock: f64,
    /// The building's time of day at start, in seconds after midnight; `None`: the
    /// terminals' clock's time of day (UTC).
    pub day_start: Option<u32>,
    /// The seed of the population, the plan and every day.
    pub seed: u64,
    /// Days to walk before the building falls quiet; `None`: day after day.
    pub days: Option<u64>,
    /// Enrol every employee and visitor on every terminal before the day begins.
    pub enrol: bool,
}

impl BuildingConfig {
    /// Checks the figures.
    ///
    /// # Errors
    /// [`BuildingError`] naming the first figure out of range.
    pub fn validate(&self) -> Result<(), BuildingError> {
        if !(1..=MAX_OCCUPANTS).contains(&self.people) {
            return Err(BuildingError::People(self.people));
        }
        if !(self.clock.is_finite() && self.clock > 0.0 && self.clock <= MAX_CLOCK) {
            return Err(BuildingError::Clock(self.clock));
        }
        if self.floors == Some(0) || self.floors.is_some_and(|f| f > 200) {
            return Err(BuildingError::Floors(self.floors.unwrap_or(0)));
        }
        if self.day_start.is_some_and(|s| f64::from(s) >= DAY) {
            return Err(BuildingError::DayStart(format!("{:?}", self.day_start)));
        }
        Ok(())
    }
}

/// Why a building could not be set up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildingError {
    /// The population is empty or too large.
    #[error("a building holds 1 to {MAX_OCCUPANTS} people, not {0}")]
    People(usize),
    /// The clock factor is not a positive number up to the limit.
    #[error("--clock must be a positive factor up to {MAX_CLOCK}, got {0}")]
    Clock(f64),
    /// No floor, or too many.
    #[error("a building has 1 to 200 floors, not {0}")]
    Floors(u32),
    /// The time of day is not `HH:MM` or `HH:MM:SS`.
    #[error("cannot read the time of day `{0}` (use HH:MM or HH:MM:SS)")]
    DayStart(String),
}

/// Parses a time of day, `HH:MM` or `HH:MM:SS`, into seconds after midnight.
///
/// # Errors
/// [`BuildingError::DayStart`] when it is not one.
pub fn parse_time_of_day(text: &str) -> Result<u32, BuildingError> {
    let bad = || BuildingError::DayStart(text.to_string());
    let parts: Vec<&str> = text.trim().split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(bad());
    }
    let mut fields = [0u32; 3];
    for (slot, part) in fields.iter_mut().zip(&parts) {
        *slot = part.parse().map_err(|_| bad())?;
    }
    let [h, m, s] = fields;
    if h > 23 || m > 59 || s > 59 {
        return Err(bad());
    }
    Ok(h * 3600 + m * 60 + s)
}

/// A time of day in seconds as `HH:MM:SS`.
pub(crate) fn time_of_day(seconds: f64) -> String {
    let s = seconds.rem_euclid(DAY) as u32;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_read_and_print() {
        assert_eq!(parse_time_of_day("06:30").unwrap(), 6 * 3600 + 1800);
        assert_eq!(parse_time_of_day("23:59:59").unwrap(), 86_399);
        for bad in ["24:00", "7", "07:60", "a:b", "1:2:3:4"] {
            assert!(parse_time_of_day(bad).is_err(), "{bad}");
        }
        assert_eq!(time_of_day(DAY + 8.0 * 3600.0 + 61.5), "08:01:01");
    }

    #[test]
    fn figures_out_of_range_are_refused() {
        let good = BuildingConfig {
            people: 10,
            floors: None,
            clock: 60.0,
            day_start: Some(0),
            seed: 1,
            days: None,
            enrol: false,
        };
        assert_eq!(good.validate(), Ok(()));
        let bad = [
            BuildingConfig {
                people: 0,
                ..good.clone()
            },
            BuildingConfig {
                clock: 0.0,
                ..good.clone()
            },
            BuildingConfig {
                floors: Some(0),
                ..good.clone()
            },
            BuildingConfig {
                day_start: Some(86_400),
                ..good.clone()
            },
        ];
        for b in bad {
            assert!(b.validate().is_err(), "{b:?}");
        }
    }
}
