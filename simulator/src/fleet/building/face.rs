//! A person's face at the building's doors: their enrolment photo (a portrait taken with
//! care, drawn from the person's one look) and the snapshot a door's terminal takes of
//! them, derived from that photo as a terminal derives an enrolled person's, so a
//! receiver comparing faces sees the same person at every door. A snapshot's crop,
//! pose and light are seeded by the passage. Its JPEG comment names the passage and the building time it happened at,
//! `facesim building passage=<n> at=<seconds>`, for whoever checks the building's
//! invariants on what a receiver got.

use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::seed::{Domain, splitmix64};
use crate::synth::avatar::{DeriveOptions, Enrolled};
use crate::synth::face::{Look, render};
use crate::synth::jpeg;
use crate::synth::scene::{Backdrop, Shot};
use crate::synth::signature::feature;

/// How a snapshot comes out: the terminal's size and quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) quality: u8,
}

const PREFIX: &str = "facesim building passage=";
const AT: &str = " at=";

/// The comment of passage `n` at building time `at`.
pub(crate) fn comment(n: u64, at: f64) -> String {
    format!("{PREFIX}{n}{AT}{at:.1}")
}

/// Reads a building snapshot's JPEG comment back into the passage number and its
/// building time (seconds since midnight of the first day). `None` for other comments.
pub fn parse_passage_comment(comment: &str) -> Option<(u64, f64)> {
    let (n, at) = comment.strip_prefix(PREFIX)?.split_once(AT)?;
    Some((n.parse().ok()?, at.parse().ok()?))
}

/// The enrolment photo of the person with `look`: a 480×640 portrait, head straight,
/// even light, at quality 92; drawn again under other light (up to eight times) until
/// enrolment would take it, so that a platform can enrol every person of the building.
pub(crate) fn portrait(look: &Look, seed: u64, id: i64) -> Vec<u8> {
    let mut photo = Vec::new();
    for attempt in 0..8u64 {
        let mut rng = StdRng::seed_from_u64(splitmix64(
            seed ^ Domain::Building.salt() ^ !(id as u64) ^ attempt.rotate_left(40),
        ));
        let backdrop = Backdrop::random(&mut rng);
        let mut shot = Shot::random(&mut rng, backdrop);
        shot.roll = 0.0;
        shot.yaw = 0.0;
        shot.light_strength = 0.05;
        shot.exposure = 1.0;
        let (w, h) = (480, 640);
        photo = jpeg::encode(&render(look, &shot, w, h), w, h, 92, "enrolment photo");
        if feature(&photo).is_ok() {
            break;
        }
    }
    photo
}

/// The snapshot of passage `n` (at building time `at`) of the person whose enrolment
/// photo's state is `photo`, taken by terminal `sn`: derived from the photo as a
/// terminal's camera sees an enrolled person (`synth::avatar`), with the passage's
/// comment.
pub(crate) fn snapshot(
    photo: &Enrolled,
    seed: u64,
    n: u64,
    at: f64,
    sn: &str,
    frame: Frame,
) -> Option<Vec<u8>> {
    let options = DeriveOptions {
        sn: sn.to_string(),
        width: frame.width,
        height: frame.height,
        quality: frame.quality,
        mask: false,
    };
    let seed = splitmix64(seed ^ Domain::Building.salt());
    let jpeg_bytes = photo.derive(seed, n, &options).ok()?;
    Some(jpeg::with_comment(&jpeg_bytes, &comment(n, at)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::face::Region;
    use crate::synth::signature::FaceSignature;

    #[test]
    fn snapshots_at_every_door_look_like_the_persons_photo() {
        let looks: Vec<Look> = (0..12)
            .map(|i| Look::random(&mut StdRng::seed_from_u64(i), Region::Anywhere))
            .collect();
        let photos: Vec<Vec<u8>> = looks
            .iter()
            .enumerate()
            .map(|(i, l)| portrait(l, 1, i as i64))
            .collect();
        let enrollable = photos.iter().filter(|p| feature(p).is_ok()).count();
        assert!(
            enrollable >= 11,
            "{enrollable} of 12 photos can be enrolled"
        );
        let signatures: Vec<FaceSignature> = photos
            .iter()
            .map(|p| FaceSignature::of(p).unwrap())
            .collect();
        let frame = Frame {
            width: 360,
            height: 480,
            quality: 85,
        };
        let (mut nearest, mut closer, mut total) = (0, 0, 0);
        for (i, photo) in photos.iter().enumerate() {
            let state = Enrolled::new(photo).unwrap();
            for (k, sn) in ["SN-LOBBY", "SN-FLOOR", "SN-OFFICE"].iter().enumerate() {
                let n = (i * 10 + k) as u64;
                let jpeg = snapshot(&state, 1, n, 30_600.0, sn, frame).unwrap();
                assert_eq!(
                    jpeg::read_comment(&jpeg).and_then(|c| parse_passage_comment(&c)),
                    Some((n, 30_600.0))
                );
                let likeness = Likeness::of(&FaceSignature::of(&jpeg).unwrap(), i, &signatures);
                eprintln!("person {i} at {sn}: {likeness:?}");
                closer += usize::from(likeness.own < likeness.median_other);
                nearest += usize::from(likeness.own < likeness.nearest_other);
                total += 1;
            }
        }
        // The signature is the simulator's own coarse one (a few cells of light). Since
        // faces are shaded as photographs, every face shares most of its shading, and a
        // snapshot under a steep pose or light can sit as far from its own photo as from
        // the median other one; what must hold is that the photo drives the snapshots:
        // most are closer to their own photo than to the median other, and three in four
        // are nearest to it. (dlib's descriptor puts every same-person pair under 0.6:
        // scripts/face-realism.sh.)
        assert!(
            5 * closer >= 4 * total,
            "closer to their own photo than to the median other: {closer} of {total}"
        );
        assert!(
            4 * nearest >= 3 * total,
            "own photo nearest for {nearest} of {total}"
        );
    }

    /// How far a snapshot is from its person's photo and from the others'.
    #[derive(Debug)]
    struct Likeness {
        own: f32,
        nearest_other: f32,
        median_other: f32,
    }

    impl Likeness {
        fn of(snapshot: &FaceSignature, own: usize, photos: &[FaceSignature]) -> Self {
            let mut others: Vec<f32> = (0..photos.len())
                .filter(|&j| j != own)
                .map(|j| snapshot.distance(&photos[j]))
                .collect();
            others.sort_by(f32::total_cmp);
            Self {
                own: snapshot.distance(&photos[own]),
                nearest_other: others[0],
                median_other: others[others.len() / 2],
            }
        }
    }

    #[test]
    fn the_comment_names_the_passage_and_its_time() {
        let c = comment(17, 30_601.5);
        assert_eq!(parse_passage_comment(&c), Some((17, 30_601.5)));
        assert_eq!(parse_passage_comment("facesim sn=X seq=1"), None);
    }
}
