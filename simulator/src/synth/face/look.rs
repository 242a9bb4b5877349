//! Who is in front of the camera: a [`Look`] (colours, hair, accessories, face shape) and
//! its [`Geometry`] (the proportions of the features), fixed per person and drawn from
//! palettes by region.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::super::scene::{Rgb, luma, pick};
use super::bank::{Geometry, Proportions};
use super::cast::{self, Deal};
use super::region::Region;

/// How the hair is cut; decides which hair shapes are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HairStyle {
    /// Little or no hair on top.
    Bald,
    /// Short hair hugging the skull.
    Short,
    /// Long hair falling behind the head to the shoulders.
    Long,
    /// Long hair tied up in a bun on top.
    Bun,
    /// Short curly hair with a bumpy outline.
    Curly,
}

/// Whether a face is drawn with a woman's or a man's features: face models place the two
/// far apart, and a population of one sex looked to them like one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// Finer, higher-arched brows, fuller lips, lined eyes, lipstick and blush; no beard.
    Female,
    /// Heavier, lower brows, a wider nose, slightly narrower eyes, a shaved beard's shadow.
    Male,
}

/// Everything that makes one person recognisable: fixed across their events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    pub skin: Rgb,
    pub hair: Rgb,
    pub hair_style: HairStyle,
    pub eyes: Rgb,
    pub lips: Rgb,
    pub clothing: Rgb,
    /// Frame colour when the person wears glasses.
    pub glasses: Option<Rgb>,
    pub beard: bool,
    /// Which sex's features the face is drawn with.
    pub sex: Sex,
    /// Face height over face width: about 1.19 (round) to 1.67 (long).
    pub face_ratio: f32,
    /// Face width relative to the average, about 0.79 to 1.21.
    pub face_width: f32,
    /// The proportions of the eyes, brows, nose and mouth.
    pub geometry: Geometry,
}

// How the sexes differ lives beside `Sex`; the proportions themselves in `bank`.
impl Geometry {
    /// These proportions as `sex` has them: a woman's brows finer, higher and more arched
    /// and her lips fuller; a man's brows heavier and lower, his nose wider and his eyes a
    /// little narrower.
    pub fn of_sex(self, sex: Sex) -> Self {
        match sex {
            Sex::Female => Self {
                brow_thickness: self.brow_thickness * 0.6,
                brow_tilt: self.brow_tilt + 0.15,
                upper_lip: self.upper_lip * 1.3,
                lower_lip: self.lower_lip * 1.3,
                ..self
            },
            Sex::Male => Self {
                brow_thickness: self.brow_thickness * 1.4,
                brow_gap: self.brow_gap * 0.8,
                eye_width: self.eye_width * 0.92,
                nose_width: self.nose_width * 1.2,
                ..self
            },
        }
    }
}

/// Picks a palette entry and varies it a little, so that two people with the same entry
/// still differ.
fn vary<R: RngExt + ?Sized>(rng: &mut R, palette: &[[u8; 3]], amount: f32) -> Rgb {
    let c = pick(rng, palette);
    let k = 1.0 + rng.random_range(-amount..amount);
    c.map(|v| (v * k + rng.random_range(-4.0..4.0)).clamp(0.0, 255.0))
}

const SKIN_EAST_ASIA: &[[u8; 3]] = &[
    [241, 209, 180],
    [232, 194, 160],
    [224, 184, 146],
    [210, 166, 128],
    [196, 150, 112],
];
const SKIN_ANY: &[[u8; 3]] = &[
    [250, 220, 196],
    [236, 196, 166],
    [224, 180, 140],
    [198, 150, 110],
    [170, 120, 84],
    [141, 94, 62],
    [110, 72, 48],
    [84, 56, 40],
];
const HAIR_EAST_ASIA: &[[u8; 3]] = &[
    [20, 18, 18],
    [28, 24, 22],
    [40, 30, 26],
    [62, 44, 32],
    [96, 66, 44],
    [150, 146, 144],
];
const HAIR_ANY: &[[u8; 3]] = &[
    [22, 20, 20],
    [58, 40, 30],
    [96, 64, 40],
    [140, 100, 60],
    [200, 164, 100],
    [226, 200, 140],
    [150, 62, 30],
    [168, 166, 164],
    [228, 228, 228],
];
const EYES_EAST_ASIA: &[[u8; 3]] = &[[46, 30, 22], [60, 40, 28], [76, 52, 34]];
const EYES_ANY: &[[u8; 3]] = &[
    [46, 30, 22],
    [84, 56, 34],
    [110, 86, 50],
    [70, 110, 150],
    [96, 140, 170],
    [88, 120, 80],
];
const LIPS: &[[u8; 3]] = &[
    [190, 100, 100],
    [170, 90, 90],
    [150, 84, 80],
    [200, 110, 120],
];
const CLOTHING: &[[u8; 3]] = &[
    [30, 34, 48],
    [40, 40, 42],
    [220, 222, 226],
    [90, 110, 140],
    [120, 40, 44],
    [60, 90, 70],
    [180, 150, 110],
    [70, 70, 120],
];
/// Mixed into the identity to draw the sex, so that it does not follow the proportions.
const SEX_SALT: u64 = 0x5e70_face;
const FRAMES: &[[u8; 3]] = &[[20, 20, 22], [90, 60, 40], [150, 150, 160], [120, 30, 40]];

impl Look {
    /// The colour of lit skin (the forehead, the cheekbones, the nose's bridge and tip).
    /// Darker skin shines more in a photograph: its highlights are a sheen added on top,
    /// not only a brighter skin, and without them a dark face kept too little contrast for
    /// a detector.
    pub(super) fn sheen(&self) -> Rgb {
        let extra = (1.0 - luma(self.skin) / 170.0).max(0.0) * 110.0;
        self.skin.map(|v| (v * 1.12 + extra).min(255.0))
    }

