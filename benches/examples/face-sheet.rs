//! Draws face geometries for `scripts/face-geometry.py`, which measures how far apart a
//! face model puts them: `face-sheet OUT_DIR VIEWS ID...` writes, for every geometry id, VIEWS
//! snapshots (360×480, quality 90) as `OUT_DIR/<id>-<view>.jpg`. Each view is another
//! person's colours, hair and accessories and another shot (pose, light, expression) with
//! the same proportions, so a geometry is judged apart from everything else a look has.
//! With `FACE_SHEET_DESCRIBE` set it also prints, per snapshot, a tab-separated line of its
//! hair style, glasses, beard, skin luma, yaw, roll and jaw (for the detectors' misses).
//! `FACE_SHEET_SPREAD=K` widens every proportion's range K times around its centre (and
//! makes the face's height and width part of the id), `FACE_SHEET_SPREAD_ONLY` (places,
//! sizes or outline) one group of them alone: how `scripts/face-geometry.py` measured which
//! proportions move a face model most.

use facesim::synth::face::{self, Geometry, Look, Region};
use facesim::synth::jpeg;
use facesim::synth::scene::{Backdrop, Shot};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(views)) = (args.first(), args.get(1).and_then(|v| v.parse().ok())) else {
        eprintln!("usage: face-sheet OUT_DIR VIEWS ID...");
        std::process::exit(2);
    };
    let describe = std::env::var_os("FACE_SHEET_DESCRIBE").is_some();
    for id in args.iter().skip(2) {
        let Ok(id) = id.parse::<u64>() else {
            eprintln!("not an id: {id}");
            std::process::exit(2);
        };
        for view in 0..views {
            let mut rng = StdRng::seed_from_u64(id.wrapping_mul(31).wrapping_add(view));
            let region = if view % 2 == 0 {
                Region::EastAsia
            } else {
                Region::Anywhere
            };
            let mut look = Look {
                geometry: spread(Geometry::of(id)),
                ..Look::random(&mut rng, region)
            };
            if let Some(k) = spread_factor().filter(|_| {
                std::env::var("FACE_SHEET_SPREAD_ONLY")
                    .ok()
                    .is_none_or(|g| g == "outline")
            }) {
                // With a spread, the face's outline belongs to the identity too.
                let u = |salt: u64| {
                    (facesim_proto::seed::splitmix64(id ^ salt) >> 40) as f32 / (1u64 << 24) as f32
                };
                look.face_ratio = 1.325 + (u(1) - 0.5) * 0.25 * k;
                look.face_width = 1.0 + (u(2) - 0.5) * 0.2 * k;
            }
            let backdrop = Backdrop::random(&mut rng);
            let shot = Shot::random(&mut rng, backdrop);
            if describe {
                // Who this view is, for breaking a detector's misses down by look and shot.
                let luma = 0.299 * look.skin[0] + 0.587 * look.skin[1] + 0.114 * look.skin[2];
                println!(
                    "{id}-{view}\t{:?}\t{}\t{}\t{luma:.0}\t{:.2}\t{:.2}\t{:.2}",
                    look.hair_style,
                    look.glasses.is_some(),
                    look.beard,
                    shot.yaw,
                    shot.roll,
                    look.geometry.jaw,
                );
            }
            let px = face::render(&look, &shot, 360, 480);
            let path = format!("{out}/{id}-{view}.jpg");
            if let Err(e) = std::fs::write(&path, jpeg::encode(&px, 360, 480, 90, "")) {
                eprintln!("{path}: {e}");
                std::process::exit(1);
            }
        }
    }
}

/// `FACE_SHEET_SPREAD`: how much wider than `Geometry::of`'s ranges to spread every
/// proportion around its range's centre (an experiment for `scripts/face-geometry.py`).
fn spread_factor() -> Option<f32> {
    std::env::var("FACE_SHEET_SPREAD").ok()?.parse().ok()
}

/// `g` with every proportion moved away from its range's centre by `FACE_SHEET_SPREAD`.
fn spread(g: Geometry) -> Geometry {
    let Some(k) = spread_factor() else {
        return g;
    };
    // `FACE_SHEET_SPREAD_ONLY` (outline, sizes or places) spreads one group alone.
    let only = std::env::var("FACE_SHEET_SPREAD_ONLY").unwrap_or_default();
    let group = |name: &str| {
        if only.is_empty() || only == name {
            k
        } else {
            1.0
        }
    };
    let (places, sizes, outline) = (group("places"), group("sizes"), group("outline"));
    let at = |k: f32| {
        move |v: f32, lo: f32, hi: f32| {
            let m = (lo + hi) / 2.0;
            m + (v - m) * k
        }
    };
    let (p, s, o) = (at(places), at(sizes), at(outline));
    let eye_y = p(g.eye_y, -0.14, 0.08);
    let nose_y = eye_y + p(g.nose_y - g.eye_y, 0.4, 0.6);
    let mouth_y = nose_y + p(g.mouth_y - g.nose_y, 0.2, 0.32);
    Geometry {
        eye_y,
        eye_x: p(g.eye_x, 0.3, 0.42),
        eye_width: s(g.eye_width, 0.16, 0.22),
        eye_shape: s(g.eye_shape, 0.36, 0.58),
        eye_tilt: s(g.eye_tilt, -0.14, 0.14),
        brow_gap: p(g.brow_gap, 0.17, 0.3),
        brow_length: s(g.brow_length, 0.17, 0.26),
        brow_thickness: s(g.brow_thickness, 0.04, 0.085),
        brow_tilt: s(g.brow_tilt, -0.22, 0.16),
        nose_y,
        nose_width: s(g.nose_width, 0.09, 0.16),
        mouth_y,
        mouth_width: s(g.mouth_width, 0.22, 0.34),
        upper_lip: s(g.upper_lip, 0.035, 0.065),
        lower_lip: s(g.lower_lip, 0.045, 0.09),
        jaw: o(g.jaw, 0.05, 0.5).clamp(0.0, 0.85),
        age: g.age,
    }
}
