//! The likeness measure: a face reduced to a small normalised grey image
//! (`FaceSignature`), and the feature enrolment stores and `/v1/ai/feature` answers, that
//! signature projected to a unit vector (`feature`).

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::face_find::{analyse, find_face};
use super::picture::{AvatarError, FaceBox, Picture, decode};
use super::quality::FaceError;
use super::scene::luma;
use crate::seed::{Domain, splitmix64};

/// Values in a face feature.
pub const FEATURE_LEN: usize = 256;

/// The feature of the face in a photo: what enrolment stores and `/v1/ai/feature`
/// answers, the face's likeness signature projected to a unit vector.
///
/// # Errors
/// [`FaceError`] when the photo does not decode, holds no face, or the face is not
/// enrollable ([`Quality::enrollable`]).
pub fn feature(photo: &[u8]) -> Result<Vec<f32>, FaceError> {
    let pic = decode(photo)?;
    let face = analyse(&pic).ok_or(FaceError::NoFace)?;
    let quality = face.quality();
    if !quality.enrollable() {
        return Err(FaceError::Unusable(quality));
    }
    Ok(FaceSignature::of_face(&pic, face.band).feature())
}

/// A face reduced to what the likeness measure compares (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct FaceSignature(Vec<f32>);

/// The signature's size: small enough that pose jitter and noise wash out, large enough
/// to keep hair, eyes and the face's outline.
const SIGNATURE_W: usize = 24;
const SIGNATURE_H: usize = 32;

impl FaceSignature {
    /// The signature of the face in a JPEG or PNG picture.
    ///
    /// # Errors
    /// [`AvatarError`] when the picture does not decode.
    pub fn of(image: &[u8]) -> Result<Self, AvatarError> {
        let pic = decode(image)?;
        Ok(Self::of_face(&pic, find_face(&pic)))
    }

    /// The signature of the face at `face` in `pic`.
    pub(crate) fn of_face(pic: &Picture, face: FaceBox) -> Self {
        let (bw, bh) = (face.w * 1.1, face.w * 1.4);
        let mut grey = Vec::with_capacity(SIGNATURE_W * SIGNATURE_H);
        let mut chroma = [0f32; 2];
        // Each cell averages a 4×4 grid of bilinear samples: an area average, so the
        // result hardly depends on the picture's resolution.
        for j in 0..SIGNATURE_H {
            for i in 0..SIGNATURE_W {
                let mut sum = 0.0;
                for b in 0..4 {
                    for a in 0..4 {
                        let fx = (i as f32 + (a as f32 + 0.5) / 4.0) / SIGNATURE_W as f32;
                        let fy = (j as f32 + (b as f32 + 0.5) / 4.0) / SIGNATURE_H as f32;
                        let [r, g, bl] =
                            pic.sample(face.cx + bw * (fx - 0.5), face.cy + bh * (fy - 0.5));
                        sum += luma([r, g, bl]);
                        chroma[0] += 0.5 * r - 0.418_688 * g - 0.081_312 * bl;
                        chroma[1] += -0.168_736 * r - 0.331_264 * g + 0.5 * bl;
                    }
                }
                grey.push(sum / 16.0);
            }
        }
        let n = grey.len() as f32;
        let mean = grey.iter().sum::<f32>() / n;
        let sd = (grey.iter().map(|g| (g - mean).powi(2)).sum::<f32>() / n)
            .sqrt()
            .max(1e-3);
        let mut signature: Vec<f32> = grey.into_iter().map(|g| (g - mean) / sd).collect();
        // The face's mean colour (its chroma, which brightness and contrast leave alone)
        // is part of who somebody is; it counts as much as a tenth of the pixels.
        let weight = n / 10.0;
        for c in chroma {
            let value = c / (16.0 * n) / 8.0;
            signature.extend(std::iter::repeat_n(value, (weight / 2.0) as usize));
        }
        Self(signature)
    }

    /// The signature as a feature vector of [`FEATURE_LEN`] values of unit length: a
    /// fixed random projection (seeded, the same in every run), so that faces close by
    /// the likeness measure get features close by the cosine a receiver would use.
    pub fn feature(&self) -> Vec<f32> {
        static PROJECTION: std::sync::OnceLock<Vec<f32>> = std::sync::OnceLock::new();
        let cols = self.0.len();
        let projection = PROJECTION.get_or_init(|| {
            let mut rng = StdRng::seed_from_u64(splitmix64(Domain::Feature.salt()));
            (0..FEATURE_LEN * cols)
                .map(|_| (0..4).map(|_| rng.random_range(-1.0f32..1.0)).sum())
                .collect()
        });
        let mut out: Vec<f32> = projection
            .chunks_exact(cols)
            .map(|row| row.iter().zip(&self.0).map(|(a, b)| a * b).sum())
            .collect();
        let norm = out
            .iter()
            .map(|v| v * v)
            .sum::<f32>()
            .sqrt()
            .max(f32::EPSILON);
        for v in &mut out {
            *v /= norm;
        }
        out
    }

    /// Mean absolute difference of two signatures: 0 for the same face, about 0.8 to 1.1
    /// for unrelated pictures.
    pub fn distance(&self, other: &Self) -> f32 {
        let sum: f32 = self
            .0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| (a - b).abs())
            .sum();
        sum / self.0.len().max(1) as f32
    }
}
