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

use std::borrow::Cow;
use std::sync::OnceLock;

use super::canvas::{hash32, to_u8};
use super::face_find::find_face;
use super::picture::{AvatarError, FaceBox, Picture, decode};
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

/// How many shrunk copies of a photo an [`Enrolled`] keeps (factors 2 and up); a photo
/// that needs a larger factor than these is shrunk per snapshot.
const SHRINKS_KEPT: usize = 8;

/// What snapshots of one enrolled person need from their photo, worked out once at
/// enrolment: the decoded pixels, where the face is, and the photo shrunk by whole factors
/// as crops ask for them (each computed the first time it is needed, then kept). Deriving
/// from it skips decoding and the face search, which cost more than the snapshot itself.
/// Immutable once built apart from those kept copies, so it can be shared by workers.
#[derive(Debug, Clone)]
pub struct Enrolled {
    photo: Picture,
    face: FaceBox,
    shrunk: [OnceLock<Picture>; SHRINKS_KEPT],
}

impl Enrolled {
    /// Decodes `avatar` and finds the face in it (steps 1 and 2 of the module
    /// documentation).
    ///
    /// # Errors
    /// [`AvatarError`] when the photo does not decode.
    pub fn new(avatar: &[u8]) -> Result<Self, AvatarError> {
        let photo = decode(avatar)?;
        let face = find_face(&photo);
        Ok(Self {
            photo,
            face,
            shrunk: Default::default(),
        })
    }

    /// About how many bytes this state holds: the decoded photo, and the shrunk copies it
    /// may keep (a quarter, a ninth, … of the photo: under half of it in all).
    pub fn weight(&self) -> u64 {
        self.photo.px.len() as u64 * 3 / 2
    }

    /// The photo shrunk by `factor` (1: the photo itself).
    fn shrunk(&self, factor: usize) -> Cow<'_, Picture> {
        match factor {
            0 | 1 => Cow::Borrowed(&self.photo),
            f if f - 2 < SHRINKS_KEPT => {
                Cow::Borrowed(self.shrunk[f - 2].get_or_init(|| self.photo.shrink(f)))
            }
            f => Cow::Owned(self.photo.shrink(f)),
        }
    }

    /// Makes snapshot `seq` of this person, as [`derive`] does from the photo's bytes.
    ///
    /// # Errors
    /// [`AvatarError::Size`] when the size is out of range.
    pub fn derive(
        &self,
        seed: u64,
        seq: u64,
        opts: &DeriveOptions,
    ) -> Result<Vec<u8>, AvatarError> {
        check_size(opts)?;
        let (ow, oh) = (opts.width, opts.height);
        let face = self.face;
        let mut rng =
            StdRng::seed_from_u64(splitmix64(splitmix64(seed ^ Domain::Avatar.salt()) ^ seq));
        let (wf, hf) = (ow as f32, oh as f32);
        // The terminal's crop: the face about half the frame's height, slightly above
        // centre. The face's width is the steadier measure (its height depends on where
        // the hair starts); the terminal's crop is about twice as wide as the face.
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
        let source = self.shrunk(factor);
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
        // Four random bytes summed (of a hash per pixel) have a standard deviation of
        // 147.8; scale to 2 to 5 levels.
        let noise = rng.random_range(2.0f32..5.0) / 147.8;
        let noise_seed: u64 = rng.random();

        // The face in snapshot coordinates (rotation undone), for the mask.
        let (fx, fy) = (face.cx - cx, face.cy - cy);
        let face_u = wf / 2.0 + (fx * cos + fy * sin) / sx;
        let face_v = hf / 2.0 + (-fx * sin + fy * cos) / sy;
        let (face_w, face_h) = (face.w / sx, face.h / sy);

        // Contrast, brightness and colour temperature are one gain and one offset per
        // channel: ((p − 128)·contrast + 128 + brightness)·gain.
        let offsets = gains.map(|g| (128.0 - 128.0 * contrast + brightness) * g);
        let gains = gains.map(|g| g * contrast);
        // Row by row. Along a row the crop's source coordinates move by a constant step,
        // so they are walked in 16.16 fixed point (the error over a row of 4096 pixels
        // stays under a tenth of a pixel) and interpolated with 8-bit weights (eight pixels
        // at a time inside the photo, see `sample_row`); then light and noise go over the
        // whole row as array arithmetic.
        let (w, h) = (ow as usize, oh as usize);
        let mut rgb = vec![0u8; w * h * 3];
        let mut samples = vec![0f32; w * 3];
        let mut scratch = Scratch {
            light: vec![0f32; w],
            grain: vec![0f32; w],
        };
        let grading = Grading {
            gains,
            offsets,
            gx,
            noise,
        };
        let source: &Picture = &source;
        let seed = (noise_seed >> 32) as u32 ^ noise_seed as u32;
        let (x_step, y_step) = (cos * sx * k, sin * sx * k);
        for (v, row) in (0..oh).zip(rgb.chunks_exact_mut(w * 3)) {
            let ny = (v as f32 + 0.5 - hf / 2.0) * sy;
            let nx = (0.5 - wf / 2.0) * sx + shear * ny;
            let x = (cx + cos * nx - sin * ny) * k;
            let y = (cy + sin * nx + cos * ny) * k;
            sample_row(Walk::new(x, y, x_step, y_step), source, &mut samples);
            let pv = v as f32 + 0.5;
            if opts.mask {
                let (red, rest) = samples.split_at_mut(w);
                let (green, blue) = rest.split_at_mut(w);
                let planes = red.iter_mut().zip(green.iter_mut()).zip(blue.iter_mut());
                for (u, ((r, g), b)) in (0u32..).zip(planes) {
                    let mut px = [*r, *g, *b];
                    mask_pixel(&mut px, u as f32 + 0.5, pv, face_u, face_v, face_w, face_h);
                    [*r, *g, *b] = px;
                }
            }
            let row_light = 1.0 + gy * (pv / hf - 0.5) * 2.0;
            let row_seed = seed ^ v.wrapping_mul(0x9E37_79B9);
            grade(row, &samples, &mut scratch, row_light, row_seed, &grading);
        }
        let comment = jpeg::trace_comment(&opts.sn, seq);
        Ok(jpeg::encode(&rgb, ow, oh, opts.quality, &comment))
    }
}

