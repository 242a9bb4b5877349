//! What a snapshot is taken of, apart from the face: the colours (`Rgb`), the terminal's
//! fixed surroundings (`Backdrop`) and how one frame came out (`Shot`: pose, light,
//! exposure, noise, expression).

use rand::RngExt;

/// An RGB colour with channels in 0..=255.
pub type Rgb = [f32; 3];

/// A colour's luma (0 to 255), with the weights of BT.601 that JPEG's YCbCr uses.
#[inline]
pub fn luma([r, g, b]: Rgb) -> f32 {
    0.299 * r + 0.587 * g + 0.114 * b
}

/// The fixed surroundings of one terminal: a wall and a door frame behind the people.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backdrop {
    pub wall_top: Rgb,
    pub wall_bottom: Rgb,
    pub frame: Rgb,
    /// Horizontal position of the door frame, as a fraction of the width.
    pub frame_x: f32,
    /// Width of the door frame, as a fraction of the width.
    pub frame_width: f32,
}

/// How one frame came out: everything that differs between two snapshots of one person.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shot {
    pub backdrop: Backdrop,
    /// Head offset from the frame centre, as fractions of width and height.
    pub dx: f32,
    pub dy: f32,
    /// Head size relative to the usual distance from the camera.
    pub scale: f32,
    /// Head tilt in radians (roll).
    pub roll: f32,
    /// Head turn from -1 (left) to 1 (right); shifts the features sideways.
    pub yaw: f32,
    /// Direction the light comes from, in radians, and how uneven it is (0 = flat).
    pub light_angle: f32,
    pub light_strength: f32,
    /// Overall brightness factor.
    pub exposure: f32,
    /// Standard deviation of the sensor noise, in 8-bit levels.
    pub noise: f32,
    pub noise_seed: u64,
    /// From -0.3 (frown) to 1 (smile).
    pub smile: f32,
    /// Eye openness from 0 (closed) to 1.
    pub eyes_open: f32,
    pub mask_worn: bool,
    /// A presentation attack: the face is a photo or a phone screen held up to the camera.
    pub spoof: bool,
}

/// Picks one entry of a non-empty palette.
pub(super) fn pick<R: RngExt + ?Sized>(rng: &mut R, palette: &[[u8; 3]]) -> Rgb {
    let c = palette[rng.random_range(0..palette.len())];
    [f32::from(c[0]), f32::from(c[1]), f32::from(c[2])]
}

const WALLS: &[[u8; 3]] = &[
    [214, 212, 204],
    [200, 204, 210],
    [226, 220, 206],
    [180, 186, 180],
    [120, 126, 136],
    [232, 232, 234],
];
const DOOR_FRAMES: &[[u8; 3]] = &[[90, 70, 50], [60, 60, 64], [150, 150, 150], [200, 200, 204]];

impl Backdrop {
    /// A random wall and door frame for one terminal's surroundings.
    pub fn random<R: RngExt + ?Sized>(rng: &mut R) -> Self {
        let wall = pick(rng, WALLS);
        Self {
            wall_top: wall.map(|v| (v * 1.06).min(255.0)),
            wall_bottom: wall.map(|v| v * 0.82),
            frame: pick(rng, DOOR_FRAMES),
            frame_x: rng.random_range(0.05..0.95),
            frame_width: rng.random_range(0.04..0.09),
        }
    }
}

impl Shot {
    /// A random frame of a face in front of a terminal with `backdrop`.
    pub fn random<R: RngExt + ?Sized>(rng: &mut R, backdrop: Backdrop) -> Self {
        Self {
            backdrop,
            dx: rng.random_range(-0.05..0.05),
            dy: rng.random_range(-0.04..0.04),
            scale: rng.random_range(0.9..1.08),
            roll: rng.random_range(-0.12..0.12),
            yaw: rng.random_range(-0.5..0.5),
            light_angle: rng.random_range(0.0..std::f32::consts::TAU),
            light_strength: rng.random_range(0.04..0.3),
            exposure: rng.random_range(0.86..1.1),
            noise: rng.random_range(3.0..6.0),
            noise_seed: rng.random(),
            smile: rng.random_range(-0.3..1.0),
            eyes_open: if rng.random_bool(0.05) {
                0.1
            } else {
                rng.random_range(0.75..1.0)
            },
            mask_worn: false,
            spoof: false,
        }
    }
}
