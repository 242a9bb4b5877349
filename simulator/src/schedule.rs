//! Arrival processes: when the next event is due. A [`Schedule`] turns a rate profile
//! (fixed or a piecewise-linear ramp) and an arrival kind (constant spacing or Poisson)
//! into a sequence of send times, exactly, by inverting the cumulative rate.

use std::str::FromStr;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// How arrivals are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arrival {
    /// Exponential gaps: people walk up independently, as at a real door.
    #[default]
    Poisson,
    /// Even gaps of exactly 1/rate.
    Constant,
}

impl std::str::FromStr for Arrival {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "poisson" => Ok(Arrival::Poisson),
            "constant" => Ok(Arrival::Constant),
            other => Err(format!(
                "unknown arrival `{other}`; use poisson or constant"
            )),
        }
    }
}

/// Why a rate or ramp could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    #[error("rate must be a positive number of events per second, got {0}")]
    BadRate(String),
    #[error("ramp point `{0}` is not TIME:RATE (for example 30s:200)")]
    BadPoint(String),
    #[error("ramp times must increase and start at 0s, got {0}")]
    Order(String),
    #[error("a ramp needs at least one point with a positive rate")]
    AllZero,
    #[error("cannot read duration `{0}` (use 500ms, 30s, 5m or 1h)")]
    BadDuration(String),
}

/// Parses `500ms`, `30s`, `5m`, `1h` or a bare number of seconds.
///
/// # Errors
/// [`ScheduleError::BadDuration`].
pub fn parse_duration(text: &str) -> Result<Duration, ScheduleError> {
    let t = text.trim();
    let bad = || ScheduleError::BadDuration(text.to_string());
    let (number, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: f64 = number.trim().parse().map_err(|_| bad())?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(bad()),
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The target rate over time, in events per second: piecewise linear between points, and
/// held at the last point's rate after it.
#[derive(Debug, Clone, PartialEq)]
pub struct RateProfile {
    /// (seconds from start, rate), times strictly increasing, first at 0.
    points: Vec<(f64, f64)>,
}

impl RateProfile {
    /// A fixed rate.
    ///
    /// # Errors
    /// [`ScheduleError::BadRate`] when the rate is not positive and finite.
    pub fn fixed(rate: f64) -> Result<Self, ScheduleError> {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(ScheduleError::BadRate(rate.to_string()));
        }
        Ok(Self {
            points: vec![(0.0, rate)],
        })
    }

    /// The rate at `t` seconds.
    pub fn rate_at(&self, t: f64) -> f64 {
        let mut prev = self.points[0];
        for &(pt, pr) in &self.points[1..] {
            if t < pt {
                let f = (t - prev.0) / (pt - prev.0);
                return prev.1 + f * (pr - prev.1);
            }
            prev = (pt, pr);
        }
        prev.1
    }

    /// The same profile with every rate multiplied by `factor` (a shard's share).
    pub fn scaled(&self, factor: f64) -> Self {
        Self {
            points: self.points.iter().map(|&(t, r)| (t, r * factor)).collect(),
        }
    }

    /// The highest rate anywhere in the profile.
    pub fn peak(&self) -> f64 {
        self.points.iter().map(|p| p.1).fold(0.0, f64::max)
    }

    /// Events expected in the first `t` seconds: the integral of the rate.
    pub fn cumulative(&self, t: f64) -> f64 {
        let mut total = 0.0;
        let mut prev = self.points[0];
        for &(pt, pr) in &self.points[1..] {
            if t <= pt {
                let r_t = self.rate_at(t);
                return total + (t - prev.0) * (prev.1 + r_t) / 2.0;
            }
            total += (pt - prev.0) * (prev.1 + pr) / 2.0;
            prev = (pt, pr);
        }
        total + (t - prev.0) * prev.1
    }

    /// The time at which the cumulative count reaches `area`: the inverse of
    /// [`cumulative`](Self::cumulative). `None` when the rate falls to zero for good first.
    pub fn time_of(&self, area: f64) -> Option<f64> {
        let mut remaining = area;
        let mut prev = self.points[0];
        for &(pt, pr) in &self.points[1..] {
            let seg = (pt - prev.0) * (prev.1 + pr) / 2.0;
            if remaining <= seg {
                return Some(prev.0 + solve_segment(prev.1, pr, pt - prev.0, remaining));
            }
            remaining -= seg;
            prev = (pt, pr);
        }
        (prev.1 > 0.0).then(|| prev.0 + remaining / prev.1)
    }
}

/// Within one linear segment from rate `r0` to `r1` over `len` seconds, the offset at which
/// the area reaches `a`: solves `r0*x + (r1-r0)/(2*len)*x^2 = a`.
fn solve_segment(r0: f64, r1: f64, len: f64, a: f64) -> f64 {
    let k = (r1 - r0) / len;
    if k.abs() < 1e-12 {
        return if r0 > 0.0 { a / r0 } else { 0.0 };
    }
    let disc = (r0 * r0 + 2.0 * k * a).max(0.0);
    // This form avoids cancellation when k is small relative to r0.
    2.0 * a / (r0 + disc.sqrt())
}

impl FromStr for RateProfile {
    type Err = ScheduleError;

    /// Parses `0s:100,60s:2000,120s:2000`: rates at times, linear in between.
    fn from_str(s: &str) -> Result<Self, ScheduleError> {
        let mut points = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (t, r) = part
                .split_once(':')
                .ok_or_else(|| ScheduleError::BadPoint(part.to_string()))?;
            let t = parse_duration(t)
                .map_err(|_| ScheduleError::BadPoint(part.to_string()))?
                .as_secs_f64();
            let r: f64 = r
                .trim()
                .parse()
                .map_err(|_| ScheduleError::BadPoint(part.to_string()))?;
            if !(r.is_finite() && r >= 0.0) {
                return Err(ScheduleError::BadPoint(part.to_string()));
            }
            points.push((t, r));
        }
        let Some(first) = points.first() else {
            return Err(ScheduleError::BadPoint(s.to_string()));
        };
        if first.0 != 0.0 || points.windows(2).any(|w| w[1].0 <= w[0].0) {
            return Err(ScheduleError::Order(s.to_string()));
        }
        if points.iter().all(|p| p.1 == 0.0) {
            return Err(ScheduleError::AllZero);
        }
        Ok(Self { points })
    }
}