/// A snapshot's light and noise: colour temperature and contrast as a gain and an offset
/// per channel, the side light's slope across the frame, and the sensor noise's scale.
struct Grading {
    gains: [f32; 3],
    offsets: [f32; 3],
    gx: f32,
    noise: f32,
}

/// Per-pixel rows [`grade`] fills, kept across rows.
struct Scratch {
    light: Vec<f32>,
    grain: Vec<f32>,
}

/// Writes one row of the snapshot from the photo's `samples` (three planes of floats:
/// the row's red, then its green, then its blue): each byte
/// `(sample · gain + offset) · light + grain`. First the light and the noise per pixel,
/// then each pixel's three bytes from the planes, which the compiler turns into vector
/// lanes and shuffles; compiled for AVX2 too, as the drawing's passes are.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn grade(
    row: &mut [u8],
    samples: &[f32],
    scratch: &mut Scratch,
    row_light: f32,
    row_seed: u32,
    g: &Grading,
) {
    let wf = scratch.light.len() as f32;
    let pixels = scratch.light.iter_mut().zip(scratch.grain.iter_mut());
    for ((l, n), u) in pixels.zip(0u32..) {
        *l = row_light + g.gx * ((u as f32 + 0.5) / wf - 0.5) * 2.0;
        let bits = hash32(row_seed.wrapping_add(u.wrapping_mul(0x85EB_CA6B)));
        let four = (bits & 0xFF) + (bits >> 8 & 0xFF) + (bits >> 16 & 0xFF) + (bits >> 24);
        *n = (four as f32 - 510.0) * g.noise;
    }
    let (light, grain) = (&scratch.light, &scratch.grain);
    let (red, rest) = samples.split_at(light.len());
    let (green, blue) = rest.split_at(light.len());
    let per_pixel = light.iter().zip(grain);
    let planes = red.iter().zip(green).zip(blue);
    for (px, ((&l, &n), ((&r, &gr), &b))) in row.chunks_exact_mut(3).zip(per_pixel.zip(planes)) {
        let byte = |s: f32, c: usize| to_u8(s * (g.gains[c] * l) + (g.offsets[c] * l + n));
        px.copy_from_slice(&[byte(r, 0), byte(gr, 1), byte(b, 2)]);
    }
}

/// How many pixels [`sample_row`] samples at once.
const LANES: usize = 8;

