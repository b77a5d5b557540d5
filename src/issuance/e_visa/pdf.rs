//! The e-visa document: one A4 page with the visa's data, the holder's photo, the QR code, the
//! visible digital seal and the machine readable zone in OCR-B, drawn with printpdf.

use anyhow::Context;
use chrono::NaiveDate;
use printpdf::{BuiltinFont, Mm, Op, ParsedFont, PdfFontHandle, PdfPage, Pt, TextItem, TextMatrix};

use super::claims;
use crate::domain::issued::IssuedDocument;
use crate::issuance::kit::drawing::{self, place, rgb, rule, save_options, text};
use crate::issuance::kit::images;
use crate::issuance::kit::latin::latin;

/// The OCR-B typeface (public domain, from Debian's fonts-ocr-b), embedded in every e-visa.
const OCR_B: &[u8] = include_bytes!("../../../assets/fonts/OCRB.otf");

/// What is printed on the e-visa besides the visa's record.
#[derive(Debug, Clone)]
pub struct VisaDocument<'a> {
    /// The visa: its number, holder and terms.
    pub visa: &'a IssuedDocument,
    /// Name of the issuing state.
    pub state_name: &'a str,
    /// Visa type name, such as "Tourist visa".
    pub visa_type: &'a str,
    /// Issuing post (name and code).
    pub issuing_post: String,
    /// The holder's photo (PNG or JPEG bytes).
    pub photo: &'a [u8],
    /// What the QR code carries: the signed token.
    pub qr_token: &'a str,
    /// The visible digital seal, printed as a Data Matrix.
    pub seal: &'a [u8],
    /// Whether to overprint SPECIMEN (documents signed with development keys).
    pub specimen: bool,
}

fn date(d: NaiveDate) -> String {
    d.format("%d %b %Y").to_string().to_uppercase()
}

