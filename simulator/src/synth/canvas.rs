//! The pixel work behind [`face::render`](super::face::render): an RGB8 canvas that fills
//! anti-aliased, rotated ellipses over their bounding boxes only, and the final pass that
//! adds the look of a photographed screen, the lens's blur, uneven light, vignetting and
//! sensor noise.
//! Nothing here allocates per pixel.

use super::scene::{Backdrop, Rgb, Shot};

/// An RGB8 image being drawn.
pub(super) struct Canvas {
    pub(super) width: usize,
    pub(super) height: usize,
    pub(super) px: Vec<u8>,
    /// Scratch rows of [`Canvas::fill`]: per pixel of the span being filled, its coverage
    /// times the paint's alpha, and its shade factor. Held here so that no fill allocates.
    cover: Vec<f32>,
    shade: Vec<f32>,
}

/// One ellipse to fill, in pixel coordinates, rotated by `angle` around its centre.
pub(super) struct Shape {
    pub(super) cx: f32,
    pub(super) cy: f32,
    pub(super) rx: f32,
    pub(super) ry: f32,
    pub(super) angle: f32,
}

/// How to fill a shape.
#[derive(Clone, Copy)]
pub(super) struct Paint {
    color: Rgb,
    alpha: f32,
    /// Darkening towards the rim (0 = flat), which makes ellipses look round.
    shade: f32,
    /// Only fill where the shape's own vertical coordinate (rotated with it, in pixels from
    /// its centre) lies in this range; used for hairlines and the mask's upper edge.
    clip: (f32, f32),
    /// Fill only a rim of this thickness in pixels (0 = solid); used for glasses.
    ring: f32,
    /// The share of the radius over which the paint fades out towards the rim (0 = a hard
    /// edge): shadows and highlights have no outline, as in a photograph.
    soft: f32,
    /// How much the shape narrows below its centre (0 = an ellipse): at the bottom its
    /// width is `1 − taper` of an ellipse's. The face's jaw and chin.
    taper: f32,
    /// Only fill inside this region (a shadow that must stay on the face).
    within: Option<Area>,
}

/// The inside of a shape, tested per pixel: for painting within another shape.
#[derive(Clone, Copy)]
pub(super) struct Area {
    cx: f32,
    cy: f32,
    sin: f32,
    cos: f32,
    irx: f32,
    iry: f32,
    taper: f32,
    /// The untapered ellipse's row quadratic (as in [`Canvas::fill`]), which bounds the
    /// inside of every row before any pixel is tested.
    qa: f32,
    b_per_fy: f32,
    c_per_fy2: f32,
}

impl Area {
    /// The inside of `s`, narrowed below its centre by `taper` as [`Paint::taper`] does.
    pub(super) fn of(s: &Shape, taper: f32) -> Self {
        let (sin, cos) = s.angle.sin_cos();
        let (irx, iry) = (1.0 / s.rx.max(1e-3), 1.0 / s.ry.max(1e-3));
        let (irx2, iry2) = (irx * irx, iry * iry);
        Self {
            cx: s.cx,
            cy: s.cy,
            sin,
            cos,
            irx,
            iry,
            taper,
            qa: cos * cos * irx2 + sin * sin * iry2,
            b_per_fy: 2.0 * sin * cos * (irx2 - iry2),
            c_per_fy2: sin * sin * irx2 + cos * cos * iry2,
        }
    }

    /// The squared normalised distance of the pixel offset `(fx, fy)` from the centre: 1 on
    /// the rim. Written without branches, so that a row of pixels is tested in vectors.
    fn d2_at(&self, fx: f32, fy: f32) -> f32 {
        let u = (fx * self.cos + fy * self.sin) * self.irx;
        let v = (fy * self.cos - fx * self.sin) * self.iry;
        // Above the centre (v ≤ 0) the width factor is 1; below it the shape narrows.
        let below = v.clamp(0.0, 1.0);
        let k = (1.0 - self.taper * below * below).max(0.05);
        (u / k) * (u / k) + v * v
    }

