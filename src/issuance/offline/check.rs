//! Checking a document with no network, against a downloaded trust list and revocation file:
//! a QR token, a visible digital seal, or a signed e-visa PDF (its seal and its QR token, read
//! from the page's images). What `evisa check` runs.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{NaiveDate, Utc};
use der::{Decode, Encode};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use p256::ecdsa::{DerSignature, VerifyingKey, signature::Verifier};
use serde::de::DeserializeOwned;
use spki::DecodePublicKey;
use x509_cert::Certificate;

use super::{RevocationFile, TrustList, TrustedSigner};
use crate::issuance::e_visa::claims::VisaClaims;
use crate::issuance::e_visa::seal::tags;
use crate::issuance::kit::seal::{Seal, c40};

/// Why a document or a file cannot be relied on.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Untrusted(pub String);

fn untrusted(why: impl Into<String>) -> Untrusted {
    Untrusted(why.into())
}

/// What a check found.
#[derive(Debug)]
pub struct Report {
    /// `valid`, `not_yet_valid`, `expired` or `revoked`.
    pub result: &'static str,
    /// What was read and verified, line by line.
    pub lines: Vec<String>,
}

/// The trust list and, if given, the revocation file, verified.
pub struct Kit {
    trust: TrustList,
    revoked: Option<std::collections::HashSet<String>>,
}

/// The key of a certificate, if it is P-256.
fn key_of(certificate: &Certificate) -> Result<VerifyingKey, Untrusted> {
    let spki = certificate.tbs_certificate.subject_public_key_info.to_der().map_err(|e| untrusted(e.to_string()))?;
    VerifyingKey::from_public_key_der(&spki).map_err(|_| untrusted("a certificate whose key is not P-256"))
}

/// Whether `ca` signed `certificate`.
fn issued_by(certificate: &Certificate, ca: &Certificate) -> bool {
    let (Ok(key), Ok(tbs)) = (key_of(ca), certificate.tbs_certificate.to_der()) else { return false };
    let Some(raw) = certificate.signature.as_bytes() else { return false };
    DerSignature::from_bytes(raw).is_ok_and(|signature| key.verify(&tbs, &signature).is_ok())
}

fn decoding_key(certificate: &Certificate) -> Result<DecodingKey, Untrusted> {
    let key = key_of(certificate)?;
    let pem = spki::EncodePublicKey::to_public_key_pem(&key, p256::pkcs8::LineEnding::LF)
        .map_err(|e| untrusted(e.to_string()))?;
    DecodingKey::from_ec_pem(pem.as_bytes()).map_err(|e| untrusted(e.to_string()))
}

/// A published file's payload: its signer certificate (first of `x5c`) is checked against its CA
/// (second), which must be the pinned CA when one is given, then the signature and the
/// lifetime. Returns the payload and the signer certificate.
fn open<T: DeserializeOwned>(jws: &str, pinned_ca: Option<&[u8]>) -> Result<(T, Certificate), Untrusted> {
    let header = jsonwebtoken::decode_header(jws.trim()).map_err(|_| untrusted("not a compact JWS"))?;
    if header.alg != Algorithm::ES256 {
        return Err(untrusted("not signed with ES256"));
    }
    let chain = header.x5c.ok_or_else(|| untrusted("no certificate chain (x5c)"))?;
    let der = |b64: &String| STANDARD.decode(b64).map_err(|_| untrusted("a certificate that is not base64"));
    let [signer, ca] = chain.as_slice() else { return Err(untrusted("x5c must hold the signer and its CA")) };
    let (signer_der, ca_der) = (der(signer)?, der(ca)?);
    if pinned_ca.is_some_and(|pinned| pinned != ca_der.as_slice()) {
        return Err(untrusted("signed under a CA other than the one trusted (--ca)"));
    }
    let signer =
        Certificate::from_der(&signer_der).map_err(|_| untrusted("a signer certificate that does not parse"))?;
    let ca = Certificate::from_der(&ca_der).map_err(|_| untrusted("a CA certificate that does not parse"))?;
    if !issued_by(&signer, &ca) {
        return Err(untrusted("the signer certificate was not issued by the CA"));
    }
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_required_spec_claims(&["iss", "iat", "exp"]);
    validation.leeway = 0;
    let data =
        jsonwebtoken::decode::<T>(jws.trim(), &decoding_key(&signer)?, &validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => untrusted("out of date: download it again"),
            _ => untrusted("its signature does not verify"),
        })?;
    Ok((data.claims, signer))
}

