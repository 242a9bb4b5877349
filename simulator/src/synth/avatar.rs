//! Camera snapshots derived from an enrolled photo (a user's `avatar`): the same person,
//! as the terminal's camera would see them on another day. Pure: bytes in, bytes out, no
//! I/O, and the same `(avatar, seed, seq, options)` always gives the same JPEG.
//!
//! How a snapshot is made, and why each step is there:
//!
//! 1. The photo is decoded (JPEG or PNG; anything else, or a damaged file, is a precise
//!    [`AvatarError`]). Photos larger than a snapshot are first shrunk by whole-pixel box
//!    averaging, so the resampling below never aliases.
//! 2. The face is found with `face_find`'s skin test: the skin's widest band of rows near
//!    the middle of the photo, and its spread across. When fewer than 2 % of the photo is
//!    skin (a grey-scale photo, a very dark one), the centre crop of a portrait is used.
//!    Enrolment has already refused photos in which `face_find::analyse` finds no usable
//!    face.
//! 3. The camera's crop: a frame around the face with the snapshot's aspect ratio, the
//!    face filling about half its height as on the terminal, moved by a seeded jitter (a
//!    few percent of position and scale), turned by a small pose change (up to ±4° of roll
//!    and a 3 % shear for a slight turn of the head), resampled bilinearly to the snapshot
//!    size.
//! 4. Light: brightness, contrast and colour temperature drawn per snapshot, and a gentle
//!    gradient as from a window on one side.
//! 5. An optional surgical mask over the lower face (when the record says `mask: 2`).
//! 6. Sensor noise, then JPEG encoding with the `facesim sn=.. seq=..` trace comment.
//!
//! [`FaceSignature`] is the measure the tests (and anyone checking the property) use for
//! "looks like the same person": the face region found as in step 2, scaled to 24×32
//! grey levels, normalised to zero mean and unit variance (so light does not count), and
//! compared by mean absolute difference. A snapshot is measurably closer to its own avatar
//! than to another person's by that measure, which is what a face-comparing receiver
//! relies on.

#[cfg(test)]
mod tests;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::face_find::find_face;
use super::picture::{AvatarError, decode};
use super::{SNAPSHOT_SIDE, jpeg};
use crate::seed::{Domain, splitmix64};

/// How a snapshot is to come out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeriveOptions {
    /// The device's serial number, for the trace comment.
    pub sn: String,
    /// Snapshot width and height in pixels (16 to 4096 each).
    pub width: u32,
    pub height: u32,
    /// JPEG quality, 1 to 100.
    pub quality: u8,
    /// Draw a surgical mask over the lower face (the record says `mask: 2`).
    pub mask: bool,
}

impl DeriveOptions {
    /// The options a device's snapshots use: its size and quality from `cfg`.
    pub fn of(cfg: &super::SynthConfig, sn: impl Into<String>, mask: bool) -> Self {
        Self {
            sn: sn.into(),
            width: cfg.width,
            height: cfg.height,
            quality: cfg.quality,
            mask,
        }
    }
}