    /// The offsets from the centre's column between which the untapered ellipse covers
    /// the row whose pixel centres lie at `py`, if it reaches that row.
    fn ellipse_span(&self, py: f32) -> Option<(f32, f32)> {
        let fy = py - self.cy;
        roots(self.qa, self.b_per_fy * fy, self.c_per_fy2 * fy * fy - 1.0)
    }
}

impl Paint {
    pub(super) fn solid(color: Rgb) -> Self {
        Self {
            color,
            alpha: 1.0,
            shade: 0.0,
            clip: (f32::NEG_INFINITY, f32::INFINITY),
            ring: 0.0,
            soft: 0.0,
            taper: 0.0,
            within: None,
        }
    }
    pub(super) fn alpha(self, alpha: f32) -> Self {
        Self { alpha, ..self }
    }
    pub(super) fn shade(self, shade: f32) -> Self {
        Self { shade, ..self }
    }
    pub(super) fn clip(self, lo: f32, hi: f32) -> Self {
        Self {
            clip: (lo, hi),
            ..self
        }
    }
    pub(super) fn ring(self, ring: f32) -> Self {
        Self { ring, ..self }
    }
    pub(super) fn taper(self, taper: f32) -> Self {
        Self {
            taper: taper.clamp(0.0, 0.9),
            ..self
        }
    }
    pub(super) fn within(self, region: Area) -> Self {
        Self {
            within: Some(region),
            ..self
        }
    }
    pub(super) fn soft(self, soft: f32) -> Self {
        Self {
            soft: soft.clamp(0.0, 1.0),
            ..self
        }
    }
}

/// Multiplies a colour by a factor.
pub(super) fn scaled(c: Rgb, k: f32) -> Rgb {
    c.map(|v| (v * k).min(255.0))
}

impl Canvas {
    /// Fills the canvas with the backdrop: a vertical wall gradient and a door frame.
    pub(super) fn new(width: usize, height: usize, b: &Backdrop) -> Self {
        let mut px = vec![0u8; width * height * 3];
        let to_u8 = |c: Rgb| c.map(|v| v.clamp(0.0, 255.0) as u8);
        let clamp_x = |f: f32| ((f * width as f32).max(0.0) as usize).min(width);
        let frame_lo = clamp_x(b.frame_x - b.frame_width / 2.0);
        let frame_hi = clamp_x(b.frame_x + b.frame_width / 2.0);
        // A darker edge on one side gives the frame some depth.
        let edge_hi = (frame_lo + 3).min(frame_hi);
        let (frame, edge) = (to_u8(b.frame), to_u8(scaled(b.frame, 0.7)));
        for (y, row) in px.chunks_exact_mut(width * 3).enumerate() {
            let t = y as f32 / height as f32;
            let wall = to_u8(std::array::from_fn(|i| {
                b.wall_top[i] * (1.0 - t) + b.wall_bottom[i] * t
            }));
            // The wall in four-pixel strides (a pixel at a time is three one-byte stores),
            // then the frame over it.
            let four: [u8; 12] = std::array::from_fn(|i| wall[i % 3]);
            let mut strides = row.chunks_exact_mut(12);
            for p in &mut strides {
                p.copy_from_slice(&four);
            }
            for p in strides.into_remainder().chunks_exact_mut(3) {
                p.copy_from_slice(&wall);
            }
            for (x, p) in row
                .chunks_exact_mut(3)
                .enumerate()
                .take(frame_hi)
                .skip(frame_lo)
            {
                p.copy_from_slice(if x < edge_hi { &edge } else { &frame });
            }
        }
        Self {
            width,
            height,
            px,
            cover: vec![0.0; width],
            shade: vec![0.0; width],
        }
    }

