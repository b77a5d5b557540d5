//! The QR token: a compact JWS (ES256, `kid` in the header) carrying what a verifier needs to
//! check a document offline against the published keys. Each output kind says its claims.

use chrono::NaiveDate;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::keys::Signer;

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

    #[test]
    fn the_window_runs_from_the_first_midnight_to_the_midnight_after_the_last_day() {
        let (nbf, exp) = validity_window("2027-03-01".parse().unwrap(), "2027-03-01".parse().unwrap());
        assert_eq!(exp - nbf, 86_400);
        assert_eq!(nbf, 1_803_859_200);
    }
}
