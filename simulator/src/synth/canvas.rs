//! The pixel work behind [`face::render`](super::face::render): an RGB8 canvas that fills
//! anti-aliased, rotated ellipses over their bounding boxes only, and the final pass that
//! adds uneven light, vignetting, the look of a photographed screen, and sensor noise.
//! Nothing here allocates per pixel.

use super::scene::{Backdrop, Rgb, Shot};

/// An RGB8 image being drawn.
pub(super) struct Canvas {
    pub(super) width: usize,
    pub(super) height: usize,
    pub(super) px: Vec<u8>,
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
}

impl Area {
    /// The inside of `s`, narrowed below its centre by `taper` as [`Paint::taper`] does.
    pub(super) fn of(s: &Shape, taper: f32) -> Self {
        let (sin, cos) = s.angle.sin_cos();
        Self {
            cx: s.cx,
            cy: s.cy,
            sin,
            cos,
            irx: 1.0 / s.rx.max(1e-3),
            iry: 1.0 / s.ry.max(1e-3),
            taper,
        }
    }

    /// The squared normalised distance of the pixel offset `(fx, fy)` from the centre: 1 on
    /// the rim.
    fn d2_at(&self, fx: f32, fy: f32) -> f32 {
        let u = (fx * self.cos + fy * self.sin) * self.irx;
        let v = (fy * self.cos - fx * self.sin) * self.iry;
        let k = if v > 0.0 {
            (1.0 - self.taper * v.min(1.0) * v.min(1.0)).max(0.05)
        } else {
            1.0
        };
        (u / k) * (u / k) + v * v
    }

    /// Whether the pixel centre `(x, y)` lies inside.
    fn contains(&self, x: f32, y: f32) -> bool {
        self.d2_at(x - self.cx, y - self.cy) < 1.0
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
        Self { width, height, px }
    }

