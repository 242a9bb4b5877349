//! The cast: the whole people (looks and proportions together) a population is drawn from,
//! searched offline (`scripts/face-bank.py --cast`) for people that dlib's and OpenCV's
//! detectors find in every view and that dlib's descriptor tells apart, and shipped as data
//! (`fixtures/faces/cast.tsv`), so that the simulator itself runs no face model.
//!
//! Why whole people rather than proportions alone: a face model weighs a person's colours,
//! hair, glasses and sex together with their proportions, and proportions chosen apart from
//! the looks they would be drawn with kept only part of what the search had found (54.5% of
//! the chosen candidates' pairs of views at dlib's 0.6 in the search, 47% of people drawn
//! afterwards). Chosen whole, what the search finds is what a population gets, but for the
//! shot.

use std::sync::OnceLock;

use super::region::Region;

/// The cast as shipped: a header (`seed`, `region`), then one person per line: the seed
/// [`super::Look::candidate`] draws them from and the region whose palettes they were drawn
/// from.
const CAST_TSV: &str = include_str!("../../../../fixtures/faces/cast.tsv");

/// Mixed into a look's identity to pick its cast entry, so that the pick does not follow the
/// proportions the identity also picks.
const CAST_SALT: u64 = 0x00ca_570f_face;

/// Why a cast's text was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
enum CastError {
    #[error("the header is not `seed` and `region`, tab-separated")]
    Header,
    #[error("line {0}: not a seed (an unsigned 64-bit number) and a region (EastAsia or Anywhere)")]
    Entry(usize),
    #[error("the cast has nobody of region {0:?}")]
    Empty(Region),
}

/// The cast's seeds, by region.
struct Cast {
    east_asia: Vec<u64>,
    anywhere: Vec<u64>,
}

impl Cast {
    fn of(&self, region: Region) -> &[u64] {
        match region {
            Region::EastAsia => &self.east_asia,
            Region::Anywhere => &self.anywhere,
        }
    }
}

/// The seed of the cast entry of `region` that the look with identity `identity` becomes
/// on its own (drawn apart from any population). A pure function of its arguments.
pub(super) fn seed(region: Region, identity: u64) -> u64 {
    let seeds = seeds(region);
    seeds[hashed(identity, seeds.len())]
}

/// The entry a look's identity hashes to, of a region's `len`.
fn hashed(identity: u64, len: usize) -> usize {
    (crate::seed::splitmix64(identity ^ CAST_SALT) % len as u64) as usize
}

/// The cast entries a population has handed out, so that nobody in it is somebody else's
/// twin until a region's cast is used up. A look's identity picks its entry by a hash
/// ([`seed`]); an entry already handed out passes the look on to the next free one.
#[derive(Debug, Clone, Default)]
pub struct Deal {
    /// Per region (East Asia, anywhere): which entries are out, empty until the first.
    taken: [Vec<bool>; 2],
    /// Per region: how many entries are still free.
    free: [usize; 2],
}

impl Deal {
    /// The seed of the cast entry of `region` that the look with identity `identity`
    /// becomes in this deal, which hands it out.
    pub(super) fn seed(&mut self, region: Region, identity: u64) -> u64 {
        let seeds = seeds(region);
        let r = Self::index(region);
        if self.free[r] == 0 {
            // A population larger than the region's cast starts a second round of it.
            self.taken[r] = vec![false; seeds.len()];
            self.free[r] = seeds.len();
        }
        let i = self.next_free(r, hashed(identity, seeds.len()));
        self.taken[r][i] = true;
        self.free[r] -= 1;
        seeds[i]
    }

    /// The seed of the cast entry of `region` that a stranger with identity `identity`
    /// becomes: the hashed entry, or the next one this deal has not handed out, so that a
    /// stranger is nobody's twin while the deal leaves any entry free. Hands out nothing.
    pub(super) fn stranger_seed(&self, region: Region, identity: u64) -> u64 {
        let seeds = seeds(region);
        let r = Self::index(region);
        let i = hashed(identity, seeds.len());
        seeds[if self.free[r] > 0 {
            self.next_free(r, i)
        } else {
            i
        }]
    }

