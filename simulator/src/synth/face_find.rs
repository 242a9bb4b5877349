//! The one face analysis of the simulator: where the face is in a picture, how the head
//! is turned, whether a mask or a hat hides part of it, and what that means for quality.
//! Enrolment (`library::users`), the AI routes (`/v1/ai/*`) and avatar-derived snapshots
//! (`avatar`) all use it, so that a photo the quality route passes is a photo enrolment
//! takes and the face a snapshot is cut around is the face the quality route reports.
//!
//! It is a heuristic, not a trained detector, and it looks for one face, the most
//! prominent one:
//!
//! 1. Skin: the picture is cut into a grid of about 200 cells along its longer side; a
//!    cell is skin when its mean colour falls in the usual YCbCr skin range.
//! 2. The face's blob: the 4-connected skin regions are scored by size, by closeness to
//!    the centre of the picture, and by shape (a door frame or a bare arm is long and
//!    thin, clothes fill the bottom edge); the best one is the face, less the skin that is
//!    far darker than its brighter part (hair). None large enough means no face.
//! 3. The face band: the blob's widest row near its top is the face's width; going up
//!    while rows stay wide gives the forehead, going down the chin (a neck is narrower).
//!    The band's skin gives the centre and width; the rectangle spans from the top of the
//!    band down by the face's proportions (or to the band's bottom when that is lower).
//! 4. Mask: the lower face (below a band that stops too early) is mostly not skin and as
//!    bright as the skin or brighter, as a surgical or FFP2 mask is. A beard is darker.
//! 5. Hat or helmet: above the forehead, a large part of the head's width is covered by a
//!    brightly coloured surface (hair is dark or skin-coloured, walls are grey).
//! 6. Pose: the features (the holes in the band's skin: eyes, brows, nose, mouth) shift
//!    sideways when the head turns (yaw) and up or down when it nods (pitch); the band's
//!    axis of mirror symmetry tilts with the head (roll).

use super::picture::{FaceBox, Picture, decode};
use super::quality::{Face, FaceError, Rect};
use super::scene::luma;
use roll::roll;

mod roll;

/// Where the features' centre sits in the face band of a face seen straight on, as a
/// fraction of the band's height, and how far it moves (times the sine of the pitch).
/// Both are measured on drawn faces seen straight on (400 of them, both palettes, with
/// the proportions of `face::bank`): the features' centre lies between 0.25 and 0.71 of
/// the band in nine faces of ten, because people's eyes, mouths and chins differ (a strong
/// jaw ends the band early), so one person's straight face must not read as another's
/// nod: 381 of 392 are within 20°.
const FEATURES_DOWN: f32 = 0.47;
const FEATURES_TRAVEL: f32 = 0.95;
/// Cells along the picture's longer side.
const GRID: usize = 200;
/// Skin darker than this share of the face's brighter skin is taken for hair.
const DARK_SKIN: f32 = 0.5;

/// The faces of a JPEG or PNG picture (none or one), as the quality route reports them.
///
/// # Errors
/// [`FaceError::Image`] when the picture does not decode.
pub fn faces(image: &[u8]) -> Result<Vec<Face>, FaceError> {
    Ok(analyse(&decode(image)?).into_iter().collect())
}

/// The picture's mean colour per grid cell, with the grid's size and cell side.
struct Grid {
    w: usize,
    h: usize,
    step: usize,
    rgb: Vec<[f32; 3]>,
    skin: Vec<bool>,
}

impl Grid {
    fn of(pic: &Picture) -> Self {
        let step = pic.width.max(pic.height).div_ceil(GRID).max(1);
        let (w, h) = (pic.width / step, pic.height / step);
        let mut rgb = vec![[0f32; 3]; w * h];
        for gy in 0..h {
            for y in gy * step..(gy + 1) * step {
                let row = &pic.px[(y * pic.width) * 3..(y * pic.width + w * step) * 3];
                for (x, p) in row.chunks_exact(3).enumerate() {
                    let cell = &mut rgb[gy * w + x / step];
                    for k in 0..3 {
                        cell[k] += f32::from(p[k]);
                    }
                }
            }
        }
        let n = (step * step) as f32;
        for cell in &mut rgb {
            *cell = cell.map(|v| v / n);
        }
        let skin = rgb.iter().map(|&c| is_skin(c)).collect();
        Self {
            w,
            h,
            step,
            rgb,
            skin,
        }
    }

