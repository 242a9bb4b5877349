//! Drawing a synthetic face snapshot as RGB8 pixels: a device backdrop, shoulders, head,
//! hair, eyes, eyebrows, nose, mouth, optional glasses, beard and surgical mask, then a
//! lighting gradient and sensor noise. A [`Look`] is who is in front of the camera and stays
//! fixed per person; a [`Shot`] is how this one frame came out (pose, light, noise).
//!
//! Rendering is a handful of anti-aliased ellipses, each filled over its bounding box only,
//! plus one final pass for light and noise; nothing allocates per pixel. The noise matters
//! beyond looks: it is what makes the JPEG as large as a real camera's.

use rand::RngExt;

use super::canvas::{Area, Canvas, Paint, Shape, finish, scaled};
use super::scene::{Rgb, Shot, pick};

mod features;

use features::{features, mask};

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

/// Which palette a random look draws from, so that names and faces roughly agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// Mostly dark hair and brown eyes, light to medium skin.
    EastAsia,
    /// The whole range of skin, hair and eye colours.
    Anywhere,
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
    /// Face height over face width: about 1.2 (round) to 1.45 (long).
    pub face_ratio: f32,
    /// Face width relative to the average, about 0.9 to 1.1.
    pub face_width: f32,
    /// The proportions of the eyes, brows, nose and mouth.
    pub geometry: Geometry,
}

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