    /// Fills an ellipse with soft (anti-aliased) edges over its bounding box only.
    ///
    /// Row by row: the span of pixels the shape can touch is solved from the row's
    /// quadratic (and cut by the clip and by the region it must stay within), then one
    /// branch-free pass over the span computes every pixel's coverage and shade into the
    /// canvas's scratch rows, and a second blends the colour in. Both passes are straight
    /// arithmetic over arrays, which the compiler vectorises; a per-pixel loop with a
    /// branch per paint option costs several times as much.
    pub(super) fn fill(&mut self, s: &Shape, p: Paint) {
        fill(self, s, p);
    }
}

/// [`Canvas::fill`]'s work, compiled twice: for any x86-64, and with AVX2 (eight float
/// lanes rather than four) where the processor has it, chosen at run time. Both give the
/// same bytes: Rust never fuses a multiply and an add on its own (no FMA is enabled), so
/// each lane does the same IEEE operations; only more lanes run at once.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn fill(c: &mut Canvas, s: &Shape, p: Paint) {
    if s.rx < 0.5 || s.ry < 0.5 || p.alpha <= 0.0 {
        return;
    }
    let (sin, cos) = s.angle.sin_cos();
    let (irx2, iry2) = (1.0 / (s.rx * s.rx), 1.0 / (s.ry * s.ry));
    let edge = s.rx.min(s.ry);
    // Pixels up to half a pixel outside the rim still get partial coverage; a soft
    // paint has faded out entirely at the rim.
    let limit = if p.soft > 0.0 {
        1.0
    } else {
        (1.0 + 0.5 / edge) * (1.0 + 0.5 / edge)
    };
    let half_h = (s.rx * s.rx * sin * sin + s.ry * s.ry * cos * cos).sqrt() + 1.0;
    let y0 = (s.cy - half_h).floor().max(0.0) as usize;
    let y1 = ((s.cy + half_h).ceil().max(0.0) as usize).min(c.height);
    // On each row the normalised squared distance is a quadratic in x,
    // qa·fx² + qb·fx + qc, so the span where it stays under the limit is exact.
    let qa = cos * cos * irx2 + sin * sin * iry2;
    let b_per_fy = 2.0 * sin * cos * (irx2 - iry2);
    let c_per_fy2 = sin * sin * irx2 + cos * cos * iry2;
    let clipped = p.clip.0.is_finite() || p.clip.1.is_finite();
    let tapered = (p.taper > 0.0).then(|| Area::of(s, p.taper));
    let width = c.width;
    for y in y0..y1 {
        let py = y as f32 + 0.5;
        let fy = py - s.cy;
        let (qb, qc) = (b_per_fy * fy, c_per_fy2 * fy * fy);
        let Some((lo, hi)) = roots(qa, qb, qc - limit) else {
            continue;
        };
        let (mut x0, mut x1) = pixel_span(s.cx, lo, hi, 0.0, width);
        if clipped && sin.abs() > 1e-3 {
            // The shape's own vertical coordinate, v = fy·cos − fx·sin, is linear in x,
            // so the clip also bounds the span; a pixel of margin keeps the exact
            // per-pixel test below the only judge at the boundary.
            let (a, b) = ((fy * cos - p.clip.0) / sin, (fy * cos - p.clip.1) / sin);
            let (c0, c1) = pixel_span(s.cx, a.min(b), a.max(b), -1.0, width);
            (x0, x1) = (x0.max(c0), x1.min(c1));
        }
        if let Some(m) = &p.within {
            // The region lies inside its untapered ellipse, whose span bounds it.
            let Some((a, b)) = m.ellipse_span(py) else {
                continue;
            };
            let (c0, c1) = pixel_span(m.cx, a, b, -1.0, width);
            (x0, x1) = (x0.max(c0), x1.min(c1));
        }
        if x0 >= x1 {
            continue;
        }
        let n = x1 - x0;
        let (cover, shade) = (&mut c.cover[..n], &mut c.shade[..n]);
        let fx0 = x0 as f32 + 0.5 - s.cx;
        // The squared normalised distance first, in `cover`.
        match &tapered {
            // A tapered shape lies inside its ellipse, so the ellipse's span holds it.
            Some(t) => {
                for (i, d2) in cover.iter_mut().enumerate() {
                    *d2 = t.d2_at(fx0 + i as f32, fy);
                }
            }
            None => {
                for (i, d2) in cover.iter_mut().enumerate() {
                    let fx = fx0 + i as f32;
                    *d2 = (qa * fx + qb) * fx + qc;
                }
            }
        }
        for (d2, k) in cover.iter().zip(shade.iter_mut()) {
            let m = d2.min(1.0);
            *k = 1.0 - p.shade * m * m;
        }
        coverage(cover, &p, edge);
        if clipped {
            for (i, a) in cover.iter_mut().enumerate() {
                let v = fy * cos - (fx0 + i as f32) * sin;
                if v < p.clip.0 || v > p.clip.1 {
                    *a = 0.0;
                }
            }
        }
        if let Some(m) = &p.within {
            let dx0 = x0 as f32 + 0.5 - m.cx;
            for (i, a) in cover.iter_mut().enumerate() {
                if m.d2_at(dx0 + i as f32, py - m.cy) >= 1.0 {
                    *a = 0.0;
                }
            }
        }
        blend(
            &mut c.px[(y * width + x0) * 3..(y * width + x1) * 3],
            cover,
            shade,
            p.color,
        );
    }
}