    fn at(&self, x: usize, y: usize) -> [f32; 3] {
        self.rgb[y * self.w + x]
    }
}

/// Whether a colour is in the usual skin range: YCbCr chroma, not too dark, and a
/// green between about half and nine tenths of the red (which keeps out red clothes).
fn is_skin([r, g, b]: [f32; 3]) -> bool {
    let y = luma([r, g, b]);
    let cb = 128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b;
    let cr = 128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b;
    y > 25.0
        && (136.0..=178.0).contains(&cr)
        && (80.0..=130.0).contains(&cb)
        && g >= 0.45 * r
        && g <= 0.92 * r
}

/// Saturation as (max − min) / max, 0 for grey.
fn saturation(c: [f32; 3]) -> f32 {
    let max = c[0].max(c[1]).max(c[2]);
    let min = c[0].min(c[1]).min(c[2]);
    if max < 1.0 { 0.0 } else { (max - min) / max }
}

/// The 4-connected regions of `skin` (one flag per cell of `grid`), as lists of cells,
/// largest first.
fn blobs(grid: &Grid, skin: &[bool]) -> Vec<Vec<(usize, usize)>> {
    let mut seen = vec![false; grid.w * grid.h];
    let mut out = Vec::new();
    for start in 0..grid.w * grid.h {
        if seen[start] || !skin[start] {
            continue;
        }
        seen[start] = true;
        let mut cells = Vec::new();
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            let (x, y) = (i % grid.w, i / grid.w);
            cells.push((x, y));
            let mut visit = |j: usize| {
                if !seen[j] && skin[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < grid.w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - grid.w);
            }
            if y + 1 < grid.h {
                visit(i + grid.w);
            }
        }
        out.push(cells);
    }
    out.sort_by_key(|b| std::cmp::Reverse(b.len()));
    out
}

/// A blob's size weighted by its closeness to where pictures put faces.
fn centred(grid: &Grid, cells: &[(usize, usize)]) -> f32 {
    let n = cells.len() as f32;
    let (mx, my) = cells.iter().fold((0.0, 0.0), |(a, b), &(x, y)| {
        (a + x as f32 / n, b + y as f32 / n)
    });
    let dx = (mx / grid.w as f32 - 0.5) / 0.35;
    let dy = (my / grid.h as f32 - 0.45) / 0.4;
    n * (-0.5 * (dx * dx + dy * dy)).exp()
}

/// How face-like a blob is: its size, weighted by closeness to the centre and by shape.
/// A door frame or an arm is long and thin, but a face cut short by a mask is about three
/// times as wide as its skin is tall: when the shape allowed only twice, 98 of 400 masked
/// drawn faces were placed wrong, most of them on the neck below the mask (47 at three
/// times; 18 once clothes on the bottom edge were left out too).
fn score(grid: &Grid, cells: &[(usize, usize)]) -> f32 {
    let (x0, x1) = cells
        .iter()
        .fold((usize::MAX, 0), |(lo, hi), &(x, _)| (lo.min(x), hi.max(x)));
    let (y0, y1) = cells
        .iter()
        .fold((usize::MAX, 0), |(lo, hi), &(_, y)| (lo.min(y), hi.max(y)));
    let aspect = (y1 - y0 + 1) as f32 / (x1 - x0 + 1) as f32;
    let fill = cells.len() as f32 / ((y1 - y0 + 1) * (x1 - x0 + 1)) as f32;
    // Clothes of a skin colour fill the picture's bottom edge; a face, even cut off by
    // it, ends in a chin or a neck narrower than half the picture.
    let hem = cells.iter().filter(|&&(_, y)| y + 1 == grid.h).count();
    let shape = if (0.3..=4.0).contains(&aspect) && fill > 0.2 && 2 * hem < grid.w {
        1.0
    } else {
        0.1
    };
    centred(grid, cells) * shape
}

/// The weighted 10th, 50th and 90th percentiles of `values` (not empty).
fn quantiles(values: &mut [f32]) -> (f32, f32, f32) {
    values.sort_by(f32::total_cmp);
    let at = |q: f32| values[((values.len() - 1) as f32 * q).round() as usize];
    (at(0.1), at(0.5), at(0.9))
}

