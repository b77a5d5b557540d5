//! Issuance of one signed e-visa: QR token, MRZ, PDF drawing and the PDF's CMS signature.

use criterion::{Criterion, criterion_group, criterion_main};
use evisa::db::visas::VisaRow;
use evisa::outputs::e_visa::{issue, keys};

fn visa() -> VisaRow {
    let d = |s: &str| s.parse().unwrap();
    VisaRow {
        visa_number: "AB12CD34E".into(),
        case_id: "00000000-0000-0000-0000-000000000000".into(),
        visa_type: "TOURIST".into(),
        type_letter: "C".into(),
        entries: "single".into(),
        valid_from: d("2027-03-01"),
        valid_until: d("2027-05-29"),
        duration_of_stay_days: 14,
        surname: "Müller-Lüdenscheidt".into(),
        given_names: "Zoë Anaïs".into(),
        sex: "F".into(),
        date_of_birth: d("1990-02-15"),
        place_of_birth: "Leeds".into(),
        nationality: "GBR".into(),
        passport_number: "123456789".into(),
        passport_expiry: d("2031-01-09"),
        issuing_state: "UTO".into(),
        issuing_post: "UTO-HQ".into(),
        issue_date: d("2026-11-26"),
        kid: String::new(),
        status: "issuing".into(),
        pdf_key: None,
        pdf_sha256: None,
        revoked_at: None,
        revocation_grounds: None,
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
    let mut visa = visa();
    visa.kid = signer.kid.clone();
    c.bench_function("issue one signed e-visa (token, QR, MRZ, PDF, CMS signature)", |b| {
        b.iter(|| {
            issue::signed_pdf(&visa, "Tourist visa", "Headquarters", "Republic of Utopia", &png, &signer).unwrap()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = issuance
}
criterion_main!(benches);