/// Blends `color`, darkened by `shade`, into the RGB8 pixels of `row` by their `cover`.
///
/// Four pixels (twelve bytes) at a time, with the per-pixel factors spread over their
/// bytes, so that the arithmetic runs in vector lanes over whole bytes; one channel at a
/// time, the compiler leaves it scalar. Always inlined, so that it is compiled with the
/// instructions of the [`fill`] it is part of.
#[inline(always)]
fn blend(row: &mut [u8], cover: &[f32], shade: &[f32], color: Rgb) {
    let done = row.len() / 12 * 4;
    let mut quads = row.chunks_exact_mut(12);
    let factors = cover.chunks_exact(4).zip(shade.chunks_exact(4));
    for (px, (a, k)) in (&mut quads).zip(factors) {
        let (mut a12, mut t12) = ([0f32; 12], [0f32; 12]);
        for (i, (a12, t12)) in a12.iter_mut().zip(t12.iter_mut()).enumerate() {
            (*a12, *t12) = (a[i / 3], color[i % 3] * k[i / 3]);
        }
        for ((v, a), t) in px.iter_mut().zip(a12).zip(t12) {
            let old = f32::from(*v);
            *v = to_u8(old + (t - old) * a);
        }
    }
    let rest = quads.into_remainder().chunks_exact_mut(3);
    for ((px, &a), &k) in rest.zip(&cover[done..]).zip(&shade[done..]) {
        for (v, &target) in px.iter_mut().zip(&color) {
            let old = f32::from(*v);
            *v = to_u8(old + (target * k - old) * a);
        }
    }
}

/// Turns the squared normalised distances in `cover` into coverage times the paint's
/// alpha, in place: a smooth step over the fade of a soft paint, else the distance to the
/// rim in pixels (approximately), which anti-aliases the edge, and for a ring the
/// distance to its inner edge as well. Always inlined, as [`blend`] is.
#[inline(always)]
fn coverage(cover: &mut [f32], p: &Paint, edge: f32) {
    let alpha = p.alpha;
    if p.soft > 0.0 {
        let inv = 1.0 / p.soft;
        for c in cover.iter_mut() {
            let t = ((1.0 - c.max(0.0).sqrt()) * inv).clamp(0.0, 1.0);
            *c = t * t * (3.0 - 2.0 * t) * alpha;
        }
    } else if p.ring > 0.0 {
        for c in cover.iter_mut() {
            let inside = (1.0 - c.max(0.0).sqrt()) * edge;
            let rim = (inside + 0.5).clamp(0.0, 1.0);
            *c = rim * (p.ring - inside + 0.5).clamp(0.0, 1.0) * alpha;
        }
    } else {
        for c in cover.iter_mut() {
            let inside = (1.0 - c.max(0.0).sqrt()) * edge;
            *c = (inside + 0.5).clamp(0.0, 1.0) * alpha;
        }
    }
}

