//! What a generator is asked to make: the population size, the status mix, the snapshot
//! size and quality, the API version, and the limits each of them is held to.

use super::*;
use crate::profile::ApiVersion;
use crate::wire::Mode;

/// The largest population a device may have; the real terminals hold tens of thousands.
pub const MAX_PEOPLE: usize = 100_000;
/// The smallest and largest snapshot side in pixels.
pub const SNAPSHOT_SIDE: std::ops::RangeInclusive<u32> = 16..=4096;

/// What to generate for one device.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    pub seed: u64,
    /// Population size per device.
    pub people: usize,
    pub status_mix: StatusMix,
    /// Device setting: without detection every record has `mask` 0.
    pub mask_detection: bool,
    /// Device setting, copied into each record.
    pub mode: Mode,
    /// Snapshot width and height in pixels, and JPEG quality.
    pub width: u32,
    pub height: u32,
    pub quality: u8,
    /// The API version whose records are made.
    pub api: ApiVersion,
    /// Device setting (from API 1.1): without it `bodyTemperature` is 0.
    pub temperature_detection: bool,
    /// The share of pushes that are alarms, in percent (`None`: the version's default, 1
    /// under 1.3 and 0 before). Only versions with alarms make any.
    pub alarm_share: Option<f64>,
}

impl Default for SynthConfig {
    /// 200 people; the default status mix; mask detection on, since the spec's example
    /// record carries `mask: 1`; face mode; a 360×480 face crop at quality 85, which with
    /// sensor noise comes to 25–42 KB (33 KB on average), like a real terminal's snapshot.
    fn default() -> Self {
        Self {
            seed: 0,
            people: 200,
            status_mix: StatusMix::default(),
            mask_detection: true,
            mode: Mode::FACE,
            width: 360,
            height: 480,
            quality: 85,
            api: ApiVersion::default(),
            temperature_detection: true,
            alarm_share: None,
        }
    }
}

/// Why a [`SynthConfig`] was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The population is empty or too large.
    #[error("population of {0} people is out of range; use 1 to 100000")]
    People(usize),
    /// A snapshot side is too small or too large.
    #[error("snapshot size {width}x{height} is out of range; use 16 to 4096 pixels a side")]
    Size { width: u32, height: u32 },
    /// The JPEG quality is outside 1..=100.
    #[error("jpeg quality {0} is out of range; use 1 to 100")]
    Quality(u8),
    /// The verification mode is not one the API version defines.
    #[error("mode {mode} is not defined in API {api}; use 0 to {max}")]
    Mode { mode: u8, api: ApiVersion, max: u8 },
    /// The alarm share is not a percentage.
    #[error("alarm share {0} is out of range; use 0 to 100 (percent)")]
    AlarmShare(f64),
}

impl SynthConfig {
    /// Checks the ranges that [`Generator::new`] would otherwise clamp silently.
    ///
    /// # Errors
    /// The first [`ConfigError`] found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=MAX_PEOPLE).contains(&self.people) {
            return Err(ConfigError::People(self.people));
        }
        if !SNAPSHOT_SIDE.contains(&self.width) || !SNAPSHOT_SIDE.contains(&self.height) {
            return Err(ConfigError::Size {
                width: self.width,
                height: self.height,
            });
        }
        if !(1..=100).contains(&self.quality) {
            return Err(ConfigError::Quality(self.quality));
        }
        let profile = self.api.profile();
        if !profile.modes.contains(&self.mode.code()) {
            return Err(ConfigError::Mode {
                mode: self.mode.code(),
                api: self.api,
                max: *profile.modes.end(),
            });
        }
        if let Some(share) = self.alarm_share.filter(|s| !(0.0..=100.0).contains(s)) {
            return Err(ConfigError::AlarmShare(share));
        }
        Ok(())
    }

    /// The nearest valid configuration.
    pub(super) fn normalised(&self) -> Self {
        Self {
            people: self.people.clamp(1, MAX_PEOPLE),
            width: self
                .width
                .clamp(*SNAPSHOT_SIDE.start(), *SNAPSHOT_SIDE.end()),
            height: self
                .height
                .clamp(*SNAPSHOT_SIDE.start(), *SNAPSHOT_SIDE.end()),
            quality: self.quality.clamp(1, 100),
            mode: if self.api.profile().modes.contains(&self.mode.code()) {
                self.mode
            } else {
                Mode::FACE
            },
            alarm_share: self.alarm_share.map(|s| s.clamp(0.0, 100.0)),
            ..self.clone()
        }
    }
}
