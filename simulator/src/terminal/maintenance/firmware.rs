//! OTA packages for `POST /v1/device/upgrade`: what makes an upload a package (a
//! gzip-compressed tar, at most [`MAX_PACKAGE_BYTES`]), the firmware version its file name
//! carries (`SensePassS7_V1.3.0_20230601_update.tgz`), and which API version that firmware
//! speaks (the minimum firmware of each version, `Profile::firmware`, §1.6 of the guide).

use std::fmt;
use std::str::FromStr;

use crate::profile::ApiVersion;

/// The largest package the terminal takes (the guide: at most 512 MB).
pub const MAX_PACKAGE_BYTES: u64 = 512 * 1024 * 1024;
/// How much of the start of a package is kept to check that it is one: enough compressed
/// bytes to hold the first tar header.
pub const HEAD_BYTES: usize = 1024 * 1024;

/// A firmware version, `V1.3.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Firmware(pub u32, pub u32, pub u32);

impl fmt::Display for Firmware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "V{}.{}.{}", self.0, self.1, self.2)
    }
}

impl FromStr for Firmware {
    type Err = ();

    /// `V1.3.0` or `1.3.0`: three dot-separated numbers.
    fn from_str(s: &str) -> Result<Self, ()> {
        let s = s.strip_prefix(['V', 'v']).unwrap_or(s);
        let mut parts = s.split('.').map(|p| {
            (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u32>().ok())
                .flatten()
        });
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(Some(a)), Some(Some(b)), Some(Some(c)), None) => Ok(Firmware(a, b, c)),
            _ => Err(()),
        }
    }
}

impl Firmware {
    /// The firmware version a package's file name carries: the first `_`-separated part
    /// that reads `V<major>.<minor>.<patch>`.
    pub fn in_file_name(name: &str) -> Option<Self> {
        let stem = name.rsplit(['/', '\\']).next().unwrap_or(name);
        stem.split(['_', '-'])
            .filter(|part| part.starts_with(['V', 'v']))
            .find_map(|part| {
                // `V1.3.0.tgz` as the last part: drop the extension.
                let part = part
                    .strip_suffix(".tgz")
                    .or_else(|| part.strip_suffix(".tar.gz"))
                    .unwrap_or(part);
                part.parse().ok()
            })
    }

    /// The minimum firmware of an API version.
    pub fn of(api: ApiVersion) -> Self {
        api.profile().firmware.parse().unwrap_or(Firmware(1, 0, 0))
    }

    /// The newest API version this firmware speaks; `None` when it is older than every
    /// version's minimum.
    pub fn api(self) -> Option<ApiVersion> {
        ApiVersion::ALL
            .into_iter()
            .rfind(|v| Firmware::of(*v) <= self)
    }
}

/// Checks that `head`, the first bytes of an upload (`complete`: all of it), starts a
/// gzip-compressed tar: the gzip header, then a first tar header whose checksum is right.
/// When the first deflate block of a long package does not end within the head, its tar
/// header cannot be reached; the gzip header alone then decides.
///
/// # Errors
/// A message saying what is wrong.
pub fn check_package(head: &[u8], complete: bool) -> Result<(), String> {
    if head.len() < 18 || head[..3] != [0x1f, 0x8b, 0x08] {
        return Err("firmware is not an OTA package: not gzip-compressed".into());
    }
    let options = zune_inflate::DeflateOptions::default()
        .set_limit(64 * 1024)
        .set_confirm_checksum(false);
    let mut decoder = zune_inflate::DeflateDecoder::new_with_options(head, options);
    // Only the start of the package is here, so decoding usually stops early; what was
    // decoded until then is all the check needs.
    let tar = match decoder.decode_gzip() {
        Ok(data) => data,
        Err(e) => e.data,
    };
    if tar.len() < 512 && !complete && head.len() >= HEAD_BYTES {
        return Ok(());
    }
    if tar.len() < 512 {
        return Err("firmware is not an OTA package: the gzip stream holds no tar".into());
    }
    if !tar_header_ok(&tar[..512]) {
        return Err("firmware is not an OTA package: not a tar archive inside the gzip".into());
    }
    Ok(())
}

