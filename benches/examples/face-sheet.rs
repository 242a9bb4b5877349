//! Draws faces for the scripts that measure them with face models (`scripts/face-bank.py`,
//! `scripts/face-people.py`): `face-sheet OUT_DIR VIEWS ID...` writes, for every id, VIEWS
//! snapshots (360×480, quality 90) as `OUT_DIR/<id>-<view>.jpg`. By default an id is a set
//! of proportions (`Proportions::of(id)`, from the bank) and each view is another person's
//! colours, hair, accessories and sex and another shot (pose, light, expression), so a set
//! of proportions is judged apart from everything else a look has.
//! `FACE_SHEET_CANDIDATES` draws candidate `id` of the bank's search instead
//! (`Proportions::candidate`, uniform over the whole ranges), and `FACE_SHEET_UNITS` prints
//! the candidates' unit values as a bank file (a header, then one line per id) and draws
//! nothing: how `scripts/face-bank.py` writes `fixtures/faces/bank.tsv`.
//! With `FACE_SHEET_DESCRIBE` set it also prints, per snapshot, a tab-separated line of its
//! hair style, glasses, beard, skin luma, yaw, roll, jaw, face height and width, proportions,
//! hair luma and sex (for the detectors' misses).
//! `FACE_SHEET_PERSON` draws one person per id instead (the look, with its colours, sex
//! and proportions, follows from the id; only the shot changes between views), as
//! `scripts/face-realism.sh`'s population has them; `FACE_SHEET_CAST` draws candidate `id`
//! of the cast's search (`Look::candidate`) the same way, as people were drawn before
//! there was a cast. The region is East Asia for ids divisible by three, anywhere for the
//! rest, in both modes. `FACE_SHEET_SET=k=v,...` then sets
//! proportions (`eye_x=0.3`, any field of `Geometry`, `face_ratio`, `face_width`) or looks
//! (`hair=0..4`, `skin_k` a factor, `glasses=0|1`, `beard=0|1`): how far one change moves a
//! face model. `caricature=k` moves every proportion but age `k` times as far from its
//! range's middle (an exaggerated face).

