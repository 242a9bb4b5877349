//! The proportions of a face ([`Geometry`], [`Proportions`]) and the bank they are drawn
//! from: points of a unit cube, searched offline (`scripts/face-bank.py`) for faces that
//! dlib's and OpenCV's detectors find in every view and that dlib's descriptor puts far
//! apart, and shipped as data (`fixtures/faces/bank.tsv`), so that the simulator itself
//! runs no face model.
//!
//! Why a bank rather than a uniform draw: a face model tells drawn faces apart mostly by
//! how far their proportions lie from the average, but the further out they lie, the more
//! of them a detector misses. Drawn uniformly from ranges this wide, Haar found 89% of
//! faces, and 96% once the ends it missed most were cut from the ranges; of those, the
//! bank keeps the 512 both detectors found in every view whose views dlib put at or above
//! its threshold of 0.6 from the other entries' views most often (512 of 6,000, so two
//! people in a population of a thousand share an entry about twice as often as with
//! 1,024; the jitter below makes such twins differ a little).

use std::sync::OnceLock;

/// How many values a bank entry holds: the seventeen of [`Geometry`] and the face's height
/// and width.
pub const DIMS: usize = 19;

/// Every value's name (the bank file's header) and the range a unit value spans, in the
/// bank's column order. The ranges are about two and a quarter times as wide as people's;
/// the nose and the mouth are placed by their drop below the eyes and the nose.
pub const RANGES: [(&str, f32, f32); DIMS] = [
    ("eye_y", -0.2675, 0.1975),
    ("nose_drop", 0.2825, 0.6065),
    ("eye_x", 0.2685, 0.447),
    ("eye_width", 0.135, 0.255),
    ("eye_shape", 0.2375, 0.6725),
    ("eye_tilt", -0.3, 0.3),
    ("brow_gap", 0.09, 0.36),
    ("brow_length", 0.116, 0.319),
    ("brow_thickness", 0.0175, 0.1075),
    ("brow_tilt", -0.45, 0.39),
    ("nose_width", 0.085, 0.205),
    ("mouth_drop", 0.119, 0.396),
    ("mouth_width", 0.151, 0.414),
    ("upper_lip", 0.016, 0.084),
    ("lower_lip", 0.022, 0.116),
    ("jaw", 0.0, 0.63),
    ("age", 0.0, 1.0),
    ("face_ratio", 1.1925, 1.665),
    ("face_width", 0.79, 1.21),
];

/// How far (in unit values) a person's proportions may lie from their bank entry's, so
/// that two people who share an entry still differ a little.
const JITTER: f32 = 0.03;
/// Mixed into the id to draw the jitter, so that it does not follow the entry's choice.
const JITTER_SALT: u64 = 0x0b5e_55ed;

/// The bank as shipped: a header of [`RANGES`]' names, then one entry per line, every
/// value in 0..=1, tab-separated.
const BANK_TSV: &str = include_str!("../../../../fixtures/faces/bank.tsv");

/// The proportions face models tell people apart by, in units of the face's half-width
/// (y down, 0 at the face's centre), fixed per person.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Height of the eyes' centres (negative: above the face's centre).
    pub eye_y: f32,
    /// Distance of each eye's centre from the middle.
    pub eye_x: f32,
    /// Half-width of an eye.
    pub eye_width: f32,
    /// Eye height over eye width, when wide open.
    pub eye_shape: f32,
    /// Tilt of the eyes in radians (positive: outer corners up).
    pub eye_tilt: f32,
    /// How far above the eyes the brows sit.
    pub brow_gap: f32,
    /// Half-length and half-thickness of a brow.
    pub brow_length: f32,
    pub brow_thickness: f32,
    /// Tilt of the brows in radians (positive: outer ends up).
    pub brow_tilt: f32,
    /// Height of the nose's tip and its half-width.
    pub nose_y: f32,
    pub nose_width: f32,
    /// Height of the line between the lips, and the mouth's half-width.
    pub mouth_y: f32,
    pub mouth_width: f32,
    /// Half-heights of the upper and lower lip.
    pub upper_lip: f32,
    pub lower_lip: f32,
    /// How much the face narrows towards the chin (see `Paint::taper`).
    pub jaw: f32,
    /// From 0 (young) to 1: how deep the folds from the nose to the mouth and the bags
    /// under the eyes are.
    pub age: f32,
}

