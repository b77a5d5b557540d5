//! A photo made small enough to show on a page or in an answer: the holder's portrait, as a
//! checker of a share code sees it, is a few kilobytes whatever was uploaded.

use image::ImageReader;

use crate::domain::document::DECODE_MEMORY_LIMIT;

/// Largest width and height of a thumbnail, in pixels (about 3:4 for a passport photo).
pub const MAX_WIDTH: u32 = 240;
/// See [`MAX_WIDTH`].
pub const MAX_HEIGHT: u32 = 320;

/// JPEG quality of a thumbnail.
const QUALITY: u8 = 85;

/// `photo` (a JPEG or PNG, as uploaded) as a JPEG within [`MAX_WIDTH`] by [`MAX_HEIGHT`],
/// its proportions kept; never larger than the original.
pub fn jpeg(photo: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut reader = ImageReader::new(std::io::Cursor::new(photo)).with_guessed_format()?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(DECODE_MEMORY_LIMIT);
    reader.limits(limits);
    let image = reader.decode()?;
    let small = if image.width() > MAX_WIDTH || image.height() > MAX_HEIGHT {
        image.resize(MAX_WIDTH, MAX_HEIGHT, image::imageops::FilterType::Triangle)
    } else {
        image
    };
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, QUALITY);
    small.into_rgb8().write_with_encoder(encoder)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = std::io::Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn dimensions(jpeg: &[u8]) -> (u32, u32) {
        let image = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg).unwrap();
        (image.width(), image.height())
    }

    #[test]
    fn a_large_photo_is_made_small_in_proportion() {
        assert_eq!(dimensions(&jpeg(&png(900, 1200)).unwrap()), (240, 320));
        assert_eq!(dimensions(&jpeg(&png(1200, 900)).unwrap()), (240, 180));
    }

    #[test]
    fn a_small_photo_keeps_its_size() {
        assert_eq!(dimensions(&jpeg(&png(120, 160)).unwrap()), (120, 160));
    }

    #[test]
    fn what_is_not_an_image_is_an_error_not_a_panic() {
        assert!(jpeg(b"not an image").is_err());
        assert!(jpeg(&png(30, 40)[..50]).is_err());
    }
}