impl Kit {
    /// Opens the trust list (and the revocation file), each verified against the pinned CA
    /// (DER) or, without one, against the CA it carries.
    pub fn open(trust_list: &str, revocations: Option<&str>, pinned_ca: Option<&[u8]>) -> Result<Kit, Untrusted> {
        let (trust, _) = open::<TrustList>(trust_list, pinned_ca).map_err(|e| untrusted(format!("trust list: {e}")))?;
        let revoked = match revocations {
            Some(file) => {
                let (file, signer) =
                    open::<RevocationFile>(file, pinned_ca).map_err(|e| untrusted(format!("revocation file: {e}")))?;
                let signer_der = signer.to_der().map_err(|e| untrusted(e.to_string()))?;
                let listed = trust
                    .signers
                    .iter()
                    .any(|s| super::pem_to_der(&s.signer.certificate).is_ok_and(|der| der == signer_der));
                if !listed {
                    return Err(untrusted("revocation file: signed by a signer the trust list does not name"));
                }
                Some(file.revoked.into_iter().map(|r| r.visa_number).collect())
            }
            None => None,
        };
        Ok(Kit { trust, revoked })
    }

    fn signer_for_kid(&self, kid: &str) -> Result<&TrustedSigner, Untrusted> {
        self.trust
            .signers
            .iter()
            .find(|s| s.kid == kid)
            .ok_or_else(|| untrusted(format!("key {kid} is not in the trust list")))
    }

    fn certificate(signer: &TrustedSigner) -> Result<Certificate, Untrusted> {
        der::DecodePem::from_pem(signer.signer.certificate.as_bytes())
            .map_err(|_| untrusted("a trust list certificate that does not parse"))
    }

    /// The verdict on a visa valid from `from` (when known) until `until`, by number.
    fn verdict(
        &self,
        number: &str,
        from: Option<NaiveDate>,
        until: NaiveDate,
        lines: &mut Vec<String>,
    ) -> &'static str {
        let today = Utc::now().date_naive();
        match &self.revoked {
            Some(revoked) if revoked.contains(number) => return "revoked",
            Some(_) => lines.push("not in the revocation file".into()),
            None => lines.push("no revocation file given: revocations not checked".into()),
        }
        if from.is_some_and(|from| today < from) {
            "not_yet_valid"
        } else if today > until {
            "expired"
        } else {
            "valid"
        }
    }

    /// Checks a QR token.
    pub fn token(&self, token: &str) -> Result<Report, Untrusted> {
        let header = jsonwebtoken::decode_header(token.trim()).map_err(|_| untrusted("not a compact JWS"))?;
        let kid = header.kid.ok_or_else(|| untrusted("the token names no key"))?;
        let certificate = Self::certificate(self.signer_for_kid(&kid)?)?;
        let mut validation = Validation::new(Algorithm::ES256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_required_spec_claims(&["iss"]);
        let claims = jsonwebtoken::decode::<VisaClaims>(token.trim(), &decoding_key(&certificate)?, &validation)
            .map_err(|_| untrusted("the token's signature does not verify"))?
            .claims;
        let mut lines = vec![
            format!("QR token signed by key {kid}: signature verified"),
            format!(
                "visa {} for passport {}, valid {} to {}",
                claims.visa_number, claims.passport_number, claims.valid_from, claims.valid_until
            ),
        ];
        let result = self.verdict(&claims.visa_number, Some(claims.valid_from), claims.valid_until, &mut lines);
        Ok(Report { result, lines })
    }

    /// Checks a visible digital seal's bytes.
    pub fn seal(&self, bytes: &[u8]) -> Result<Report, Untrusted> {
        let seal = Seal::parse(bytes).map_err(|e| untrusted(format!("not a seal: {e}")))?;
        let header = &seal.header;
        let signer = self
            .trust
            .signers
            .iter()
            .find(|s| {
                s.signer.signer_identifier == header.signer
                    && s.signer.certificate_reference == header.certificate_reference
            })
            .ok_or_else(|| {
                untrusted(format!(
                    "seal signer {} {} is not in the trust list",
                    header.signer, header.certificate_reference
                ))
            })?;
        if !seal.verify(&key_of(&Self::certificate(signer)?)?) {
            return Err(untrusted("the seal's signature does not verify"));
        }
        let mrz = seal.feature(tags::MRV_A).ok_or_else(|| untrusted("the seal has no MRZ"))?;
        let mrz = c40::decode(mrz).map_err(|e| untrusted(e.to_string()))?;
        if mrz.len() != 72 {
            return Err(untrusted("the seal's MRZ is not an MRV-A's"));
        }
        let second = &mrz[44..];
        let number = second[..9].trim_end().to_owned();
        let until = NaiveDate::parse_from_str(&format!("20{}", &second[21..27]), "%Y%m%d")
            .map_err(|_| untrusted("the seal's MRZ has no valid date of expiry"))?;
        let mut lines = vec![
            format!(
                "seal signed by {} (certificate {}): signature verified",
                header.signer, header.certificate_reference
            ),
            format!("MRZ {}", mrz.replace(' ', "<")),
            format!("visa {number}, valid until {until}"),
        ];
        let result = self.verdict(&number, None, until, &mut lines);
        Ok(Report { result, lines })
    }

    /// Checks a signed e-visa PDF: the seal and the QR token its page carries must both verify
    /// and agree.
    pub fn pdf(&self, pdf: &[u8]) -> Result<Report, Untrusted> {
        let (seal, token) = marks_of(pdf)?;
        let seal = self.seal(&seal)?;
        let token = self.token(&token)?;
        if seal.result != token.result {
            return Err(untrusted(format!("the seal says {} and the QR token {}", seal.result, token.result)));
        }
        Ok(Report { result: seal.result, lines: seal.lines.into_iter().chain(token.lines).collect() })
    }
}

