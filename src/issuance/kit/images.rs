//! Images of issued documents, embedded without needless work: the holder's photo goes into the
//! PDF as it was uploaded where PDF can carry that encoding as is (a JPEG as a DCT stream, an
//! 8-bit PNG's compressed image data with the PNG predictor), and the QR code as one grey pixel
//! per module that viewers scale without smoothing. Decoding and re-encoding a photo was most of
//! the cost of an e-visa.

use printpdf::{DictItem, ExternalStream, ExternalXObject, PdfDocument, Px, RawImage, XObjectId};
use std::collections::BTreeMap;

/// An image added to a document: its id and its width in pixels.
#[derive(Debug, Clone)]
pub struct Placed {
    /// The XObject to draw.
    pub id: XObjectId,
    /// Width in pixels (with the wanted width on the page, this gives the scale).
    pub width: usize,
}

fn name(value: &str) -> DictItem {
    DictItem::Name(value.as_bytes().to_vec())
}

fn image_stream(
    width: usize,
    height: usize,
    colour: &str,
    mut extra: BTreeMap<String, DictItem>,
    content: Vec<u8>,
    compress: bool,
) -> ExternalXObject {
    let mut dict = BTreeMap::from([
        ("Type".to_owned(), name("XObject")),
        ("Subtype".to_owned(), name("Image")),
        ("Width".to_owned(), DictItem::Int(width as i64)),
        ("Height".to_owned(), DictItem::Int(height as i64)),
        ("ColorSpace".to_owned(), name(colour)),
        ("BitsPerComponent".to_owned(), DictItem::Int(8)),
    ]);
    dict.append(&mut extra);
    ExternalXObject {
        stream: ExternalStream { dict, content, compress },
        width: Some(Px(width)),
        height: Some(Px(height)),
        dpi: None,
    }
}

/// Width, height and colour components of a baseline or progressive JPEG, from its frame header.
fn jpeg_frame(bytes: &[u8]) -> Option<(usize, usize, u8)> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return None;
        }
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            let frame = bytes.get(at + 4..at + 10)?;
            let height = usize::from(u16::from_be_bytes([frame[1], frame[2]]));
            let width = usize::from(u16::from_be_bytes([frame[3], frame[4]]));
            return Some((width, height, frame[5]));
        }
        at += 2 + length;
    }
    None
}

/// The concatenated compressed image data (IDAT) of a PNG.
fn png_data(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut at = 8;
    let mut data = Vec::new();
    while at + 12 <= bytes.len() {
        let length = u32::from_be_bytes(bytes[at..at + 4].try_into().ok()?) as usize;
        let kind = &bytes[at + 4..at + 8];
        let body = bytes.get(at + 8..at + 8 + length)?;
        if kind == b"IDAT" {
            data.extend_from_slice(body);
        }
        if kind == b"IEND" {
            break;
        }
        at += 12 + length;
    }
    (!data.is_empty()).then_some(data)
}

/// The photo as PDF can carry it without decoding, if it can.
fn passthrough(bytes: &[u8]) -> Option<ExternalXObject> {
    if let Some((width, height, components)) = jpeg_frame(bytes) {
        let colour = match components {
            1 => "DeviceGray",
            3 => "DeviceRGB",
            _ => return None,
        };
        let extra = BTreeMap::from([("Filter".to_owned(), name("DCTDecode"))]);
        return Some(image_stream(width, height, colour, extra, bytes.to_vec(), false));
    }
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let reader = decoder.read_info().ok()?;
    let info = reader.info();
    let (colour, colours) = match info.color_type {
        png::ColorType::Rgb => ("DeviceRGB", 3),
        png::ColorType::Grayscale => ("DeviceGray", 1),
        _ => return None,
    };
    if info.bit_depth != png::BitDepth::Eight || info.interlaced {
        return None;
    }
    let (width, height) = (info.width as usize, info.height as usize);
    let parameters = BTreeMap::from([
        ("Predictor".to_owned(), DictItem::Int(15)),
        ("Colors".to_owned(), DictItem::Int(colours)),
        ("BitsPerComponent".to_owned(), DictItem::Int(8)),
        ("Columns".to_owned(), DictItem::Int(width as i64)),
    ]);
    let extra = BTreeMap::from([
        ("Filter".to_owned(), name("FlateDecode")),
        ("DecodeParms".to_owned(), DictItem::Dict { map: parameters }),
    ]);
    Some(image_stream(width, height, colour, extra, png_data(bytes)?, false))
}

/// Adds the holder's photo (PNG or JPEG) to `doc`: as uploaded where possible, decoded otherwise
/// (PNG with transparency or a palette, 16-bit, interlaced; CMYK JPEG).
pub fn photo(doc: &mut PdfDocument, bytes: &[u8]) -> anyhow::Result<Placed> {
    if let Some(image) = passthrough(bytes) {
        let width = image.width.map_or(1, |w| w.0);
        return Ok(Placed { id: doc.add_xobject(&image), width });
    }
    let mut warnings = Vec::new();
    let image = RawImage::decode_from_bytes(bytes, &mut warnings).map_err(|e| anyhow::anyhow!("photo: {e}"))?;
    Ok(Placed { width: image.width, id: doc.add_image(&image) })
}

