//! What an e-visa states for machines: the claims of its QR token and its machine readable zone,
//! both read from the one record of the visa.

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::country;
use crate::domain::issued::{IssuedDocument, VisaTerms};
use crate::domain::mrz::{self, MrvA};
use crate::issuance::kit::token;

/// The claims of a visa token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisaClaims {
    /// Issuing state (ICAO code).
    pub iss: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Not before: the start of the first day of validity, UTC (seconds since the epoch). Absent
    /// from tokens issued before registered claims were added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Expires: the end of the last day of validity, UTC (seconds since the epoch), so that a
    /// generic JWT library refuses an expired visa without knowing the other claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Visa number.
    pub visa_number: String,
    /// Passport number.
    pub passport_number: String,
    /// Holder's name as in the MRZ (`SURNAME<<GIVEN<NAMES`).
    pub name: String,
    /// Nationality (ICAO code).
    pub nationality: String,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// Visa type code.
    pub visa_type: String,
    /// `single`, `double` or `multiple`.
    pub entries: String,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// Longest stay in days.
    pub duration_of_stay_days: i32,
}

/// The MRZ type letter of a visa category (Schengen practice: A transit, C short stay, D long stay).
pub fn type_letter(category: &str) -> char {
    match category {
        "transit" => 'A',
        "long_stay" => 'D',
        _ => 'C',
    }
}

/// The terms of a document that must be a visa.
pub fn terms(visa: &IssuedDocument) -> anyhow::Result<&VisaTerms> {
    visa.terms.as_ref().with_context(|| format!("document {} has no visa terms", visa.number))
}

/// The MRZ of a visa.
pub fn mrz_lines(visa: &IssuedDocument) -> anyhow::Result<[String; 2]> {
    let terms = terms(visa)?;
    let holder = &visa.holder;
    let passport = holder.passport.as_ref().context("a visa without its passport")?;
    Ok(MrvA {
        type_letter: terms.type_letter,
        issuing_state: country::mrz_code(&visa.issuing_state),
        surname: &holder.surname,
        given_names: &holder.given_names,
        document_number: &visa.number,
        nationality: country::mrz_code(&holder.nationality),
        date_of_birth: holder.date_of_birth,
        sex: holder.sex.as_deref().and_then(|s| s.chars().next()).unwrap_or('<'),
        valid_until: terms.valid_until,
        optional_data: &passport.number,
    }
    .lines())
}

/// The claims of a visa's QR token.
pub fn claims(visa: &IssuedDocument) -> anyhow::Result<VisaClaims> {
    let terms = terms(visa)?;
    let holder = &visa.holder;
    let passport = holder.passport.as_ref().context("a visa without its passport")?;
    let (nbf, exp) = token::validity_window(terms.valid_from, terms.valid_until);
    Ok(VisaClaims {
        iss: visa.issuing_state.clone(),
        iat: Utc::now().timestamp(),
        nbf: Some(nbf),
        exp: Some(exp),
        visa_number: visa.number.clone(),
        passport_number: passport.number.clone(),
        name: mrz::name_field(&holder.surname, &holder.given_names).trim_end_matches('<').to_owned(),
        nationality: holder.nationality.clone(),
        date_of_birth: holder.date_of_birth,
        visa_type: visa.service_code.clone(),
        entries: terms.entries.clone(),
        valid_from: terms.valid_from,
        valid_until: terms.valid_until,
        duration_of_stay_days: terms.duration_of_stay_days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issuance::kit::token::{sign, validity_window};
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
    use p256::pkcs8::EncodePublicKey;

    #[test]
    fn tokens_verify_with_the_signer_public_key_and_name_it() {
        let dir = tempfile::tempdir().unwrap();
        let (signer, _) = crate::issuance::kit::keys::new_dev_signer(dir.path(), "UTO", "Republic of Utopia").unwrap();
        let claims = VisaClaims {
            iss: "UTO".into(),
            iat: 1_790_000_000,
            nbf: Some(validity_window("2027-03-01".parse().unwrap(), "2027-05-29".parse().unwrap()).0),
            exp: Some(validity_window("2027-03-01".parse().unwrap(), "2027-05-29".parse().unwrap()).1),
            visa_number: "AB12CD34E".into(),
            passport_number: "123456789".into(),
            name: "SMITH<<JOHN<PAUL".into(),
            nationality: "GBR".into(),
            date_of_birth: "1990-02-15".parse().unwrap(),
            visa_type: "TOURIST".into(),
            entries: "single".into(),
            valid_from: "2027-03-01".parse().unwrap(),
            valid_until: "2027-05-29".parse().unwrap(),
            duration_of_stay_days: 14,
        };
        let token = sign(&claims, &signer).unwrap();
        assert!(token.len() < 700, "{} characters", token.len());
        assert_eq!(decode_header(&token).unwrap().kid.as_deref(), Some(signer.kid.as_str()));
        let public = signer.key.verifying_key().to_public_key_pem(p256::pkcs8::LineEnding::LF).unwrap();
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_required_spec_claims(&["iss"]);
        validation.validate_exp = false;
        let decoded =
            decode::<VisaClaims>(&token, &DecodingKey::from_ec_pem(public.as_bytes()).unwrap(), &validation).unwrap();
        assert_eq!(decoded.claims, claims);
        // A generic validator, knowing only the registered claims, refuses what is not yet valid.
        let mut generic = Validation::new(Algorithm::ES256);
        generic.validate_nbf = true;
        let key = DecodingKey::from_ec_pem(public.as_bytes()).unwrap();
        let early = decode::<VisaClaims>(&token, &key, &generic).unwrap_err();
        assert_eq!(early.kind(), &jsonwebtoken::errors::ErrorKind::ImmatureSignature);
        let expired = VisaClaims {
            valid_from: "2020-01-01".parse().unwrap(),
            valid_until: "2020-03-30".parse().unwrap(),
            nbf: Some(validity_window("2020-01-01".parse().unwrap(), "2020-03-30".parse().unwrap()).0),
            exp: Some(validity_window("2020-01-01".parse().unwrap(), "2020-03-30".parse().unwrap()).1),
            ..claims
        };
        let old = sign(&expired, &signer).unwrap();
        assert_eq!(
            decode::<VisaClaims>(&old, &key, &generic).unwrap_err().kind(),
            &jsonwebtoken::errors::ErrorKind::ExpiredSignature
        );
    }
}
