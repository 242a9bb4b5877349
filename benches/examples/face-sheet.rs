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
//! proportions move a face model most. `FACE_SHEET_PERSON` draws one person per id instead
//! (the look, with its colours and sex, follows from the id; only the shot changes between
//! views), as `scripts/face-realism.sh`'s population has them. `FACE_SHEET_SET=k=v,...` then
//! sets proportions (`eye_x=0.3`, any field of `Geometry`, `face_ratio`, `face_width`) or
//! looks (`hair=0..4`, `skin_k` a factor, `glasses=0|1`, `beard=0|1`): how far one change
//! moves a face model.

use facesim::synth::face::{self, Geometry, HairStyle, Look, Region};
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
    let person = std::env::var_os("FACE_SHEET_PERSON").is_some();
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
            // Another person's look in every view; drawn in every mode, so that the shot
            // drawn after it from `rng` is the same whichever look is kept.
            let view_look = Look {
                geometry: spread(Geometry::of(id)),
                ..Look::random(&mut rng, region)
            };
            let mut look = if person { person_look(id) } else { view_look };
            if let Ok(set) = std::env::var("FACE_SHEET_SET") {
                for kv in set.split(',').filter(|kv| !kv.is_empty()) {
                    if let Err(e) = apply(&mut look, kv) {
                        eprintln!("FACE_SHEET_SET: {kv}: {e}");
                        std::process::exit(2);
                    }
                }
            }
            if let Some(k) = spread_factor().filter(|_| {
                std::env::var("FACE_SHEET_SPREAD_ONLY")
                    .ok()
                    .is_none_or(|g| g == "outline")
            }) {
                // With a spread, the face's outline belongs to the identity too.
                let u = |salt: u64| {
                    (facesim_proto::seed::splitmix64(id ^ salt) >> 40) as f32 / (1u64 << 24) as f32
                };
                look.face_ratio = 1.35 + (u(1) - 0.5) * 0.35 * k;
                look.face_width = 1.0 + (u(2) - 0.5) * 0.28 * k;
            }
            let backdrop = Backdrop::random(&mut rng);
            let shot = Shot::random(&mut rng, backdrop);
            if describe {
                // Who this view is, for breaking a detector's misses down by look and shot.
                let luma = |c: [f32; 3]| 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
                println!(
                    "{id}-{view}\t{:?}\t{}\t{}\t{:.0}\t{:.2}\t{:.2}\t{:.2}\t{:.3}\t{:.3}\t{:?}\t{:.0}",
                    look.hair_style,
                    look.glasses.is_some(),
                    look.beard,
                    luma(look.skin),
                    shot.yaw,
                    shot.roll,
                    look.geometry.jaw,
                    look.face_ratio,
                    look.face_width,
                    look.geometry,
                    luma(look.hair),
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

/// `FACE_SHEET_PERSON`'s look of `id`: one person, the same in every view.
fn person_look(id: u64) -> Look {
    let region = if id.is_multiple_of(3) {
        Region::EastAsia
    } else {
        Region::Anywhere
    };
    let mut look = Look::random(&mut StdRng::seed_from_u64(id), region);
    look.geometry = spread(look.geometry);
    look
}

/// Sets one value of `look` from `key=value` (see `FACE_SHEET_SET` above).
fn apply(look: &mut Look, kv: &str) -> Result<(), String> {
    let (k, v) = kv.split_once('=').ok_or("not key=value")?;
    let v: f32 = v.parse().map_err(|_| "not a number")?;
    let g = &mut look.geometry;
    match k {
        "eye_y" => g.eye_y = v,
        "eye_x" => g.eye_x = v,
        "eye_width" => g.eye_width = v,
        "eye_shape" => g.eye_shape = v,
        "eye_tilt" => g.eye_tilt = v,
        "brow_gap" => g.brow_gap = v,
        "brow_length" => g.brow_length = v,
        "brow_thickness" => g.brow_thickness = v,
        "brow_tilt" => g.brow_tilt = v,
        "nose_y" => g.nose_y = v,
        "nose_width" => g.nose_width = v,
        "mouth_y" => g.mouth_y = v,
        "mouth_width" => g.mouth_width = v,
        "upper_lip" => g.upper_lip = v,
        "lower_lip" => g.lower_lip = v,
        "jaw" => g.jaw = v,
        "age" => g.age = v,
        "face_ratio" => look.face_ratio = v,
        "face_width" => look.face_width = v,
        "hair" => {
            const STYLES: [HairStyle; 5] = [
                HairStyle::Bald,
                HairStyle::Short,
                HairStyle::Long,
                HairStyle::Bun,
                HairStyle::Curly,
            ];
            look.hair_style = *STYLES.get(v as usize).ok_or("hair is 0 to 4")?;
        }
        "skin_k" => look.skin = look.skin.map(|c| (c * v).min(255.0)),
        "glasses" => look.glasses = (v > 0.0).then_some([20.0, 20.0, 22.0]),
        "beard" => look.beard = v > 0.0,
        _ => return Err(format!("no such value: {k}")),
    }
    Ok(())
}

/// `FACE_SHEET_SPREAD`: how much wider than `Geometry::of`'s ranges to spread every
/// proportion around its range's centre (an experiment for `scripts/face-geometry.py`).
fn spread_factor() -> Option<f32> {
    std::env::var("FACE_SHEET_SPREAD").ok()?.parse().ok()
}

/// `g` with every proportion moved away from its range's centre (the ranges of
/// `Geometry::of`) by `FACE_SHEET_SPREAD`.
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
    let eye_y = p(g.eye_y, -0.19, 0.12);
    let nose_y = eye_y + p(g.nose_y - g.eye_y, 0.35, 0.62);
    let mouth_y = nose_y + p(g.mouth_y - g.nose_y, 0.165, 0.35);
    Geometry {
        eye_y,
        eye_x: p(g.eye_x, 0.26, 0.43),
        eye_width: s(g.eye_width, 0.155, 0.235),
        eye_shape: s(g.eye_shape, 0.31, 0.6),
        eye_tilt: s(g.eye_tilt, -0.2, 0.2),
        brow_gap: p(g.brow_gap, 0.135, 0.315),
        brow_length: s(g.brow_length, 0.15, 0.285),
        brow_thickness: s(g.brow_thickness, 0.0325, 0.0925),
        brow_tilt: s(g.brow_tilt, -0.31, 0.25),
        nose_y,
        nose_width: s(g.nose_width, 0.08, 0.18),
        mouth_y,
        mouth_width: s(g.mouth_width, 0.195, 0.37),
        upper_lip: s(g.upper_lip, 0.0275, 0.0725),
        lower_lip: s(g.lower_lip, 0.0375, 0.1),
        jaw: o(g.jaw, 0.025, 0.575).clamp(0.0, 0.85),
        age: g.age,
    }
}
