//! What the face analysis finds and what it means: the face's rectangle and pose, the
//! quality verdict with the guide's result codes, and why a picture gives no usable face.

use super::picture::{AvatarError, FaceBox};

/// A face side shorter than this, in pixels, is too small to recognise reliably.
pub const MIN_FACE_SIDE: f32 = 100.0;
/// Head angles beyond this, in degrees, are too large for recognition.
pub const MAX_ANGLE: f32 = 20.0;

/// A face rectangle in image coordinates: origin top-left, y down, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub left: f32,
    pub top: f32,
    pub right: f32,
    pub bottom: f32,
}

/// One face as the analysis sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    /// The face rectangle, clamped to the picture.
    pub rect: Rect,
    /// Head turn left or right, nod up or down, and tilt, in degrees.
    pub yaw: f32,
    pub pitch: f32,
    pub roll: f32,
    /// The lower face is covered by a mask.
    pub mask: bool,
    /// The top of the head is covered by a hat or helmet.
    pub headwear: bool,
    /// The face band, for crops and signatures.
    pub(crate) band: FaceBox,
}

/// The quality verdict on a face, in the order it is decided: the first that applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    Pass,
    Mask,
    Headwear,
    TooSmall,
    Pitch,
    Yaw,
    Roll,
}

impl Quality {
    /// The guide's result code.
    pub fn code(self) -> i64 {
        match self {
            Self::Pass => 0,
            Self::Mask => 80200,
            Self::Headwear => 80201,
            Self::TooSmall => 80202,
            Self::Pitch => 80204,
            Self::Yaw => 80205,
            Self::Roll => 80206,
        }
    }

    /// The result's `info` text.
    pub fn info(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Mask => "face is covered by a mask",
            Self::Headwear => "face is covered by a hat or helmet",
            Self::TooSmall => "face is too small (a side under 100 px)",
            Self::Pitch => "head is tilted up or down too far (pitch beyond 20 degrees)",
            Self::Yaw => "head is turned too far (yaw beyond 20 degrees)",
            Self::Roll => "head is tilted sideways too far (roll beyond 20 degrees)",
        }
    }

    /// Whether a photo of this quality may be enrolled: a mask or a hat hides what the
    /// feature describes (the lower face, the hairline), and a photo with no usable face
    /// has nothing to describe; size and pose only lower the quality of a match, so the
    /// photo is taken.
    pub fn enrollable(self) -> bool {
        !matches!(self, Self::Mask | Self::Headwear)
    }
}

impl Face {
    /// The quality verdict: mask, then headwear, size and the three angles.
    pub fn quality(&self) -> Quality {
        let r = self.rect;
        if self.mask {
            Quality::Mask
        } else if self.headwear {
            Quality::Headwear
        } else if (r.right - r.left) < MIN_FACE_SIDE || (r.bottom - r.top) < MIN_FACE_SIDE {
            Quality::TooSmall
        } else if self.pitch.abs() > MAX_ANGLE {
            Quality::Pitch
        } else if self.yaw.abs() > MAX_ANGLE {
            Quality::Yaw
        } else if self.roll.abs() > MAX_ANGLE {
            Quality::Roll
        } else {
            Quality::Pass
        }
    }
}

/// Why a picture yields no face to enrol or describe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaceError {
    /// The bytes are not a picture that decodes.
    #[error(transparent)]
    Image(#[from] AvatarError),
    /// No skin region in the picture can be a face.
    #[error("no face found in the picture")]
    NoFace,
    /// The face is there but hidden in part (quality code and reason).
    #[error("face is not usable: {} (quality code {})", .0.info(), .0.code())]
    Unusable(Quality),
}
