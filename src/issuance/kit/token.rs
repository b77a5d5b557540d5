//! The QR token: a compact JWS (ES256, `kid` in the header) carrying what a verifier needs to
//! check a visa offline against the published keys.

use chrono::NaiveDate;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use super::keys::Signer;

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

/// The registered claims of a validity: `nbf` at the start of its first day and `exp` at the end
/// of its last, in UTC.
pub fn validity_window(valid_from: NaiveDate, valid_until: NaiveDate) -> (i64, i64) {
    let start = valid_from.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp());
    let end = valid_until.succ_opt().unwrap_or(valid_until).and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp());
    (start, end)
}

/// Signs claims (of a visa or a certificate) with the document signer.
pub fn sign<C: Serialize>(claims: &C, signer: &Signer) -> anyhow::Result<String> {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(signer.kid.clone());
    header.typ = Some("JWT".into());
    let key = EncodingKey::from_ec_pem(signer.pkcs8_pem()?.as_bytes())?;
    Ok(jsonwebtoken::encode(&header, claims, &key)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
    use p256::pkcs8::EncodePublicKey;

    #[test]
    fn tokens_verify_with_the_signer_public_key_and_name_it() {
        let dir = tempfile::tempdir().unwrap();
        let (signer, _) = super::super::keys::new_dev_signer(dir.path(), "UTO", "Republic of Utopia").unwrap();
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

    #[test]
    fn the_window_runs_from_the_first_midnight_to_the_midnight_after_the_last_day() {
        let (nbf, exp) = validity_window("2027-03-01".parse().unwrap(), "2027-03-01".parse().unwrap());
        assert_eq!(exp - nbf, 86_400);
        assert_eq!(nbf, 1_803_859_200);
    }
}
