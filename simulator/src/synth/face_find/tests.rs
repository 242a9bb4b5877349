//! Tests of the face analysis on synthetic faces drawn at known places.

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;
use crate::synth::face::{self, Look, Region};
use crate::synth::quality::Quality;
use crate::synth::scene::{Backdrop, Shot};

fn scene(seed: u64, w: u32, h: u32) -> (Picture, f32, f32) {
    let mut rng = StdRng::seed_from_u64(seed);
    let look = Look::random(&mut rng, Region::EastAsia);
    let backdrop = Backdrop::random(&mut rng);
    let mut shot = Shot::random(&mut rng, backdrop);
    shot.roll = 0.0;
    shot.mask_worn = false;
    let px = face::render(&look, &shot, w, h);
    let (cx, cy) = (w as f32 * (0.5 + shot.dx), h as f32 * (0.46 + shot.dy));
    let pic = Picture {
        width: w as usize,
        height: h as usize,
        px,
    };
    (pic, cx, cy)
}

#[test]
fn a_drawn_face_is_found_around_its_centre() {
    let (pic, cx, cy) = scene(8, 480, 640);
    let face = analyse(&pic).expect("a face");
    let r = face.rect;
    assert!(
        r.left < cx && cx < r.right && r.top < cy && cy < r.bottom,
        "{face:?}"
    );
    assert_eq!(face.quality(), Quality::Pass, "{face:?}");
    assert!((find_face(&pic).cx - cx).abs() < 40.0);
}

#[test]
fn a_grey_picture_has_no_face() {
    let grey = Picture {
        width: 100,
        height: 100,
        px: vec![120; 100 * 100 * 3],
    };
    assert!(analyse(&grey).is_none());
}

#[test]
fn the_verdict_follows_the_guide_s_order_and_enrolment_refuses_covered_faces() {
    let (pic, _, _) = scene(8, 480, 640);
    let mut face = analyse(&pic).unwrap();
    face.roll = 30.0;
    assert_eq!(face.quality().code(), 80206);
    face.yaw = -25.0;
    assert_eq!(face.quality().code(), 80205);
    face.headwear = true;
    assert_eq!(face.quality(), Quality::Headwear);
    face.mask = true;
    assert_eq!(face.quality().code(), 80200);
    assert!(!Quality::Mask.enrollable() && !Quality::Headwear.enrollable());
    assert!(Quality::TooSmall.enrollable() && Quality::Pass.enrollable());
}

/// Person 2 is bald and wears glasses: the rows of the eyes are more hole than skin, and
/// they once ended the band there, so the features sat at its bottom (pitch -80).
#[test]
fn the_rows_of_the_eyes_do_not_end_the_band() {
    let (pic, _, cy) = scene(2, 480, 640);
    let face = analyse(&pic).expect("a face");
    assert!(face.band.cy + face.band.h / 2.0 > cy + 40.0, "{face:?}");
    assert_eq!(face.quality(), Quality::Pass, "{face:?}");
}

/// A 240×320 portrait of a face (a skin ellipse centred at (120, 140) with half-axes
/// `rx`, `ry`) whose hairline is `hairline` half-axes above its centre, under hair that
/// passes the skin test in a warm light but is far darker, over a neck of the face's own
/// colour `neck` times its width; with the rows of the hairline and the chin.
fn portrait_with(rx: f32, ry: f32, hairline: f32, neck: f32) -> (Picture, f32, f32) {
    let (w, h) = (240usize, 320usize);
    let (cx, cy) = (120.0f32, 140.0f32);
    let skin = [225u8, 175, 145];
    let hair = [110u8, 70, 45];
    assert!(is_skin(hair.map(f32::from)) && is_skin(skin.map(f32::from)));
    let mut px = vec![0u8; w * h * 3];
    for (i, p) in px.chunks_exact_mut(3).enumerate() {
        let (x, y) = ((i % w) as f32, (i / w) as f32);
        let (dx, dy) = ((x - cx) / rx, (y - cy) / ry);
        let colour = if dx * dx + dy * dy <= 1.0 {
            if y > cy - hairline * ry { skin } else { hair }
        } else if (x - cx).abs() < neck * rx && y > cy {
            skin
        } else {
            [200, 205, 210]
        };
        p.copy_from_slice(&colour);
    }
    let pic = Picture {
        width: w,
        height: h,
        px,
    };
    (pic, cy - hairline * ry, cy + ry)
}

/// The portrait box starts at the hairline, not in hair that passes for skin, and ends
/// at the chin: a neck under half the face's width ends the band (a round face under a
/// low hairline), and a wider one under a long face is cut off where the box is as tall
/// as the face is wide.
#[test]
fn the_portrait_box_leaves_out_dark_skin_coloured_hair_and_the_neck() {
    for (rx, ry, hairline, neck) in [(75.0, 60.0, 0.3, 0.45), (55.0, 80.0, 0.6, 0.6)] {
        let (pic, hairline, chin) = portrait_with(rx, ry, hairline, neck);
        let face = find_face(&pic);
        let (top, bottom) = (face.cy - face.h / 2.0, face.cy + face.h / 2.0);
        assert!(
            (top - hairline).abs() < 8.0,
            "top {top} for {hairline}: {face:?}"
        );
        assert!(bottom < chin + 8.0, "bottom {bottom} for {chin}: {face:?}");
        assert!((face.cx - 120.0).abs() < 4.0, "{face:?}");
    }
}

