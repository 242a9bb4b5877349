//! The bodies of the AI helper routes (`/v1/ai/recognitionquality`, `/v1/ai/feature`):
//! the multipart field that carries the picture and the quality answer's entries.

use serde::Serialize;

/// The multipart field that carries the JPEG.
pub const AI_IMAGE_PART: &str = "image";

/// A face rectangle in image coordinates (origin top-left, y down), in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct QualityRect {
    pub left: i64,
    pub top: i64,
    pub right: i64,
    pub bottom: i64,
}

/// The verdict on one face: 0 `PASS` or one of the 802xx codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct QualityResult {
    pub code: i64,
    pub info: String,
}

/// One face of `/v1/ai/recognitionquality`'s answer; angles in degrees.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct QualityEntry {
    pub rect: QualityRect,
    pub yaw: f64,
    pub pitch: f64,
    pub roll: f64,
    pub result: QualityResult,
}
