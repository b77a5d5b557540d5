//! The certificate document: one A4 page with the certifying statement, the holder, the
//! document number, the issuing post and date, and the QR code, drawn with printpdf.

use chrono::NaiveDate;
use printpdf::{BuiltinFont, Mm, Op, PdfFontHandle, PdfPage, Pt, TextItem, TextMatrix};

use crate::domain::issued::IssuedDocument;
use crate::issuance::kit::drawing::{self, place, rgb, rule, save_options};
use crate::issuance::kit::images;
use crate::issuance::kit::latin::latin;

/// What is printed on a certificate besides its record (Latin text: the built-in fonts cover
/// Latin-1).
#[derive(Debug, Clone)]
pub struct CertificateDocument<'a> {
    /// The certificate: its number and holder.
    pub certificate: &'a IssuedDocument,
    /// Name of the issuing state.
    pub state_name: &'a str,
    /// Title: the service's name.
    pub title: String,
    /// What is certified, in one paragraph.
    pub statement: String,
    /// Issuing post (name and code).
    pub issuing_post: String,
    /// What the QR code carries: the signed token.
    pub qr_token: &'a str,
    /// Whether to overprint SPECIMEN (documents signed with development keys).
    pub specimen: bool,
}

fn text(ops: &mut Vec<Op>, font: BuiltinFont, size: f32, x: f32, y: f32, content: &str) {
    drawing::text(ops, PdfFontHandle::Builtin(font), size, x, y, content);
}

/// Breaks `text` into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

fn date(d: NaiveDate) -> String {
    d.format("%d %B %Y").to_string()
}

/// Renders the certificate as an (unsigned) PDF.
pub fn render(page: &CertificateDocument<'_>) -> anyhow::Result<Vec<u8>> {
    let certificate = page.certificate;
    let holder = &certificate.holder;
    let mut warnings = Vec::new();
    let subject = format!("{} {}", page.title, certificate.number);
    let mut doc = drawing::new_document(&format!("Certificate {}", certificate.number), page.state_name, subject);
    let qr = images::qr(&mut doc, page.qr_token)?;

    let mut ops = Vec::new();
    let (bold, regular) = (BuiltinFont::HelveticaBold, BuiltinFont::Helvetica);
    ops.push(Op::SetFillColor { col: rgb(0.08, 0.22, 0.42) });
    text(&mut ops, bold, 20.0, 20.0, 272.0, &page.state_name.to_uppercase());
    text(&mut ops, regular, 10.0, 20.0, 265.0, "Ministry of Foreign Affairs - Consular service");
    ops.push(Op::SetOutlineColor { col: rgb(0.08, 0.22, 0.42) });
    ops.push(Op::SetOutlineThickness { pt: Pt(1.2) });
    rule(&mut ops, 20.0, 260.0, 190.0, 260.0);
    let mut y = 246.0;
    for line in wrap(&page.title.to_uppercase(), 44) {
        text(&mut ops, bold, 16.0, 20.0, y, &line);
        y -= 8.0;
    }
    ops.push(Op::SetFillColor { col: rgb(0.0, 0.0, 0.0) });
    text(&mut ops, regular, 10.0, 20.0, y - 2.0, &format!("No. {}", certificate.number));

    let fields: [(&str, String); 4] = [
        ("SURNAME", latin(&holder.surname)),
        ("GIVEN NAMES", latin(&holder.given_names)),
        ("DATE OF BIRTH", date(holder.date_of_birth)),
        ("NATIONALITY", holder.nationality.clone()),
    ];
    let mut y = y - 18.0;
    for (label, value) in &fields {
        text(&mut ops, regular, 7.0, 20.0, y, label);
        text(&mut ops, bold, 12.0, 20.0, y - 5.0, value);
        y -= 13.0;
    }
    y -= 4.0;
    for line in wrap(&page.statement, 90) {
        text(&mut ops, regular, 11.0, 20.0, y, &line);
        y -= 6.0;
    }
    y -= 8.0;
    text(&mut ops, regular, 7.0, 20.0, y, "ISSUED AT");
    text(&mut ops, bold, 11.0, 20.0, y - 5.0, &page.issuing_post);
    text(&mut ops, regular, 7.0, 20.0, y - 14.0, "DATE OF ISSUE");
    text(&mut ops, bold, 11.0, 20.0, y - 19.0, &date(certificate.issue_date));

    place(&mut ops, &qr, 145.0, 30.0, 45.0);
    text(
        &mut ops,
        regular,
        7.0,
        20.0,
        36.0,
        "This document is signed electronically. Its QR code carries a token signed",
    );
    text(
        &mut ops,
        regular,
        7.0,
        20.0,
        32.0,
        "with the keys published at /.well-known/jwks.json; third parties verify it",
    );
    text(&mut ops, regular, 7.0, 20.0, 28.0, "by its number and the holder's date of birth.");

    if page.specimen {
        ops.push(Op::SetFillColor { col: rgb(0.85, 0.1, 0.1) });
        ops.push(Op::StartTextSection);
        ops.push(Op::SetFont { font: PdfFontHandle::Builtin(bold), size: Pt(96.0) });
        ops.push(Op::SetTextMatrix { matrix: TextMatrix::TranslateRotate(Mm(35.0).into(), Mm(75.0).into(), 30.0) });
        ops.push(Op::ShowText { items: vec![TextItem::Text("SPECIMEN".into())] });
        ops.push(Op::EndTextSection);
        text(&mut ops, bold, 9.0, 20.0, 44.0, "SPECIMEN - signed with development keys - not valid");
    }

    let page = PdfPage::new(Mm(210.0), Mm(297.0), ops);
    Ok(doc.with_pages(vec![page]).save(&save_options(), &mut warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_wrapped_at_spaces() {
        assert_eq!(wrap("one two three four", 9), ["one two", "three", "four"]);
        assert!(wrap("", 10).is_empty());
    }

    #[test]
    fn the_certificate_is_one_a4_page() {
        use crate::domain::issued::{DocumentStatus, Holder};
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let certificate = IssuedDocument {
            number: "CRTAB12CD34E".into(),
            kind: crate::domain::service::OutputKind::Certificate,
            case_id: "case".into(),
            service_code: "NO_CRIMINAL_RECORD".into(),
            holder: Holder {
                surname: "Nurly".into(),
                given_names: "Aigerim".into(),
                sex: None,
                date_of_birth: d("1991-05-04"),
                place_of_birth: None,
                nationality: "UTO".into(),
                passport: None,
            },
            terms: None,
            issuing_state: "UTO".into(),
            issuing_post: "UTO-LON".into(),
            issue_date: d("2026-11-27"),
            kid: "kid".into(),
            status: DocumentStatus::Issuing,
            pdf: None,
            revocation: None,
            created_at: d("2026-11-27").and_hms_opt(9, 0, 0).unwrap(),
        };
        let document = CertificateDocument {
            certificate: &certificate,
            state_name: "Republic of Utopia",
            title: "Certificate of no criminal record".into(),
            statement: "The records show no conviction. ".repeat(8),
            issuing_post: "Embassy in London (UTO-LON)".into(),
            qr_token: "token",
            specimen: true,
        };
        let pdf = render(&document).unwrap();
        let parsed = lopdf::Document::load_mem(&pdf).unwrap();
        assert_eq!(parsed.get_pages().len(), 1);
        std::fs::write(std::env::temp_dir().join("evisa-certificate-sample.pdf"), &pdf).unwrap();
    }
}