/// The token of a QR code in an image (a scan, or the page rendered).
pub fn qr_in_image(image: &image::DynamicImage) -> Result<String, Untrusted> {
    for scale in [1, 2, 3, 4] {
        let copy = if scale == 1 {
            image.to_luma8()
        } else {
            image
                .resize(image.width() / scale, image.height() / scale, image::imageops::FilterType::Triangle)
                .to_luma8()
        };
        let mut prepared = rqrr::PreparedImage::prepare(copy);
        for grid in prepared.detect_grids() {
            if let Ok((_, content)) = grid.decode() {
                return Ok(content);
            }
        }
    }
    Err(untrusted("no readable QR code in the image"))
}

/// The seal and the QR token an e-visa PDF carries, read from its images: each is drawn one
/// pixel per module.
fn marks_of(pdf: &[u8]) -> Result<(Vec<u8>, String), Untrusted> {
    let doc = lopdf::Document::load_mem(pdf).map_err(|_| untrusted("not a PDF"))?;
    let (mut seal, mut token) = (None, None);
    for object in doc.objects.values() {
        let Ok(stream) = object.as_stream() else { continue };
        if stream.dict.get(b"Subtype").and_then(|s| s.as_name()).ok() != Some(b"Image".as_slice()) {
            continue;
        }
        let dimension =
            |key: &[u8]| stream.dict.get(key).and_then(|v| v.as_i64()).ok().and_then(|v| usize::try_from(v).ok());
        let (Some(width), Some(height)) = (dimension(b"Width"), dimension(b"Height")) else { continue };
        let content = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
        if content.len() != width * height {
            continue; // not one grey byte per pixel: the photo
        }
        let dark: Vec<bool> = content.iter().map(|p| *p < 128).collect();
        if seal.is_none()
            && let Some(bytes) = data_matrix(&dark, width, height)
        {
            seal = Some(bytes);
            continue;
        }
        if token.is_none() {
            let scale = 8;
            let image = image::GrayImage::from_fn((width * scale) as u32, (height * scale) as u32, |x, y| {
                image::Luma([if dark[(y as usize / scale) * width + x as usize / scale] { 0 } else { 255 }])
            });
            token = qr_in_image(&image::DynamicImage::ImageLuma8(image)).ok();
        }
    }
    Ok((
        seal.ok_or_else(|| untrusted("the PDF carries no seal"))?,
        token.ok_or_else(|| untrusted("the PDF carries no QR code"))?,
    ))
}

/// The data of a Data Matrix drawn one pixel per module with a quiet zone around it.
fn data_matrix(dark: &[bool], width: usize, height: usize) -> Option<Vec<u8>> {
    let rows: Vec<usize> = (0..height).filter(|y| (0..width).any(|x| dark[y * width + x])).collect();
    let columns: Vec<usize> = (0..width).filter(|x| (0..height).any(|y| dark[y * width + x])).collect();
    let (top, bottom) = (*rows.first()?, *rows.last()?);
    let (left, right) = (*columns.first()?, *columns.last()?);
    let symbol_width = right - left + 1;
    let pixels: Vec<bool> =
        (top..=bottom).flat_map(|y| (left..=right).map(move |x| (y, x))).map(|(y, x)| dark[y * width + x]).collect();
    datamatrix::DataMatrix::decode(&pixels, symbol_width).ok()
}
