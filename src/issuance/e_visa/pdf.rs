//! The e-visa document: one A4 page with the visa's data, the holder's photo, the QR code and
//! the machine readable zone in OCR-B, drawn with printpdf.

use anyhow::Context;
use chrono::NaiveDate;
use printpdf::{
    BuiltinFont, Color, Line, LinePoint, Mm, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, Rgb, TextItem, TextMatrix, XObjectTransform,
};

use crate::domain::mrz;
use crate::outputs::images::{self, Placed};

/// The OCR-B typeface (public domain, from Debian's fonts-ocr-b), embedded in every e-visa.
const OCR_B: &[u8] = include_bytes!("../../../assets/fonts/OCRB.otf");

/// Everything printed on the e-visa.
#[derive(Debug, Clone)]
pub struct VisaDocument {
    /// Name of the issuing state.
    pub state_name: String,
    /// ICAO code of the issuing state.
    pub state_code: String,
    /// Visa number.
    pub visa_number: String,
    /// Visa type name, such as "Tourist visa".
    pub visa_type: String,
    /// Entries granted.
    pub entries: String,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// Longest stay in days.
    pub duration_of_stay_days: i32,
    /// Issuing post (name and code).
    pub issuing_post: String,
    /// Date of issue.
    pub issue_date: NaiveDate,
    /// Surname as printed (Latin characters).
    pub surname: String,
    /// Given names as printed (Latin characters).
    pub given_names: String,
    /// `M`, `F` or `X`.
    pub sex: String,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// Place of birth (Latin characters).
    pub place_of_birth: String,
    /// Nationality (ICAO code).
    pub nationality: String,
    /// Passport number.
    pub passport_number: String,
    /// Passport expiry.
    pub passport_expiry: NaiveDate,
    /// The two MRZ lines.
    pub mrz: [String; 2],
    /// The holder's photo (PNG or JPEG bytes).
    pub photo: Vec<u8>,
    /// What the QR code carries: the signed token.
    pub qr_token: String,
    /// Whether to overprint SPECIMEN (documents signed with development keys).
    pub specimen: bool,
}

/// Latin text for the visual zone: the MRZ transliteration with spaces for fillers.
pub fn latin(text: &str) -> String {
    mrz::transliterate(text).replace('<', " ")
}

fn rgb(r: f32, g: f32, b: f32) -> Color {
    Color::Rgb(Rgb { r, g, b, icc_profile: None })
}

fn text(ops: &mut Vec<Op>, font: PdfFontHandle, size: f32, x: f32, y: f32, content: &str) {
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFont { font, size: Pt(size) });
    ops.push(Op::SetTextCursor { pos: Point::new(Mm(x), Mm(y)) });
    ops.push(Op::ShowText { items: vec![TextItem::Text(content.to_owned())] });
    ops.push(Op::EndTextSection);
}

fn rule(ops: &mut Vec<Op>, x1: f32, y1: f32, x2: f32, y2: f32) {
    ops.push(Op::DrawLine {
        line: Line {
            points: vec![
                LinePoint { p: Point::new(Mm(x1), Mm(y1)), bezier: false },
                LinePoint { p: Point::new(Mm(x2), Mm(y2)), bezier: false },
            ],
            is_closed: false,
        },
    });
}

/// How issued documents are written: streams as they are drawn, without the maximum-effort
/// recompression of every stream that would cost more than the rest of the document together
/// (the photo arrives compressed; the rest is a few kilobytes of text, font and QR code).
pub fn save_options() -> PdfSaveOptions {
    PdfSaveOptions { optimize: false, ..PdfSaveOptions::default() }
}

/// Places an image `width_mm` wide with its lower-left corner at (x, y).
pub fn place(ops: &mut Vec<Op>, image: &Placed, x: f32, y: f32, width_mm: f32) {
    let dpi = image.width as f32 / (width_mm / 25.4);
    ops.push(Op::UseXobject {
        id: image.id.clone(),
        transform: XObjectTransform {
            translate_x: Some(Mm(x).into()),
            translate_y: Some(Mm(y).into()),
            dpi: Some(dpi),
            ..XObjectTransform::default()
        },
    });
}

