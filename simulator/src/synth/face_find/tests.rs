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