/// Whether a 512-byte block is a tar header: a name, and the checksum (the byte sum of
/// the block with the checksum field read as spaces) equal to the octal number stored.
fn tar_header_ok(block: &[u8]) -> bool {
    if block[0] == 0 {
        return false;
    }
    let field = &block[148..156];
    let text: String = field
        .iter()
        .take_while(|b| **b != 0)
        .map(|b| char::from(*b))
        .collect();
    let digits = text.trim();
    if digits.is_empty() || !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return false;
    }
    let stored = digits.bytes().fold(0u32, |n, b| {
        n.saturating_mul(8).saturating_add(u32::from(b - b'0'))
    });
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(*b)
            }
        })
        .sum();
    sum == stored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_in_file_names() {
        let v = |n: &str| Firmware::in_file_name(n);
        assert_eq!(
            v("SensePassS7_V1.3.0_20230601_update.tgz"),
            Some(Firmware(1, 3, 0))
        );
        assert_eq!(
            v("SensePassS7_V1.0.5_20220801_update.tgz"),
            Some(Firmware(1, 0, 5))
        );
        assert_eq!(v("fw_v1.2.10.tgz"), Some(Firmware(1, 2, 10)));
        assert_eq!(v("update.tgz"), None);
        assert_eq!(v("Video_V1.3_x.tgz"), None);
    }

    #[test]
    fn firmware_maps_to_the_newest_api_it_speaks() {
        assert_eq!(Firmware(1, 0, 5).api(), None);
        assert_eq!(Firmware(1, 0, 8).api(), Some(ApiVersion::V1_0));
        assert_eq!(Firmware(1, 2, 2).api(), Some(ApiVersion::V1_2));
        assert_eq!(Firmware(1, 2, 3).api(), Some(ApiVersion::V1_2_1));
        assert_eq!(Firmware(1, 3, 0).api(), Some(ApiVersion::V1_3));
        assert_eq!(Firmware(2, 0, 0).api(), Some(ApiVersion::V1_3));
    }

    /// A tar with one file, gzip-compressed with stored (uncompressed) deflate blocks.
    pub(crate) fn tgz(len: usize) -> Vec<u8> {
        let mut header = [0u8; 512];
        header[..8].copy_from_slice(b"update.b");
        header[100..108].copy_from_slice(b"0000644\0");
        header[124..136].copy_from_slice(format!("{len:011o}\0").as_bytes());
        header[156] = b'0';
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
        header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        let mut tar = header.to_vec();
        tar.extend(std::iter::repeat_n(0x5a, len));
        tar.resize(tar.len().div_ceil(512) * 512 + 1024, 0);
        let mut gz = vec![0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3];
        let chunks: Vec<&[u8]> = tar.chunks(65_535).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            gz.push(u8::from(i + 1 == chunks.len()));
            let n = chunk.len() as u16;
            gz.extend(n.to_le_bytes());
            gz.extend((!n).to_le_bytes());
            gz.extend(*chunk);
        }
        gz.extend(0u32.to_le_bytes());
        gz.extend((tar.len() as u32).to_le_bytes());
        gz
    }

    #[test]
    fn a_gzip_tar_is_a_package_and_others_are_not() {
        let good = tgz(100_000);
        check_package(&good, true).unwrap();
        check_package(&tgz(10), true).unwrap();
        let err = check_package(b"PK\x03\x04 a zip file, not a package at all", true).unwrap_err();
        assert!(err.contains("not gzip"), "{err}");
        let mut not_tar = good.clone();
        not_tar[10 + 5] = b'X';
        not_tar[10 + 5 + 148] = b'X';
        let err = check_package(&not_tar, true).unwrap_err();
        assert!(err.contains("not a tar"), "{err}");
    }
}
