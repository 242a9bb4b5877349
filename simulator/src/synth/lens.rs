//! The camera's lens: the slight optical blur every photograph has, laid over a drawing
//! before the sensor's noise (which the lens does not blur).
//!
//! Why: a drawing's features have the crisp edges of its shapes, and face models read
//! crisp drawn faces as much alike. Blurred as a terminal's lens blurs them, by a 5×5 box
//! (σ ≈ 1.4 pixels), dlib's descriptor put 25.4% of pairs of different people at or above
//! 0.6 where it put 18.6% (`scripts/face-people.py 200 2`; in Python, a Gaussian of 1 and 2
//! pixels over the drawing, noise added after: 23% and 27%). It is the features' blur
//! that counts: softer outlines alone lowered the share, and leaving out the noise did not
//! raise it.
//!
//! The blur is a box: the column sums of five rows, slid from one row to the next (the
//! entering row added, the leaving one taken away), then five of those sums across, in
//! 16-bit lanes, each step straight arithmetic over whole rows, which the compiler
//! vectorises; one multiplication for the rounded mean per byte at the end. At the image's
//! edges the edge pixel repeats.

/// How many pixels either side of a pixel the box reaches.
const REACH: usize = 2;
/// The box's width (and height): the number of pixels each sum adds along a row or a
/// column.
const TAPS: usize = 2 * REACH + 1;
/// The number of values in a box.
const AREA: u32 = (TAPS * TAPS) as u32;
/// `⌈2²² / (2 · AREA)⌉`: `(2 · sum + AREA) · RECIPROCAL >> 22` is a box's sum's mean,
/// rounded, for every sum up to `AREA · 255`: the reciprocal's excess adds under 0.003 of a
/// level there, and the mean's fraction before rounding down is at most 0.98.
const RECIPROCAL: u32 = (1u32 << 22).div_ceil(2 * AREA);

/// Blurs the RGB8 image `px` (`width × height`) by the lens's box, in place.
///
/// # Panics
/// If `px` does not hold `width × height × 3` bytes.
pub(super) fn blur(px: &mut [u8], width: usize, height: usize) {
    assert_eq!(px.len(), width * height * 3, "an RGB8 image of that size");
    if width > 0 && height > 0 {
        box_blur(px, width, height);
    }
}

/// One row at a time: the column sums of the `TAPS` rows around it, kept from the row
/// above by adding the row that enters the window and taking away the one that leaves it
/// (rows above are already blurred in place, so the originals that will leave are kept in
/// a ring), padded with the edge pixels' sums; then every byte the mean of the same
/// channel's column sums `REACH` pixels either side.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn box_blur(px: &mut [u8], width: usize, height: usize) {
    let stride = width * 3;
    // At row `y`, `ring[k]` holds the original of row `y − REACH − 1 + k` (the first row's
    // above the top): the oldest is the row that leaves the window next.
    let mut ring: Vec<Vec<u8>> = (0..=REACH).map(|_| px[..stride].to_vec()).collect();
    // The column sums with `REACH` pixels of padding either side.
    let mut columns = vec![0u16; stride + 6 * REACH];
    for r in 0..TAPS {
        let at = r.saturating_sub(REACH).min(height - 1) * stride;
        let inner = &mut columns[3 * REACH..3 * REACH + stride];
        for (s, &v) in inner.iter_mut().zip(&px[at..at + stride]) {
            *s += u16::from(v);
        }
    }
    for y in 0..height {
        if y > 0 {
            // Row `y + REACH` is not blurred yet; the sum holds the leaving row, so the
            // subtraction never goes below zero.
            let at = (y + REACH).min(height - 1) * stride;
            let inner = &mut columns[3 * REACH..3 * REACH + stride];
            for ((s, &enter), &leave) in inner.iter_mut().zip(&px[at..at + stride]).zip(&ring[0]) {
                *s = *s + u16::from(enter) - u16::from(leave);
            }
        }
        for k in 0..3 * REACH {
            columns[k] = columns[3 * REACH + k % 3];
            columns[3 * REACH + stride + k] = columns[stride + 3 * REACH - 3 + k % 3];
        }
        // The row's original moves into the ring before the row is overwritten.
        let row = &mut px[y * stride..(y + 1) * stride];
        ring.rotate_left(1);
        ring[REACH].copy_from_slice(row);
        // Five taps, spelled out so that the compiler keeps them in registers.
        const _: () = assert!(TAPS == 5, "the sum across names five taps");
        let taps = columns[..stride]
            .iter()
            .zip(&columns[3..3 + stride])
            .zip(&columns[6..6 + stride])
            .zip(&columns[9..9 + stride])
            .zip(&columns[12..12 + stride]);
        for (v, ((((&a, &b), &c), &d), &e)) in row.iter_mut().zip(taps) {
            let sum = u32::from(a + b + c + d + e);
            *v = (((sum * 2 + AREA) * RECIPROCAL) >> 22) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    /// The box blur as plainly as it reads: every byte the rounded mean of the same
    /// channel over the box around it, edges repeated.
    fn blur_plainly(px: &[u8], width: usize, height: usize) -> Vec<u8> {
        let at = |x: isize, y: isize, c: usize| {
            let x = x.clamp(0, width as isize - 1) as usize;
            let y = y.clamp(0, height as isize - 1) as usize;
            u32::from(px[(y * width + x) * 3 + c])
        };
        let reach = REACH as isize;
        let mut out = vec![0u8; px.len()];
        for y in 0..height as isize {
            for x in 0..width as isize {
                for c in 0..3 {
                    let sum: u32 = (-reach..=reach)
                        .flat_map(|dy| (-reach..=reach).map(move |dx| (dx, dy)))
                        .map(|(dx, dy)| at(x + dx, y + dy, c))
                        .sum();
                    out[(y as usize * width + x as usize) * 3 + c] =
                        (f64::from(sum) / f64::from(AREA) + 0.5).floor() as u8;
                }
            }
        }
        out
    }

    #[test]
    fn the_lens_blurs_by_its_box_with_the_edges_repeated() {
        let mut rng = StdRng::seed_from_u64(3);
        for (width, height) in [(1, 1), (2, 7), (9, 1), (17, 13), (64, 40)] {
            let px: Vec<u8> = (0..width * height * 3).map(|_| rng.random()).collect();
            let mut blurred = px.clone();
            blur(&mut blurred, width, height);
            assert_eq!(
                blurred,
                blur_plainly(&px, width, height),
                "{width}×{height}"
            );
        }
    }

    #[test]
    fn the_lens_keeps_a_flat_image_and_every_level_of_it() {
        for level in [0u8, 1, 127, 254, 255] {
            let mut px = vec![level; 12 * 10 * 3];
            blur(&mut px, 12, 10);
            assert!(px.iter().all(|&v| v == level), "level {level}");
        }
    }
}