impl Geometry {
    /// The proportions of identity `id`: every value uniform in its range, a pure function
    /// of `id`. `scripts/face-geometry.py` measures how far apart a face model puts them.
    pub fn of(id: u64) -> Self {
        let mut state = id;
        let mut next = |lo: f32, hi: f32| {
            state = crate::seed::splitmix64(state.wrapping_add(crate::seed::GOLDEN_GAMMA));
            lo + (hi - lo) * ((state >> 40) as f32 / (1u64 << 24) as f32)
        };
        let eye_y = next(-0.14, 0.08);
        let nose_y = eye_y + next(0.4, 0.6);
        Self {
            eye_y,
            eye_x: next(0.3, 0.42),
            eye_width: next(0.16, 0.22),
            eye_shape: next(0.36, 0.58),
            eye_tilt: next(-0.14, 0.14),
            brow_gap: next(0.17, 0.3),
            brow_length: next(0.17, 0.26),
            brow_thickness: next(0.04, 0.085),
            brow_tilt: next(-0.22, 0.16),
            nose_y,
            nose_width: next(0.09, 0.16),
            mouth_y: nose_y + next(0.2, 0.32),
            mouth_width: next(0.22, 0.34),
            upper_lip: next(0.035, 0.065),
            lower_lip: next(0.045, 0.09),
            jaw: next(0.05, 0.5),
            age: next(0.0, 1.0),
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
const FRAMES: &[[u8; 3]] = &[[20, 20, 22], [90, 60, 40], [150, 150, 160], [120, 30, 40]];

impl Look {
    /// A random look from `region`'s palettes.
    pub fn random<R: RngExt + ?Sized>(rng: &mut R, region: Region) -> Self {
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
        let face_ratio = rng.random_range(1.2..1.45);
        let face_width = rng.random_range(0.9..1.1);
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
        Self {
            skin,
            hair,
            hair_style,
            eyes,
            lips,
            clothing,
            glasses,
            beard,
            face_ratio,
            face_width,
            geometry: Geometry::of(identity),
        }
    }
}

/// Draws `look` as it appears in `shot`, as `width × height` RGB8 pixels.
///
/// Back to front: shoulders, neck, hair behind the head, ears, the face with its shading
/// (the soft light and shadow that make a drawing read as a photograph to a face detector:
/// a lit forehead and cheeks, eye sockets, the nose's bridge and side shadow, the shadow
/// under the nose, the lips and chin), hair on top, then the features.
pub fn render(look: &Look, shot: &Shot, width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let mut c = Canvas::new(w, h, &shot.backdrop);
    let (wf, hf) = (width as f32, height as f32);
    // The head fills about half the frame's width, as in a terminal's face crop.
    let r = 0.25 * wf.min(hf * 0.8) * shot.scale * look.face_width;
    let ry = r * look.face_ratio;
    let hx = wf * (0.5 + shot.dx);
    let hy = hf * (0.46 + shot.dy);
    let (sin, cos) = shot.roll.sin_cos();
    // Head-local coordinates (in units of r, y down) to pixels, rotated with the head.
    let at = |a: f32, b: f32| (hx + r * (a * cos - b * sin), hy + r * (a * sin + b * cos));
    let shape = |a: f32, b: f32, rx: f32, ry: f32, angle: f32| {
        let (cx, cy) = at(a, b);
        Shape {
            cx,
            cy,
            rx: rx * r,
            ry: ry * r,
            angle: shot.roll + angle,
        }
    };
    // Turning the head moves the features sideways, the nose most, the ears least.
    let turn = shot.yaw * 0.28;
    let g = &look.geometry;
    let skin = look.skin;
    let dark_hair = scaled(look.hair, 0.8);
    let face_b = look.face_ratio;
    // The side the light comes from (+1: the right of the picture), for the nose's shadow.
    let lit = if shot.light_angle.cos() >= 0.0 {
        1.0
    } else {
        -1.0
    };
    let shadow = |k: f32| scaled(skin, k);

    // Shoulders do not tilt with the head.
    let torso = Shape {
        cx: hx,
        cy: hy + ry + 1.55 * r,
        rx: 2.4 * r,
        ry: 1.3 * r,
        angle: 0.0,
    };
    c.fill(&torso, Paint::solid(look.clothing).shade(0.35));
    let neck = Shape {
        cx: hx,
        cy: hy + ry * 0.9,
        rx: 0.46 * r,
        ry: 0.7 * r,
        angle: 0.0,
    };
    c.fill(&neck, Paint::solid(scaled(skin, 0.78)).shade(0.2));
    // The chin's shadow on the neck.
    let (nx, ny) = at(-turn * 0.3, face_b * 0.92);
    let chin_shadow = Shape {
        cx: nx,
        cy: ny,
        rx: 0.55 * r,
        ry: 0.3 * r,
        angle: 0.0,
    };
    c.fill(
        &chin_shadow,
        Paint::solid(shadow(0.45)).alpha(0.6).soft(0.8),
    );

    if look.hair_style == HairStyle::Long {
        c.fill(
            &shape(0.0, 0.45, 1.3, face_b * 1.1, 0.0),
            Paint::solid(dark_hair).shade(0.25),
        );
    }
    for side in [-1.0, 1.0] {
        let ear = shape(side * 0.97 - turn * 0.4, g.eye_y + 0.2, 0.16, 0.28, 0.0);
        c.fill(&ear, Paint::solid(scaled(skin, 0.9)).shade(0.3));
    }
    let fx = -turn * 0.15;
    let face = shape(fx, 0.0, 1.0, face_b, 0.0);
    c.fill(&face, Paint::solid(skin).shade(0.32).taper(g.jaw));
    let on_face = Area::of(&face, g.jaw);
    // The sides of the face turn away from the camera and fall into shade, the side away
    // from the light more.
    for side in [-1.0f32, 1.0] {
        let k = if side == lit { 0.3 } else { 0.5 };
        c.fill(
            &shape(fx + side * 0.95, 0.3, 0.4, face_b * 1.1, 0.0),
            Paint::solid(shadow(0.55))
                .alpha(k)
                .soft(0.9)
                .within(on_face),
        );
    }
    // Light on the forehead and the cheekbones.
    let light = scaled(skin, 1.12);
    c.fill(
        &shape(fx - turn * 0.2, g.eye_y - 0.45, 0.6, 0.3, 0.0),
        Paint::solid(light).alpha(0.5).soft(0.9).within(on_face),
    );
    for side in [-1.0, 1.0] {
        c.fill(
            &shape(side * 0.48 - turn * 0.8, g.nose_y - 0.08, 0.26, 0.2, 0.0),
            Paint::solid(light).alpha(0.35).soft(0.9).within(on_face),
        );
    }

    // Hair on top: a cap clipped at the hairline, plus the style's extra shapes.
    let hairline = (g.eye_y - g.brow_gap - 0.3).min(-0.42 * face_b) * r;
    match look.hair_style {
        HairStyle::Bald => {
            for side in [-1.0, 1.0] {
                // What is left of the hair: a thin band above each ear.
                let tuft = shape(side * 0.93, -0.18, 0.1, 0.3, side * 0.15);
                c.fill(&tuft, Paint::solid(look.hair).alpha(0.6).shade(0.3));
            }
        }
        HairStyle::Short | HairStyle::Long | HairStyle::Bun | HairStyle::Curly => {
            let cap = shape(0.0, -0.06, 1.07, face_b * 1.04, 0.0);
            c.fill(
                &cap,
                Paint::solid(look.hair)
                    .shade(0.3)
                    .clip(f32::NEG_INFINITY, hairline + 0.06 * r),
            );
            // The hair's shadow on the forehead.
            c.fill(
                &shape(fx, hairline / r + 0.1, 0.8, 0.16, 0.0),
                Paint::solid(shadow(0.7))
                    .alpha(0.4)
                    .soft(0.9)
                    .within(on_face),
            );
        }
    }
    if look.hair_style == HairStyle::Bun {
        c.fill(
            &shape(0.0, -face_b - 0.2, 0.36, 0.3, 0.0),
            Paint::solid(look.hair).shade(0.35),
        );
    }
    if look.hair_style == HairStyle::Curly {
        for i in 0..9 {
            let t = std::f32::consts::PI * (0.08 + 0.84 * i as f32 / 8.0);
            let curl = shape(
                -1.02 * t.cos(),
                -face_b * 1.0 * t.sin() + 0.05,
                0.2,
                0.2,
                0.0,
            );
            c.fill(&curl, Paint::solid(look.hair).shade(0.4));
        }
    }

    features(&mut c, look, shot, &shape, turn, lit);
    if shot.mask_worn {
        mask(&mut c, g, &shape, turn);
    }
    finish(&mut c, shot);
    c.px
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::scene::Backdrop;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn scene(seed: u64) -> (Look, Shot) {
        let mut rng = StdRng::seed_from_u64(seed);
        let look = Look::random(&mut rng, Region::Anywhere);
        let backdrop = Backdrop::random(&mut rng);
        (look, Shot::random(&mut rng, backdrop))
    }

    #[test]
    fn render_has_the_requested_size_and_is_deterministic() {
        let (look, shot) = scene(1);
        let a = render(&look, &shot, 90, 120);
        assert_eq!(a.len(), 90 * 120 * 3);
        assert!(
            a == render(&look, &shot, 90, 120),
            "the same shot renders the same"
        );
        let other = Shot {
            noise_seed: shot.noise_seed ^ 1,
            ..shot
        };
        assert!(
            a != render(&look, &other, 90, 120),
            "another noise seed renders differently"
        );
    }

    #[test]
    fn the_face_sits_in_the_middle_in_skin_tones() {
        let (mut look, mut shot) = scene(2);
        look.skin = [200.0, 150.0, 120.0];
        look.glasses = None;
        shot = Shot {
            dx: 0.0,
            dy: 0.0,
            roll: 0.0,
            yaw: 0.0,
            noise: 0.0,
            light_strength: 0.0,
            exposure: 1.0,
            ..shot
        };
        let (w, h) = (120usize, 160usize);
        let px = render(&look, &shot, w as u32, h as u32);
        // Sample a cheek: left of the nose, below the eyes.
        let (x, y) = (w / 2 - w / 10, (h as f32 * 0.46) as usize + h / 20);
        let p = &px[(y * w + x) * 3..(y * w + x) * 3 + 3];
        assert!(
            p[0] > p[2] && p[0] > 120,
            "cheek pixel {p:?} is not skin-like"
        );
    }

    #[test]
    fn a_worn_mask_covers_the_mouth() {
        let (look, shot) = scene(3);
        let shot = Shot { noise: 0.0, ..shot };
        let bare = render(&look, &shot, 120, 160);
        let masked = render(
            &look,
            &Shot {
                mask_worn: true,
                ..shot
            },
            120,
            160,
        );
        let differing = bare
            .chunks_exact(3)
            .zip(masked.chunks_exact(3))
            .filter(|(a, b)| a != b)
            .count();
        // The mask covers a good part of the lower face.
        assert!(
            differing > 120 * 160 / 20,
            "only {differing} pixels changed"
        );
    }

    #[test]
    fn tiny_and_odd_sizes_do_not_panic() {
        let (look, shot) = scene(4);
        for (w, h) in [(1, 1), (3, 7), (17, 5), (64, 64)] {
            let spoof = Shot {
                spoof: true,
                mask_worn: true,
                ..shot
            };
            assert_eq!(render(&look, &spoof, w, h).len(), (w * h * 3) as usize);
        }
    }
}