/// A 64-bit mix for per-pixel noise: independent per pixel, so the loop pipelines.
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// Makes snapshot `seq` of the person in `avatar`, as described in the module
/// documentation.
///
/// # Errors
/// [`AvatarError`] when the photo does not decode or the size is out of range.
pub fn derive(
    avatar: &[u8],
    seed: u64,
    seq: u64,
    opts: &DeriveOptions,
) -> Result<Vec<u8>, AvatarError> {
    let (ow, oh) = (opts.width, opts.height);
    if !SNAPSHOT_SIDE.contains(&ow) || !SNAPSHOT_SIDE.contains(&oh) {
        return Err(AvatarError::Size {
            width: ow,
            height: oh,
        });
    }
    let photo = decode(avatar)?;
    let mut rng = StdRng::seed_from_u64(splitmix64(splitmix64(seed ^ Domain::Avatar.salt()) ^ seq));
    let face = find_face(&photo);
    let (wf, hf) = (ow as f32, oh as f32);
    // The terminal's crop: the face about half the frame's height, slightly above centre.
    // The face's width is the steadier measure (its height depends on where the hair
    // starts); the terminal's crop is about twice as wide as the face.
    let scale = rng.random_range(0.94f32..1.06);
    let crop_w = face.w * 2.0 * scale;
    let crop_h = crop_w * hf / wf;
    let cx = face.cx + crop_w * rng.random_range(-0.035f32..0.035);
    let cy = face.cy + crop_h * (0.04 + rng.random_range(-0.035f32..0.035));
    let roll = rng.random_range(-4.0f32..4.0).to_radians();
    let shear = rng.random_range(-0.03f32..0.03);
    // Shrink first when the crop is more than twice the snapshot, so bilinear sampling
    // never skips source pixels.
    let factor = ((crop_h / hf) / 1.5).floor().max(1.0) as usize;
    let source = photo.shrink(factor);
    let k = 1.0 / factor as f32;
    let (sin, cos) = roll.sin_cos();
    let (sx, sy) = (crop_w / wf, crop_h / hf);

    let brightness = rng.random_range(-18.0f32..18.0);
    let contrast = rng.random_range(0.88f32..1.12);
    let warmth = rng.random_range(-0.06f32..0.06);
    let gains = [1.0 + warmth, 1.0, 1.0 - warmth];
    let light_angle = rng.random_range(0.0f32..std::f32::consts::TAU);
    let light_strength = rng.random_range(0.0f32..0.12);
    let (gx, gy) = (
        light_angle.cos() * light_strength,
        light_angle.sin() * light_strength,
    );
    // Four random bytes summed have a standard deviation of 147.8; scale to 2 to 5 levels.
    let noise = rng.random_range(2.0f32..5.0) / 147.8;
    let noise_seed: u64 = rng.random();

    // The face in snapshot coordinates (rotation undone), for the mask.
    let (fx, fy) = (face.cx - cx, face.cy - cy);
    let face_u = wf / 2.0 + (fx * cos + fy * sin) / sx;
    let face_v = hf / 2.0 + (-fx * sin + fy * cos) / sy;
    let (face_w, face_h) = (face.w / sx, face.h / sy);

    let mut rgb = Vec::with_capacity(ow as usize * oh as usize * 3);
    for v in 0..oh {
        let ny = (v as f32 + 0.5 - hf / 2.0) * sy;
        let row_seed = noise_seed ^ u64::from(v).wrapping_mul(crate::seed::GOLDEN_GAMMA);
        for u in 0..ow {
            let nx = (u as f32 + 0.5 - wf / 2.0) * sx + shear * ny;
            let x = cx + cos * nx - sin * ny;
            let y = cy + sin * nx + cos * ny;
            let mut p = source.sample(x * k, y * k);
            if opts.mask {
                mask_pixel(
                    &mut p,
                    u as f32 + 0.5,
                    v as f32 + 0.5,
                    face_u,
                    face_v,
                    face_w,
                    face_h,
                );
            }
            let light = 1.0
                + gx * ((u as f32 + 0.5) / wf - 0.5) * 2.0
                + gy * ((v as f32 + 0.5) / hf - 0.5) * 2.0;
            let bits = fmix64(row_seed.wrapping_add(u64::from(u)));
            let byte = |n: u32| ((bits >> (8 * n)) & 0xFF) as f32;
            let grain = (byte(0) + byte(1) + byte(2) + byte(3) - 510.0) * noise;
            for c in 0..3 {
                let value =
                    ((p[c] - 128.0) * contrast + 128.0 + brightness) * gains[c] * light + grain;
                rgb.push(value.clamp(0.0, 255.0) as u8);
            }
        }
    }
    let comment = jpeg::trace_comment(&opts.sn, seq);
    Ok(jpeg::encode(&rgb, ow, oh, opts.quality, &comment))
}

/// Paints a pale blue surgical mask over the lower face: from just below the nose to
/// under the chin, a little wider than the cheeks, with a soft edge and a fold shadow.
fn mask_pixel(p: &mut [f32; 3], u: f32, v: f32, fu: f32, fv: f32, fw: f32, fh: f32) {
    const MASK: [f32; 3] = [172.0, 200.0, 222.0];
    let top = fv + 0.02 * fh;
    if v < top {
        return;
    }
    let (mu, mv) = (fu, fv + 0.2 * fh);
    let (rx, ry) = (0.5 * fw, 0.3 * fh);
    let d = ((u - mu) / rx).powi(2) + ((v - mv) / ry).powi(2);
    if d >= 1.0 {
        return;
    }
    // A soft rim of a few percent, and faint horizontal pleats.
    let alpha = ((1.0 - d) / 0.08).min(1.0);
    let pleat = 1.0
        - 0.06
            * (((v - top) / (0.07 * fh)) * std::f32::consts::TAU)
                .sin()
                .abs();
    for c in 0..3 {
        p[c] += (MASK[c] * pleat - p[c]) * alpha;
    }
}
