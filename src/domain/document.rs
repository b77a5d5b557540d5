//! What the supporting documents of an application must be.

use std::fmt;
use std::str::FromStr;

use super::status::UnknownName;

/// A kind of supporting document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// The applicant's passport-style photo (JPEG or PNG).
    Photo,
    /// A scan of the passport's data page (PDF, JPEG or PNG).
    Passport,
}

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

impl DocumentKind {
    /// The name used in paths.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Photo => "photo",
            DocumentKind::Passport => "passport",
        }
    }

    /// Largest accepted upload, in bytes.
    pub fn max_bytes(self) -> usize {
        match self {
            DocumentKind::Photo => 5 * 1024 * 1024,
            DocumentKind::Passport => 10 * 1024 * 1024,
        }
    }

    /// Whether documents of this kind may be of `media_type`.
    pub fn accepts(self, media_type: MediaType) -> bool {
        match self {
            DocumentKind::Photo => matches!(media_type, MediaType::Jpeg | MediaType::Png),
            DocumentKind::Passport => true,
        }
    }

    /// The pixel bounds of images of this kind. Photos follow the ICAO portrait format of
    /// 35 x 45 mm (height about 1.29 times the width), at a resolution a print needs.
    pub fn image_bounds(self) -> ImageBounds {
        match self {
            DocumentKind::Photo => ImageBounds {
                min_width: 300,
                min_height: 400,
                max_width: 6000,
                max_height: 8000,
                aspect: Some((1.15, 1.45)),
            },
            DocumentKind::Passport => {
                ImageBounds { min_width: 600, min_height: 400, max_width: 10000, max_height: 10000, aspect: None }
            }
        }
    }
}

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

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocumentKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "photo" => Ok(DocumentKind::Photo),
            "passport" => Ok(DocumentKind::Passport),
            _ => Err(UnknownName),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_must_be_portraits_of_a_printable_size() {
        let bounds = DocumentKind::Photo.image_bounds();
        assert_eq!(bounds.problem(413, 531), None);
        assert!(bounds.problem(200, 260).unwrap().contains("at least"));
        assert!(bounds.problem(600, 400).unwrap().contains("portrait"));
        assert!(bounds.problem(7000, 9000).unwrap().contains("at most"));
    }

    #[test]
    fn photos_are_images_and_passport_scans_may_be_pdf() {
        assert!(!DocumentKind::Photo.accepts(MediaType::Pdf));
        assert!(DocumentKind::Passport.accepts(MediaType::Pdf));
        assert_eq!(MediaType::from_header("image/png; charset=binary"), Some(MediaType::Png));
        assert_eq!(MediaType::from_header("text/plain"), None);
    }
}