/// A channel value as a byte: clamped to 0..=255 and cut to its integer part, as
/// `as u8` would, but through the float's bits (adding 2²³ leaves the integer in the
/// low mantissa bits), which vectorises where a float-to-integer cast does not. Values a
/// thousandth under an integer round up to it, which no eye can tell.
#[inline(always)]
pub(super) fn to_u8(v: f32) -> u8 {
    ((v - 0.499).clamp(0.0, 255.0) + 8_388_608.0).to_bits() as u8
}

/// The roots of `qa·fx² + qb·fx + qc` (with `qa > 0`), smaller first, if it has any.
fn roots(qa: f32, qb: f32, qc: f32) -> Option<(f32, f32)> {
    let disc = qb * qb - 4.0 * qa * qc;
    if disc < 0.0 {
        return None;
    }
    let root = disc.sqrt();
    Some(((-qb - root) / (2.0 * qa), (-qb + root) / (2.0 * qa)))
}

/// The columns whose centres lie in `[lo, hi]` (offsets from the centre `cx`), after
/// moving both ends inwards by `margin` pixels (outwards when negative), within `0..width`.
fn pixel_span(cx: f32, lo: f32, hi: f32, margin: f32, width: usize) -> (usize, usize) {
    let x0 = ((cx + lo - 0.5 + margin).ceil().max(0.0) as usize).min(width);
    let x1 = (((cx + hi - 0.5 - margin).floor() + 1.0).max(0.0) as usize).min(width);
    (x0, x1.max(x0))
}

/// The last pass: the lens's blur ([`lens`](super::lens)), then uneven light, vignetting
/// and sensor noise (mostly luminance, a little chroma), one row at a time; spoofs first
/// get their screen drawn in (which the lens blurs as it would a real screen's).
///
/// Each row is one pass of straight arithmetic over its bytes, which the compiler
/// vectorises: every byte works out its pixel's light and noise from its column's
/// [`Columns`] and becomes `byte · light + noise`. The noise is a 32-bit hash of the
/// pixel's column and row (vector lanes multiply 32-bit numbers, not 64-bit ones), so each
/// pixel's noise is independent of its neighbours'; a pixel's three bytes hash it alike,
/// which costs less than spreading one hash over them. Compiled with AVX2 too, as [`fill`]
/// is.
#[multiversion::multiversion(targets("x86_64+avx2"))]
pub(super) fn finish(c: &mut Canvas, shot: &Shot) {
    if shot.spoof {
        screen(c);
    }
    super::lens::blur(&mut c.px, c.width, c.height);
    let width = c.width;
    let h = c.height as f32;
    let (ls, lc) = shot.light_angle.sin_cos();
    let (gx, gy) = (lc * shot.light_strength, ls * shot.light_strength);
    let columns = Columns::new(width, gx);
    // Three random bytes summed approximate a Gaussian with a standard deviation of 128.0
    // around 382.5; one random nibble has 4.61 around 7.5. Scale both to the shot's noise
    // level (the chroma noise a third of the luma's).
    let luma_scale = shot.noise / 128.0;
    let chroma_scale = shot.noise * 0.35 / 4.61;
    let seed = crate::seed::splitmix64(shot.noise_seed);
    for (y, row) in c.px.chunks_exact_mut(width * 3).enumerate() {
        let ny = (y as f32 + 0.5) / h * 2.0 - 1.0;
        let (ly, vy) = (1.0 + gy * ny, ny * ny);
        // A pixel's hash (each of its bytes works it out): three bytes for the luminance,
        // a nibble for each chroma.
        let row_seed = ((seed ^ (y as u64).wrapping_mul(crate::seed::GOLDEN_GAMMA)) >> 32) as u32;
        let light = columns.plane.iter().zip(&columns.falloff);
        let noise = columns
            .pixel
            .iter()
            .zip(&columns.shift)
            .zip(&columns.weight);
        for (v, ((&p, &f), ((&x, &shift), &weight))) in row.iter_mut().zip(light.zip(noise)) {
            let light = shot.exposure * (ly + p) * (1.0 - 0.18 * (f + vy));
            let bits = hash32(row_seed.wrapping_add(x.wrapping_mul(0x9E37_79B9)));
            let three = (bits & 0xFF) + (bits >> 8 & 0xFF) + (bits >> 16 & 0xFF);
            let luma = (three as f32 - 382.5) * luma_scale;
            let chroma = ((bits >> shift & 0xF) as f32 - 7.5) * chroma_scale * weight;
            *v = to_u8(f32::from(*v) * light + (luma + chroma));
        }
    }
}

