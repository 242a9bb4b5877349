//! The status mix: how often each `recognizeStatus` occurs, parsed from strings such as
//! `in-library=80,stranger=10,non-live=5,auth-failed=5` and sampled per event.

use std::fmt;
use std::str::FromStr;

use rand::RngExt;

use crate::wire::RecognizeStatus;

/// The largest weight one status may have. It keeps the sum of all seven weights far
/// below `u64` overflow and is more resolution than any realistic mix needs.
pub const MAX_WEIGHT: u32 = 1_000_000;

/// Relative weights of the seven recognition statuses. At least one weight is positive;
/// every constructor keeps that invariant, so sampling never fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusMix {
    /// Weight per status, indexed by the status code (0..=6).
    weights: [u32; 7],
}

/// Why a status mix string or weight list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MixError {
    /// The string names no status at all.
    #[error("status mix is empty; expected e.g. `in-library=80,stranger=10`")]
    Empty,
    /// An item lacks the `=` between status and weight.
    #[error("`{0}` is not of the form status=weight")]
    MissingEquals(String),
    /// The status is neither a known label nor a code 0 to 6.
    #[error(
        "unknown status `{0}`; expected one of unknown, non-live, in-library, stranger, \
         recognized, auth-passed, auth-failed, or a code 0 to 6"
    )]
    UnknownStatus(String),
    /// The weight is not a whole number in range.
    #[error("weight `{weight}` of `{status}` is not a whole number from 0 to 1000000")]
    BadWeight {
        /// The status label as written.
        status: String,
        /// The weight as written.
        weight: String,
    },
    /// The same status appears twice.
    #[error("status `{0}` is given twice")]
    Duplicate(&'static str),
    /// Every weight is zero, so no status could ever be drawn.
    #[error("all weights are zero; give at least one status a positive weight")]
    AllZero,
}

impl Default for StatusMix {
    /// Mostly people from the library, some strangers, a few non-live faces, failed
    /// authentications and unclassified faces. Statuses 4 and 5 are off by default: in the
    /// default face-only mode the terminal reports a known person as "in library"; use a
    /// custom mix to exercise them.
    fn default() -> Self {
        Self {
            weights: [2, 3, 77, 12, 0, 0, 6],
        }
    }
}

impl StatusMix {
    /// A mix that always yields `status`.
    pub fn only(status: RecognizeStatus) -> Self {
        let mut weights = [0; 7];
        weights[usize::from(status.code())] = 1;
        Self { weights }
    }

    /// Builds a mix from explicit weights; statuses not listed get weight 0.
    ///
    /// # Errors
    /// [`MixError::Duplicate`] if a status is listed twice, [`MixError::BadWeight`] if a
    /// weight exceeds [`MAX_WEIGHT`], [`MixError::AllZero`] if no weight is positive.
    pub fn from_weights(weights: &[(RecognizeStatus, u32)]) -> Result<Self, MixError> {
        let mut out = [0u32; 7];
        let mut seen = [false; 7];
        for &(status, weight) in weights {
            let i = usize::from(status.code());
            if seen[i] {
                return Err(MixError::Duplicate(status.label()));
            }
            if weight > MAX_WEIGHT {
                return Err(MixError::BadWeight {
                    status: status.label().to_string(),
                    weight: weight.to_string(),
                });
            }
            seen[i] = true;
            out[i] = weight;
        }
        if out.iter().all(|&w| w == 0) {
            return Err(MixError::AllZero);
        }
        Ok(Self { weights: out })
    }

    /// The weight of one status.
    pub fn weight(&self, s: RecognizeStatus) -> u32 {
        self.weights[usize::from(s.code())]
    }

    /// The sum of all weights; always positive.
    pub fn total(&self) -> u64 {
        self.weights.iter().map(|&w| u64::from(w)).sum()
    }

    /// The expected share of `s` among drawn statuses, from 0 to 1.
    pub fn share(&self, s: RecognizeStatus) -> f64 {
        // Totals stay below 2^53, so the conversion to f64 is exact.
        f64::from(self.weight(s)) / self.total() as f64
    }

    /// Draws one status with probability proportional to its weight.
    pub(crate) fn sample<R: RngExt + ?Sized>(&self, rng: &mut R) -> RecognizeStatus {
        let mut ticket = rng.random_range(0..self.total());
        for &status in RecognizeStatus::ALL {
            let w = u64::from(self.weight(status));
            if ticket < w {
                return status;
            }
            ticket -= w;
        }
        // The tickets cover exactly the total, so the loop always returns; fall back to the
        // most common outcome rather than panicking should that reasoning ever break.
        RecognizeStatus::InLibrary
    }
}

/// Parses a status as a label (`in-library`) or a code (`2`).
fn parse_status(text: &str) -> Option<RecognizeStatus> {
    if let Ok(code) = text.parse::<u8>() {
        return RecognizeStatus::try_from(code).ok();
    }
    RecognizeStatus::ALL
        .iter()
        .copied()
        .find(|s| s.label().eq_ignore_ascii_case(text))
}

impl FromStr for StatusMix {
    type Err = MixError;

    /// Parses `status=weight` items separated by commas, such as
    /// `in-library=80,stranger=10,non-live=5,auth-failed=5` or `2=80,3=20`. Spaces around
    /// items are ignored; statuses not named get weight 0.
    fn from_str(s: &str) -> Result<Self, MixError> {
        let mut weights = Vec::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, weight) = item
                .split_once('=')
                .ok_or_else(|| MixError::MissingEquals(item.to_string()))?;
            let (name, weight) = (name.trim(), weight.trim());
            let status =
                parse_status(name).ok_or_else(|| MixError::UnknownStatus(name.to_string()))?;
            let weight = weight
                .parse::<u32>()
                .ok()
                .filter(|&w| w <= MAX_WEIGHT)
                .ok_or_else(|| MixError::BadWeight {
                    status: name.to_string(),
                    weight: weight.to_string(),
                })?;
            weights.push((status, weight));
        }
        if weights.is_empty() {
            return Err(MixError::Empty);
        }
        Self::from_weights(&weights)
    }
}