use facesim::synth::face::{self, HairStyle, Look, Proportions, RANGES, Region};
use facesim::synth::jpeg;
use facesim::synth::scene::{Backdrop, Shot, luma};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(views)) = (args.first(), args.get(1).and_then(|v| v.parse().ok())) else {
        eprintln!("usage: face-sheet OUT_DIR VIEWS ID...");
        std::process::exit(2);
    };
    let describe = std::env::var_os("FACE_SHEET_DESCRIBE").is_some();
    let cast = std::env::var_os("FACE_SHEET_CAST").is_some();
    let person = cast || std::env::var_os("FACE_SHEET_PERSON").is_some();
    let candidates = std::env::var_os("FACE_SHEET_CANDIDATES").is_some();
    let units = std::env::var_os("FACE_SHEET_UNITS").is_some();
    if units {
        println!("{}", RANGES.map(|r| r.0).join("\t"));
    }
    for id in args.iter().skip(2) {
        let Ok(id) = id.parse::<u64>() else {
            eprintln!("not an id: {id}");
            std::process::exit(2);
        };
        if units {
            let line: Vec<String> = face::units(id).iter().map(|u| format!("{u:.4}")).collect();
            println!("{}", line.join("\t"));
            continue;
        }
        for view in 0..views {
            let mut rng = StdRng::seed_from_u64(id.wrapping_mul(31).wrapping_add(view));
            let region = if view % 2 == 0 {
                Region::EastAsia
            } else {
                Region::Anywhere
            };
            // Another person's look in every view; drawn in every mode, so that the shot
            // drawn after it from `rng` is the same whichever look is kept.
            let other = Look::random(&mut rng, region);
            let mut look = if person {
                person_look(id, cast)
            } else {
                let proportions = if candidates {
                    Proportions::candidate(id)
                } else {
                    Proportions::of(id)
                };
                Look {
                    geometry: proportions.geometry.of_sex(other.sex),
                    face_ratio: proportions.face_ratio,
                    face_width: proportions.face_width,
                    ..other
                }
            };
            if let Ok(set) = std::env::var("FACE_SHEET_SET") {
                for kv in set.split(',').filter(|kv| !kv.is_empty()) {
                    if let Err(e) = apply(&mut look, kv) {
                        eprintln!("FACE_SHEET_SET: {kv}: {e}");
                        std::process::exit(2);
                    }
                }
            }
            let backdrop = Backdrop::random(&mut rng);
            let shot = Shot::random(&mut rng, backdrop);
            if describe {
                // Who this view is, for breaking a detector's misses down by look and shot.
                println!(
                    "{id}-{view}\t{:?}\t{}\t{}\t{:.0}\t{:.2}\t{:.2}\t{:.2}\t{:.3}\t{:.3}\t{:?}\t{:.0}\t{:?}",
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
                    look.sex,
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

/// `FACE_SHEET_PERSON`'s look of `id` (with `cast`, `FACE_SHEET_CAST`'s): one person, the
/// same in every view.
fn person_look(id: u64, cast: bool) -> Look {
    let region = if id.is_multiple_of(3) {
        Region::EastAsia
    } else {
        Region::Anywhere
    };
    if cast {
        Look::candidate(id, region)
    } else {
        Look::random(&mut StdRng::seed_from_u64(id), region)
    }
}

/// Sets one value of `look` from `key=value` (see `FACE_SHEET_SET` above).
fn apply(look: &mut Look, kv: &str) -> Result<(), String> {
    let (k, v) = kv.split_once('=').ok_or("not key=value")?;
    let v: f32 = v.parse().map_err(|_| "not a number")?;
    if let Some(p) = proportion(look, k) {
        *p = v;
        return Ok(());
    }
    match k {
        "caricature" => caricature(look, v),
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

/// The proportion of `look` named `name`: a field of `Geometry`, `face_ratio` or
/// `face_width`, as `FACE_SHEET_SET` and the bank's `RANGES` name them.
fn proportion<'a>(look: &'a mut Look, name: &str) -> Option<&'a mut f32> {
    let g = &mut look.geometry;
    Some(match name {
        "eye_y" => &mut g.eye_y,
        "eye_x" => &mut g.eye_x,
        "eye_width" => &mut g.eye_width,
        "eye_shape" => &mut g.eye_shape,
        "eye_tilt" => &mut g.eye_tilt,
        "brow_gap" => &mut g.brow_gap,
        "brow_length" => &mut g.brow_length,
        "brow_thickness" => &mut g.brow_thickness,
        "brow_tilt" => &mut g.brow_tilt,
        "nose_y" => &mut g.nose_y,
        "nose_width" => &mut g.nose_width,
        "mouth_y" => &mut g.mouth_y,
        "mouth_width" => &mut g.mouth_width,
        "upper_lip" => &mut g.upper_lip,
        "lower_lip" => &mut g.lower_lip,
        "jaw" => &mut g.jaw,
        "age" => &mut g.age,
        "face_ratio" => &mut look.face_ratio,
        "face_width" => &mut look.face_width,
        _ => return None,
    })
}

/// Moves every proportion of `look` but age `k` times as far from its range's middle as
/// it was (`caricature=k`): how much more apart exaggerated faces are to a face model.
/// The nose and mouth move by their drops below the eyes and the nose, which the bank
/// ranges instead of their heights.
fn caricature(look: &mut Look, k: f32) {
    let push = |v: f32, (_, lo, hi): &(&str, f32, f32)| {
        let mid = (lo + hi) / 2.0;
        mid + k * (v - mid)
    };
    let range = |name: &str| {
        RANGES
            .iter()
            .find(|r| r.0 == name)
            .expect("a range of that name")
    };
    let g = look.geometry;
    let nose_drop = push(g.nose_y - g.eye_y, range("nose_drop"));
    let mouth_drop = push(g.mouth_y - g.nose_y, range("mouth_drop"));
    // The drops are no field of a look, so only the proportions that are move here.
    for r in RANGES.iter().filter(|r| r.0 != "age") {
        if let Some(v) = proportion(look, r.0) {
            *v = push(*v, r);
        }
    }
    let g = &mut look.geometry;
    g.nose_y = g.eye_y + nose_drop;
    g.mouth_y = g.nose_y + mouth_drop;
}