fn date(d: NaiveDate) -> String {
    d.format("%d %b %Y").to_string().to_uppercase()
}

/// Renders the e-visa as an (unsigned) PDF.
pub fn render(visa: &VisaDocument) -> anyhow::Result<Vec<u8>> {
    let mut warnings = Vec::new();
    let mut doc = PdfDocument::new(&format!("e-Visa {}", visa.visa_number));
    let now = printpdf::OffsetDateTime::now();
    doc.metadata.info.creation_date = now;
    doc.metadata.info.modification_date = now;
    doc.metadata.info.metadata_date = now;
    doc.metadata.info.author = visa.state_name.clone();
    doc.metadata.info.creator = "evisa".into();
    doc.metadata.info.producer = "evisa".into();
    doc.metadata.info.subject = format!("Electronic visa {}", visa.visa_number);

    let ocr = ParsedFont::from_bytes(OCR_B, 0, &mut Vec::new()).context("loading the OCR-B font")?;
    let ocr = PdfFontHandle::External(doc.add_font(&ocr));
    let bold = || PdfFontHandle::Builtin(BuiltinFont::HelveticaBold);
    let regular = || PdfFontHandle::Builtin(BuiltinFont::Helvetica);
    let photo = images::photo(&mut doc, &visa.photo)?;
    let qr = images::qr(&mut doc, &visa.qr_token)?;

    let mut ops = Vec::new();
    // Header band.
    ops.push(Op::SetFillColor { col: rgb(0.08, 0.22, 0.42) });
    text(&mut ops, bold(), 20.0, 20.0, 272.0, &visa.state_name.to_uppercase());
    text(&mut ops, bold(), 14.0, 20.0, 263.0, "ELECTRONIC VISA  /  E-VISA");
    ops.push(Op::SetFillColor { col: rgb(0.0, 0.0, 0.0) });
    text(
        &mut ops,
        regular(),
        9.0,
        20.0,
        256.0,
        &format!("Issued by the Ministry of Foreign Affairs of the {}", visa.state_name),
    );
    ops.push(Op::SetOutlineColor { col: rgb(0.08, 0.22, 0.42) });
    ops.push(Op::SetOutlineThickness { pt: Pt(1.2) });
    rule(&mut ops, 20.0, 252.0, 190.0, 252.0);

    // Photo (35 x 45 mm) and QR code.
    place(&mut ops, &photo, 20.0, 200.0, 35.0);
    place(&mut ops, &qr, 140.0, 195.0, 50.0);
    text(&mut ops, regular(), 7.0, 140.0, 191.0, "Scan to verify offline (signed token, ES256)");

    // The visa's data.
    let fields: [(&str, String); 16] = [
        ("VISA NUMBER", visa.visa_number.clone()),
        ("TYPE OF VISA", visa.visa_type.to_uppercase()),
        ("NUMBER OF ENTRIES", visa.entries.to_uppercase()),
        ("VALID FROM", date(visa.valid_from)),
        ("VALID UNTIL", date(visa.valid_until)),
        ("DURATION OF STAY", format!("{} DAYS", visa.duration_of_stay_days)),
        ("SURNAME", visa.surname.clone()),
        ("GIVEN NAMES", visa.given_names.clone()),
        ("SEX", visa.sex.clone()),
        ("DATE OF BIRTH", date(visa.date_of_birth)),
        ("PLACE OF BIRTH", visa.place_of_birth.clone()),
        ("NATIONALITY", visa.nationality.clone()),
        ("PASSPORT NUMBER", visa.passport_number.clone()),
        ("PASSPORT EXPIRY", date(visa.passport_expiry)),
        ("ISSUED AT", visa.issuing_post.clone()),
        ("DATE OF ISSUE", date(visa.issue_date)),
    ];
    let mut y = 240.0;
    for (index, (label, value)) in fields.iter().enumerate() {
        let x = if index < 6 { 62.0 } else { 20.0 };
        if index == 6 {
            y = 178.0;
        }
        text(&mut ops, regular(), 7.0, x, y, label);
        text(&mut ops, bold(), 11.0, x, y - 4.5, value);
        y -= 11.0;
    }

    // Machine readable zone: two lines of 44 OCR-B characters at 10 characters per inch (OCR-B's
    // advance is 0.723 em, so 10 pt gives the 2.54 mm pitch of Doc 9303), bottom of the page.
    ops.push(Op::SetOutlineColor { col: rgb(0.6, 0.6, 0.6) });
    ops.push(Op::SetOutlineThickness { pt: Pt(0.5) });
    rule(&mut ops, 20.0, 38.0, 190.0, 38.0);
    text(&mut ops, regular(), 7.0, 20.0, 34.0, "MACHINE READABLE ZONE (ICAO Doc 9303, MRV-A)");
    text(&mut ops, ocr.clone(), 10.0, 20.0, 24.0, &visa.mrz[0]);
    text(&mut ops, ocr, 10.0, 20.0, 18.0, &visa.mrz[1]);

    if visa.specimen {
        ops.push(Op::SetFillColor { col: rgb(0.85, 0.1, 0.1) });
        ops.push(Op::StartTextSection);
        ops.push(Op::SetFont { font: bold(), size: Pt(96.0) });
        ops.push(Op::SetTextMatrix { matrix: TextMatrix::TranslateRotate(Mm(35.0).into(), Mm(55.0).into(), 30.0) });
        ops.push(Op::ShowText { items: vec![TextItem::Text("SPECIMEN".into())] });
        ops.push(Op::EndTextSection);
        text(&mut ops, bold(), 9.0, 20.0, 44.0, "SPECIMEN - signed with development keys - not valid for travel");
    }

    let page = PdfPage::new(Mm(210.0), Mm(297.0), ops);
    let bytes = doc.with_pages(vec![page]).save(&save_options(), &mut warnings);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample e-visa, as the tests of the document and of its signature use it.
    pub(crate) fn sample() -> VisaDocument {
        let photo = image::RgbImage::from_pixel(413, 531, image::Rgb([200, 190, 180]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(photo)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let mrz = mrz::MrvA {
            type_letter: 'C',
            issuing_state: "UTO",
            surname: "Жумабаева",
            given_names: "Айгерим",
            document_number: "AB12CD34E",
            nationality: "KAZ",
            date_of_birth: d("1990-02-15"),
            sex: 'F',
            valid_until: d("2027-05-29"),
            optional_data: "N12345678",
        }
        .lines();
        VisaDocument {
            state_name: "Republic of Utopia".into(),
            state_code: "UTO".into(),
            visa_number: "AB12CD34E".into(),
            visa_type: "Tourist visa".into(),
            entries: "single".into(),
            valid_from: d("2027-03-01"),
            valid_until: d("2027-05-29"),
            duration_of_stay_days: 14,
            issuing_post: "Republic of Utopia headquarters (UTO-HQ)".into(),
            issue_date: d("2026-11-26"),
            surname: latin("Жумабаева"),
            given_names: latin("Айгерим"),
            sex: "F".into(),
            date_of_birth: d("1990-02-15"),
            place_of_birth: latin("Алматы"),
            nationality: "KAZ".into(),
            passport_number: "N12345678".into(),
            passport_expiry: d("2031-01-09"),
            mrz,
            photo: png,
            qr_token: "x".repeat(500),
            specimen: true,
        }
    }

    #[test]
    fn the_document_is_one_a4_page_with_ocr_b_embedded() {
        let pdf = render(&sample()).unwrap();
        let doc = lopdf::Document::load_mem(&pdf).unwrap();
        assert_eq!(doc.get_pages().len(), 1);
        let fonts = String::from_utf8_lossy(&pdf).contains("FontFile");
        assert!(fonts, "an embedded font program");
        std::fs::write(std::env::temp_dir().join("evisa-sample.pdf"), &pdf).unwrap();
    }

    #[test]
    fn names_in_any_script_are_printed_in_latin() {
        assert_eq!(latin("Жумабаева"), "ZHUMABAEVA");
        assert_eq!(latin("Anne-Marie O'Neil"), "ANNE MARIE ONEIL");
    }
}