/// What [`finish`] needs of each byte's column, the same on every row: the light's plane
/// and radial falloff there, which pixel the byte belongs to (its noise's hash input), and
/// where its chroma nibble lies in the hash and how much of it counts (none for green).
/// Laid out per byte rather than per pixel, every step of a row is straight arithmetic
/// over bytes, which runs in vector lanes; spreading per-pixel values over a pixel's three
/// bytes took more than half of the pass.
struct Columns {
    plane: Vec<f32>,
    falloff: Vec<f32>,
    pixel: Vec<u32>,
    shift: Vec<u32>,
    weight: Vec<f32>,
}

impl Columns {
    /// The columns of a row `width` pixels wide, for a light whose plane slopes by `gx`
    /// across the frame.
    fn new(width: usize, gx: f32) -> Self {
        let bytes = 0..3 * width;
        let nx = |b: usize| ((b / 3) as f32 + 0.5) / width as f32 * 2.0 - 1.0;
        Self {
            plane: bytes.clone().map(|b| gx * nx(b)).collect(),
            falloff: bytes.clone().map(|b| nx(b) * nx(b)).collect(),
            pixel: bytes.clone().map(|b| (b / 3) as u32).collect(),
            // Red's nibble is bits 24..28 of the hash, blue's 28..32; green has none.
            shift: bytes
                .clone()
                .map(|b| if b % 3 == 2 { 28 } else { 24 })
                .collect(),
            weight: bytes.map(|b| if b % 3 == 1 { 0.0 } else { 1.0 }).collect(),
        }
    }
}

/// A 32-bit integer hash (the "lowbias32" finaliser): consecutive inputs give unrelated
/// outputs, with only 32-bit multiplies, which vector lanes have.
#[inline(always)]
pub(super) fn hash32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}

