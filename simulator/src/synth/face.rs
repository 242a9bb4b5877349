//! Drawing a synthetic face snapshot as RGB8 pixels: a device backdrop, shoulders, head,
//! hair, eyes, eyebrows, nose, mouth, optional glasses, beard and surgical mask, then the
//! lens's blur, a lighting gradient and sensor noise. A [`Look`] is who is in front of the
//! camera and stays fixed per person; a [`Shot`] is how this one frame came out (pose,
//! light, noise).
//!
//! Rendering is a handful of anti-aliased ellipses, each filled over its bounding box only,
//! plus one final pass for the lens, light and noise; nothing allocates per pixel. The
//! noise matters beyond looks: it is what makes the JPEG as large as a real camera's.

use super::canvas::{Area, Canvas, Paint, Shape, finish, scaled};
use super::scene::{Shot, luma};

mod bank;
mod cast;
mod features;
mod look;
mod region;

pub use bank::{Geometry, Proportions, RANGES, units};
pub use cast::Deal;
use features::{features, mask};
pub use look::{HairStyle, Look, Sex};
pub use region::Region;

/// The skin luma (0 to 255) the camera's exposure brings a darker face up to, and the
/// most it will brighten a frame for it.
const FACE_LUMA: f32 = 150.0;
const MAX_GAIN: f32 = 2.3;

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
    let light = look.sheen();
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
            // Short hair comes down the temples to the ears: without it the head's sides
            // were bare skin up to a flat fringe, a cap on an egg to a detector.
            if look.hair_style == HairStyle::Short {
                let top = hairline / r;
                let bottom = g.eye_y - 0.05;
                for side in [-1.0f32, 1.0] {
                    c.fill(
                        &shape(
                            fx + side * 0.97,
                            (top + bottom) / 2.0,
                            0.11,
                            (bottom - top) / 2.0 + 0.1,
                            0.0,
                        ),
                        Paint::solid(look.hair).shade(0.3).soft(0.3),
                    );
                }
            }
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

    features(&mut c, look, shot, &shape, turn, lit, on_face);
    if shot.mask_worn {
        mask(&mut c, g, &shape, turn);
    }
    // A terminal's camera exposes for the face it tracks: a dark face brightens the whole
    // frame (the wall behind it goes pale). Exposed for the wall instead, a dark face kept
    // too little contrast between its eyes and cheeks for a detector (Haar found 17% of
    // the darkest skins).
    let exposed = Shot {
        exposure: shot.exposure * (FACE_LUMA / luma(skin).max(1.0)).clamp(1.0, MAX_GAIN),
        ..*shot
    };
    finish(&mut c, &exposed);
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

    /// `shot` taken straight on, centred, in flat light without noise, no mask, no spoof:
    /// where a test can find the features by `render`'s arithmetic.
    fn straight_on(shot: &Shot) -> Shot {
        Shot {
            dx: 0.0,
            dy: 0.0,
            roll: 0.0,
            yaw: 0.0,
            noise: 0.0,
            light_strength: 0.0,
            exposure: 1.0,
            mask_worn: false,
            spoof: false,
            ..*shot
        }
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
        let (mut look, shot) = scene(2);
        look.skin = [200.0, 150.0, 120.0];
        look.glasses = None;
        let shot = straight_on(&shot);
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

    /// The mean luma of the chin of `look` drawn straight on with flat light, over seven
    /// pixels each way: a beard is stubble, so one pixel says whether it fell on a hair.
    fn chin_luma(look: &Look, shot: &Shot) -> f32 {
        let shot = straight_on(shot);
        let (w, h) = (240usize, 320usize);
        let px = render(look, &shot, w as u32, h as u32);
        // The same arithmetic as `render`'s head: centre and the half-width r in pixels.
        let r = 0.25 * (w as f32).min(h as f32 * 0.8) * shot.scale * look.face_width;
        // Halfway from under the lower lip and its shadow to the bottom of the face.
        let g = &look.geometry;
        let chin = (g.mouth_y + 2.0 * g.lower_lip + 0.1 + look.face_ratio) / 2.0;
        let (x, y) = (w / 2, (h as f32 * 0.46 + r * chin) as usize);
        let mut sum = 0.0;
        for y in y - 3..=y + 3 {
            for p in px[(y * w + x - 3) * 3..(y * w + x + 4) * 3].chunks_exact(3) {
                sum += luma([p[0], p[1], p[2]].map(f32::from));
            }
        }
        sum / 49.0
    }

    #[test]
    fn a_beard_darkens_a_light_chin_and_does_not_glow_on_a_dark_one() {
        let (mut look, shot) = scene(5);
        look.sex = Sex::Male;
        look.hair_style = HairStyle::Short;
        look.glasses = None;
        for (skin, hair, darker_by) in [
            // Dark hair on light skin: the beard shows (its stubble and the skin between
            // average about a sixth darker than the shaved chin).
            ([236.0, 196.0, 166.0], [40.0, 30.0, 26.0], 0.12),
            // Grey hair on brown skin: the beard may lighten the chin, but only a little;
            // drawn in the hair's own colour it made a white patch a detector took for no
            // face at all.
            ([141.0, 94.0, 62.0], [228.0, 228.0, 228.0], -0.15),
        ] {
            let shaved = Look {
                skin,
                hair,
                beard: false,
                ..look
            };
            let bearded = Look {
                beard: true,
                ..shaved
            };
            let (bare, beard) = (chin_luma(&shaved, &shot), chin_luma(&bearded, &shot));
            assert!(
                beard <= bare * (1.0 - darker_by),
                "skin {skin:?}, hair {hair:?}: chin luma {beard} with a beard, {bare} without"
            );
        }
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
    fn a_deal_hands_out_every_cast_entry_once_before_any_twice() {
        let region = Region::Anywhere;
        let members: std::collections::HashMap<String, usize> = cast::seeds(region)
            .iter()
            .enumerate()
            .map(|(i, &seed)| (Look::candidate(seed, region).face(), i))
            .collect();
        let n = members.len();
        let member = |l: Look| *members.get(&l.face()).expect("a cast member");
        let mut rng = StdRng::seed_from_u64(7);
        let mut deal = Deal::default();
        let dealt: Vec<usize> = (0..n + 20)
            .map(|_| member(Look::dealt(&mut rng, region, &mut deal)))
            .collect();
        let first: std::collections::HashSet<_> = dealt[..n].iter().collect();
        assert_eq!(first.len(), n, "the first round hands out every entry");
        let second: std::collections::HashSet<_> = dealt[n..].iter().collect();
        assert_eq!(second.len(), 20, "the second round starts afresh");
        // Without a deal, as many independent draws meet twins often (about 37% of
        // entries are never drawn).
        let mut rng = StdRng::seed_from_u64(7);
        let random: std::collections::HashSet<_> = (0..n)
            .map(|_| member(Look::random(&mut rng, region)))
            .collect();
        assert!(random.len() < n * 3 / 4, "{} of {n}", random.len());
    }

    #[test]
    fn a_random_look_is_a_cast_member_in_its_own_clothes() {
        for (i, region) in (0..200u64).zip([Region::EastAsia, Region::Anywhere].iter().cycle()) {
            let look = Look::random(&mut StdRng::seed_from_u64(i), *region);
            let member = cast::seeds(*region)
                .iter()
                .map(|&seed| Look::candidate(seed, *region))
                .find(|m| {
                    Look {
                        clothing: look.clothing,
                        ..*m
                    } == look
                });
            assert!(
                member.is_some(),
                "look {i} ({region:?}) is nobody of the cast"
            );
        }
        // Drawn from another generator state, people differ (but for twins).
        let people: std::collections::HashSet<String> = (0..200u64)
            .map(|i| {
                format!(
                    "{:?}",
                    Look::random(&mut StdRng::seed_from_u64(i), Region::Anywhere)
                )
            })
            .collect();
        assert!(people.len() > 150, "{} distinct of 200", people.len());
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