/// Samples one row of the crop into `out` (three planes of floats: red, green, blue) along
/// `walk`, [`LANES`] pixels at a time: each run's neighbours are gathered into 32-bit
/// words, then mixed side by side, so that the arithmetic runs in vector lanes (compiled
/// for AVX2 too). A run wholly inside the photo reads each pair of horizontal neighbours'
/// six bytes as one 64-bit word; a run that reaches past an edge clamps every neighbour's
/// coordinates, as [`Walk::sample`] does. The row's last few pixels go one at a time
/// through [`Walk::sample`]. All three compute the same 8-bit-weight mix, so the bytes do
/// not depend on which path a pixel took. One pixel at a time, the row took about half of
/// an enrolled snapshot's time.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn sample_row(mut walk: Walk, pic: &Picture, out: &mut [f32]) {
    let n = out.len() / 3;
    let (red, rest) = out.split_at_mut(n);
    let (green, blue) = rest.split_at_mut(n);
    for start in (0..n).step_by(LANES) {
        let end = (start + LANES).min(n);
        if end - start == LANES {
            let neighbours = if walk.inside(pic, LANES) {
                walk.gather_inside(pic)
            } else {
                walk.gather_clamped(pic)
            };
            let [r, g, b] = neighbours.mix();
            red[start..end].copy_from_slice(&r);
            green[start..end].copy_from_slice(&g);
            blue[start..end].copy_from_slice(&b);
        } else {
            for x in start..end {
                [red[x], green[x], blue[x]] = walk.sample(pic);
            }
        }
    }
}

/// The four neighbours of [`LANES`] positions (upper left, upper right, lower left, lower
/// right), each a 32-bit word whose low three bytes are the pixel's red, green and blue,
/// and the positions' 8-bit fractions across and down.
struct Neighbours {
    corners: [[u32; LANES]; 4],
    fx: [u32; LANES],
    fy: [u32; LANES],
}

impl Neighbours {
    /// The bilinear samples, as planes of red, green and blue: the same arithmetic as
    /// [`Walk::sample`]'s, lane by lane.
    #[inline(always)]
    fn mix(&self) -> [[f32; LANES]; 3] {
        let [top_left, top_right, bottom_left, bottom_right] = &self.corners;
        let (fx, fy) = (&self.fx, &self.fy);
        let mut mixed = [[0f32; LANES]; 3];
        for (shift, lanes) in [0u32, 8, 16].into_iter().zip(&mut mixed) {
            let byte = |w: u32| w >> shift & 0xFF;
            for k in 0..LANES {
                let upper = byte(top_left[k]) * (256 - fx[k]) + byte(top_right[k]) * fx[k];
                let lower = byte(bottom_left[k]) * (256 - fx[k]) + byte(bottom_right[k]) * fx[k];
                lanes[k] = (upper * (256 - fy[k]) + lower * fy[k]) as f32 * (1.0 / ONE);
            }
        }
        mixed
    }
}

/// A walk along one row of the crop in the photo: the source position in 16.16 fixed
/// point, moved by a constant step per snapshot pixel.
struct Walk {
    x: i32,
    y: i32,
    dx: i32,
    dy: i32,
}

/// One in 16.16 fixed point.
const ONE: f32 = 65536.0;

impl Walk {
    /// Starts at pixel-centre coordinates `(x, y)` (the photo's pixel `(i, j)` has its centre
    /// at `(i + 0.5, j + 0.5)`), moving by `(dx, dy)` per step.
    fn new(x: f32, y: f32, dx: f32, dy: f32) -> Self {
        // Positions are kept relative to pixel centres, so that the integer part is the
        // upper-left neighbour. Photos are at most a few thousand pixels on a side, far
        // inside the ±32768 that 16.16 holds.
        Self {
            x: ((x - 0.5) * ONE) as i32,
            y: ((y - 0.5) * ONE) as i32,
            dx: (dx * ONE) as i32,
            dy: (dy * ONE) as i32,
        }
    }

    /// Whether the next `n` positions all lie where [`Walk::gather_inside`] may read: the
    /// four neighbours inside the photo and two bytes past the lower right one (it reads
    /// eight bytes from each left-hand neighbour, six of them the pair's). The positions
    /// are on a line and the allowed ones a rectangle, so the first and the last decide.
    fn inside(&self, pic: &Picture, n: usize) -> bool {
        let steps = n as i64 - 1;
        let (w, h) = (pic.width as i64, pic.height as i64);
        let ok = |x: i64, y: i64| {
            let (x0, y0) = (x >> 16, y >> 16);
            x0 >= 0 && y0 >= 0 && x0 + 2 < w && y0 + 1 < h
        };
        let (x, y) = (i64::from(self.x), i64::from(self.y));
        ok(x, y)
            && ok(
                x + steps * i64::from(self.dx),
                y + steps * i64::from(self.dy),
            )
    }

    /// The neighbours of the next [`LANES`] positions, which [`Walk::inside`] has found
    /// inside the photo. A pixel and its right-hand neighbour are six bytes in a row: one
    /// eight-byte read takes both.
    #[inline(always)]
    fn gather_inside(&mut self, pic: &Picture) -> Neighbours {
        let pair = |i: usize| {
            u64::from_le_bytes(pic.px[i..i + 8].try_into().expect("a slice of eight bytes"))
        };
        self.gather(|x, y| {
            let i = ((y >> 16) as usize * pic.width + (x >> 16) as usize) * 3;
            let (top, bottom) = (pair(i), pair(i + pic.width * 3));
            [top, top >> 24, bottom, bottom >> 24].map(|w| w as u32)
        })
    }