/// Finds the face in `pic`, as described in the module documentation; `None` when no
/// skin region can be a face.
pub fn analyse(pic: &Picture) -> Option<Face> {
    let grid = Grid::of(pic);
    if grid.w < 8 || grid.h < 8 {
        return None;
    }
    // Two passes: the first region tells the face's brightness, the second is the face
    // without the darker skin-coloured cells (hair) that the first may have taken in. Of
    // what is left, the part that is large and central is the face: long hair can join a
    // face to clothes of a skin colour below it, which are larger.
    let first = best_blob(&grid)?;
    let blob = blobs(&grid, &bright_cells(&grid, &first))
        .into_iter()
        .max_by(|a, b| centred(&grid, a).total_cmp(&centred(&grid, b)))?;
    let (y0, y1) = blob
        .iter()
        .fold((usize::MAX, 0), |(lo, hi), &(_, y)| (lo.min(y), hi.max(y)));
    let mut rows = vec![0usize; y1 - y0 + 1];
    let mut spans = vec![(usize::MAX, 0usize); y1 - y0 + 1];
    for &(x, y) in &blob {
        rows[y - y0] += 1;
        let s = &mut spans[y - y0];
        *s = (s.0.min(x), s.1.max(x));
    }
    let smooth = |i: usize| {
        let lo = i.saturating_sub(1);
        let hi = (i + 1).min(rows.len() - 1);
        rows[lo..=hi].iter().sum::<usize>() as f32 / (hi - lo + 1) as f32
    };
    let span = |r: usize| {
        let (lo, hi) = spans[r];
        if lo <= hi { (hi - lo + 1) as f32 } else { 0.0 }
    };
    // The head ends at the neck: the first row, past the face's middle, much narrower
    // than the widest above it (a row whose skin still spans that width is the eyes or
    // glasses, not the neck). Clothes or hair in skin tones further down do not count.
    let mut widest = 0f32;
    let mut end = rows.len();
    for i in 0..rows.len() {
        widest = widest.max(smooth(i));
        if i as f32 > 0.6 * widest && smooth(i) < 0.6 * widest && span(i) < 0.85 * widest {
            end = i;
            break;
        }
    }
    let core = (0..end).max_by(|&a, &b| smooth(a).total_cmp(&smooth(b)))?;
    let width = smooth(core);
    // A few narrow rows (brows, the mouth, a shadow) do not end the band. Nor do the rows
    // of the eyes, however many: there the skin still spans most of the face's width and
    // covers a good part of it, with the eyes, their sockets and glasses as holes. Most,
    // not all: the widest row is often the ears', and hair over the temples narrows the
    // eyes' rows (at 0.85 of the width, 13 of 400 straight faces ended at the glasses and
    // read as a nod or sat too low). (A mask leaves a sliver of skin at each side: too
    // little to count.)
    let gap = (rows.len() / 25).max(2);
    let holed = |r: usize| span(r) >= 0.65 * width && rows[r] as f32 >= 0.3 * width;
    let mut top = core;
    while let Some(next) = (1..=gap.min(top))
        .map(|d| top - d)
        .find(|&r| rows[r] as f32 >= 0.4 * width || holed(r))
    {
        top = next;
    }
    let mut bottom = core;
    while let Some(next) = (1..=gap)
        .map(|d| bottom + d)
        .take_while(|&r| r < end)
        .find(|&r| rows[r] as f32 >= 0.55 * width || holed(r))
    {
        bottom = next;
    }
    let (band_top, band_bottom) = (y0 + top, y0 + bottom);
    let mut xs: Vec<f32> = blob
        .iter()
        .filter(|&&(_, y)| (band_top..=band_bottom).contains(&y))
        .map(|&(x, _)| x as f32 + 0.5)
        .collect();
    let (x10, _, x90) = quantiles(&mut xs);
    let step = grid.step as f32;
    let fw = (x90 - x10) / 0.8;
    let cx = (x10 + x90) / 2.0;
    let (bt, bb) = (band_top as f32, band_bottom as f32 + 1.0);
    let skin_luma = blob
        .iter()
        .filter(|&&(_, y)| (band_top..=band_bottom).contains(&y))
        .map(|&(x, y)| luma(grid.at(x, y)))
        .sum::<f32>()
        / xs.len() as f32;

    // The face's proportions: about 1.2 times as tall as wide. A detector's box starts
    // at the brows, a little below where the forehead's skin begins.
    let fh = 1.2 * fw;
    let mask = masked(&grid, cx, fw, bt, bb, fh, skin_luma);
    let headwear = hatted(&grid, cx, fw, bt);
    let top = bt + 0.1 * fw;
    let bottom = if mask { top + fh } else { bb.max(top + fh) };
    let (yaw, pitch) = match features(&grid, &blob, band_top, band_bottom, cx, fw) {
        Some((fx, fy)) if !mask => {
            let sx = ((fx - cx) / (0.5 * fw)).clamp(-1.0, 1.0);
            let fraction = (fy - bt) / (bb - bt);
            let sy = ((fraction - FEATURES_DOWN) / FEATURES_TRAVEL).clamp(-1.0, 1.0);
            (sx.asin().to_degrees(), -sy.asin().to_degrees())
        }
        _ => (0.0, 0.0),
    };
    let roll = roll(&blob, band_top, band_bottom);
    let (pw, ph) = (pic.width as f32, pic.height as f32);
    let rect = Rect {
        left: ((cx - fw / 2.0) * step).clamp(0.0, pw),
        top: (top * step).clamp(0.0, ph),
        right: ((cx + fw / 2.0) * step).clamp(0.0, pw),
        bottom: (bottom * step).clamp(0.0, ph),
    };
    Some(Face {
        rect,
        yaw,
        pitch,
        roll,
        mask,
        headwear,
        band: FaceBox {
            cx: cx * step,
            cy: (bt + bb) / 2.0 * step,
            w: fw * step,
            h: (bb - bt) * step,
        },
    })
}