impl fmt::Display for StatusMix {
    /// Writes the canonical form, the positive weights in code order, which parses back to
    /// the same mix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for &status in RecognizeStatus::ALL {
            let w = self.weight(status);
            if w > 0 {
                if !first {
                    f.write_str(",")?;
                }
                write!(f, "{}={}", status.label(), w)?;
                first = false;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn parses_labels_codes_and_spaces() {
        let mix: StatusMix = "in-library=80, stranger=10,non-live=5 ,auth-failed=5"
            .parse()
            .expect("valid mix");
        assert_eq!(mix.weight(RecognizeStatus::InLibrary), 80);
        assert_eq!(mix.weight(RecognizeStatus::Stranger), 10);
        assert_eq!(mix.weight(RecognizeStatus::NonLiveness), 5);
        assert_eq!(mix.weight(RecognizeStatus::AuthFailed), 5);
        assert_eq!(mix.weight(RecognizeStatus::Unknown), 0);
        assert_eq!(mix.total(), 100);

        let numeric: StatusMix = "2=80,3=10,1=5,6=5".parse().expect("valid mix");
        assert_eq!(numeric, mix);
        let upper: StatusMix = "IN-LIBRARY=1".parse().expect("labels ignore case");
        assert_eq!(upper, StatusMix::only(RecognizeStatus::InLibrary));
    }

    #[test]
    fn rejects_bad_strings_with_precise_errors() {
        assert_eq!("".parse::<StatusMix>(), Err(MixError::Empty));
        assert_eq!(" , ".parse::<StatusMix>(), Err(MixError::Empty));
        assert_eq!(
            "in-library".parse::<StatusMix>(),
            Err(MixError::MissingEquals("in-library".into()))
        );
        assert_eq!(
            "visitor=3".parse::<StatusMix>(),
            Err(MixError::UnknownStatus("visitor".into()))
        );
        assert_eq!(
            "7=3".parse::<StatusMix>(),
            Err(MixError::UnknownStatus("7".into()))
        );
        assert!(matches!(
            "stranger=-1".parse::<StatusMix>(),
            Err(MixError::BadWeight { .. })
        ));
        assert!(matches!(
            "stranger=0.5".parse::<StatusMix>(),
            Err(MixError::BadWeight { .. })
        ));
        assert!(matches!(
            "stranger=1000001".parse::<StatusMix>(),
            Err(MixError::BadWeight { .. })
        ));
        assert_eq!(
            "stranger=1,3=2".parse::<StatusMix>(),
            Err(MixError::Duplicate("stranger"))
        );
        assert_eq!(
            "stranger=0,unknown=0".parse::<StatusMix>(),
            Err(MixError::AllZero)
        );
    }

    #[test]
    fn errors_are_one_lowercase_line() {
        let errors = [
            "".parse::<StatusMix>(),
            "x".parse::<StatusMix>(),
            "x=1".parse::<StatusMix>(),
            "stranger=y".parse::<StatusMix>(),
            "stranger=0".parse::<StatusMix>(),
        ];
        for e in errors {
            let msg = e.expect_err("each input is invalid").to_string();
            assert!(!msg.contains('\n') && !msg.ends_with('.'), "{msg}");
            assert!(
                msg.chars().next().is_some_and(|c| !c.is_uppercase()),
                "{msg}"
            );
        }
    }

    #[test]
    fn display_round_trips() {
        for mix in [
            StatusMix::default(),
            StatusMix::only(RecognizeStatus::Unknown),
            "auth-passed=3,recognized=4".parse().expect("valid mix"),
        ] {
            assert_eq!(mix.to_string().parse::<StatusMix>(), Ok(mix));
        }
        assert_eq!(
            StatusMix::default().to_string(),
            "unknown=2,non-live=3,in-library=77,stranger=12,auth-failed=6"
        );
    }

    #[test]
    fn sampling_never_yields_zero_weight_statuses() {
        let mix: StatusMix = "stranger=1,auth-passed=3".parse().expect("valid mix");
        let mut rng = StdRng::seed_from_u64(7);
        let mut counts = [0u32; 7];
        for _ in 0..4000 {
            counts[usize::from(mix.sample(&mut rng).code())] += 1;
        }
        assert_eq!(counts.iter().sum::<u32>(), 4000);
        assert_eq!(counts[3] + counts[5], 4000);
        // The expected split is 1000 / 3000; allow a wide margin against flakiness (the
        // seed is fixed anyway).
        assert!((850..1150).contains(&counts[3]), "{counts:?}");
    }

    #[test]
    fn from_weights_checks_its_input() {
        assert_eq!(
            StatusMix::from_weights(&[(RecognizeStatus::Unknown, 0)]),
            Err(MixError::AllZero)
        );
        assert!(StatusMix::from_weights(&[(RecognizeStatus::Unknown, MAX_WEIGHT + 1)]).is_err());
        let mix = StatusMix::from_weights(&[(RecognizeStatus::Recognized, 9)]).expect("valid");
        assert_eq!(mix.weight(RecognizeStatus::Recognized), 9);
        assert!((mix.share(RecognizeStatus::Recognized) - 1.0).abs() < f64::EPSILON);
    }
}
