//! The verification API for embassy, border and carrier systems: checks by visa and passport
//! number or by QR token, and the revocation feed. Every check is logged; answers disclose only
//! what a border check needs.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::Sha256;
use std::sync::Arc;
use subtle::ConstantTimeEq;

use crate::auth::api_keys::ApiClient;
use crate::db::clients::{self, CheckRow};
use crate::db::visas::{self, VisaRow};
use crate::db::{self, AnyConnection, keys};
use crate::domain::mrz;
use crate::domain::verification::{CheckResult, check};
use crate::outputs::e_visa::token::VisaClaims;
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::JsonBody;

/// What a matching check discloses.
#[derive(Serialize)]
pub struct Disclosed {
    visa_type: String,
    entries: String,
    valid_from: chrono::NaiveDate,
    valid_until: chrono::NaiveDate,
    duration_of_stay_days: i32,
    surname: String,
    given_names: String,
    nationality: String,
    date_of_birth: chrono::NaiveDate,
}

/// The answer of a check.
#[derive(Serialize)]
pub struct Answer<'a> {
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    visa_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    visa: Option<&'a RawValue>,
    checked_at: chrono::DateTime<Utc>,
}

fn disclosed(visa: &VisaRow) -> Disclosed {
    let name = mrz::name_field(&visa.surname, &visa.given_names);
    let (surname, given) = name.trim_end_matches('<').split_once("<<").unwrap_or((name.trim_end_matches('<'), ""));
    Disclosed {
        visa_type: visa.visa_type.clone(),
        entries: visa.entries.clone(),
        valid_from: visa.valid_from,
        valid_until: visa.valid_until,
        duration_of_stay_days: visa.duration_of_stay_days,
        surname: surname.replace('<', " "),
        given_names: given.replace('<', " "),
        nationality: visa.nationality.clone(),
        date_of_birth: visa.date_of_birth,
    }
}

/// A visa as the verification path keeps it in memory: the record, and what a matching check
/// discloses, rendered once rather than on every check.
pub struct KnownVisa {
    row: VisaRow,
    disclosed: Box<RawValue>,
}

impl KnownVisa {
    fn new(row: VisaRow) -> AppResult<KnownVisa> {
        let disclosed = serde_json::value::to_raw_value(&disclosed(&row)).map_err(AppError::internal)?;
        Ok(KnownVisa { row, disclosed })
    }

    /// Whether the visa is issued. One still being issued is answered like an unknown number,
    /// and never kept: it changes without a revocation.
    fn issued(&self) -> bool {
        self.row.status != "issuing"
    }
}

pub(super) fn require_scope(client: &ApiClient, scope: &str) -> AppResult<()> {
    if client.0.has_scope(scope) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("this API key lacks the {scope} scope")))
    }
}

/// The digest of a passport number kept in the verification log: an HMAC under a server secret,
/// so that the small space of passport numbers cannot be searched by whoever reads the log.
pub fn passport_digest(key: &[u8], number: &str) -> String {
    use hmac::{Hmac, Mac};
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(number.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length: this arm is never taken.
        Err(_) => String::new(),
    }
}

fn normalise(text: &str) -> String {
    text.trim().to_uppercase()
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
fn answer_for<'a>(visa: Option<&'a KnownVisa>, passport: &str) -> Answer<'a> {
    let today = Utc::now().date_naive();
    let stored = visa.map_or("", |v| v.row.passport_number.as_str());
    // Compared in constant time, and compared even when there is no visa, so that timing tells
    // nothing either.
    let same = same_number(stored, passport);
    match visa.filter(|v| same && v.issued()) {
        Some(visa) => {
            let row = &visa.row;
            let result = check(row.valid_from, row.valid_until, row.status == "revoked", today);
            Answer {
                result: result.as_str(),
                visa_number: Some(&row.visa_number),
                visa: Some(&visa.disclosed),
                checked_at: Utc::now(),
            }
        }
        None => {
            Answer { result: CheckResult::NotFound.as_str(), visa_number: None, visa: None, checked_at: Utc::now() }
        }
    }
}

pub(super) fn entry(
    key: &[u8],
    client: &str,
    method: &str,
    visa: Option<&str>,
    passport: Option<&str>,
    result: &str,
    ip: Option<String>,
) -> CheckRow {
    CheckRow {
        id: uuid::Uuid::now_v7().to_string(),
        client_id: client.to_owned(),
        method: method.to_owned(),
        visa_number: visa.map(str::to_owned),
        passport_hash: passport.map(|number| passport_digest(key, number)),
        result: result.to_owned(),
        ip,
        created_at: db::now(),
    }
}

pub(super) fn peer(req: &HttpRequest) -> Option<String> {
    crate::web::client_addr::client_addr(req).map(|addr| addr.to_string())
}

/// Body of `POST /api/v1/verify`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberCheck {
    visa_number: String,
    passport_number: String,
}