/// The most face-like skin region of `grid`, when one is large enough.
fn best_blob(grid: &Grid) -> Option<Vec<(usize, usize)>> {
    let min_cells = (grid.w * grid.h / 400).max(12);
    blobs(grid, &grid.skin)
        .into_iter()
        .take_while(|b| b.len() >= min_cells)
        .max_by(|a, b| score(grid, a).total_cmp(&score(grid, b)))
}

/// The cells of `blob` at least `DARK_SKIN` times as bright as its brighter skin (the
/// 90th percentile), as flags over `grid`; of their regions, the large central one is the
/// face. Hair that passes the skin test in a warm light is far darker than the face;
/// counted, it lengthened the band above a mask until the face no longer looked cut
/// short. (The widest row's median, which `find_face` uses, can be the hair's own: a cap
/// of hair is often as wide as the face.) Only the choice of the face's cells forgets the
/// hair: the tests for masks and hats, which look at what is not skin, still see it as
/// skin.
fn bright_cells(grid: &Grid, blob: &[(usize, usize)]) -> Vec<bool> {
    let mut lumas: Vec<f32> = blob.iter().map(|&(x, y)| luma(grid.at(x, y))).collect();
    let (_, _, bright) = quantiles(&mut lumas);
    let mut cells = vec![false; grid.w * grid.h];
    for &(x, y) in blob {
        cells[y * grid.w + x] = luma(grid.at(x, y)) >= DARK_SKIN * bright;
    }
    cells
}

/// Whether the lower face is covered: the band stops well above the chin, and below it,
/// across the middle of the face, most cells are not skin but are at least nearly as
/// bright as the skin.
fn masked(grid: &Grid, cx: f32, fw: f32, bt: f32, bb: f32, fh: f32, skin_luma: f32) -> bool {
    if bb - bt > 0.8 * fh {
        return false;
    }
    let (x0, x1) = ((cx - 0.3 * fw).max(0.0) as usize, (cx + 0.3 * fw) as usize);
    let (y0, y1) = (bb as usize, (bt + 0.95 * fh) as usize);
    let (mut covered, mut total) = (0usize, 0usize);
    for y in y0..y1.min(grid.h) {
        for x in x0..x1.min(grid.w) {
            total += 1;
            let c = grid.at(x, y);
            if !grid.skin[y * grid.w + x] && luma(c) >= 0.85 * skin_luma {
                covered += 1;
            }
        }
    }
    total > 0 && covered as f32 >= 0.55 * total as f32
}

