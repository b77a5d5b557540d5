//! What uploaded documents must be: their media types, and the pixel bounds of images.

/// A media type a document may be uploaded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `image/jpeg`.
    Jpeg,
    /// `image/png`.
    Png,
    /// `application/pdf`.
    Pdf,
}

impl MediaType {
    /// The media type's name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Pdf => "application/pdf",
        }
    }

    /// Parses a `Content-Type` value, ignoring parameters.
    pub fn from_header(value: &str) -> Option<MediaType> {
        match value.split(';').next()?.trim().to_ascii_lowercase().as_str() {
            "image/jpeg" | "image/jpg" => Some(MediaType::Jpeg),
            "image/png" => Some(MediaType::Png),
            "application/pdf" => Some(MediaType::Pdf),
            _ => None,
        }
    }
}

/// Pixel bounds of an image document: minimum and maximum width and height, and the accepted
/// range of height / width.
#[derive(Debug, Clone, Copy)]
pub struct ImageBounds {
    /// Narrowest accepted width.
    pub min_width: u32,
    /// Lowest accepted height.
    pub min_height: u32,
    /// Widest accepted width.
    pub max_width: u32,
    /// Highest accepted height.
    pub max_height: u32,
    /// Accepted height / width ratio, if constrained.
    pub aspect: Option<(f64, f64)>,
}

/// The kind of document that is the holder's portrait, printed on what is issued.
pub const PORTRAIT: &str = "photo";

/// The pixel bounds of images of a document kind. Portraits follow the ICAO format of 35 x 45 mm
/// (height about 1.29 times the width), at a resolution a print needs and no more than 1200 dpi;
/// any other image is a scan of a page, legible and no larger than an A4 page at about 300 dpi.
/// The upper bounds are what stops a small compressed file from decoding into hundreds of MiB.
pub fn image_bounds(kind: &str) -> ImageBounds {
    if kind == PORTRAIT {
        ImageBounds { min_width: 300, min_height: 400, max_width: 1800, max_height: 2400, aspect: Some((1.15, 1.45)) }
    } else {
        ImageBounds { min_width: 600, min_height: 400, max_width: 3600, max_height: 3600, aspect: None }
    }
}

/// Most memory one image decode may take, in bytes: a page scan of the largest size in RGBA.
pub const DECODE_MEMORY_LIMIT: u64 = 64 * 1024 * 1024;

impl ImageBounds {
    /// What is wrong with an image of these dimensions, if anything.
    pub fn problem(&self, width: u32, height: u32) -> Option<String> {
        if width < self.min_width || height < self.min_height {
            return Some(format!(
                "the image is {width}x{height} pixels; at least {}x{} are needed",
                self.min_width, self.min_height
            ));
        }
        if width > self.max_width || height > self.max_height {
            return Some(format!(
                "the image is {width}x{height} pixels; at most {}x{} are accepted",
                self.max_width, self.max_height
            ));
        }
        if let Some((low, high)) = self.aspect {
            let ratio = f64::from(height) / f64::from(width);
            if !(low..=high).contains(&ratio) {
                return Some(format!(
                    "a portrait photo is needed: height / width must be between {low} and {high}, not {ratio:.2}"
                ));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_must_be_portraits_of_a_printable_size() {
        let bounds = image_bounds(PORTRAIT);
        assert_eq!(bounds.problem(413, 531), None);
        assert!(bounds.problem(200, 260).unwrap().contains("at least"));
        assert!(bounds.problem(600, 400).unwrap().contains("portrait"));
        assert!(bounds.problem(2000, 2600).unwrap().contains("at most"));
        let largest = image_bounds("passport");
        assert!(u64::from(largest.max_width) * u64::from(largest.max_height) * 4 <= DECODE_MEMORY_LIMIT);
    }

    #[test]
    fn scans_may_be_landscape_and_media_types_ignore_parameters() {
        assert_eq!(image_bounds("passport").problem(1200, 800), None);
        assert_eq!(MediaType::from_header("image/png; charset=binary"), Some(MediaType::Png));
        assert_eq!(MediaType::from_header("text/plain"), None);
    }
}