/// The modules of the QR code of `text` (level M), row by row, and the width in modules. The mask
/// is fixed instead of chosen by scoring all eight: the score only steers away from patterns that
/// random-looking data such as a signed token hardly forms, any mask decodes, and scoring cost
/// more than drawing and signing the rest of a document.
fn qr_modules(text: &str) -> anyhow::Result<(Vec<qrcode::Color>, usize)> {
    use qrcode::canvas::{Canvas, MaskPattern};
    let level = qrcode::EcLevel::M;
    let bits = qrcode::bits::encode_auto(text.as_bytes(), level)?;
    let version = bits.version();
    let (data, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, level)?;
    let mut canvas = Canvas::new(version, level);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    canvas.apply_mask(MaskPattern::Checkerboard);
    Ok((canvas.into_colors(), usize::try_from(version.width())?))
}

/// Adds the QR code of `text` to `doc`: one grey pixel per module, with the four-module quiet
/// zone, drawn without interpolation so that it stays sharp at any size.
pub fn qr(doc: &mut PdfDocument, text: &str) -> anyhow::Result<Placed> {
    let (colours, modules) = qr_modules(text)?;
    let size = modules + 8;
    let mut pixels = vec![255u8; size * size];
    for (index, colour) in colours.into_iter().enumerate() {
        if colour == qrcode::Color::Dark {
            pixels[(index / modules + 4) * size + index % modules + 4] = 0;
        }
    }
    let extra = BTreeMap::from([("Interpolate".to_owned(), DictItem::Bool(false))]);
    let image = image_stream(size, size, "DeviceGray", extra, pixels, true);
    Ok(Placed { id: doc.add_xobject(&image), width: size })
}

/// Adds a square Data Matrix (ECC 200) of `bytes` to `doc`: one grey pixel per module, with a
/// two-module quiet zone, drawn without interpolation.
pub fn data_matrix(doc: &mut PdfDocument, bytes: &[u8]) -> anyhow::Result<Placed> {
    let bitmap = datamatrix::DataMatrix::encode(bytes, datamatrix::SymbolList::default().enforce_square())
        .map_err(|e| anyhow::anyhow!("Data Matrix: {e:?}"))?
        .bitmap();
    let size = bitmap.width() + 4;
    let mut pixels = vec![255u8; size * (bitmap.height() + 4)];
    for (x, y) in bitmap.pixels() {
        pixels[(y + 2) * size + x + 2] = 0;
    }
    let extra = BTreeMap::from([("Interpolate".to_owned(), DictItem::Bool(false))]);
    let image = image_stream(size, bitmap.height() + 4, "DeviceGray", extra, pixels, true);
    Ok(Placed { id: doc.add_xobject(&image), width: size })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(format: image::ImageFormat, image: image::DynamicImage) -> Vec<u8> {
        let mut bytes = Vec::new();
        image.write_to(&mut std::io::Cursor::new(&mut bytes), format).unwrap();
        bytes
    }

    #[test]
    fn the_qr_code_decodes_to_its_text() {
        let text = "eyJhbGciOiJFUzI1NiJ9.".repeat(20);
        let (colours, modules) = qr_modules(&text).unwrap();
        let scale = 4;
        let size = (modules + 8) * scale;
        let image = image::GrayImage::from_fn(size as u32, size as u32, |x, y| {
            let (mx, my) = ((x as usize / scale).wrapping_sub(4), (y as usize / scale).wrapping_sub(4));
            let dark = mx < modules && my < modules && colours[my * modules + mx] == qrcode::Color::Dark;
            image::Luma([if dark { 0 } else { 255 }])
        });
        let mut prepared = rqrr::PreparedImage::prepare(image);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].decode().unwrap().1, text);
    }

    #[test]
    fn jpegs_and_plain_pngs_pass_through_and_the_rest_is_decoded() {
        let rgb = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(40, 30, image::Rgb([10, 20, 30])));
        let jpeg = encoded(image::ImageFormat::Jpeg, rgb.clone());
        assert_eq!(jpeg_frame(&jpeg), Some((40, 30, 3)));
        let image = passthrough(&jpeg).unwrap();
        assert_eq!(image.stream.content, jpeg, "the JPEG as uploaded");
        assert_eq!(image.stream.dict["Filter"], name("DCTDecode"));
        let png = encoded(image::ImageFormat::Png, rgb);
        let image = passthrough(&png).unwrap();
        assert_eq!((image.width, image.height), (Some(Px(40)), Some(Px(30))));
        assert_eq!(image.stream.dict["Filter"], name("FlateDecode"));
        let rgba = image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(4, 4, image::Rgba([1, 2, 3, 4])));
        assert!(passthrough(&encoded(image::ImageFormat::Png, rgba)).is_none(), "transparency is decoded");
        assert!(passthrough(b"not an image").is_none());
    }
}