/// Whether a hat or helmet covers the head: above the forehead, across the head's width,
/// a good part of the cells are a bright, saturated colour that is neither skin nor hair.
/// (No drawn person wears a hat. Of 400 drawn people's enrolment photos, 25 first
/// attempts were refused as hatted, for ginger or auburn hair, none with that hair left
/// out by [`helmet_coloured`]; a bright ginger is as light as an orange helmet, so only
/// colour tells.)
fn hatted(grid: &Grid, cx: f32, fw: f32, bt: f32) -> bool {
    let (x0, x1) = ((cx - 0.5 * fw).max(0.0) as usize, (cx + 0.5 * fw) as usize);
    let (y0, y1) = ((bt - 0.6 * fw).max(0.0) as usize, bt as usize);
    let (mut covered, mut total) = (0usize, 0usize);
    for y in y0..y1.min(grid.h) {
        for x in x0..x1.min(grid.w) {
            total += 1;
            let c = grid.at(x, y);
            if !grid.skin[y * grid.w + x] && helmet_coloured(c) {
                covered += 1;
            }
        }
    }
    total > 0 && covered as f32 >= 0.3 * total as f32
}

/// Whether a colour may be a hat's or helmet's: bright and saturated, but not ginger or
/// auburn hair's, which is red over green over blue with some green and some blue in it,
/// where a helmet's dyed plastic has almost none of one (yellow and orange: blue; red:
/// green and blue; blue: red).
fn helmet_coloured(c @ [r, g, b]: [f32; 3]) -> bool {
    let ginger = r > g && g > b && g > 0.3 * r && b > 0.3 * g;
    saturation(c) > 0.45 && luma(c) > 70.0 && !ginger
}

/// The centre of the features: the cells inside the band, between the skin's left and
/// right edges on their row, that are not skin.
fn features(
    grid: &Grid,
    blob: &[(usize, usize)],
    top: usize,
    bottom: usize,
    cx: f32,
    fw: f32,
) -> Option<(f32, f32)> {
    let (lo, hi) = (
        (cx - 0.45 * fw).max(0.0) as usize,
        (cx + 0.45 * fw) as usize,
    );
    let mut edges = vec![(usize::MAX, 0usize); bottom - top + 1];
    for &(x, y) in blob {
        if (top..=bottom).contains(&y) && (lo..=hi).contains(&x) {
            let e = &mut edges[y - top];
            *e = (e.0.min(x), e.1.max(x));
        }
    }
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0.0);
    for (i, &(l, r)) in edges.iter().enumerate() {
        let y = top + i;
        for x in l.saturating_add(1)..r {
            if !grid.skin[y * grid.w + x] {
                sx += x as f32 + 0.5;
                sy += y as f32 + 0.5;
                n += 1.0;
            }
        }
    }
    (n >= 3.0).then(|| (sx / n, sy / n))
}