/// A face's proportions: its [`Geometry`] and its outline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proportions {
    pub geometry: Geometry,
    /// Face height over face width.
    pub face_ratio: f32,
    /// Face width relative to the average.
    pub face_width: f32,
}

/// Why a bank's text was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
enum BankError {
    #[error("the header is not the names of RANGES, tab-separated")]
    Header,
    #[error("line {0}: not {DIMS} tab-separated numbers from 0 to 1")]
    Entry(usize),
    #[error("the bank has no entries")]
    Empty,
}

impl Proportions {
    /// The proportions of a point of the unit cube: every value mapped into its range.
    fn from_unit(u: &[f32; DIMS]) -> Self {
        // Weighted this way, 0 and 1 land exactly on the range's ends.
        let v: [f32; DIMS] =
            std::array::from_fn(|i| RANGES[i].1 * (1.0 - u[i]) + RANGES[i].2 * u[i]);
        let [
            eye_y,
            nose_drop,
            eye_x,
            eye_width,
            eye_shape,
            eye_tilt,
            brow_gap,
            brow_length,
            brow_thickness,
            brow_tilt,
            nose_width,
            mouth_drop,
            mouth_width,
            upper_lip,
            lower_lip,
            jaw,
            age,
            face_ratio,
            face_width,
        ] = v;
        let nose_y = eye_y + nose_drop;
        Self {
            geometry: Geometry {
                eye_y,
                eye_x,
                eye_width,
                eye_shape,
                eye_tilt,
                brow_gap,
                brow_length,
                brow_thickness,
                brow_tilt,
                nose_y,
                nose_width,
                mouth_y: nose_y + mouth_drop,
                mouth_width,
                upper_lip,
                lower_lip,
                jaw,
                age,
            },
            face_ratio,
            face_width,
        }
    }

    /// The proportions of identity `id`: an entry of the bank, moved a little by `id`. A
    /// pure function of `id`.
    pub fn of(id: u64) -> Self {
        let bank = bank();
        // The entry is picked by a hash of the id, not the id itself, so that consecutive
        // ids do not walk the bank in order.
        let entry = &bank[(crate::seed::splitmix64(id) % bank.len() as u64) as usize];
        let jitter = units(id ^ JITTER_SALT);
        let u = std::array::from_fn(|i| (entry[i] + (jitter[i] - 0.5) * JITTER).clamp(0.0, 1.0));
        Self::from_unit(&u)
    }

    /// Candidate `id` of the bank's search: a point drawn uniformly from the whole cube,
    /// which the search keeps or drops (`scripts/face-bank.py`).
    pub fn candidate(id: u64) -> Self {
        Self::from_unit(&units(id))
    }
}

/// [`DIMS`] unit values that are a pure function of `seed`: the point of the unit cube
/// that candidate `seed` of the bank's search stands for.
pub fn units(seed: u64) -> [f32; DIMS] {
    let mut state = seed;
    std::array::from_fn(|_| {
        state = crate::seed::splitmix64(state.wrapping_add(crate::seed::GOLDEN_GAMMA));
        (state >> 40) as f32 / (1u64 << 24) as f32
    })
}

/// The bank shipped in `fixtures/faces/bank.tsv`, parsed once.
fn bank() -> &'static [[f32; DIMS]] {
    static BANK: OnceLock<Vec<[f32; DIMS]>> = OnceLock::new();
    BANK.get_or_init(|| parse(BANK_TSV).expect("the shipped bank is checked by its tests"))
}

