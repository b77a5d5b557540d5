//! Verification, the use case: what a check of a visa by its number and passport, or by its QR
//! token, answers. A wrong passport answers exactly like an unknown number, after the same work;
//! a match discloses only what a border check needs, read from the visa's one record.

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Serialize;
use serde_json::value::RawValue;
use subtle::ConstantTimeEq;

use crate::app::{self, Error};
use crate::db::{AnyConnection, keys};
use crate::domain::issued::{DocumentStatus, IssuedDocument, VisaTerms};
use crate::domain::mrz;
use crate::domain::verification::{CheckResult, check};
use crate::issuance::e_visa::claims::VisaClaims;

/// What a matching check discloses.
#[derive(Serialize)]
struct Disclosed<'a> {
    visa_type: &'a str,
    entries: &'a str,
    valid_from: chrono::NaiveDate,
    valid_until: chrono::NaiveDate,
    duration_of_stay_days: i32,
    surname: String,
    given_names: String,
    nationality: &'a str,
    date_of_birth: chrono::NaiveDate,
}

/// The answer of a check.
#[derive(Serialize)]
pub struct Answer<'a> {
    /// `valid`, `not_yet_valid`, `expired`, `revoked` or `not_found`.
    pub result: &'static str,
    /// The visa's number, for a match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visa_number: Option<&'a str>,
    /// What a match discloses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visa: Option<&'a RawValue>,
    /// When the check was answered.
    pub checked_at: chrono::DateTime<Utc>,
}

/// A visa as the verification path keeps it in memory: the record, its terms, and what a
/// matching check discloses, rendered once rather than on every check.
pub struct KnownVisa {
    visa: IssuedDocument,
    terms: VisaTerms,
    passport: String,
    disclosed: Box<RawValue>,
}

impl KnownVisa {
    /// The verification view of an issued visa; an error for a document that is not one.
    pub fn new(visa: IssuedDocument) -> app::Result<KnownVisa> {
        let not_a_visa = || Error::internal(anyhow::anyhow!("document {} is not a visa", visa.number));
        let terms = visa.terms.clone().ok_or_else(not_a_visa)?;
        let passport = visa.holder.passport.as_ref().ok_or_else(not_a_visa)?.number.clone();
        let holder = &visa.holder;
        let name = mrz::name_field(&holder.surname, &holder.given_names);
        let (surname, given) = name.trim_end_matches('<').split_once("<<").unwrap_or((name.trim_end_matches('<'), ""));
        let disclosed = Disclosed {
            visa_type: &visa.service_code,
            entries: &terms.entries,
            valid_from: terms.valid_from,
            valid_until: terms.valid_until,
            duration_of_stay_days: terms.duration_of_stay_days,
            surname: surname.replace('<', " "),
            given_names: given.replace('<', " "),
            nationality: &holder.nationality,
            date_of_birth: holder.date_of_birth,
        };
        let disclosed = serde_json::value::to_raw_value(&disclosed)?;
        Ok(KnownVisa { visa, terms, passport, disclosed })
    }

    /// Whether the visa is issued. One still being issued is answered like an unknown number,
    /// and never kept: it changes without a revocation.
    pub fn issued(&self) -> bool {
        self.visa.status.is_issued()
    }

    /// Whether a token's validity is the record's.
    pub fn has_validity(&self, claims: &VisaClaims) -> bool {
        self.terms.valid_from == claims.valid_from && self.terms.valid_until == claims.valid_until
    }
}

/// The same bytes for equal strings of at most 64 bytes, compared in constant time.
fn same_number(a: &str, b: &str) -> bool {
    let padded = |s: &str| {
        let mut bytes = [0u8; 64];
        let n = s.len().min(64);
        bytes[..n].copy_from_slice(&s.as_bytes()[..n]);
        bytes
    };
    let same_bytes: bool = padded(a).ct_eq(&padded(b)).into();
    same_bytes && a.len() == b.len() && a.len() <= 64
}

/// Answers for a visa (if any) whose passport number must equal `passport`; a mismatch answers
/// exactly like an unknown number, after the same work.
pub fn answer_for<'a>(visa: Option<&'a KnownVisa>, passport: &str) -> Answer<'a> {
    let today = Utc::now().date_naive();
    let stored = visa.map_or("", |v| v.passport.as_str());
    // Compared in constant time, and compared even when there is no visa, so that timing tells
    // nothing either.
    let same = same_number(stored, passport);
    match visa.filter(|v| same && v.issued()) {
        Some(known) => {
            let revoked = known.visa.status == DocumentStatus::Revoked;
            let result = check(known.terms.valid_from, known.terms.valid_until, revoked, today);
            Answer {
                result: result.as_str(),
                visa_number: Some(&known.visa.number),
                visa: Some(&known.disclosed),
                checked_at: Utc::now(),
            }
        }
        None => {
            Answer { result: CheckResult::NotFound.as_str(), visa_number: None, visa: None, checked_at: Utc::now() }
        }
    }
}

