//! JPEG encoding of snapshots and the COM trace segment that ties every image back to the
//! device and record that produced it (`facesim sn=<sn> seq=<n>`), so a receiver's stored
//! image can be matched to the event it came with.

use jpeg_encoder::{ColorType, Encoder};

use super::truncate_at_char;

/// Start of image.
const SOI: [u8; 2] = [0xFF, 0xD8];
/// The comment marker's second byte (the full marker is `FF FE`).
const COM: u8 = 0xFE;
/// Start of scan: entropy-coded data follows, no more header segments.
const SOS: u8 = 0xDA;
/// End of image.
const EOI: u8 = 0xD9;
/// The most text a COM segment holds: its length field is 16 bits and counts itself.
pub const MAX_COMMENT_BYTES: usize = u16::MAX as usize - 2;
/// What every trace comment starts with.
const TRACE_PREFIX: &str = "facesim sn=";
/// What separates the serial number from the sequence number in a trace comment.
const TRACE_SEQ: &str = " seq=";

/// Encodes an RGB8 image as a baseline JPEG with `comment` in a COM segment right after
/// SOI. Quality is clamped to 1..=100; below 90 chroma is subsampled 2×2, as cameras do.
/// A comment longer than [`MAX_COMMENT_BYTES`] is cut at a character boundary.
///
/// # Panics
/// If `width` or `height` is zero or above 65535, or `rgb` holds fewer than
/// `width * height * 3` bytes. Callers pass dimensions validated by `SynthConfig`.
pub fn encode(rgb: &[u8], width: u32, height: u32, quality: u8, comment: &str) -> Vec<u8> {
    let w = u16::try_from(width).expect("snapshot width is validated to fit in 16 bits");
    let h = u16::try_from(height).expect("snapshot height is validated to fit in 16 bits");
    // A noisy face at quality 85 takes about 1.3 bits per pixel; reserving that up front
    // avoids most reallocations while the encoder appends.
    let mut out = Vec::with_capacity(rgb.len() / 16 + 1024);
    Encoder::new(&mut out, quality.clamp(1, 100))
        .encode(rgb, w, h, ColorType::Rgb)
        .expect("encoding into a Vec only fails on bad dimensions, which callers exclude");
    // The encoder writes SOI first; slide the comment in behind it.
    let segment = com_segment(comment);
    out.splice(2..2, segment);
    out
}

/// The trace comment of record `seq` of device `sn`: exactly `facesim sn=<sn> seq=<n>`.
pub fn trace_comment(sn: &str, seq: u64) -> String {
    format!("{TRACE_PREFIX}{sn}{TRACE_SEQ}{seq}")
}

/// Parses a trace comment back into `(sn, seq)`; the inverse of [`trace_comment`].
/// Returns `None` for any other text.
pub fn parse_trace(comment: &str) -> Option<(String, u64)> {
    let rest = comment.strip_prefix(TRACE_PREFIX)?;
    // The sequence number is the last field, so split at the last separator: that keeps
    // the inverse exact even for a serial number that itself contains " seq=".
    let (sn, seq) = rest.rsplit_once(TRACE_SEQ)?;
    if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((sn.to_string(), seq.parse().ok()?))
}

/// Returns `jpeg` with its comment set to `comment`: a COM segment directly after SOI is
/// replaced, otherwise one is inserted there. The rest of the file is copied untouched, so
/// this costs one allocation and one copy: cheap enough to stamp a pooled image per
/// request. Bytes that do not start with SOI are returned unchanged, since there is no
/// safe place to put a segment.
pub fn with_comment(jpeg: &[u8], comment: &str) -> Vec<u8> {
    if !jpeg.starts_with(&SOI) {
        return jpeg.to_vec();
    }
    let mut rest = &jpeg[2..];
    if let [0xFF, COM, hi, lo, ..] = *rest {
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        // A length below 2 or past the end means the segment is broken; keep the bytes
        // as they are behind the new comment rather than guess where it ends.
        if len >= 2 && 2 + len <= rest.len() {
            rest = &rest[2 + len..];
        }
    }
    let segment = com_segment(comment);
    let mut out = Vec::with_capacity(2 + segment.len() + rest.len());
    out.extend_from_slice(&SOI);
    out.extend_from_slice(&segment);
    out.extend_from_slice(rest);
    out
}

/// The text of the first COM segment among the header segments (before the scan data),
/// decoded lossily as UTF-8. `None` if there is none or the header is malformed; never
/// panics, whatever the bytes.
pub fn read_comment(jpeg: &[u8]) -> Option<String> {
    if !jpeg.starts_with(&SOI) {
        return None;
    }
    let mut i = 2;
    loop {
        if *jpeg.get(i)? != 0xFF {
            return None;
        }
        // Any number of 0xFF fill bytes may precede a marker.
        while *jpeg.get(i + 1)? == 0xFF {
            i += 1;
        }
        let marker = *jpeg.get(i + 1)?;
        match marker {
            SOS | EOI => return None,
            // Markers without a length field: TEM and the restart markers.
            0x01 | 0xD0..=0xD7 => {
                i += 2;
                continue;
            }
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*jpeg.get(i + 2)?, *jpeg.get(i + 3)?]));
        if len < 2 {
            return None;
        }
        let body = jpeg.get(i + 4..i + 2 + len)?;
        if marker == COM {
            return Some(String::from_utf8_lossy(body).into_owned());
        }
        i += 2 + len;
    }
}

