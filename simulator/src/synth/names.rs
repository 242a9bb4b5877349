//! The identifiers and text the generator writes: serial numbers of a fleet's devices,
//! UUIDs, and text cut to a byte limit without splitting a character.

use crate::seed::{Domain, splitmix64};

/// A realistic, deterministic serial number for device `index` of a fleet, such as
/// `PS71HD01MC22C00014` (S7 family) or `PSC700C024B0012345` (later family). The family,
/// year and production line follow from `seed`; the running number is a seed-dependent
/// base plus `index`, so distinct indices always give distinct serials.
pub fn device_sn(seed: u64, index: u32) -> String {
    let h = splitmix64(seed ^ Domain::Serial.salt());
    let line = char::from(b'A' + (h >> 8 & 7) as u8);
    let base = (h >> 16) % 20_000 + 1;
    let serial = base + u64::from(index);
    if h % 3 == 2 {
        let year = 23 + (h >> 4) % 3;
        format!("PSC700C0{year:02}{line}{serial:07}")
    } else {
        let year = 20 + (h >> 4) % 4;
        format!("PS71HD01MC{year:02}{line}{serial:05}")
    }
}

/// A UUID in the version 4 layout (as the guide's examples spell them) from 128 bits.
pub(crate) fn uuid_v4(a: u64, b: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | (b >> 48 & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(crate) fn truncate_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