    /// The first entry of region `r` from `i` on (wrapping) that is not out. Only called
    /// while one is free.
    fn next_free(&self, r: usize, mut i: usize) -> usize {
        let taken = &self.taken[r];
        while taken.get(i) == Some(&true) {
            i = (i + 1) % taken.len();
        }
        i
    }

    fn index(region: Region) -> usize {
        match region {
            Region::EastAsia => 0,
            Region::Anywhere => 1,
        }
    }
}

/// The seeds of the cast's people of `region`.
pub(super) fn seeds(region: Region) -> &'static [u64] {
    cast().of(region)
}

/// The cast shipped in `fixtures/faces/cast.tsv`, parsed once.
fn cast() -> &'static Cast {
    static CAST: OnceLock<Cast> = OnceLock::new();
    CAST.get_or_init(|| parse(CAST_TSV).expect("the shipped cast is checked by its tests"))
}

/// Parses a cast's text (see [`CAST_TSV`]).
fn parse(text: &str) -> Result<Cast, CastError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    match lines.next() {
        Some((_, header)) if header.trim_end() == "seed\tregion" => {}
        _ => return Err(CastError::Header),
    }
    let mut cast = Cast {
        east_asia: Vec::new(),
        anywhere: Vec::new(),
    };
    for (n, line) in lines {
        let entry = line.trim_end().split_once('\t').and_then(|(seed, region)| {
            let seed = seed.parse::<u64>().ok()?;
            match region {
                "EastAsia" => Some((seed, Region::EastAsia)),
                "Anywhere" => Some((seed, Region::Anywhere)),
                _ => None,
            }
        });
        match entry {
            Some((seed, Region::EastAsia)) => cast.east_asia.push(seed),
            Some((seed, Region::Anywhere)) => cast.anywhere.push(seed),
            None => return Err(CastError::Entry(n + 1)),
        }
    }
    for region in [Region::EastAsia, Region::Anywhere] {
        if cast.of(region).is_empty() {
            return Err(CastError::Empty(region));
        }
    }
    Ok(cast)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_cast_parses_with_hundreds_of_distinct_people_per_region() {
        let cast = parse(CAST_TSV).expect("the shipped cast parses");
        for region in [Region::EastAsia, Region::Anywhere] {
            let seeds = cast.of(region);
            let distinct: std::collections::HashSet<_> = seeds.iter().collect();
            assert!(seeds.len() >= 400, "{region:?}: {} people", seeds.len());
            assert_eq!(distinct.len(), seeds.len(), "{region:?} names a seed twice");
        }
    }

    #[test]
    fn bad_casts_are_refused_with_the_line() {
        let header = "seed\tregion";
        let good = format!("{header}\n1\tEastAsia\n2\tAnywhere\n");
        let cast = parse(&good).unwrap();
        assert_eq!((cast.east_asia.len(), cast.anywhere.len()), (1, 1));
        assert!(matches!(parse(""), Err(CastError::Header)));
        assert!(matches!(
            parse("id\tregion\n1\tEastAsia"),
            Err(CastError::Header)
        ));
        assert!(matches!(
            parse(&format!("{good}x\tEastAsia")),
            Err(CastError::Entry(4))
        ));
        assert!(matches!(
            parse(&format!("{good}3\tMars")),
            Err(CastError::Entry(4))
        ));
        assert!(matches!(
            parse(&format!("{good}-3\tAnywhere")),
            Err(CastError::Entry(4))
        ));
        assert!(matches!(
            parse(&format!("{header}\n1\tAnywhere")),
            Err(CastError::Empty(Region::EastAsia))
        ));
    }
}
