//! The face's features over the head [`render`](super::render) has drawn: the eyes in
//! their sockets, the brows, glasses, the nose with its light and shadow, the lips, the
//! marks of age, a beard, and a surgical mask when one is worn.

use super::super::canvas::{Area, Canvas, Paint, Shape, scaled};
use super::super::scene::{Shot, luma};
use super::bank::Geometry;
use super::look::{Look, Sex};

/// The eyes (in their sockets), brows, glasses, nose and mouth.
pub(super) fn features(
    c: &mut Canvas,
    look: &Look,
    shot: &Shot,
    shape: &impl Fn(f32, f32, f32, f32, f32) -> Shape,
    turn: f32,
    lit: f32,
    on_face: Area,
) {
    let g = &look.geometry;
    let skin = look.skin;
    let shadow = |k: f32| scaled(skin, k);
    let dark_hair = scaled(look.hair, 0.8);
    // Brows are darker than the hair on the head, and light hair still leaves them visible.
    // Brows are never lighter than the skin either (blond brows on a dark face read as a
    // light band over the eyes, where a detector wants a dark one).
    let brow_color: [f32; 3] = std::array::from_fn(|i| 0.55 * dark_hair[i] + 0.45 * 0.35 * skin[i]);
    let brow_color = scaled(
        brow_color,
        (0.7 * luma(skin) / luma(brow_color).max(1.0)).min(1.0),
    );
    let (ey, ew) = (g.eye_y, g.eye_width);
    let open = shot.eyes_open;
    for side in [-1.0f32, 1.0] {
        let ex = side * g.eye_x - turn;
        // The socket: the brow ridge shades the eye, darker towards the nose.
        c.fill(
            &shape(ex, ey - 0.04, ew * 1.8, ew * 1.3, 0.0),
            Paint::solid(shadow(0.45)).alpha(0.75).soft(0.85),
        );
        c.fill(
            &shape(ex - side * ew * 0.8, ey + 0.02, ew * 0.6, ew * 0.9, 0.0),
            Paint::solid(shadow(0.55)).alpha(0.45).soft(0.9),
        );
        // The brow: an inner and an outer part, so that it can arch.
        let by = ey - g.brow_gap;
        let tilt = -side * g.brow_tilt;
        let brow = Paint::solid(brow_color).alpha(0.95).soft(0.35);
        c.fill(
            &shape(
                ex - side * g.brow_length * 0.35,
                by + g.brow_tilt * 0.03,
                g.brow_length * 0.7,
                g.brow_thickness * 1.1,
                tilt * 0.5,
            ),
            brow,
        );
        c.fill(
            &shape(
                ex + side * g.brow_length * 0.4,
                by - g.brow_tilt * g.brow_length * 0.4,
                g.brow_length * 0.65,
                g.brow_thickness * 0.8,
                tilt,
            ),
            brow,
        );
        let tilt = -side * g.eye_tilt;
        let eh = ew * g.eye_shape * open;
        if open > 0.3 {
            // The white of the eye is never white in a photograph: it is in shade.
            let white = [
                0.55 * 235.0 + 0.45 * skin[0],
                0.55 * 230.0 + 0.45 * skin[1],
                0.55 * 225.0 + 0.45 * skin[2],
            ];
            c.fill(&shape(ex, ey, ew, eh, tilt), Paint::solid(white).shade(0.5));
            let gaze = -shot.yaw * 0.04;
            let iris = ew * 0.5;
            let clip = eh * 1.05;
            c.fill(
                &shape(ex + gaze, ey, iris, iris, 0.0),
                Paint::solid(look.eyes)
                    .clip(-clip * r_of(shape), clip * r_of(shape))
                    .shade(0.4),
            );
            c.fill(
                &shape(ex + gaze, ey, iris * 0.45, iris * 0.45, 0.0),
                Paint::solid([12.0, 10.0, 10.0]).clip(-clip * r_of(shape), clip * r_of(shape)),
            );
            c.fill(
                &shape(
                    ex + gaze + iris * 0.3,
                    ey - iris * 0.3,
                    iris * 0.17,
                    iris * 0.17,
                    0.0,
                ),
                Paint::solid([250.0; 3]).alpha(0.85),
            );
            if look.sex == Sex::Female {
                // Eyeliner and mascara: a heavier line along the upper lid, winged out.
                c.fill(
                    &shape(
                        ex + side * ew * 0.1,
                        ey - eh * 0.8,
                        ew * 1.15,
                        ew * 0.2,
                        tilt - side * 0.1,
                    ),
                    Paint::solid([10.0, 8.0, 8.0]),
                );
            }
            // The upper lid and its lashes, and the crease above.
            c.fill(
                &shape(ex, ey - eh * 0.85, ew * 1.05, ew * 0.14, tilt),
                Paint::solid([25.0, 20.0, 20.0]).alpha(0.9),
            );
            c.fill(
                &shape(ex, ey - eh - ew * 0.3, ew * 0.95, ew * 0.1, tilt),
                Paint::solid(shadow(0.5)).alpha(0.5).soft(0.6),
            );
            c.fill(
                &shape(ex, ey + eh * 0.95, ew * 0.9, ew * 0.07, tilt),
                Paint::solid(shadow(0.45)).alpha(0.5).soft(0.5),
            );
        } else {
            c.fill(
                &shape(ex, ey, ew, ew * 0.12, tilt),
                Paint::solid([25.0, 20.0, 20.0]).alpha(0.85),
            );
        }
        if let Some(frame) = look.glasses {
            c.fill(
                &shape(ex, ey + 0.01, ew * 1.6, ew * 1.1, 0.0),
                Paint::solid(frame).ring(0.03 * r_of(shape)),
            );
            // A lens barely shows: a bright sheen over the eyes would take away the dark
            // band across them that a detector looks for.
            c.fill(
                &shape(ex, ey + 0.01, ew * 1.5, ew * 1.0, 0.0),
                Paint::solid([220.0, 230.0, 240.0]).alpha(0.05),
            );
        }
    }
    if let Some(frame) = look.glasses {
        let bridge = g.eye_x - g.eye_width * 1.6;
        c.fill(
            &shape(-turn, ey - 0.03, bridge.max(0.05), 0.022, 0.0),
            Paint::solid(frame),
        );
    }

    // The nose: a lit bridge, a shadow on the side away from the light, a rounded tip,
    // the wings, the nostrils and the shadow beneath.
    let nx = -turn * 1.6;
    let len = g.nose_y - ey;
    c.fill(
        &shape(
            nx * 0.8,
            ey + len * 0.5,
            g.nose_width * 0.45,
            len * 0.55,
            0.0,
        ),
        Paint::solid(look.sheen()).alpha(0.5).soft(0.8),
    );
    c.fill(
        &shape(
            nx - lit * g.nose_width * 0.75,
            ey + len * 0.6,
            g.nose_width * 0.5,
            len * 0.5,
            0.0,
        ),
        Paint::solid(shadow(0.6)).alpha(0.55).soft(0.8),
    );
    c.fill(
        &shape(nx, g.nose_y + 0.08, g.nose_width * 1.3, 0.09, 0.0),
        Paint::solid(shadow(0.5)).alpha(0.55).soft(0.8),
    );
    for side in [-1.0, 1.0] {
        c.fill(
            &shape(
                nx + side * g.nose_width * 0.8,
                g.nose_y,
                g.nose_width * 0.45,
                0.07,
                0.0,
            ),
            Paint::solid(shadow(0.75)).alpha(0.6).soft(0.6),
        );
        c.fill(
            &shape(
                nx + side * g.nose_width * 0.45,
                g.nose_y + 0.05,
                0.035,
                0.02,
                side * 0.3,
            ),
            Paint::solid(shadow(0.35)).alpha(0.8).soft(0.3),
        );
    }
    c.fill(
        &shape(nx, g.nose_y - 0.02, g.nose_width * 0.55, 0.07, 0.0),
        Paint::solid(look.sheen()).alpha(0.5).soft(0.8),
    );

    // Age: the folds from the nose's wings to the mouth's corners, bags under the eyes.
    if g.age > 0.3 {
        let depth = (g.age - 0.3) * 0.8;
        for side in [-1.0f32, 1.0] {
            let (x0, y0) = (nx + side * g.nose_width * 1.2, g.nose_y + 0.02);
            let (x1, y1) = (-turn * 1.2 + side * g.mouth_width * 1.1, g.mouth_y + 0.05);
            let len = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
            let angle = (y1 - y0).atan2(x1 - x0);
            c.fill(
                &shape((x0 + x1) / 2.0, (y0 + y1) / 2.0, len * 0.55, 0.02, angle),
                Paint::solid(shadow(0.5)).alpha(depth).soft(0.8),
            );
            let ex = side * g.eye_x - turn;
            c.fill(
                &shape(ex, ey + ew * 0.75, ew * 0.8, ew * 0.22, 0.0),
                Paint::solid(shadow(0.6)).alpha(depth * 0.8).soft(0.8),
            );
        }
    }
    if look.beard {
        // A beard grows on the chin and along the jaw, with a moustache over the lip; the
        // cheeks stay skin and the lips show through. Drawn as one dark blob up to the nose,
        // it hid the lower half of the face from the detectors (Haar found 43% of bearded
        // faces).
        // A beard's colour is the hair's seen over the skin's deep shade between the hairs:
        // a grey beard on a dark face reads grey, not as the white patch that the hair's
        // own colour made, and a dark beard on dark skin keeps the skin's hue. With the
        // hair's colour alone, Haar found 89% of bearded men (63% of light-haired, 74% of
        // dark-skinned ones) against 99% of the same men shaved; mixed, 97%.
        let deep = shadow(0.35);
        let colour: [f32; 3] = std::array::from_fn(|i| 0.5 * dark_hair[i] + 0.5 * deep[i]);
        let beard = Paint::solid(colour).within(on_face);
        c.fill(
            &shape(-turn * 1.1, g.mouth_y + 0.32, 0.8, 0.5, 0.0),
            beard.alpha(0.6).soft(0.45),
        );
        c.fill(
            &shape(-turn, g.mouth_y + 0.1, 1.0, 0.55, 0.0),
            beard.alpha(0.22).soft(0.6),
        );
        c.fill(
            &shape(
                -turn * 1.2,
                g.mouth_y - g.upper_lip * 1.6 - 0.03,
                g.mouth_width * 1.05,
                0.055,
                0.0,
            ),
            beard.alpha(0.7).soft(0.5),
        );
    }
    // The mouth: the upper lip in shade, the lower lip lit, the line between them curving
    // up at the corners when smiling, and the shadow under the lower lip.
    let (mx, my, mw) = (-turn * 1.2, g.mouth_y, g.mouth_width);
    // Lips are never lighter than the skin around them: the palette's pinks on a dark face
    // made a bright mouth, the opposite of the dark one a detector looks for.
    let lips = scaled(
        look.lips,
        (0.85 * luma(skin) / luma(look.lips).max(1.0)).min(1.0),
    );
    match look.sex {
        Sex::Female => {
            // Blush on the cheeks; lipstick below.
            for side in [-1.0f32, 1.0] {
                c.fill(
                    &shape(side * 0.5 - turn * 0.8, g.nose_y, 0.25, 0.18, 0.0),
                    Paint::solid(BLUSH).alpha(0.25).soft(0.9).within(on_face),
                );
            }
        }
        // A shaved beard still shadows the lower face.
        Sex::Male if !look.beard => c.fill(
            &shape(-turn, g.mouth_y + 0.15, 0.85, 0.5, 0.0),
            Paint::solid(dark_hair)
                .alpha(0.12)
                .soft(0.7)
                .within(on_face),
        ),
        Sex::Male => {}
    }
    let lips = match look.sex {
        Sex::Female => std::array::from_fn(|i| 0.5 * lips[i] + 0.5 * LIPSTICK[i]),
        Sex::Male => lips,
    };
    c.fill(
        &shape(mx, my + g.lower_lip * 2.0 + 0.05, mw * 0.55, 0.05, 0.0),
        Paint::solid(shadow(0.6)).alpha(0.5).soft(0.8),
    );
    c.fill(
        &shape(mx, my - g.upper_lip * 0.8, mw * 0.95, g.upper_lip, 0.0),
        Paint::solid(scaled(lips, 0.8)).shade(0.3).soft(0.25),
    );
    c.fill(
        &shape(mx, my + g.lower_lip * 0.9, mw * 0.85, g.lower_lip, 0.0),
        Paint::solid(lips).shade(0.3).soft(0.25),
    );
    for side in [-1.0, 1.0] {
        let corner = shape(
            side * mw * 0.5 + mx,
            my - 0.012 * shot.smile,
            mw * 0.55,
            0.016,
            -side * 0.12 * shot.smile,
        );
        c.fill(&corner, Paint::solid(scaled(lips, 0.35)));
    }
}