/// Parses a bank's text (see [`BANK_TSV`]).
fn parse(text: &str) -> Result<Vec<[f32; DIMS]>, BankError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let names: Vec<&str> = lines
        .next()
        .ok_or(BankError::Empty)?
        .1
        .split('\t')
        .collect();
    if names.iter().ne(RANGES.iter().map(|r| &r.0)) {
        return Err(BankError::Header);
    }
    let bank = lines
        .map(|(n, line)| {
            let values: Vec<f32> = line
                .split('\t')
                .map(|v| v.trim().parse::<f32>())
                .collect::<Result<_, _>>()
                .map_err(|_| BankError::Entry(n + 1))?;
            let entry: [f32; DIMS] = values.try_into().map_err(|_| BankError::Entry(n + 1))?;
            if entry.iter().all(|v| (0.0..=1.0).contains(v)) {
                Ok(entry)
            } else {
                Err(BankError::Entry(n + 1))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    if bank.is_empty() {
        return Err(BankError::Empty);
    }
    Ok(bank)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_bank_parses_and_spans_the_cube() {
        let bank = parse(BANK_TSV).expect("the shipped bank parses");
        assert!(bank.len() >= 500, "{} entries", bank.len());
        // Every value is used across its range, not bunched at one end.
        for (i, (name, ..)) in RANGES.iter().enumerate() {
            let (lo, hi) = bank
                .iter()
                .fold((1f32, 0f32), |(lo, hi), e| (lo.min(e[i]), hi.max(e[i])));
            assert!(lo < 0.25 && hi > 0.75, "{name}: {lo}..{hi}");
        }
    }

    #[test]
    fn people_differ_even_when_they_share_an_entry() {
        let a = Proportions::of(1);
        assert_eq!(a, Proportions::of(1), "a pure function of the id");
        // Jitter clamped at the cube's faces can make one value equal, never all of them.
        let distinct: std::collections::HashSet<String> = (0..2000u64)
            .map(|id| format!("{:?}", Proportions::of(id)))
            .collect();
        assert_eq!(distinct.len(), 2000);
        for id in 0..2000 {
            let p = Proportions::of(id);
            let g = p.geometry;
            for (v, (name, lo, hi)) in [g.eye_y, g.eye_x, g.jaw, p.face_ratio, p.face_width]
                .iter()
                .zip([RANGES[0], RANGES[2], RANGES[15], RANGES[17], RANGES[18]])
            {
                assert!((lo..=hi).contains(v), "{name} {v} of id {id}");
            }
        }
    }

    #[test]
    fn from_unit_maps_the_corners_onto_the_ranges() {
        let lo = Proportions::from_unit(&[0.0; DIMS]);
        let hi = Proportions::from_unit(&[1.0; DIMS]);
        assert_eq!(
            (lo.geometry.eye_x, hi.geometry.eye_x),
            (RANGES[2].1, RANGES[2].2)
        );
        assert_eq!(lo.geometry.nose_y, RANGES[0].1 + RANGES[1].1);
        assert_eq!(
            hi.geometry.mouth_y,
            RANGES[0].2 + RANGES[1].2 + RANGES[11].2
        );
        assert_eq!((lo.face_width, hi.face_ratio), (RANGES[18].1, RANGES[17].2));
    }

    #[test]
    fn bad_banks_are_refused_with_the_line() {
        let header = RANGES.map(|r| r.0).join("\t");
        let good = ["0.5"; DIMS].join("\t");
        assert_eq!(
            parse(&format!("{header}\n{good}\n")).map(|b| b.len()),
            Ok(1)
        );
        assert_eq!(parse(""), Err(BankError::Empty));
        assert_eq!(parse(&format!("{header}\n")), Err(BankError::Empty));
        assert_eq!(parse(&format!("eye_y\n{good}")), Err(BankError::Header));
        let short = ["0.5"; DIMS - 1].join("\t");
        assert_eq!(
            parse(&format!("{header}\n{good}\n{short}")),
            Err(BankError::Entry(3))
        );
        let out = good.replacen("0.5", "1.5", 1);
        assert_eq!(parse(&format!("{header}\n{out}")), Err(BankError::Entry(2)));
        let word = good.replacen("0.5", "x", 1);
        assert_eq!(
            parse(&format!("{header}\n{word}")),
            Err(BankError::Entry(2))
        );
    }
}
