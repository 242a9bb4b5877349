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

use super::face_find::{FaceBox, find_face};
use super::{SNAPSHOT_SIDE, jpeg};
use crate::seed::{Domain, splitmix64};

/// The largest photo side accepted, in pixels: larger images are refused before their
/// pixels are decoded, so a small file cannot ask for gigabytes of memory.
pub const MAX_AVATAR_SIDE: usize = 8192;
/// The smallest photo side that can hold a recognisable face.
pub const MIN_AVATAR_SIDE: usize = 32;

/// Values in a face feature.
pub const FEATURE_LEN: usize = 256;

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

/// Why a photo could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AvatarError {
    /// No bytes at all.
    #[error("avatar is empty")]
    Empty,
    /// Neither the JPEG nor the PNG signature.
    #[error("avatar is neither JPEG nor PNG (it starts with {0})")]
    UnknownFormat(String),
    /// The JPEG's headers or data are damaged.
    #[error("avatar JPEG does not decode: {0}")]
    Jpeg(String),
    /// The PNG's headers or data are damaged.
    #[error("avatar PNG does not decode: {0}")]
    Png(String),
    /// Too small to hold a face.
    #[error("avatar is {width}x{height} pixels; a photo needs at least 32 a side")]
    TooSmall { width: usize, height: usize },
    /// Too large to decode safely.
    #[error("avatar is {width}x{height} pixels; at most 8192 a side are accepted")]
    TooLarge { width: usize, height: usize },
    /// The decoder produced fewer pixels than the headers promised.
    #[error("avatar decoded to {got} bytes, {want} expected")]
    Truncated { got: usize, want: usize },
    /// The requested snapshot size is out of range.
    #[error("snapshot size {width}x{height} is out of range; use 16 to 4096 pixels a side")]
    Size { width: u32, height: u32 },
}

/// An RGB8 picture.
#[derive(Debug, Clone)]
pub(crate) struct Picture {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) px: Vec<u8>,
}

impl Picture {
    /// The pixel at `(x, y)`, clamped to the picture, as floats.
    pub(crate) fn at(&self, x: isize, y: isize) -> [f32; 3] {
        let x = x.clamp(0, self.width as isize - 1) as usize;
        let y = y.clamp(0, self.height as isize - 1) as usize;
        let i = (y * self.width + x) * 3;
        [
            f32::from(self.px[i]),
            f32::from(self.px[i + 1]),
            f32::from(self.px[i + 2]),
        ]
    }

    /// Bilinear sample at pixel-centre coordinates `(x, y)`, clamped at the edges.
    fn sample(&self, x: f32, y: f32) -> [f32; 3] {
        let (x, y) = (x - 0.5, y - 0.5);
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (x0, y0) = (x0 as isize, y0 as isize);
        let (a, b) = (self.at(x0, y0), self.at(x0 + 1, y0));
        let (c, d) = (self.at(x0, y0 + 1), self.at(x0 + 1, y0 + 1));
        std::array::from_fn(|k| {
            let top = a[k] + (b[k] - a[k]) * fx;
            let bottom = c[k] + (d[k] - c[k]) * fx;
            top + (bottom - top) * fy
        })
    }

    /// The picture shrunk by a whole factor with box averaging.
    fn shrink(&self, factor: usize) -> Picture {
        if factor <= 1 {
            return self.clone();
        }
        let (w, h) = (self.width / factor, self.height / factor);
        let mut px = Vec::with_capacity(w * h * 3);
        let n = (factor * factor) as u32;
        for y in 0..h {
            for x in 0..w {
                let mut sum = [0u32; 3];
                for yy in y * factor..(y + 1) * factor {
                    let row = (yy * self.width + x * factor) * 3;
                    for p in self.px[row..row + factor * 3].chunks_exact(3) {
                        for k in 0..3 {
                            sum[k] += u32::from(p[k]);
                        }
                    }
                }
                px.extend(sum.map(|s| ((s + n / 2) / n) as u8));
            }
        }
        Picture {
            width: w,
            height: h,
            px,
        }
    }
}

/// Decodes a JPEG or PNG photo into RGB8.
///
/// # Errors
/// [`AvatarError`] naming what is wrong with the bytes.
pub(crate) fn decode(bytes: &[u8]) -> Result<Picture, AvatarError> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.is_empty() {
        return Err(AvatarError::Empty);
    }
    let check = |width: usize, height: usize| {
        if width > MAX_AVATAR_SIDE || height > MAX_AVATAR_SIDE {
            Err(AvatarError::TooLarge { width, height })
        } else if width < MIN_AVATAR_SIDE || height < MIN_AVATAR_SIDE {
            Err(AvatarError::TooSmall { width, height })
        } else {
            Ok(())
        }
    };
    let options = DecoderOptions::default()
        .set_max_width(usize::MAX)
        .set_max_height(usize::MAX)
        .jpeg_set_out_colorspace(ColorSpace::RGB)
        .png_set_strip_to_8bit(true);
    let (width, height, px, colorspace) = if bytes.starts_with(&[0xFF, 0xD8]) {
        let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
        decoder
            .decode_headers()
            .map_err(|e| AvatarError::Jpeg(e.to_string()))?;
        let info = decoder
            .info()
            .ok_or_else(|| AvatarError::Jpeg("no frame header".into()))?;
        let (w, h) = (usize::from(info.width), usize::from(info.height));
        check(w, h)?;
        let px = decoder
            .decode()
            .map_err(|e| AvatarError::Jpeg(e.to_string()))?;
        (w, h, px, ColorSpace::RGB)
    } else if bytes.starts_with(PNG_SIGNATURE) {
        let mut decoder = zune_png::PngDecoder::new_with_options(ZCursor::new(bytes), options);
        decoder
            .decode_headers()
            .map_err(|e| AvatarError::Png(format!("{e:?}")))?;
        let (w, h) = decoder
            .dimensions()
            .ok_or_else(|| AvatarError::Png("no header".into()))?;
        check(w, h)?;
        let colorspace = decoder
            .colorspace()
            .ok_or_else(|| AvatarError::Png("no colour type".into()))?;
        let px = decoder
            .decode_raw()
            .map_err(|e| AvatarError::Png(format!("{e:?}")))?;
        (w, h, px, colorspace)
    } else {
        let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
        return Err(AvatarError::UnknownFormat(head.join(" ")));
    };
    let channels = colorspace.num_components();
    let want = width * height * channels;
    if px.len() < want {
        return Err(AvatarError::Truncated {
            got: px.len(),
            want,
        });
    }
    let rgb = match channels {
        3 => px[..want].to_vec(),
        // Grey, grey with alpha, RGBA: alpha is dropped (an enrolment photo is opaque).
        1 | 2 => px[..want]
            .chunks_exact(channels)
            .flat_map(|p| [p[0]; 3])
            .collect(),
        _ => px[..want]
            .chunks_exact(channels)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
    };
    Ok(Picture {
        width,
        height,
        px: rgb,
    })
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
                        sum += 0.299 * r + 0.587 * g + 0.114 * bl;
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
