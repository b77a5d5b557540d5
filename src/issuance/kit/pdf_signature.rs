//! The PDF's digital signature: a detached CMS signature (PAdES baseline B-B, SubFilter
//! `ETSI.CAdES.detached`) over the whole file, appended as an incremental update.
//!
//! No crate does this end to end. lopdf appends the update (signature dictionary, widget,
//! AcroForm); the signature dictionary holds a zero-filled `/Contents` placeholder and a
//! `/ByteRange` of fixed width. Once the file is complete, the byte range around `/Contents` is
//! measured and written in place (same length), hashed, signed into a CMS SignedData, and its
//! DER written as hex into the placeholder. Offsets never move, so the cross-reference stays valid.

use anyhow::{Context, bail};
use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::CertificateChoices;
use cms::cert::IssuerAndSerialNumber;
use cms::content_info::ContentInfo;
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode, Sequence};
use lopdf::{Dictionary, IncrementalDocument, Object, StringFormat};
use p256::ecdsa::DerSignature;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;

use super::keys::Signer;

/// Bytes reserved for the DER signature (written as twice as many hex digits).
const SIGNATURE_SPACE: usize = 8192;
/// Placeholder for each `/ByteRange` number: wide enough for any offset we write.
const RANGE_PLACEHOLDER: i64 = 9_999_999_999;

/// `id-aa-signingCertificateV2` (RFC 5035).
const SIGNING_CERTIFICATE_V2: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// `id-data`.
const ID_DATA: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// `id-sha256`.
const ID_SHA256: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// `ESSCertIDv2` with the default hash algorithm (SHA-256) and no issuer serial.
#[derive(Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
}

/// `SigningCertificateV2` with one certificate.
#[derive(Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

/// Signs a finished PDF: returns the PDF with the signature appended.
pub fn sign_pdf(
    pdf: &[u8],
    signer: &Signer,
    signed_at: chrono::DateTime<chrono::Utc>,
    reason: &str,
) -> anyhow::Result<Vec<u8>> {
    let prepared = append_signature_placeholder(pdf, signed_at, reason)?;
    fill_signature(prepared, signer)
}

fn pdf_date(at: chrono::DateTime<chrono::Utc>) -> String {
    format!("D:{}Z", at.format("%Y%m%d%H%M%S"))
}

fn append_signature_placeholder(
    pdf: &[u8],
    signed_at: chrono::DateTime<chrono::Utc>,
    reason: &str,
) -> anyhow::Result<Vec<u8>> {
    let previous = lopdf::Document::load_mem(pdf).context("reading the PDF to sign")?;
    let root_id = previous.trailer.get(b"Root").and_then(Object::as_reference).context("PDF without a catalogue")?;
    let page_id = *previous.get_pages().values().next().context("PDF without pages")?;
    let mut update = IncrementalDocument::create_from(pdf.to_vec(), previous);

    let mut signature = Dictionary::new();
    signature.set("Type", Object::Name(b"Sig".to_vec()));
    signature.set("Filter", Object::Name(b"Adobe.PPKLite".to_vec()));
    signature.set("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec()));
    signature.set(
        "ByteRange",
        Object::Array(vec![
            Object::Integer(0),
            Object::Integer(RANGE_PLACEHOLDER),
            Object::Integer(RANGE_PLACEHOLDER),
            Object::Integer(RANGE_PLACEHOLDER),
        ]),
    );
    signature.set("Contents", Object::String(vec![0; SIGNATURE_SPACE], StringFormat::Hexadecimal));
    signature.set("M", Object::string_literal(pdf_date(signed_at)));
    signature.set("Reason", Object::string_literal(reason));
    let signature_id = update.new_document.add_object(Object::Dictionary(signature));

    let mut widget = Dictionary::new();
    widget.set("Type", Object::Name(b"Annot".to_vec()));
    widget.set("Subtype", Object::Name(b"Widget".to_vec()));
    widget.set("FT", Object::Name(b"Sig".to_vec()));
    widget.set("Rect", Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]));
    widget.set("F", Object::Integer(132));
    widget.set("T", Object::string_literal("e-visa signature"));
    widget.set("V", Object::Reference(signature_id));
    widget.set("P", Object::Reference(page_id));
    let widget_id = update.new_document.add_object(Object::Dictionary(widget));

    update.opt_clone_object_to_new_document(root_id)?;
    let mut form = Dictionary::new();
    form.set("Fields", Object::Array(vec![Object::Reference(widget_id)]));
    form.set("SigFlags", Object::Integer(3));
    update.new_document.get_object_mut(root_id)?.as_dict_mut()?.set("AcroForm", Object::Dictionary(form));

    update.opt_clone_object_to_new_document(page_id)?;
    let page = update.new_document.get_object_mut(page_id)?.as_dict_mut()?;
    let mut annotations = match page.get(b"Annots") {
        Ok(Object::Array(existing)) => existing.clone(),
        Ok(_) => bail!("page annotations by reference are not supported"),
        Err(_) => Vec::new(),
    };
    annotations.push(Object::Reference(widget_id));
    page.set("Annots", Object::Array(annotations));

    let mut out = Vec::with_capacity(pdf.len() + SIGNATURE_SPACE * 2 + 1024);
    update.save_to(&mut out)?;
    Ok(out)
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

