//! Pictures the simulator reads: JPEG or PNG photos decoded to RGB8 (`decode`), why a
//! photo could not be used (`AvatarError`), and where a face is in one (`FaceBox`). The
//! face analysis, the likeness signature and avatar-derived snapshots all start here.

/// The largest photo side accepted, in pixels: larger images are refused before their
/// pixels are decoded, so a small file cannot ask for gigabytes of memory.
pub const MAX_AVATAR_SIDE: usize = 8192;
/// The smallest photo side that can hold a recognisable face.
pub const MIN_AVATAR_SIDE: usize = 32;

/// Why a photo could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AvatarError {
    /// No bytes at all.
    #[error("avatar is empty")]
    Empty,
    /// Neither the JPEG nor the PNG signature.
    #[error("avatar is neither JPEG nor PNG (it starts with {0})")]
    UnknownFormat(String),
    /// The JPEG's headers or data are damaged.
    #[error("avatar JPEG does not decode: {0}")]
    Jpeg(String),
    /// The PNG's headers or data are damaged.
    #[error("avatar PNG does not decode: {0}")]
    Png(String),
    /// Too small to hold a face.
    #[error("avatar is {width}x{height} pixels; a photo needs at least 32 a side")]
    TooSmall { width: usize, height: usize },
    /// Too large to decode safely.
    #[error("avatar is {width}x{height} pixels; at most 8192 a side are accepted")]
    TooLarge { width: usize, height: usize },
    /// The decoder produced fewer pixels than the headers promised.
    #[error("avatar decoded to {got} bytes, {want} expected")]
    Truncated { got: usize, want: usize },
    /// The requested snapshot size is out of range.
    #[error("snapshot size {width}x{height} is out of range; use 16 to 4096 pixels a side")]
    Size { width: u32, height: u32 },
}

/// An RGB8 picture.
#[derive(Debug, Clone)]
pub(crate) struct Picture {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) px: Vec<u8>,
}

impl Picture {
    /// The pixel at `(x, y)`, clamped to the picture, as floats.
    pub(crate) fn at(&self, x: isize, y: isize) -> [f32; 3] {
        let x = x.clamp(0, self.width as isize - 1) as usize;
        let y = y.clamp(0, self.height as isize - 1) as usize;
        let i = (y * self.width + x) * 3;
        [
            f32::from(self.px[i]),
            f32::from(self.px[i + 1]),
            f32::from(self.px[i + 2]),
        ]
    }

    /// Bilinear sample at pixel-centre coordinates `(x, y)`, clamped at the edges.
    pub(crate) fn sample(&self, x: f32, y: f32) -> [f32; 3] {
        let (x, y) = (x - 0.5, y - 0.5);
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (x0, y0) = (x0 as isize, y0 as isize);
        let (a, b) = (self.at(x0, y0), self.at(x0 + 1, y0));
        let (c, d) = (self.at(x0, y0 + 1), self.at(x0 + 1, y0 + 1));
        std::array::from_fn(|k| {
            let top = a[k] + (b[k] - a[k]) * fx;
            let bottom = c[k] + (d[k] - c[k]) * fx;
            top + (bottom - top) * fy
        })
    }

    /// The picture shrunk by a whole factor with box averaging.
    pub(crate) fn shrink(&self, factor: usize) -> Picture {
        if factor <= 1 {
            return self.clone();
        }
        let (w, h) = (self.width / factor, self.height / factor);
        let mut px = Vec::with_capacity(w * h * 3);
        let n = (factor * factor) as u32;
        for y in 0..h {
            for x in 0..w {
                let mut sum = [0u32; 3];
                for yy in y * factor..(y + 1) * factor {
                    let row = (yy * self.width + x * factor) * 3;
                    for p in self.px[row..row + factor * 3].chunks_exact(3) {
                        for k in 0..3 {
                            sum[k] += u32::from(p[k]);
                        }
                    }
                }
                px.extend(sum.map(|s| ((s + n / 2) / n) as u8));
            }
        }
        Picture {
            width: w,
            height: h,
            px,
        }
    }
}

/// Decodes a JPEG or PNG photo into RGB8.
///
/// # Errors
/// [`AvatarError`] naming what is wrong with the bytes.
pub(crate) fn decode(bytes: &[u8]) -> Result<Picture, AvatarError> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.is_empty() {
        return Err(AvatarError::Empty);
    }
    let check = |width: usize, height: usize| {
        if width > MAX_AVATAR_SIDE || height > MAX_AVATAR_SIDE {
            Err(AvatarError::TooLarge { width, height })
        } else if width < MIN_AVATAR_SIDE || height < MIN_AVATAR_SIDE {
            Err(AvatarError::TooSmall { width, height })
        } else {
            Ok(())
        }
    };
    let options = DecoderOptions::default()
        .set_max_width(usize::MAX)
        .set_max_height(usize::MAX)
        .jpeg_set_out_colorspace(ColorSpace::RGB)
        .png_set_strip_to_8bit(true);
    let (width, height, px, colorspace) = if bytes.starts_with(&[0xFF, 0xD8]) {
        let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
        decoder
            .decode_headers()
            .map_err(|e| AvatarError::Jpeg(e.to_string()))?;
        let info = decoder
            .info()
            .ok_or_else(|| AvatarError::Jpeg("no frame header".into()))?;
        let (w, h) = (usize::from(info.width), usize::from(info.height));
        check(w, h)?;
        let px = decoder
            .decode()
            .map_err(|e| AvatarError::Jpeg(e.to_string()))?;
        (w, h, px, ColorSpace::RGB)
    } else if bytes.starts_with(PNG_SIGNATURE) {
        let mut decoder = zune_png::PngDecoder::new_with_options(ZCursor::new(bytes), options);
        decoder
            .decode_headers()
            .map_err(|e| AvatarError::Png(format!("{e:?}")))?;
        let (w, h) = decoder
            .dimensions()
            .ok_or_else(|| AvatarError::Png("no header".into()))?;
        check(w, h)?;
        let colorspace = decoder
            .colorspace()
            .ok_or_else(|| AvatarError::Png("no colour type".into()))?;
        let px = decoder
            .decode_raw()
            .map_err(|e| AvatarError::Png(format!("{e:?}")))?;
        (w, h, px, colorspace)
    } else {
        let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
        return Err(AvatarError::UnknownFormat(head.join(" ")));
    };
    let channels = colorspace.num_components();
    let want = width * height * channels;
    if px.len() < want {
        return Err(AvatarError::Truncated {
            got: px.len(),
            want,
        });
    }
    let rgb = match channels {
        3 => px[..want].to_vec(),
        // Grey, grey with alpha, RGBA: alpha is dropped (an enrolment photo is opaque).
        1 | 2 => px[..want]
            .chunks_exact(channels)
            .flat_map(|p| [p[0]; 3])
            .collect(),
        _ => px[..want]
            .chunks_exact(channels)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
    };
    Ok(Picture {
        width,
        height,
        px: rgb,
    })
}

/// Where the face is, in pixels of the photo: the centre and extent of the face band,
/// what snapshot crops and signatures are cut around.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FaceBox {
    pub(crate) cx: f32,
    pub(crate) cy: f32,
    pub(crate) w: f32,
    pub(crate) h: f32,
}