/// The colours of lipstick and of blush.
const LIPSTICK: [f32; 3] = [160.0, 30.0, 55.0];
const BLUSH: [f32; 3] = [220.0, 110.0, 120.0];

/// A surgical mask over the nose and mouth, with its pleats and ear straps.
pub(super) fn mask(
    c: &mut Canvas,
    g: &Geometry,
    shape: &impl Fn(f32, f32, f32, f32, f32) -> Shape,
    turn: f32,
) {
    let mask_color = [176.0, 206.0, 228.0];
    let r = r_of(shape);
    let centre = g.mouth_y - 0.05;
    let top = (g.nose_y - 0.18 - centre) * r;
    let mask = shape(-turn * 0.6, centre, 1.0, 0.68, 0.0);
    c.fill(
        &mask,
        Paint::solid(mask_color)
            .shade(0.18)
            .clip(top, f32::INFINITY),
    );
    for pleat in [-0.15, 0.0, 0.15] {
        let fold = shape(-turn * 0.6, centre + pleat, 0.7, 0.012, 0.0);
        c.fill(&fold, Paint::solid(scaled(mask_color, 0.82)).alpha(0.8));
    }
    for side in [-1.0, 1.0] {
        let strap = shape(side * 0.93, 0.12, 0.12, 0.26, 0.0);
        c.fill(&strap, Paint::solid([236.0, 238.0, 240.0]).ring(0.02 * r));
    }
}

/// The pixels per head-local unit of `shape`.
pub(super) fn r_of(shape: &impl Fn(f32, f32, f32, f32, f32) -> Shape) -> f32 {
    shape(0.0, 0.0, 1.0, 1.0, 0.0).rx
}