fn fill_signature(mut pdf: Vec<u8>, signer: &Signer) -> anyhow::Result<Vec<u8>> {
    let placeholder_range = format!("[0 {RANGE_PLACEHOLDER} {RANGE_PLACEHOLDER} {RANGE_PLACEHOLDER}]");
    let range_at = find(&pdf, placeholder_range.as_bytes(), 0).context("ByteRange placeholder not found")?;
    let zeros = "0".repeat(SIGNATURE_SPACE * 2);
    let hex_placeholder = format!("<{zeros}>");
    let contents_at = find(&pdf, hex_placeholder.as_bytes(), range_at.saturating_sub(SIGNATURE_SPACE * 3))
        .context("Contents placeholder not found")?;
    let contents_end = contents_at + hex_placeholder.len();
    let ranges = [0, contents_at, contents_end, pdf.len() - contents_end];
    let mut range_text = format!("[{} {} {} {}]", ranges[0], ranges[1], ranges[2], ranges[3]);
    if range_text.len() > placeholder_range.len() {
        bail!("PDF too large for the ByteRange placeholder");
    }
    while range_text.len() < placeholder_range.len() {
        range_text.push(' ');
    }
    pdf[range_at..range_at + placeholder_range.len()].copy_from_slice(range_text.as_bytes());

    let mut hasher = Sha256::new();
    hasher.update(&pdf[..contents_at]);
    hasher.update(&pdf[contents_end..]);
    let digest = hasher.finalize();
    let cms = cms_signature(&digest, signer)?;
    if cms.len() > SIGNATURE_SPACE {
        bail!("signature of {} bytes exceeds the reserved {SIGNATURE_SPACE}", cms.len());
    }
    let hex = hex::encode_upper(&cms);
    pdf[contents_at + 1..contents_at + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(pdf)
}

/// A detached CMS SignedData over a SHA-256 digest, with the signer certificate and its CA, and
/// the signed attributes of PAdES B-B (content type, message digest, signing certificate v2).
pub fn cms_signature(digest: &[u8], signer: &Signer) -> anyhow::Result<Vec<u8>> {
    let content = EncapsulatedContentInfo { econtent_type: ID_DATA, econtent: None };
    let sha256 = AlgorithmIdentifierOwned { oid: ID_SHA256, parameters: None };
    let certificate = &signer.certificate;
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: certificate.tbs_certificate.issuer.clone(),
        serial_number: certificate.tbs_certificate.serial_number.clone(),
    });
    let cert_hash = Sha256::digest(certificate.to_der()?);
    let ess = SigningCertificateV2 { certs: vec![EssCertIdV2 { cert_hash: OctetString::new(cert_hash.to_vec())? }] };
    let mut values = SetOfVec::new();
    values.insert(Any::from_der(&ess.to_der()?)?)?;
    let signing_certificate = Attribute { oid: SIGNING_CERTIFICATE_V2, values };

    let mut signer_info = SignerInfoBuilder::new(&signer.key, sid, sha256.clone(), &content, Some(digest))
        .map_err(|e| anyhow::anyhow!("CMS signer: {e}"))?;
    signer_info.add_signed_attribute(signing_certificate).map_err(|e| anyhow::anyhow!("CMS attribute: {e}"))?;
    let mut builder = SignedDataBuilder::new(&content);
    builder
        .add_digest_algorithm(sha256)
        .and_then(|b| b.add_certificate(CertificateChoices::Certificate(certificate.clone())))
        .and_then(|b| b.add_certificate(CertificateChoices::Certificate(signer.ca_certificate.clone())))
        .map_err(|e| anyhow::anyhow!("CMS: {e}"))?;
    builder.add_signer_info::<_, DerSignature>(signer_info).map_err(|e| anyhow::anyhow!("CMS signing: {e}"))?;
    let signed: ContentInfo = builder.build().map_err(|e| anyhow::anyhow!("CMS: {e}"))?;
    Ok(signed.to_der()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_pdf() -> Vec<u8> {
        use printpdf::*;
        let mut doc = PdfDocument::new("sample");
        let ops = vec![
            Op::StartTextSection,
            Op::SetFont { font: PdfFontHandle::Builtin(BuiltinFont::Helvetica), size: Pt(12.0) },
            Op::SetTextCursor { pos: Point::new(Mm(20.0), Mm(270.0)) },
            Op::ShowText { items: vec![TextItem::Text("Signed sample".into())] },
            Op::EndTextSection,
        ];
        doc.with_pages(vec![PdfPage::new(Mm(210.0), Mm(297.0), ops)]).save(&PdfSaveOptions::default(), &mut Vec::new())
    }

    #[test]
    fn the_signature_covers_everything_but_its_own_contents() {
        let dir = tempfile::tempdir().unwrap();
        let (signer, _) = super::super::keys::new_dev_signer(dir.path(), "UTO", "Republic of Utopia").unwrap();
        let original = sample_pdf();
        let signed = sign_pdf(&original, &signer, chrono::Utc::now(), "test").unwrap();
        assert!(signed.starts_with(&original), "an incremental update keeps the original bytes");
        let text = String::from_utf8_lossy(&signed);
        let at = text.find("/ByteRange").unwrap();
        let at = at + text[at..].find('[').unwrap() + 1;
        let numbers: Vec<usize> =
            text[at..].split(']').next().unwrap().split_whitespace().map(|n| n.parse().unwrap()).collect();
        assert_eq!(numbers[0], 0);
        assert_eq!(numbers[2] + numbers[3], signed.len());
        assert_eq!(signed[numbers[1]], b'<');
        assert_eq!(signed[numbers[2] - 1], b'>');
        assert!(lopdf::Document::load_mem(&signed).is_ok(), "the result is a readable PDF");
        std::fs::write("/tmp/evisa-signed-sample.pdf", &signed).ok();
    }
}
