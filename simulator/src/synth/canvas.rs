//! The pixel work behind [`face::render`](super::face::render): an RGB8 canvas that fills
//! anti-aliased, rotated ellipses over their bounding boxes only, and the final pass that
//! adds uneven light, vignetting, the look of a photographed screen, and sensor noise.
//! Nothing here allocates per pixel.

use super::face::{Backdrop, Rgb, Shot};

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
}

impl Paint {
    pub(super) fn solid(color: Rgb) -> Self {
        Self {
            color,
            alpha: 1.0,
            shade: 0.0,
            clip: (f32::NEG_INFINITY, f32::INFINITY),
            ring: 0.0,
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
}

/// Multiplies a colour by a factor.
pub(super) fn scaled(c: Rgb, k: f32) -> Rgb {
    c.map(|v| (v * k).min(255.0))
}

impl Canvas {
    /// Fills the canvas with the backdrop: a vertical wall gradient and a door frame.
    pub(super) fn new(width: usize, height: usize, b: &Backdrop) -> Self {
        let mut px = vec![0u8; width * height * 3];
        let frame_lo = ((b.frame_x - b.frame_width / 2.0) * width as f32) as isize;
        let frame_hi = ((b.frame_x + b.frame_width / 2.0) * width as f32) as isize;
        for (y, row) in px.chunks_exact_mut(width * 3).enumerate() {
            let t = y as f32 / height as f32;
            let wall: Rgb =
                std::array::from_fn(|i| b.wall_top[i] * (1.0 - t) + b.wall_bottom[i] * t);
            for (x, p) in row.chunks_exact_mut(3).enumerate() {
                let x = x as isize;
                let c = if (frame_lo..frame_hi).contains(&x) {
                    // A darker edge on one side gives the frame some depth.
                    if x - frame_lo < 3 {
                        scaled(b.frame, 0.7)
                    } else {
                        b.frame
                    }
                } else {
                    wall
                };
                p.copy_from_slice(&c.map(|v| v as u8));
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
        let half_w = (s.rx * s.rx * cos * cos + s.ry * s.ry * sin * sin).sqrt() + 1.0;
        let half_h = (s.rx * s.rx * sin * sin + s.ry * s.ry * cos * cos).sqrt() + 1.0;
        let x0 = (s.cx - half_w).floor().max(0.0) as usize;
        let y0 = (s.cy - half_h).floor().max(0.0) as usize;
        let x1 = ((s.cx + half_w).ceil().max(0.0) as usize).min(self.width);
        let y1 = ((s.cy + half_h).ceil().max(0.0) as usize).min(self.height);
        let edge = s.rx.min(s.ry);
        for y in y0..y1 {
            let fy = y as f32 + 0.5 - s.cy;
            let row = &mut self.px[y * self.width * 3..(y + 1) * self.width * 3];
            for x in x0..x1 {
                let fx = x as f32 + 0.5 - s.cx;
                let u = fx * cos + fy * sin;
                let v = -fx * sin + fy * cos;
                if v < p.clip.0 || v > p.clip.1 {
                    continue;
                }
                let d2 = (u / s.rx) * (u / s.rx) + (v / s.ry) * (v / s.ry);
                if d2 > 1.3 {
                    continue;
                }
                let d = d2.sqrt();
                // Distance to the rim in pixels, approximately, gives the coverage.
                let inside = (1.0 - d) * edge;
                let mut cover = (inside + 0.5).clamp(0.0, 1.0);
                if p.ring > 0.0 {
                    cover *= (p.ring - inside + 0.5).clamp(0.0, 1.0);
                }
                let a = cover * p.alpha;
                if a <= 0.0 {
                    continue;
                }
                let k = 1.0 - p.shade * d2.min(1.0) * d2.min(1.0);
                for (v, &target) in row[x * 3..x * 3 + 3].iter_mut().zip(&p.color) {
                    let old = f32::from(*v);
                    *v = (old + (target * k - old) * a).clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
}

/// The last pass: uneven light, vignetting, a photographed-screen look for spoofs, and
/// sensor noise (mostly luminance, a little chroma), all in one sweep over the pixels.
pub(super) fn finish(c: &mut Canvas, shot: &Shot) {
    let (w, h) = (c.width as f32, c.height as f32);
    let (ls, lc) = shot.light_angle.sin_cos();
    let (gx, gy) = (lc * shot.light_strength, ls * shot.light_strength);
    // The spoof's screen: a phone held in front of the face, with a dark bezel.
    let (sx0, sx1, sy0, sy1) = (w * 0.18, w * 0.82, h * 0.1, h * 0.9);
    let bezel = w * 0.04;
    // xorshift needs a non-zero state; hash the seed so that nearby seeds differ fully.
    let mut state = match super::splitmix64(shot.noise_seed) {
        0 => 0x9e37_79b9_7f4a_7c15,
        s => s,
    };
    for (y, row) in c.px.chunks_exact_mut(c.width * 3).enumerate() {
        let ny = (y as f32 + 0.5) / h * 2.0 - 1.0;
        for (x, p) in row.chunks_exact_mut(3).enumerate() {
            let nx = (x as f32 + 0.5) / w * 2.0 - 1.0;
            let light =
                shot.exposure * (1.0 + gx * nx + gy * ny) * (1.0 - 0.18 * (nx * nx + ny * ny));
            let mut rgb: Rgb = [f32::from(p[0]), f32::from(p[1]), f32::from(p[2])];
            if shot.spoof {
                let (fx, fy) = (x as f32, y as f32);
                let in_screen = fx > sx0 && fx < sx1 && fy > sy0 && fy < sy1;
                let in_glass =
                    fx > sx0 + bezel && fx < sx1 - bezel && fy > sy0 + bezel && fy < sy1 - bezel;
                if in_glass {
                    // Washed-out contrast, a cool tint, and moiré stripes from the screen.
                    let moire = 7.0 * ((fx * 0.9 + fy * 0.35).sin());
                    rgb = [
                        rgb[0] * 0.72 + 50.0 + moire,
                        rgb[1] * 0.74 + 56.0 + moire,
                        rgb[2] * 0.72 + 70.0 + moire,
                    ];
                } else if in_screen {
                    rgb = [28.0, 28.0, 32.0];
                }
            }
            // xorshift64*: one draw per pixel; four bytes summed approximate a Gaussian.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let bits = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
            let byte = |k: u32| ((bits >> (8 * k)) & 0xFF) as f32;
            let luma = (byte(0) + byte(1) + byte(2) + byte(3) - 510.0) / 147.8 * shot.noise;
            let chroma_r = (byte(4) - 127.5) / 73.9 * shot.noise * 0.35;
            let chroma_b = (byte(5) - 127.5) / 73.9 * shot.noise * 0.35;
            p[0] = (rgb[0] * light + luma + chroma_r).clamp(0.0, 255.0) as u8;
            p[1] = (rgb[1] * light + luma).clamp(0.0, 255.0) as u8;
            p[2] = (rgb[2] * light + luma + chroma_b).clamp(0.0, 255.0) as u8;
        }
    }
}