/// The face box for snapshot crops and likeness signatures, with the same skin test as
/// [`analyse`] but tuned for centred portraits (kept apart because the likeness measure
/// is calibrated on it): the skin's widest band of rows near the middle of the picture is
/// the face, and the skin within that band gives its width. Only skin at least half as
/// bright as that widest row's counts. The neck below is narrower: a row under half as
/// wide ends the band going down. The box is at most as tall as it is wide and hangs from
/// the band's top, because the top (the hairline or the crown, sharp edges) is where one
/// person's snapshots agree; the bottom is a tapering chin running into a neck of the same
/// colour, where three snapshots of one drawn person ended the band up to 27 pixels apart
/// (of a face 190 wide).
pub(crate) fn find_face(pic: &Picture) -> FaceBox {
    let (w, h) = (pic.width as f32, pic.height as f32);
    let fallback = FaceBox {
        cx: w / 2.0,
        cy: h * 0.45,
        w: w.min(h) * 0.45,
        h: w.min(h) * 0.6,
    };
    // About 160 samples along the longer side are plenty to locate a face.
    let step = (pic.width.max(pic.height) / 160).max(1);
    let (gw, gh) = (pic.width.div_ceil(step), pic.height.div_ceil(step));
    let mut skin = Vec::with_capacity(gw * gh);
    let mut lumas = Vec::with_capacity(gw * gh);
    for gy in 0..gh {
        for gx in 0..gw {
            let colour = pic.at((gx * step) as isize, (gy * step) as isize);
            skin.push(is_skin(colour));
            lumas.push(luma(colour));
        }
    }
    // Only the middle 80 % of the columns count: the sides of a portrait are background.
    let (x_lo, x_hi) = (gw / 10, gw - gw / 10);
    let count_rows = |skin: &[bool]| -> Vec<usize> {
        skin.chunks_exact(gw)
            .map(|row| row[x_lo..x_hi].iter().filter(|&&on| on).count())
            .collect()
    };
    let mut rows = count_rows(&skin);
    let total: usize = rows.iter().sum();
    if total * 50 < (x_hi - x_lo) * gh {
        return fallback;
    }
    // The core row: the widest, weighted towards 45 % down, where portraits put faces.
    let weight = |gy: usize| {
        let d = (gy as f32 / gh as f32 - 0.45) / 0.25;
        rows[gy] as f32 * (-0.5 * d * d).exp()
    };
    let core = (0..gh)
        .max_by(|&a, &b| weight(a).total_cmp(&weight(b)))
        .unwrap_or(gh / 2);
    // Only skin at least half as bright as the core row's counts from here on: hair that
    // passes the skin test in a warm light is far darker than the face, and counted, it
    // moved the band's top into the hair in some snapshots of a person and not in others.
    let mut core_lumas: Vec<f32> = (0..gw)
        .filter(|&gx| skin[core * gw + gx])
        .map(|gx| lumas[core * gw + gx])
        .collect();
    if !core_lumas.is_empty() {
        let (_, median, _) = quantiles(&mut core_lumas);
        for (on, &l) in skin.iter_mut().zip(&lumas) {
            *on = *on && l >= 0.5 * median;
        }
        rows = count_rows(&skin);
    }
    let wide = |gy: usize| rows[gy] * 5 >= rows[core] * 2;
    let wide_below = |gy: usize| rows[gy] * 2 >= rows[core];
    let (mut top, mut bottom) = (core, core);
    // A few narrow rows (eyebrows, eyes, the mouth, a shadow) do not end the band.
    const GAP: usize = 4;
    while let Some(next) = (1..=GAP.min(top)).map(|d| top - d).find(|&r| wide(r)) {
        top = next;
    }
    while let Some(next) = (1..=GAP)
        .map(|d| bottom + d)
        .take_while(|&r| r < gh)
        .find(|&r| wide_below(r))
    {
        bottom = next;
    }
    let mut xs: Vec<(f32, f32)> = Vec::new();
    for gy in top..=bottom {
        for gx in x_lo..x_hi {
            if skin[gy * gw + gx] {
                xs.push(((gx * step) as f32 + 0.5, 1.0));
            }
        }
    }
    if xs.is_empty() {
        return fallback;
    }
    let (x10, x50, x90) = weighted_quantiles(&mut xs);
    let min_side = w.min(h) * 0.12;
    let (y0, y1) = ((top * step) as f32, ((bottom + 1) * step) as f32);
    let fw = ((x90 - x10) / 0.8).clamp(min_side, w);
    let fh = (y1 - y0).min(fw).clamp(min_side, h);
    FaceBox {
        cx: x50,
        cy: y0 + fh / 2.0,
        w: fw,
        h: fh,
    }
}

/// The weighted 10th, 50th and 90th percentiles of `(value, weight)` pairs (not empty).
fn weighted_quantiles(values: &mut [(f32, f32)]) -> (f32, f32, f32) {
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f32 = values.iter().map(|v| v.1).sum();
    let at = [0.1 * total, 0.5 * total, 0.9 * total];
    let mut out = [values[values.len() - 1].0; 3];
    let mut seen = 0.0;
    let mut next = 0;
    for &(value, weight) in values.iter() {
        seen += weight;
        while next < 3 && seen >= at[next] {
            out[next] = value;
            next += 1;
        }
    }
    (out[0], out[1], out[2])
}

#[cfg(test)]
mod tests;