/// A whole COM segment (marker, length, text) for `comment`, cut to fit.
fn com_segment(comment: &str) -> Vec<u8> {
    let text = truncate_at_char(comment, MAX_COMMENT_BYTES);
    let len = u16::try_from(text.len() + 2).expect("the text was cut to fit the length field");
    let mut segment = Vec::with_capacity(text.len() + 4);
    segment.extend_from_slice(&[0xFF, COM]);
    segment.extend_from_slice(&len.to_be_bytes());
    segment.extend_from_slice(text.as_bytes());
    segment
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Decodes a JPEG and returns its dimensions and pixel bytes.
    fn decode(jpeg: &[u8]) -> (usize, usize, Vec<u8>) {
        let mut decoder = zune_jpeg::JpegDecoder::new(std::io::Cursor::new(jpeg));
        let pixels = decoder.decode().expect("the JPEG decodes");
        let info = decoder.info().expect("headers were read");
        (usize::from(info.width), usize::from(info.height), pixels)
    }

    fn gradient(width: u32, height: u32) -> Vec<u8> {
        let mut rgb = Vec::with_capacity((width * height * 3) as usize);
        for y in 0..height {
            for x in 0..width {
                rgb.extend_from_slice(&[(x * 3) as u8, (y * 2) as u8, ((x + y) / 2) as u8]);
            }
        }
        rgb
    }

    #[test]
    fn encode_puts_the_comment_after_soi_and_decodes() {
        let jpeg = encode(&gradient(40, 30), 40, 30, 85, "facesim sn=X seq=1");
        assert_eq!(&jpeg[..4], &[0xFF, 0xD8, 0xFF, 0xFE]);
        assert_eq!(read_comment(&jpeg).as_deref(), Some("facesim sn=X seq=1"));
        let (w, h, pixels) = decode(&jpeg);
        assert_eq!((w, h, pixels.len()), (40, 30, 40 * 30 * 3));
    }

    #[test]
    fn with_comment_replaces_and_inserts() {
        let jpeg = encode(&gradient(16, 16), 16, 16, 80, "first");
        let second = with_comment(&jpeg, "a much longer second comment");
        assert_eq!(
            read_comment(&second).as_deref(),
            Some("a much longer second comment")
        );
        assert_eq!(
            second.len(),
            jpeg.len() + "a much longer second comment".len() - 5
        );
        assert_eq!(decode(&second).2, decode(&jpeg).2, "pixels are untouched");

        // Without any COM segment, one is inserted.
        let bare: Vec<u8> = jpeg[..2]
            .iter()
            .chain(&jpeg[2 + 4 + 5..])
            .copied()
            .collect();
        assert_eq!(read_comment(&bare), None);
        let stamped = with_comment(&bare, "facesim sn=A seq=9");
        assert_eq!(
            parse_trace(&read_comment(&stamped).expect("comment")),
            Some(("A".into(), 9))
        );
        assert_eq!(decode(&stamped).0, 16);

        // Not a JPEG: left alone.
        assert_eq!(with_comment(b"GIF89a", "x"), b"GIF89a".to_vec());
    }

    #[test]
    fn long_comments_are_cut_at_a_char_boundary() {
        let long = "é".repeat(MAX_COMMENT_BYTES);
        let jpeg = encode(&gradient(8, 8), 8, 8, 50, &long);
        let read = read_comment(&jpeg).expect("comment");
        assert!(read.len() <= MAX_COMMENT_BYTES && read.chars().all(|c| c == 'é'));
        assert_eq!(read.len(), MAX_COMMENT_BYTES - 1);
        assert_eq!(decode(&jpeg).0, 8);
    }

    #[test]
    fn parse_trace_rejects_other_text() {
        for text in [
            "",
            "facesim",
            "facesim sn=A",
            "facesim sn=A seq=",
            "facesim sn=A seq=+1",
            "facesim sn=A seq=1 ",
            "facesim sn=A seq=18446744073709551616",
            "other sn=A seq=1",
        ] {
            assert_eq!(parse_trace(text), None, "{text:?}");
        }
        assert_eq!(parse_trace("facesim sn= seq=0"), Some((String::new(), 0)));
    }

    proptest! {
        #[test]
        fn trace_round_trips(sn in ".{0,40}", seq in any::<u64>()) {
            prop_assert_eq!(parse_trace(&trace_comment(&sn, seq)), Some((sn, seq)));
        }

        #[test]
        fn read_comment_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut jpeg = SOI.to_vec();
            jpeg.extend_from_slice(&bytes);
            let _ = read_comment(&jpeg);
            let _ = with_comment(&jpeg, "x");
        }

        #[test]
        fn truncation_keeps_valid_utf8(s in ".{0,20}", max in 0usize..40) {
            let t = truncate_at_char(&s, max);
            prop_assert!(t.len() <= max && s.starts_with(t));
        }
    }
}