    /// A random person from `region`: one of the cast (`cast`), picked by a hash of a look
    /// drawn from `rng` as [`Look::candidate`] draws one, and dressed in that look's
    /// clothes, so that two people who share an entry are twins who dress differently.
    /// Drawing the whole look first keeps every later draw from `rng` (of a population,
    /// of its record stream) what it was before there was a cast.
    pub fn random<R: RngExt + ?Sized>(rng: &mut R, region: Region) -> Self {
        Self::cast_member(rng, region, |identity| cast::seed(region, identity))
    }

    /// As [`Look::random`], but the cast entry comes from `deal`, which hands out each
    /// entry once before any twice: the people of one population.
    pub fn dealt<R: RngExt + ?Sized>(rng: &mut R, region: Region, deal: &mut Deal) -> Self {
        Self::cast_member(rng, region, |identity| deal.seed(region, identity))
    }

    /// A stranger to the population `deal` was dealt to: as [`Look::random`], but never one
    /// of that population's cast entries while the deal leaves any free, so that a face
    /// model never takes a stranger for somebody enrolled.
    pub fn stranger<R: RngExt + ?Sized>(rng: &mut R, region: Region, deal: &Deal) -> Self {
        Self::cast_member(rng, region, |identity| deal.stranger_seed(region, identity))
    }

    /// This look's face (all of it but the clothes) as text, which tests compare to tell
    /// whether two people are one cast entry.
    #[cfg(test)]
    pub(crate) fn face(self) -> String {
        format!(
            "{:?}",
            Self {
                clothing: [0.0; 3],
                ..self
            }
        )
    }

    /// The cast entry `pick` names for the identity of a look drawn from `rng`, in that
    /// look's clothes.
    fn cast_member<R: RngExt + ?Sized>(
        rng: &mut R,
        region: Region,
        pick: impl FnOnce(u64) -> u64,
    ) -> Self {
        let (own, identity) = Self::drawn(rng, region);
        Self {
            clothing: own.clothing,
            ..Self::candidate(pick(identity), region)
        }
    }

    /// Candidate `seed` of the cast's search (`scripts/face-bank.py`): a look drawn from
    /// `region`'s palettes with proportions from the bank, as every person was drawn before
    /// there was a cast. A pure function of its arguments.
    pub fn candidate(seed: u64, region: Region) -> Self {
        Self::drawn(&mut StdRng::seed_from_u64(seed), region).0
    }

    /// A look drawn from `region`'s palettes, and the identity its proportions and sex
    /// follow from.
    fn drawn<R: RngExt + ?Sized>(rng: &mut R, region: Region) -> (Self, u64) {
        let (skin, hair, eyes) = match region {
            Region::EastAsia => (SKIN_EAST_ASIA, HAIR_EAST_ASIA, EYES_EAST_ASIA),
            Region::Anywhere => (SKIN_ANY, HAIR_ANY, EYES_ANY),
        };
        let hair_style = match rng.random_range(0..20) {
            0..=1 => HairStyle::Bald,
            2..=9 => HairStyle::Short,
            10..=14 => HairStyle::Long,
            15..=16 => HairStyle::Bun,
            _ => HairStyle::Curly,
        };
        let skin = vary(rng, skin, 0.05);
        let hair = vary(rng, hair, 0.08);
        let eyes = pick(rng, eyes);
        let lips = vary(rng, LIPS, 0.06);
        let clothing = vary(rng, CLOTHING, 0.1);
        let glasses = rng.random_bool(0.3).then(|| pick(rng, FRAMES));
        let beard =
            matches!(hair_style, HairStyle::Short | HairStyle::Bald) && rng.random_bool(0.2);
        // The face's height and width come from the bank with the other proportions; these
        // draws stay (feeding the identity below) so that every later draw of a population
        // and of its record stream is what it was.
        let face_ratio = rng.random_range(1.175..1.525);
        let face_width = rng.random_range(0.86..1.14);
        // The proportions follow from a hash of four more draws (and of everything drawn
        // above, so that two people never share them by chance): drawing each from `rng`
        // would shift every later draw of the population and of the record stream.
        let more: [f32; 4] = std::array::from_fn(|_| rng.random_range(0.0..1.0));
        let bits: Vec<u8> = [skin, hair, eyes, lips, clothing]
            .iter()
            .flatten()
            .chain(&[face_ratio, face_width])
            .chain(&more)
            .flat_map(|v| v.to_bits().to_le_bytes())
            .collect();
        let identity = crate::seed::fnv1a(&bits);
        // The sex follows from the identity too, and settles what the draws above could not
        // know: women have no beard, and a bald head (or a man's bun) becomes another cut.
        let sex = if crate::seed::splitmix64(identity ^ SEX_SALT) & 1 == 1 {
            Sex::Female
        } else {
            Sex::Male
        };
        let hair_style = match (sex, hair_style) {
            (Sex::Female, HairStyle::Bald) => HairStyle::Long,
            (Sex::Male, HairStyle::Bun) => HairStyle::Short,
            (_, style) => style,
        };
        let proportions = Proportions::of(identity);
        let look = Self {
            skin,
            hair,
            hair_style,
            eyes,
            lips,
            clothing,
            glasses,
            beard: beard && sex == Sex::Male,
            sex,
            face_ratio: proportions.face_ratio,
            face_width: proportions.face_width,
            geometry: proportions.geometry.of_sex(sex),
        };
        (look, identity)
    }
}