    /// Fills an ellipse with soft (anti-aliased) edges over its bounding box only.
    pub(super) fn fill(&mut self, s: &Shape, p: Paint) {
        if s.rx < 0.5 || s.ry < 0.5 || p.alpha <= 0.0 {
            return;
        }
        let (sin, cos) = s.angle.sin_cos();
        let (irx2, iry2) = (1.0 / (s.rx * s.rx), 1.0 / (s.ry * s.ry));
        let edge = s.rx.min(s.ry);
        // Pixels up to half a pixel outside the rim still get partial coverage.
        let limit = (1.0 + 0.5 / edge) * (1.0 + 0.5 / edge);
        // Pixels at least half a pixel inside the rim are fully covered; a soft paint is
        // full only inside its fade.
        let solid = if p.soft > 0.0 {
            (1.0 - p.soft).powi(2)
        } else {
            (1.0 - 0.5 / edge).max(0.0).powi(2)
        };
        let half_h = (s.rx * s.rx * sin * sin + s.ry * s.ry * cos * cos).sqrt() + 1.0;
        let y0 = (s.cy - half_h).floor().max(0.0) as usize;
        let y1 = ((s.cy + half_h).ceil().max(0.0) as usize).min(self.height);
        // On each row the normalised squared distance is a quadratic in x,
        // qa·fx² + qb·fx + qc, so the span where it stays under the limit is exact, and so
        // is the inner span where the coverage is full.
        let qa = cos * cos * irx2 + sin * sin * iry2;
        let b_per_fy = 2.0 * sin * cos * (irx2 - iry2);
        let c_per_fy2 = sin * sin * irx2 + cos * cos * iry2;
        let clipped = p.clip.0.is_finite() || p.clip.1.is_finite();
        let tapered = (p.taper > 0.0).then(|| Area::of(s, p.taper));
        let width = self.width;
        for y in y0..y1 {
            let fy = y as f32 + 0.5 - s.cy;
            let (qb, qc) = (b_per_fy * fy, c_per_fy2 * fy * fy);
            let Some((lo, hi)) = roots(qa, qb, qc - limit) else {
                continue;
            };
            let (mut x0, mut x1) = pixel_span(s.cx, lo, hi, 0.0, width);
            if clipped {
                // The shape's own vertical coordinate, v = fy·cos − fx·sin, is linear in x,
                // so the clip also bounds the span; a pixel of margin keeps the exact
                // per-pixel test below the only judge at the boundary.
                if sin.abs() > 1e-3 {
                    let (a, b) = ((fy * cos - p.clip.0) / sin, (fy * cos - p.clip.1) / sin);
                    let (c0, c1) = pixel_span(s.cx, a.min(b), a.max(b), -1.0, width);
                    (x0, x1) = (x0.max(c0), x1.min(c1));
                }
            }
            // Well inside a solid shape the coverage is full and no square root is needed;
            // the inner span is shrunk by a pixel so that rounding never puts a rim pixel
            // in it.
            let (i0, i1) = match roots(qa, qb, qc - solid) {
                Some((a, b)) if p.ring <= 0.0 && tapered.is_none() => {
                    let (i0, i1) = pixel_span(s.cx, a, b, 1.0, width);
                    (i0.max(x0), i1.min(x1).max(i0.max(x0)))
                }
                _ => (x0, x0),
            };
            let row = &mut self.px[y * width * 3..(y + 1) * width * 3];
            for x in x0..x1 {
                let fx = x as f32 + 0.5 - s.cx;
                if clipped {
                    let v = fy * cos - fx * sin;
                    if v < p.clip.0 || v > p.clip.1 {
                        continue;
                    }
                }
                if p.within
                    .is_some_and(|m| !m.contains(x as f32 + 0.5, y as f32 + 0.5))
                {
                    continue;
                }
                // A tapered shape lies inside its ellipse, so the ellipse's span holds it.
                let d2 = match &tapered {
                    Some(t) => t.d2_at(fx, fy),
                    None => (qa * fx + qb) * fx + qc,
                };
                let cover = if (i0..i1).contains(&x) {
                    1.0
                } else {
                    if d2 >= limit {
                        continue;
                    }
                    if p.soft > 0.0 {
                        // A smooth step from the rim to the inner edge of the fade.
                        let t = ((1.0 - d2.max(0.0).sqrt()) / p.soft).clamp(0.0, 1.0);
                        t * t * (3.0 - 2.0 * t)
                    } else {
                        // Distance to the rim in pixels, approximately, gives the coverage.
                        let inside = (1.0 - d2.max(0.0).sqrt()) * edge;
                        let rim = (inside + 0.5).clamp(0.0, 1.0);
                        if p.ring > 0.0 {
                            rim * (p.ring - inside + 0.5).clamp(0.0, 1.0)
                        } else {
                            rim
                        }
                    }
                };
                let a = cover * p.alpha;
                if a <= 0.0 {
                    continue;
                }
                let k = 1.0 - p.shade * d2.min(1.0) * d2.min(1.0);
                let px = &mut row[x * 3..x * 3 + 3];
                if a >= 1.0 {
                    // An opaque pixel does not depend on what was under it.
                    for (v, &target) in px.iter_mut().zip(&p.color) {
                        *v = (target * k).clamp(0.0, 255.0) as u8;
                    }
                } else {
                    for (v, &target) in px.iter_mut().zip(&p.color) {
                        let old = f32::from(*v);
                        *v = (old + (target * k - old) * a).clamp(0.0, 255.0) as u8;
                    }
                }
            }
        }
    }
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

/// The last pass: uneven light, vignetting and sensor noise (mostly luminance, a little
/// chroma), one row at a time; spoofs first get their screen drawn in.
///
/// Each row goes in two steps: a per-pixel step that draws the noise and the light into a
/// gain and an offset per byte, and a per-byte step (`byte · gain + offset`) that the
/// compiler vectorises. Doing the arithmetic per pixel on interleaved RGB instead costs
/// about as much again.
pub(super) fn finish(c: &mut Canvas, shot: &Shot) {
    if shot.spoof {
        screen(c);
    }
    let (w, h) = (c.width as f32, c.height as f32);
    let (ls, lc) = shot.light_angle.sin_cos();
    let (gx, gy) = (lc * shot.light_strength, ls * shot.light_strength);
    // The light is a plane times a radial falloff; its per-column terms are computed once
    // rather than per pixel.
    let columns: Vec<[f32; 2]> = (0..c.width)
        .map(|x| {
            let nx = (x as f32 + 0.5) / w * 2.0 - 1.0;
            [gx * nx, nx * nx]
        })
        .collect();
    let mut gain = vec![0f32; c.width * 3];
    let mut offset = vec![0f32; c.width * 3];
    // Four random bytes summed approximate a Gaussian with a standard deviation of 147.8;
    // one centred byte has 73.9. Scale both to the shot's noise level.
    let luma_scale = shot.noise / 147.8;
    let chroma_scale = shot.noise * 0.35 / 73.9;
    let seed = crate::seed::splitmix64(shot.noise_seed);
    for (y, row) in c.px.chunks_exact_mut(c.width * 3).enumerate() {
        let ny = (y as f32 + 0.5) / h * 2.0 - 1.0;
        let (ly, vy) = (1.0 + gy * ny, ny * ny);
        // A hash of the pixel index rather than a sequential generator: every pixel's noise
        // is independent of the previous one, so the loop pipelines well.
        let row_seed = seed ^ (y as u64).wrapping_mul(crate::seed::GOLDEN_GAMMA);
        let pixels = gain.chunks_exact_mut(3).zip(offset.chunks_exact_mut(3));
        for (((g, o), &[lx, vx]), x) in pixels.zip(&columns).zip(0u64..) {
            let light = shot.exposure * (ly + lx) * (1.0 - 0.18 * (vx + vy));
            let bits = fmix64(row_seed.wrapping_add(x));
            // The four low bytes are summed in two 16-bit lanes at once, so that one
            // conversion to float takes the place of four.
            let pairs = (bits & 0x00FF_00FF) + ((bits >> 8) & 0x00FF_00FF);
            let four = ((pairs & 0xFFFF) + ((pairs >> 16) & 0xFFFF)) as f32;
            let byte = |k: u32| ((bits >> (8 * k)) & 0xFF) as f32;
            let luma = (four - 510.0) * luma_scale;
            let chroma_r = (byte(4) - 127.5) * chroma_scale;
            let chroma_b = (byte(5) - 127.5) * chroma_scale;
            g.fill(light);
            o.copy_from_slice(&[luma + chroma_r, luma, luma + chroma_b]);
        }
        for ((v, &g), &o) in row.iter_mut().zip(&gain).zip(&offset) {
            // Through i32, which the compiler converts four lanes at a time; a direct
            // float-to-u8 cast is done one byte at a time.
            *v = (f32::from(*v) * g + o).clamp(0.0, 255.0) as i32 as u8;
        }
    }
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

/// The finaliser of MurmurHash3: turns consecutive counters into unrelated 64-bit values.
fn fmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    z = (z ^ (z >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    z ^ (z >> 33)
}