    /// The neighbours of the next [`LANES`] positions, wherever they lie: their
    /// coordinates clamped to the photo, so that a crop reaching past its edge repeats the
    /// edge.
    #[inline(always)]
    fn gather_clamped(&mut self, pic: &Picture) -> Neighbours {
        let word = |i: usize| u32::from_le_bytes([pic.px[i], pic.px[i + 1], pic.px[i + 2], 0]);
        self.gather(|x, y| corners(pic, x, y).map(word))
    }

    /// The next [`LANES`] positions' fractions, and their neighbours' words as `words`
    /// reads them at each 16.16 position.
    #[inline(always)]
    fn gather(&mut self, words: impl Fn(i32, i32) -> [u32; 4]) -> Neighbours {
        let mut n = Neighbours {
            corners: [[0; LANES]; 4],
            fx: [0; LANES],
            fy: [0; LANES],
        };
        for k in 0..LANES {
            let (x, y) = self.step();
            (n.fx[k], n.fy[k]) = ((x >> 8 & 0xFF) as u32, (y >> 8 & 0xFF) as u32);
            for (corner, word) in n.corners.iter_mut().zip(words(x, y)) {
                corner[k] = word;
            }
        }
        n
    }

    /// The current position, then one step on.
    #[inline(always)]
    fn step(&mut self) -> (i32, i32) {
        let (x, y) = (self.x, self.y);
        self.x = x.wrapping_add(self.dx);
        self.y = y.wrapping_add(self.dy);
        (x, y)
    }

    /// The bilinear sample at the current position, then one step on: the four neighbours
    /// mixed with 8-bit weights in integers, their coordinates clamped to the photo, so
    /// that a crop reaching past the photo's edge repeats the edge.
    fn sample(&mut self, pic: &Picture) -> [f32; 3] {
        let (x, y) = self.step();
        let (fx, fy) = ((x >> 8 & 0xFF) as u32, (y >> 8 & 0xFF) as u32);
        let [top_left, top_right, bottom_left, bottom_right] = corners(pic, x, y);
        let px = &pic.px;
        // Written out per channel: `array::from_fn` here is not inlined, and its closure
        // call per pixel cost a fifth of a snapshot.
        let mix = |k: usize| {
            let upper =
                u32::from(px[top_left + k]) * (256 - fx) + u32::from(px[top_right + k]) * fx;
            let lower =
                u32::from(px[bottom_left + k]) * (256 - fx) + u32::from(px[bottom_right + k]) * fx;
            (upper * (256 - fy) + lower * fy) as f32 * (1.0 / ONE)
        };
        [mix(0), mix(1), mix(2)]
    }
}

/// The byte offsets of the four neighbours (upper left, upper right, lower left, lower
/// right) of the 16.16 position `(x, y)`, their coordinates clamped to the photo.
#[inline(always)]
fn corners(pic: &Picture, x: i32, y: i32) -> [usize; 4] {
    // The arithmetic shift is the floor, negative positions included. Photos are at most
    // 8192 pixels a side, so their sizes fit in an i32.
    let (x0, y0) = (x >> 16, y >> 16);
    let column = |x: i32| x.clamp(0, pic.width as i32 - 1) as usize * 3;
    let row = |y: i32| y.clamp(0, pic.height as i32 - 1) as usize * pic.width * 3;
    let (left, right) = (column(x0), column(x0 + 1));
    let (top, bottom) = (row(y0), row(y0 + 1));
    [top + left, top + right, bottom + left, bottom + right]
}

/// Refuses a snapshot size out of range.
fn check_size(opts: &DeriveOptions) -> Result<(), AvatarError> {
    let (width, height) = (opts.width, opts.height);
    if SNAPSHOT_SIDE.contains(&width) && SNAPSHOT_SIDE.contains(&height) {
        Ok(())
    } else {
        Err(AvatarError::Size { width, height })
    }
}

/// Makes snapshot `seq` of the person in `avatar`, as described in the module
/// documentation. Decodes the photo and finds the face on every call: a caller making
/// more than one snapshot of a person builds an [`Enrolled`] once instead.
///
/// # Errors
/// [`AvatarError`] when the photo does not decode or the size is out of range.
pub fn derive(
    avatar: &[u8],
    seed: u64,
    seq: u64,
    opts: &DeriveOptions,
) -> Result<Vec<u8>, AvatarError> {
    check_size(opts)?;
    Enrolled::new(avatar)?.derive(seed, seq, opts)
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