/// `POST /api/v1/verify`: checks a visa number with the passport number it was issued for.
pub async fn by_number(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ApiClient,
    body: JsonBody<NumberCheck>,
) -> AppResult<HttpResponse> {
    state.limits.ip(&req)?;
    state.limits.client(&client.0.id)?;
    require_scope(&client, "verify")?;
    let number = normalise(&body.0.visa_number);
    let passport = normalise(&body.0.passport_number);
    if number.is_empty() || number.len() > 20 || passport.is_empty() || passport.len() > 20 {
        return Err(AppError::invalid_field(
            if number.is_empty() || number.len() > 20 { "visa_number" } else { "passport_number" },
            "invalid",
            "1 to 20 characters",
        ));
    }
    let visa = match state.visa_cache.get(&number) {
        Some(visa) => Some(visa),
        None => {
            let generation = crate::visa_cache::generation();
            let lookup = number.clone();
            let found = crate::web::read(&state.db, move |conn| Ok(visas::find(conn, &lookup)?)).await?;
            let found = found.map(KnownVisa::new).transpose()?.map(Arc::new);
            if let Some(visa) = found.as_ref().filter(|visa| visa.issued()) {
                state.visa_cache.put(generation, &number, visa.clone());
            }
            found
        }
    };
    let answer = answer_for(visa.as_deref(), &passport);
    crate::web::metrics::verification("number", answer.result);
    // Logged (committed) before it is answered.
    state
        .checks
        .record(entry(
            &state.log_key,
            &client.0.id,
            "number",
            Some(&number),
            Some(&passport),
            answer.result,
            peer(&req),
        ))
        .await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(answer))
}

/// Body of `POST /api/v1/verify/token`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenCheck {
    token: String,
}

fn verify_token(conn: &mut AnyConnection, token: &str) -> AppResult<VisaClaims> {
    let invalid = |detail: &str| AppError::invalid_field("token", "invalid", detail);
    let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("not a compact JWS"))?;
    if header.alg != Algorithm::ES256 {
        return Err(invalid("only ES256 tokens are issued"));
    }
    let kid = header.kid.ok_or_else(|| invalid("the token names no key"))?;
    let key =
        keys::find(conn, &kid)?.and_then(|k| k.certificate_pem).ok_or_else(|| invalid("signed by an unknown key"))?;
    let certificate: x509_cert::Certificate = der::DecodePem::from_pem(key.as_bytes()).map_err(AppError::internal)?;
    let spki = der::Encode::to_der(&certificate.tbs_certificate.subject_public_key_info).map_err(AppError::internal)?;
    let public: p256::PublicKey = spki::DecodePublicKey::from_public_key_der(&spki).map_err(AppError::internal)?;
    let pem =
        spki::EncodePublicKey::to_public_key_pem(&public, p256::pkcs8::LineEnding::LF).map_err(AppError::internal)?;
    let decoding = DecodingKey::from_ec_pem(pem.as_bytes()).map_err(AppError::internal)?;
    let mut validation = Validation::new(Algorithm::ES256);
    // Validity is answered from the record (`expired`, `not_yet_valid`), never as "invalid".
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_required_spec_claims(&["iss"]);
    let data = jsonwebtoken::decode::<VisaClaims>(token, &decoding, &validation)
        .map_err(|_| invalid("the signature or the claims do not verify"))?;
    Ok(data.claims)
}

/// `POST /api/v1/verify/token`: verifies a QR token's signature and claims, then the visa's
/// current status (a revoked visa with a valid token answers `revoked`).
pub async fn by_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ApiClient,
    body: JsonBody<TokenCheck>,
) -> AppResult<HttpResponse> {
    state.limits.ip(&req)?;
    state.limits.client(&client.0.id)?;
    require_scope(&client, "verify")?;
    let token = body.0.token.trim().to_owned();
    if token.is_empty() || token.len() > 4096 {
        return Err(AppError::invalid_field("token", "invalid", "a compact JWS of at most 4096 characters"));
    }
    let checked = crate::web::read(&state.db, move |conn| {
        let claims = match verify_token(conn, &token) {
            Ok(claims) => claims,
            Err(err) => return Ok(Err(err)),
        };
        let visa = visas::find(conn, &claims.visa_number)?;
        Ok(Ok((claims, visa)))
    })
    .await?;
    let (claims, visa) = match checked {
        Ok(found) => found,
        Err(err) => {
            state
                .checks
                .record(entry(&state.log_key, &client.0.id, "token", None, None, "invalid_token", peer(&req)))
                .await?;
            return Err(err);
        }
    };
    // The token must describe the record: same passport and validity.
    let visa = visa.filter(|v| v.valid_from == claims.valid_from && v.valid_until == claims.valid_until);
    let visa = visa.map(KnownVisa::new).transpose()?;
    let answer = answer_for(visa.as_ref(), &claims.passport_number);
    crate::web::metrics::verification("token", answer.result);
    let row = entry(
        &state.log_key,
        &client.0.id,
        "token",
        Some(&claims.visa_number),
        Some(&claims.passport_number),
        answer.result,
        peer(&req),
    );
    state.checks.record(row).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(answer))
}

/// Query of `GET /api/v1/revocations`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Since {
    since: Option<chrono::DateTime<Utc>>,
}

/// `GET /api/v1/revocations?since=`: visas revoked since then, oldest first (at most 1,000; ask
/// again from the last `revoked_at` for more), for offline deny-lists.
pub async fn revocations(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ApiClient,
    query: web::Query<Since>,
) -> AppResult<HttpResponse> {
    state.limits.ip(&req)?;
    state.limits.client(&client.0.id)?;
    require_scope(&client, "revocations")?;
    let since: Option<NaiveDateTime> = query.since.map(|s| s.naive_utc());
    let items = crate::web::read(&state.db, move |conn| Ok(clients::revoked_since(conn, since, 1000)?)).await?;
    let result = format!("{} revoked", items.len());
    state.checks.record(entry(&state.log_key, &client.0.id, "revocations", None, None, &result, peer(&req))).await?;
    let items: Vec<serde_json::Value> = items
        .into_iter()
        .map(|(number, at, grounds)| {
            let reasons: Vec<String> = grounds.and_then(|g| serde_json::from_str(&g).ok()).unwrap_or_default();
            serde_json::json!({"visa_number": number, "revoked_at": at.map(|a| a.and_utc()), "reason_codes": reasons})
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "generated_at": Utc::now()})))
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