/// Renders the e-visa as an (unsigned) PDF.
pub fn render(page: &VisaDocument<'_>) -> anyhow::Result<Vec<u8>> {
    let visa = page.visa;
    let terms = claims::terms(visa)?;
    let holder = &visa.holder;
    let passport = holder.passport.as_ref().context("a visa without its passport")?;
    let mrz = claims::mrz_lines(visa)?;
    let mut warnings = Vec::new();
    let subject = format!("Electronic visa {}", visa.number);
    let mut doc = drawing::new_document(&format!("e-Visa {}", visa.number), page.state_name, subject);

    let ocr = ParsedFont::from_bytes(OCR_B, 0, &mut Vec::new()).context("loading the OCR-B font")?;
    let ocr = PdfFontHandle::External(doc.add_font(&ocr));
    let bold = || PdfFontHandle::Builtin(BuiltinFont::HelveticaBold);
    let regular = || PdfFontHandle::Builtin(BuiltinFont::Helvetica);
    let photo = images::photo(&mut doc, page.photo)?;
    let qr = images::qr(&mut doc, page.qr_token)?;
    let seal = images::data_matrix(&mut doc, page.seal)?;

    let mut ops = Vec::new();
    // Header band.
    ops.push(Op::SetFillColor { col: rgb(0.08, 0.22, 0.42) });
    text(&mut ops, bold(), 20.0, 20.0, 272.0, &page.state_name.to_uppercase());
    text(&mut ops, bold(), 14.0, 20.0, 263.0, "ELECTRONIC VISA  /  E-VISA");
    ops.push(Op::SetFillColor { col: rgb(0.0, 0.0, 0.0) });
    text(
        &mut ops,
        regular(),
        9.0,
        20.0,
        256.0,
        &format!("Issued by the Ministry of Foreign Affairs of the {}", page.state_name),
    );
    ops.push(Op::SetOutlineColor { col: rgb(0.08, 0.22, 0.42) });
    ops.push(Op::SetOutlineThickness { pt: Pt(1.2) });
    rule(&mut ops, 20.0, 252.0, 190.0, 252.0);

    // Photo (35 x 45 mm); the QR code and the seal are placed last, over any overprint.
    place(&mut ops, &photo, 20.0, 200.0, 35.0);
    text(&mut ops, regular(), 7.0, 140.0, 191.0, "Scan to verify offline (signed token, ES256)");
    text(&mut ops, regular(), 7.0, 140.0, 131.0, "ICAO visible digital seal (Doc 9303-13)");

    // The visa's data.
    let fields: [(&str, String); 16] = [
        ("VISA NUMBER", visa.number.clone()),
        ("TYPE OF VISA", page.visa_type.to_uppercase()),
        ("NUMBER OF ENTRIES", terms.entries.to_uppercase()),
        ("VALID FROM", date(terms.valid_from)),
        ("VALID UNTIL", date(terms.valid_until)),
        ("DURATION OF STAY", format!("{} DAYS", terms.duration_of_stay_days)),
        ("SURNAME", latin(&holder.surname)),
        ("GIVEN NAMES", latin(&holder.given_names)),
        ("SEX", holder.sex.clone().unwrap_or_default()),
        ("DATE OF BIRTH", date(holder.date_of_birth)),
        ("PLACE OF BIRTH", latin(holder.place_of_birth.as_deref().unwrap_or_default())),
        ("NATIONALITY", holder.nationality.clone()),
        ("PASSPORT NUMBER", passport.number.clone()),
        ("PASSPORT EXPIRY", date(passport.expiry)),
        ("ISSUED AT", page.issuing_post.clone()),
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
    text(&mut ops, ocr.clone(), 10.0, 20.0, 24.0, &mrz[0]);
    text(&mut ops, ocr, 10.0, 20.0, 18.0, &mrz[1]);

    if page.specimen {
        ops.push(Op::SetFillColor { col: rgb(0.85, 0.1, 0.1) });
        ops.push(Op::StartTextSection);
        ops.push(Op::SetFont { font: bold(), size: Pt(96.0) });
        ops.push(Op::SetTextMatrix { matrix: TextMatrix::TranslateRotate(Mm(35.0).into(), Mm(55.0).into(), 30.0) });
        ops.push(Op::ShowText { items: vec![TextItem::Text("SPECIMEN".into())] });
        ops.push(Op::EndTextSection);
        text(&mut ops, bold(), 9.0, 20.0, 44.0, "SPECIMEN - signed with development keys - not valid for travel");
    }

    // Machine-readable marks stay readable on a specimen: drawn last, quiet zones opaque. The
    // seal is 40 mm wide: modules of 0.6 mm and more, above the 0.34 mm TR-03137 asks for.
    place(&mut ops, &qr, 140.0, 195.0, 50.0);
    place(&mut ops, &seal, 145.0, 135.0, 40.0);

    let page = PdfPage::new(Mm(210.0), Mm(297.0), ops);
    let bytes = doc.with_pages(vec![page]).save(&save_options(), &mut warnings);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample visa, as the tests of the document and of its signature use it.
    pub(crate) fn sample_visa() -> IssuedDocument {
        use crate::domain::issued::{DocumentStatus, Holder, Passport, VisaTerms};
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        IssuedDocument {
            number: "AB12CD34E".into(),
            kind: crate::domain::service::OutputKind::EVisa,
            case_id: "case".into(),
            service_code: "TOURIST".into(),
            holder: Holder {
                surname: "Жумабаева".into(),
                given_names: "Айгерим".into(),
                sex: Some("F".into()),
                date_of_birth: d("1990-02-15"),
                place_of_birth: Some("Алматы".into()),
                nationality: "KAZ".into(),
                passport: Some(Passport { number: "N12345678".into(), expiry: d("2031-01-09") }),
            },
            terms: Some(VisaTerms {
                type_letter: 'C',
                entries: "single".into(),
                valid_from: d("2027-03-01"),
                valid_until: d("2027-05-29"),
                duration_of_stay_days: 14,
            }),
            issuing_state: "UTO".into(),
            issuing_post: "UTO-HQ".into(),
            issue_date: d("2026-11-26"),
            kid: "kid".into(),
            status: DocumentStatus::Issuing,
            pdf: None,
            revocation: None,
            created_at: d("2026-11-26").and_hms_opt(9, 0, 0).unwrap(),
        }
    }

    /// A portrait of the right size.
    pub(crate) fn sample_photo() -> Vec<u8> {
        let photo = image::RgbImage::from_pixel(413, 531, image::Rgb([200, 190, 180]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(photo)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        png
    }

    /// The sample e-visa's page.
    pub(crate) fn sample<'a>(visa: &'a IssuedDocument, photo: &'a [u8], token: &'a str) -> VisaDocument<'a> {
        VisaDocument {
            visa,
            state_name: "Republic of Utopia",
            visa_type: "Tourist visa",
            issuing_post: "Republic of Utopia headquarters (UTO-HQ)".into(),
            photo,
            qr_token: token,
            seal: &[0xDC; 170],
            specimen: true,
        }
    }

    #[test]
    fn the_document_is_one_a4_page_with_ocr_b_embedded() {
        let (visa, photo, token) = (sample_visa(), sample_photo(), "x".repeat(500));
        let pdf = render(&sample(&visa, &photo, &token)).unwrap();
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