/// A painted head: skin, a cap of dark brown hair that passes the skin test, and a light
/// blue surgical mask over the lower face, on a grey wall.
fn masked_under_brown_hair() -> Picture {
    let (cx, cy, rx, ry) = (240.0, 300.0, 130.0, 170.0);
    paint(480, 640, |x, y| {
        let (dx, dy) = ((x - cx) / rx, (y - cy) / ry);
        let inside = dx * dx + dy * dy < 1.0;
        let hair = (dx * rx / 145.0).powi(2) + (dy * ry / 240.0).powi(2) < 1.0 && y < cy - 90.0;
        if hair {
            [110, 72, 45]
        } else if inside && y > cy + 30.0 {
            [160, 200, 230]
        } else if inside {
            [225, 180, 140]
        } else {
            [200, 200, 195]
        }
    })
}

/// A `w × h` picture whose pixel at (x, y) is `colour(x, y)`.
fn paint(w: usize, h: usize, colour: impl Fn(f32, f32) -> [u8; 3]) -> Picture {
    let mut px = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            px.extend_from_slice(&colour(x as f32, y as f32));
        }
    }
    Picture {
        width: w,
        height: h,
        px,
    }
}

#[test]
fn skin_coloured_hair_does_not_hide_a_mask() {
    // The hair passes the skin test, but at under half the face's brightness it is
    // not face: counted, it made the band above the mask as tall as a whole face.
    let pic = masked_under_brown_hair();
    assert!(is_skin([110.0, 72.0, 45.0]) && is_skin([225.0, 180.0, 140.0]));
    let face = analyse(&pic).expect("a face");
    assert!(face.mask, "{face:?}");
    assert_eq!(face.quality(), Quality::Mask, "{face:?}");
    assert!((face.band.cy - 265.0).abs() < 40.0, "{face:?}");
}

/// A painted person on a dark grey wall: a head of skin (centre (240, 280), half-axes 120 ×
/// 160) under a cap of `hair`, which when `long` also falls to the shoulders on both
/// sides and hides the neck; from y 480 down a torso of `torso` across the picture; a
/// light blue mask over the lower face when `masked`.
fn painted(hair: [u8; 3], long: bool, torso: [u8; 3], masked: bool) -> Picture {
    let (cx, cy, rx, ry) = (240.0, 280.0, 120.0, 160.0);
    paint(480, 640, |x, y| {
        let (dx, dy) = ((x - cx) / rx, (y - cy) / ry);
        let face = dx * dx + dy * dy < 1.0;
        let cap = ((x - cx) / (rx + 15.0)).powi(2) + ((y - cy) / (ry + 40.0)).powi(2) < 1.0
            && y < cy - 100.0;
        let falls = long && (x - cx).abs() < rx + 20.0 && y > cy - 100.0 && y < 480.0;
        let neck = (x - cx).abs() < 50.0 && y > cy && y < 480.0;
        if y >= 480.0 {
            torso
        } else if cap || (falls && !face) {
            hair
        } else if face && masked && y > cy + 10.0 {
            [160, 200, 230]
        } else if face || neck {
            [225, 180, 140]
        } else {
            [90, 95, 100]
        }
    })
}

/// The face is the skin above a mask, though it is three times as wide as it is tall and
/// the neck below is more face-shaped; and it is not the larger torso of a skin colour
/// that long hair joins it to.
#[test]
fn the_face_is_not_the_neck_below_a_mask_nor_clothes_of_a_skin_colour() {
    let (dark, brown, navy, tan) = ([50, 35, 30], [110, 72, 45], [60, 70, 110], [215, 165, 130]);
    assert!(!is_skin([50.0, 35.0, 30.0]) && is_skin([110.0, 72.0, 45.0]));
    assert!(is_skin([215.0, 165.0, 130.0]));
    let face = analyse(&painted(dark, false, navy, true)).expect("a face");
    assert!(face.mask, "{face:?}");
    assert!(
        face.rect.top < 280.0 && face.rect.bottom > 280.0,
        "{face:?}"
    );
    let face = analyse(&painted(brown, true, tan, false)).expect("a face");
    assert!(
        face.rect.top < 280.0 && face.rect.bottom > 280.0,
        "{face:?}"
    );
    assert_eq!(face.quality(), Quality::Pass, "{face:?}");
    // Apart from the face, such a torso is still larger, but it fills the bottom edge.
    let face = analyse(&painted(dark, true, tan, true)).expect("a face");
    assert!(face.mask, "{face:?}");
    assert!(
        face.rect.top < 280.0 && face.rect.bottom > 280.0,
        "{face:?}"
    );
}

/// Ginger and auburn hair are saturated, like a helmet: a cap of either is hair; a
/// yellow, an orange or a red one is a helmet.
#[test]
fn ginger_hair_is_not_a_helmet() {
    let navy = [60, 70, 110];
    for hair in [[130, 53, 25], [254, 125, 57]] {
        let face = analyse(&painted(hair, false, navy, false)).expect("a face");
        assert!(!face.headwear, "{hair:?}: {face:?}");
    }
    for helmet in [[240, 190, 20], [250, 120, 10], [200, 30, 30]] {
        let face = analyse(&painted(helmet, false, navy, false)).expect("a face");
        assert!(face.headwear, "{helmet:?}: {face:?}");
    }
}
