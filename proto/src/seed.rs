//! Seeds: the one place a run's seed is turned into independent streams of numbers, and the
//! one list of the domains that keep those streams apart.
//!
//! Every reproducible choice in the workspace (people, snapshots, callbacks, retry jitter,
//! snapshot picks, load offsets) starts from the user's `--seed` mixed with a [`Domain`].
//! The domains are one enum with explicit values, so two streams cannot share one by
//! accident: the compiler rejects a value given twice (E0081).

/// What a stream of numbers is for. The values are fixed: changing one changes every stream
/// drawn under it, so the golden event streams would change with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Domain {
    /// The device's population of people.
    Population = 0x9e0b_1a7e_0000_0001,
    /// The device's backdrop, drawn once.
    Backdrop = 0x9e0b_1a7e_0000_0002,
    /// Record `n`'s draw.
    Record = 0x9e0b_1a7e_0000_0003,
    /// Whether record `n` is an alarm, and the alarm's details.
    Alarm = 0x9e0b_1a7e_0000_0004,
    /// Record and alarm UUIDs.
    Uuid = 0x9e0b_1a7e_0000_0005,
    /// Snapshots derived from an enrolled photo.
    Avatar = 0x9e0b_1a7e_0000_0006,
    /// Remote-authentication callbacks and the records made after them.
    Callback = 0x9e0b_1a7e_0000_0007,
    /// The projection from a face signature to the 256 values of a feature.
    Feature = 0x9e0b_1a7e_0000_0a1f,
    /// Serial numbers of a fleet's devices.
    Serial = 0x5e71_a1d0_5e71_a1d0,
    /// Which enrolled person a recognition names.
    Pick = 0x11b7_a7e0_0000_0001,
    /// Which of an enrolled person's photos a snapshot derives from.
    Face = 0x11b7_a7e0_0000_0002,
    /// The certificate-number fields of an enrolled person's records.
    Certificate = 0x11b7_a7e0_0000_0003,
    /// The jitter of a device's delivery retries.
    Retry = 0x7e72_9b0f_0000_0004,
    /// The caller of a pooled load event.
    PoolCaller = 0xa5a5,
    /// The start offsets of a conformance load phase's terminals.
    Stagger = 0x57a6_6e70_0000_0001,
    /// A building's population, plan and days (`facesim fleet --profile building`).
    Building = 0xb11d_0000_0000_0001,
    /// The API version of each terminal of a mixed fleet (`facesim fleet --api-version mix`).
    FleetVersions = 0xf1ee_7000_0000_0001,
}

impl Domain {
    /// The domain's value, to mix into a seed.
    #[must_use]
    pub const fn salt(self) -> u64 {
        self as u64
    }
}

/// The splitmix64 finaliser: a fast, well-mixed 64-bit hash step.
#[must_use]
pub const fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// splitmix64's increment (2^64 / φ): multiplying an index by it spreads consecutive
/// indices over the whole range before they are mixed.
pub const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// FNV-1a over bytes: a stable hash of a serial number or a name (std's hasher is not
/// stable across releases, and reproducibility across builds is the point).
#[must_use]
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_values() {
        // The first outputs of the reference SplitMix64 generator seeded with 0, each
        // being splitmix64 of the state advanced by one gamma.
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(splitmix64(GOLDEN_GAMMA), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
