//! Issuance of one signed e-visa: QR token, MRZ, PDF drawing and the PDF's CMS signature, as
//! the issuance driver does it for every document.

use criterion::{Criterion, criterion_group, criterion_main};
use evisa::domain::issued::{DocumentStatus, Holder, IssuedDocument, Passport, VisaTerms};
use evisa::domain::service::OutputKind;
use evisa::issuance::Rendering;
use evisa::issuance::driver::signed_pdf;
use evisa::issuance::e_visa::EVisa;
use evisa::issuance::kit::keys;

fn visa(kid: &str) -> IssuedDocument {
    let d = |s: &str| s.parse().unwrap();
    IssuedDocument {
        number: "AB12CD34E".into(),
        kind: OutputKind::EVisa,
        case_id: "00000000-0000-0000-0000-000000000000".into(),
        service_code: "TOURIST".into(),
        holder: Holder {
            surname: "Müller-Lüdenscheidt".into(),
            given_names: "Zoë Anaïs".into(),
            sex: Some("F".into()),
            date_of_birth: d("1990-02-15"),
            place_of_birth: Some("Leeds".into()),
            nationality: "GBR".into(),
            passport: Some(Passport { number: "123456789".into(), expiry: d("2031-01-09") }),
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
        kid: kid.into(),
        status: DocumentStatus::Issuing,
        pdf: None,
        revocation: None,
        created_at: chrono::Utc::now().naive_utc(),
    }
}

fn issuance(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (signer, _) = keys::new_dev_signer(dir.path(), "UTO", "Republic of Utopia").unwrap();
    let photo = image::RgbImage::from_fn(413, 531, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(photo)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let visa = visa(&signer.kid);
    let rendering = Rendering {
        document: &visa,
        case_reference: "UTO-2026-000001",
        service_name: "Tourist visa",
        service_description: "",
        post_name: "Headquarters",
        state_name: "Republic of Utopia",
        portrait: Some(&png),
    };
    c.bench_function("issue one signed e-visa (token, QR, seal, MRZ, PDF, CMS signature)", |b| {
        b.iter(|| signed_pdf(&EVisa, &rendering, &signer).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = issuance
}
criterion_main!(benches);
