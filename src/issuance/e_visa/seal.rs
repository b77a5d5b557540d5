//! The e-visa's visible digital seal, following the visa table of ICAO Doc 9303 Part 13 (feature
//! definition 0x5D, document type 0x01): the MRZ of an MRV-A (its first line and the first 28
//! characters of its second), the number of entries, the duration of stay, the passport number
//! and the visa type; signed by the visa's document signer, whose certificate the header names.

use anyhow::Context;
use x509_cert::Certificate;

use super::claims::{mrz_lines, terms};
use crate::domain::issued::IssuedDocument;
use crate::issuance::kit::keys::Signer;
use crate::issuance::kit::seal::{self, Feature, Header, c40};

/// The visa table of features.
pub const FEATURE_DEFINITION: u8 = 0x5D;
/// A visa.
pub const DOCUMENT_TYPE: u8 = 0x01;

/// The tags of the visa table.
pub mod tags {
    /// The MRZ of an MRV-A: 72 characters, C40.
    pub const MRV_A: u8 = 0x01;
    /// The number of entries: one byte, 0 for any number.
    pub const ENTRIES: u8 = 0x03;
    /// The duration of stay: days, months and years, one byte each, added together.
    pub const DURATION_OF_STAY: u8 = 0x04;
    /// The number of the passport the visa is for: C40, nine characters padded with `<`.
    pub const PASSPORT_NUMBER: u8 = 0x05;
    /// The visa type, four bytes: here its MRZ type letter (`A`, `C`, `D`) in the last.
    pub const VISA_TYPE: u8 = 0x06;
}

/// The visa's seal, signed by `signer` on the day of issue.
pub fn seal(visa: &IssuedDocument, signer: &Signer) -> anyhow::Result<Vec<u8>> {
    let header = Header {
        issuing_country: format!("{:<<3}", crate::domain::country::mrz_code(&visa.issuing_state)),
        signer: signer_identifier(&visa.issuing_state),
        certificate_reference: certificate_reference(&signer.certificate),
        issue_date: visa.issue_date,
        signature_date: visa.issue_date,
        feature_definition: FEATURE_DEFINITION,
        document_type: DOCUMENT_TYPE,
    };
    seal::sign(&header, &features(visa)?, &signer.key)
}

/// The message zone of the visa's seal.
pub fn features(visa: &IssuedDocument) -> anyhow::Result<Vec<Feature>> {
    let terms = terms(visa)?;
    let [first, second] = mrz_lines(visa)?;
    let passport = visa.holder.passport.as_ref().context("a visa without its passport")?;
    let entries = match terms.entries.as_str() {
        "single" => 1,
        "double" => 2,
        _ => 0,
    };
    Ok(vec![
        Feature { tag: tags::MRV_A, value: c40::encode(&format!("{first}{}", &second[..28]))? },
        Feature { tag: tags::ENTRIES, value: vec![entries] },
        Feature { tag: tags::DURATION_OF_STAY, value: duration_of_stay(terms.duration_of_stay_days).to_vec() },
        Feature { tag: tags::PASSPORT_NUMBER, value: c40::encode(&mrz_number(&passport.number))? },
        Feature { tag: tags::VISA_TYPE, value: vec![0, 0, 0, terms.type_letter as u8] },
    ])
}

/// A stay of `days` as days, months and years of one byte each: days alone up to 255, whole
/// years and the rest beyond (a month counted as 30 days where the rest is still too long).
pub fn duration_of_stay(days: i32) -> [u8; 3] {
    let days = days.clamp(0, 255 * 365) as u32;
    if days <= 255 {
        return [days as u8, 0, 0];
    }
    let (years, rest) = (days / 365, days % 365);
    match rest {
        0..=255 => [rest as u8, 0, years as u8],
        _ => [(rest % 30) as u8, (rest / 30) as u8, years as u8],
    }
}

/// A passport number as the MRZ writes it: upper case, anything else a filler, nine characters
/// at least.
fn mrz_number(number: &str) -> String {
    let written: String = number
        .chars()
        .map(|c| c.to_ascii_uppercase())
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '<' })
        .collect();
    format!("{written:<<9}")
}

/// The signer as the seal names it: the issuing state's two-letter code (its first two letters
/// where ISO 3166 has none, as for Utopia) and `VS`, a visa signer.
pub fn signer_identifier(issuing_state: &str) -> String {
    let alpha2 = isocountry::CountryCode::for_alpha3(issuing_state)
        .map(|c| c.alpha2().to_owned())
        .unwrap_or_else(|_| issuing_state.chars().take(2).collect());
    format!("{alpha2:<<2}VS")
}

/// The signer certificate's reference: its serial number in upper-case hex, without leading
/// zeros.
pub fn certificate_reference(certificate: &Certificate) -> String {
    let serial = hex::encode_upper(certificate.tbs_certificate.serial_number.as_bytes());
    let trimmed = serial.trim_start_matches('0');
    if trimmed.is_empty() { "0".to_owned() } else { trimmed.to_owned() }
}

/// A signer of seals as a verifier looks it up: the identifier and certificate reference its
/// seals' headers carry, its certificate and the CA's (PEM), and when the certificate is valid.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SealSigner {
    /// The signer identifier of the seal's header.
    pub signer_identifier: String,
    /// The certificate reference of the seal's header.
    pub certificate_reference: String,
    /// The signer's certificate, PEM.
    pub certificate: String,
    /// The certificate of the CA that issued it, PEM.
    pub ca_certificate: String,
    /// First moment of the certificate's validity.
    pub not_before: chrono::DateTime<chrono::Utc>,
    /// Last moment of the certificate's validity.
    pub not_after: chrono::DateTime<chrono::Utc>,
}

impl SealSigner {
    /// The seal signer whose certificate (PEM) is `certificate`, for `issuing_state`.
    pub fn new(issuing_state: &str, certificate: &str, ca_certificate: &str) -> anyhow::Result<SealSigner> {
        use der::DecodePem;
        let parsed = Certificate::from_pem(certificate)?;
        let validity = &parsed.tbs_certificate.validity;
        let moment = |time: &x509_cert::time::Time| {
            chrono::DateTime::from_timestamp(time.to_unix_duration().as_secs() as i64, 0).context("a certificate date")
        };
        Ok(SealSigner {
            signer_identifier: signer_identifier(issuing_state),
            certificate_reference: certificate_reference(&parsed),
            certificate: certificate.to_owned(),
            ca_certificate: ca_certificate.to_owned(),
            not_before: moment(&validity.not_before)?,
            not_after: moment(&validity.not_after)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_are_written_in_days_months_and_years() {
        assert_eq!(duration_of_stay(15), [15, 0, 0]);
        assert_eq!(duration_of_stay(255), [255, 0, 0]);
        assert_eq!(duration_of_stay(365), [0, 0, 1]);
        assert_eq!(duration_of_stay(400), [35, 0, 1]);
        assert_eq!(duration_of_stay(300), [0, 10, 0]);
    }

    #[test]
    fn passport_numbers_and_signers_are_written_as_the_mrz_would() {
        assert_eq!(mrz_number("c123-45"), "C123<45<<");
        assert_eq!(mrz_number("1234567890AB"), "1234567890AB");
        assert_eq!(signer_identifier("KAZ"), "KZVS");
        assert_eq!(signer_identifier("UTO"), "UTVS");
    }
}