fn invalid(detail: &str) -> Error {
    Error::invalid_field("token", "invalid", detail)
}

/// The key a QR token names, once its header is an ES256 compact JWS.
pub fn token_kid(token: &str) -> app::Result<String> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("not a compact JWS"))?;
    if header.alg != Algorithm::ES256 {
        return Err(invalid("only ES256 tokens are issued"));
    }
    header.kid.ok_or_else(|| invalid("the token names no key"))
}

/// The claims of a token whose signature verifies with `key`.
pub fn verify_claims(token: &str, key: &DecodingKey) -> app::Result<VisaClaims> {
    let mut validation = Validation::new(Algorithm::ES256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_required_spec_claims(&["iss"]);
    let data = jsonwebtoken::decode::<VisaClaims>(token, key, &validation)
        .map_err(|_| invalid("the signature or the claims do not verify"))?;
    Ok(data.claims)
}

/// Tokens whose signature verified, by the SHA-256 of their text (a tenth of a token's size):
/// a visa's token never changes, so a token scanned before is not verified again (its visa's
/// status still is, on every check). Bounded: starts afresh when full.
#[derive(Default)]
pub struct VerifiedTokens {
    tokens: std::sync::RwLock<std::collections::HashMap<[u8; 32], std::sync::Arc<VisaClaims>>>,
}

/// How many verified tokens are kept.
const VERIFIED_TOKENS: usize = 50_000;

fn token_digest(token: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).into()
}

impl VerifiedTokens {
    /// The claims of `token`, if it verified before.
    pub fn get(&self, token: &str) -> Option<std::sync::Arc<VisaClaims>> {
        self.tokens.read().ok()?.get(&token_digest(token)).cloned()
    }

    /// Keeps the claims of a token that verified.
    pub fn put(&self, token: &str, claims: std::sync::Arc<VisaClaims>) {
        if let Ok(mut tokens) = self.tokens.write() {
            if tokens.len() >= VERIFIED_TOKENS {
                tokens.clear();
            }
            tokens.insert(token_digest(token), claims);
        }
    }
}

/// The keys that sign tokens, decoded from their certificates once and kept by key id (a key's
/// certificate never changes).
#[derive(Default)]
pub struct TokenKeys {
    keys: std::sync::RwLock<std::collections::HashMap<String, std::sync::Arc<DecodingKey>>>,
}

impl TokenKeys {
    /// The key `kid`, if it was decoded before.
    pub fn get(&self, kid: &str) -> Option<std::sync::Arc<DecodingKey>> {
        self.keys.read().ok()?.get(kid).cloned()
    }

    /// Reads the key `kid` from its certificate and keeps it; an unknown key is an invalid token.
    pub fn load(&self, conn: &mut AnyConnection, kid: &str) -> app::Result<std::sync::Arc<DecodingKey>> {
        let pem = keys::find(conn, kid)?
            .and_then(|k| k.certificate_pem)
            .ok_or_else(|| invalid("signed by an unknown key"))?;
        let certificate: x509_cert::Certificate = der::DecodePem::from_pem(pem.as_bytes()).map_err(Error::internal)?;
        let spki =
            der::Encode::to_der(&certificate.tbs_certificate.subject_public_key_info).map_err(Error::internal)?;
        let public: p256::PublicKey = spki::DecodePublicKey::from_public_key_der(&spki).map_err(Error::internal)?;
        let pem =
            spki::EncodePublicKey::to_public_key_pem(&public, p256::pkcs8::LineEnding::LF).map_err(Error::internal)?;
        let key = std::sync::Arc::new(DecodingKey::from_ec_pem(pem.as_bytes()).map_err(Error::internal)?);
        if let Ok(mut keys) = self.keys.write() {
            keys.insert(kid.to_owned(), key.clone());
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::same_number;

    #[test]
    fn passport_numbers_match_only_when_equal() {
        assert!(same_number("X1234567", "X1234567"));
        assert!(!same_number("X1234567", "X123456"));
        assert!(!same_number("X123456", "X1234567"));
        assert!(!same_number("", "X1"));
        assert!(!same_number("X1234568", "X1234567"));
        assert!(!same_number("X1234567\0", "X1234567"), "padding is not the number");
        let long = "A".repeat(70);
        assert!(!same_number(&long, &long), "longer than any passport number: never a match");
    }
}
