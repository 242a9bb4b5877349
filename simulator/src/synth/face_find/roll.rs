//! The head's tilt (roll) from the face band's skin: the turn of its axis of mirror
//! symmetry.

/// The largest tilt, in degrees either way, that the mirror test tries.
const MAX_ROLL: i32 = 60;

/// What a hole (an eye, a brow, the mouth) mirrored onto a hole counts for, against a
/// skin cell mirrored onto skin. The band's outline is what light and shade, curls and
/// glasses blur; its holes are few but keep the face's symmetry. Over 48 tilted faces of
/// the quality test, weights of 3 to 15 refused 38 or 39 as tilted, 1 refused 34 and skin
/// alone 28; over 96 faces of 48 other people, skin alone refused 62 and a weight of 4, 83.
const HOLE_WEIGHT: usize = 4;

/// The tilt of the head in degrees (positive: clockwise on screen, as a drawn roll
/// turns): the turn of the line, through the band's centre or a few cells beside it, about
/// which the band's skin, and most of all the holes its features make in it, is most
/// nearly its own mirror image. A face, its ears and the holes of its features are
/// symmetric about the head's upright axis whatever the band's shape. (The line through
/// the midpoints of the band's rows, read before, leans with the head for a band taller
/// than wide and against it for a wider one: of 48 faces tilted by 34 degrees, it found
/// 25 tilted.)
pub(super) fn roll(blob: &[(usize, usize)], top: usize, bottom: usize) -> f32 {
    let cells: Vec<(usize, usize)> = blob
        .iter()
        .copied()
        .filter(|p| (top..=bottom).contains(&p.1))
        .collect();
    let Some(left) = cells.iter().map(|p| p.0).min() else {
        return 0.0;
    };
    let right = cells.iter().map(|p| p.0).max().unwrap_or(left);
    let (w, h) = (right - left + 1, bottom - top + 1);
    let mut skin = vec![false; w * h];
    for &(x, y) in &cells {
        skin[(y - top) * w + x - left] = true;
    }
    // The holes: cells inside a row's span of skin that are not skin (eyes, brows, the
    // mouth, glasses' frames), the most telling part of a face's symmetry.
    let mut hole = vec![false; w * h];
    for row in 0..h {
        let line = &skin[row * w..(row + 1) * w];
        if let (Some(a), Some(b)) = (line.iter().position(|&s| s), line.iter().rposition(|&s| s)) {
            for x in a..=b {
                hole[row * w + x] = !line[x];
            }
        }
    }
    let holes: Vec<(usize, usize)> = (0..w * h)
        .filter(|&i| hole[i])
        .map(|i| (i % w + left, i / w + top))
        .collect();
    let n = cells.len() as f32;
    let (mx, my) = cells.iter().fold((0.0, 0.0), |(a, b), &(x, y)| {
        (a + x as f32 / n, b + y as f32 / n)
    });
    // How many cells' mirror images are skin too, about the head's upright axis turned
    // as a drawn roll turns it, `offset` cells beside the band's centre (light and shade
    // cost one side some skin, so the centre of the skin is not quite on the axis).
    let mirrored = |degrees: i32, offset: i32| {
        let (sin, cos) = (degrees as f32).to_radians().sin_cos();
        let (dx, dy) = (-sin, cos);
        let (ox, oy) = (mx + offset as f32 * cos, my + offset as f32 * sin);
        let onto = |of: &[(usize, usize)], mask: &[bool]| {
            of.iter()
                .filter(|&&(x, y)| {
                    let (px, py) = (x as f32 - ox, y as f32 - oy);
                    let along = px * dx + py * dy;
                    let rx = (ox + 2.0 * along * dx - px).round() - left as f32;
                    let ry = (oy + 2.0 * along * dy - py).round() - top as f32;
                    rx >= 0.0
                        && ry >= 0.0
                        && (rx as usize) < w
                        && (ry as usize) < h
                        && mask[ry as usize * w + rx as usize]
                })
                .count()
        };
        onto(&cells, &skin) + HOLE_WEIGHT * onto(&holes, &hole)
    };
    // Coarse, then fine around the best; nearest upright first, so that of equally good
    // turns the smallest wins.
    let search = |turns: &[i32], offsets: &[i32]| {
        let mut best = (0, 0, 0);
        for &degrees in turns {
            for &offset in offsets {
                let m = mirrored(degrees, offset);
                if m > best.0 {
                    best = (m, degrees, offset);
                }
            }
        }
        best
    };
    let coarse: Vec<i32> = (0..=MAX_ROLL / 3)
        .flat_map(|k| [3 * k, -3 * k])
        .skip(1)
        .collect();
    let (_, turn, offset) = search(&coarse, &[0, 2, -2, 4, -4, 6, -6]);
    let (_, turn, _) = search(
        &[turn, turn + 1, turn - 1, turn + 2, turn - 2],
        &[offset, offset + 1, offset - 1],
    );
    turn as f32
}