/// A stream of send times, as offsets from the start of a run.
#[derive(Debug)]
pub struct Schedule {
    profile: RateProfile,
    arrival: Arrival,
    rng: StdRng,
    /// Cumulative-rate position of the last arrival handed out.
    area: f64,
}

impl Schedule {
    /// A schedule over `profile`; `seed` drives the Poisson gaps.
    pub fn new(profile: RateProfile, arrival: Arrival, seed: u64) -> Self {
        Self {
            profile,
            arrival,
            rng: StdRng::seed_from_u64(seed),
            area: 0.0,
        }
    }

    /// Starts a schedule partway into its first gap, so that many schedules of the same
    /// rate started together (one per device) do not all fire at once. `phase` is in [0,1).
    pub fn with_phase(mut self, phase: f64) -> Self {
        self.area = -phase.clamp(0.0, 1.0);
        self
    }

    /// The profile this schedule follows.
    pub fn profile(&self) -> &RateProfile {
        &self.profile
    }

    /// The offset of the next arrival, or `None` when the rate has fallen to zero for good.
    pub fn next_offset(&mut self) -> Option<Duration> {
        let step = match self.arrival {
            Arrival::Constant => 1.0,
            // Inverse-transform sampling of Exp(1); 1 - u avoids ln(0).
            Arrival::Poisson => -(1.0 - self.rng.random::<f64>()).ln(),
        };
        self.area += step;
        let t = self.profile.time_of(self.area.max(0.0))?;
        Some(Duration::from_secs_f64(t.max(0.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_rate_is_evenly_spaced() {
        let mut s = Schedule::new(RateProfile::fixed(10.0).unwrap(), Arrival::Constant, 1);
        let times: Vec<f64> = (0..5)
            .map(|_| s.next_offset().unwrap().as_secs_f64())
            .collect();
        for (i, t) in times.iter().enumerate() {
            assert!((t - 0.1 * (i as f64 + 1.0)).abs() < 1e-9, "{times:?}");
        }
    }

    #[test]
    fn poisson_mean_gap_matches_rate() {
        let mut s = Schedule::new(RateProfile::fixed(100.0).unwrap(), Arrival::Poisson, 7);
        let mut last = Duration::ZERO;
        for _ in 0..20_000 {
            last = s.next_offset().unwrap();
        }
        let rate = 20_000.0 / last.as_secs_f64();
        assert!((rate - 100.0).abs() < 3.0, "rate {rate}");
    }

    #[test]
    fn ramp_counts_match_the_integral() {
        let p: RateProfile = "0s:0,10s:100,20s:100".parse().unwrap();
        assert!((p.cumulative(10.0) - 500.0).abs() < 1e-9);
        assert!((p.cumulative(20.0) - 1500.0).abs() < 1e-9);
        let mut s = Schedule::new(p.clone(), Arrival::Constant, 0);
        let n = std::iter::from_fn(|| s.next_offset())
            .take_while(|t| t.as_secs_f64() <= 20.0)
            .count();
        assert_eq!(n, 1500);
        let t = p.time_of(500.0).unwrap();
        assert!((t - 10.0).abs() < 1e-9);
    }

    #[test]
    fn bad_ramps_and_durations_are_refused() {
        assert!("5s:10".parse::<RateProfile>().is_err());
        assert!("0s:10,0s:20".parse::<RateProfile>().is_err());
        assert!("0s:0".parse::<RateProfile>().is_err());
        assert!("0s:x".parse::<RateProfile>().is_err());
        assert_eq!(parse_duration("1.5m").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(RateProfile::fixed(0.0).is_err());
    }
}