/// A presentation attack: the face is on a phone held up to the camera, so a dark bezel
/// frames it and the glass shows washed-out contrast, a cool tint and moiré stripes.
fn screen(c: &mut Canvas) {
    let (w, h) = (c.width as f32, c.height as f32);
    let (sx0, sx1, sy0, sy1) = (w * 0.18, w * 0.82, h * 0.1, h * 0.9);
    let bezel = w * 0.04;
    // The stripes are sin(0.9·x + 0.35·y); by the angle-sum rule a sine and a cosine per
    // column and per row take the place of a sine per pixel.
    let columns: Vec<(f32, f32)> = (0..c.width).map(|x| (x as f32 * 0.9).sin_cos()).collect();
    for (y, row) in c.px.chunks_exact_mut(c.width * 3).enumerate() {
        let fy = y as f32;
        if fy <= sy0 || fy >= sy1 {
            continue;
        }
        let (row_sin, row_cos) = (fy * 0.35).sin_cos();
        for ((x, p), &(col_sin, col_cos)) in row.chunks_exact_mut(3).enumerate().zip(&columns) {
            let fx = x as f32;
            if fx <= sx0 || fx >= sx1 {
                continue;
            }
            let in_glass =
                fx > sx0 + bezel && fx < sx1 - bezel && fy > sy0 + bezel && fy < sy1 - bezel;
            let rgb: Rgb = if in_glass {
                let moire = 7.0 * (col_sin * row_cos + col_cos * row_sin);
                [
                    f32::from(p[0]) * 0.72 + 50.0 + moire,
                    f32::from(p[1]) * 0.74 + 56.0 + moire,
                    f32::from(p[2]) * 0.72 + 70.0 + moire,
                ]
            } else {
                [28.0, 28.0, 32.0]
            };
            for (v, c) in p.iter_mut().zip(rgb) {
                *v = c.clamp(0.0, 255.0) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    /// [`finish`] with its light and noise as plain per-pixel arithmetic after the lens
    /// (whose blur has a test of its own): the pass lays its work out per byte for speed,
    /// and must give exactly these bytes.
    fn finish_pixel_by_pixel(c: &mut Canvas, shot: &Shot) {
        crate::synth::lens::blur(&mut c.px, c.width, c.height);
        let (w, h) = (c.width as f32, c.height as f32);
        let (ls, lc) = shot.light_angle.sin_cos();
        let (gx, gy) = (lc * shot.light_strength, ls * shot.light_strength);
        let seed = crate::seed::splitmix64(shot.noise_seed);
        for (y, row) in c.px.chunks_exact_mut(c.width * 3).enumerate() {
            let ny = (y as f32 + 0.5) / h * 2.0 - 1.0;
            let row_seed =
                ((seed ^ (y as u64).wrapping_mul(crate::seed::GOLDEN_GAMMA)) >> 32) as u32;
            for (x, px) in (0u32..).zip(row.chunks_exact_mut(3)) {
                let nx = (x as f32 + 0.5) / w * 2.0 - 1.0;
                let light =
                    shot.exposure * (1.0 + gy * ny + gx * nx) * (1.0 - 0.18 * (nx * nx + ny * ny));
                let bits = hash32(row_seed.wrapping_add(x.wrapping_mul(0x9E37_79B9)));
                let three = (bits & 0xFF) + (bits >> 8 & 0xFF) + (bits >> 16 & 0xFF);
                let luma = (three as f32 - 382.5) * shot.noise / 128.0;
                let chroma = |nibble: u32| (nibble as f32 - 7.5) * shot.noise * 0.35 / 4.61;
                let offsets = [
                    luma + chroma(bits >> 24 & 0xF),
                    luma,
                    luma + chroma(bits >> 28),
                ];
                for (v, o) in px.iter_mut().zip(offsets) {
                    *v = to_u8(f32::from(*v) * light + o);
                }
            }
        }
    }

    #[test]
    fn the_last_pass_gives_what_per_pixel_arithmetic_gives() {
        let mut rng = StdRng::seed_from_u64(7);
        for (width, height) in [(1, 1), (7, 3), (64, 80), (361, 9)] {
            let backdrop = Backdrop::random(&mut rng);
            let shot = Shot {
                spoof: false,
                light_strength: 0.3,
                ..Shot::random(&mut rng, backdrop)
            };
            let mut canvas = Canvas::new(width, height, &shot.backdrop);
            canvas.px.iter_mut().for_each(|v| *v = rng.random());
            let mut expected = Canvas::new(width, height, &shot.backdrop);
            expected.px.clone_from(&canvas.px);
            finish(&mut canvas, &shot);
            finish_pixel_by_pixel(&mut expected, &shot);
            let differing = canvas.px.iter().zip(&expected.px).filter(|(a, b)| a != b);
            assert_eq!(differing.count(), 0, "{width}×{height}");
        }
    }
}
