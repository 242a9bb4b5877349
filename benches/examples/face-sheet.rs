//! Draws face geometries for `scripts/face-geometry.py`, which measures how far apart a
//! face model puts them: `face-sheet OUT_DIR VIEWS ID...` writes, for every geometry id, VIEWS
//! snapshots (360×480, quality 90) as `OUT_DIR/<id>-<view>.jpg`. Each view is another
//! person's colours, hair and accessories and another shot (pose, light, expression) with
//! the same proportions, so a geometry is judged apart from everything else a look has.
//! With `FACE_SHEET_DESCRIBE` set it also prints, per snapshot, a tab-separated line of its
//! hair style, glasses, beard, skin luma, yaw, roll, jaw and geometry (for the detectors' misses).

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
            let look = Look {
                geometry: Geometry::of(id),
                ..Look::random(&mut rng, region)
            };
            let backdrop = Backdrop::random(&mut rng);
            let shot = Shot::random(&mut rng, backdrop);
            if describe {
                // Who this view is, for breaking a detector's misses down by look and shot.
                let luma = 0.299 * look.skin[0] + 0.587 * look.skin[1] + 0.114 * look.skin[2];
                println!(
                    "{id}-{view}\t{:?}\t{}\t{}\t{luma:.0}\t{:.2}\t{:.2}\t{:.2}\t{:?}",
                    look.hair_style,
                    look.glasses.is_some(),
                    look.beard,
                    shot.yaw,
                    shot.roll,
                    look.geometry.jaw,
                    look.geometry,
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

