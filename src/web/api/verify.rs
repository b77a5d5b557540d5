//! The verification API for embassy, border and carrier systems: checks by visa and passport
//! number or by QR token, and the revocation feed. Every check is logged; answers disclose only
//! what a border check needs.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDateTime, Utc};
use serde::Deserialize;
use std::sync::Arc;

use crate::app::verification::{KnownVisa, answer_for, token_kid, verify_claims};
use crate::db::clients::CheckRow;
use crate::db::{self, issued_documents};
use crate::domain::service::OutputKind;
use crate::issuance::e_visa::claims::VisaClaims;
use crate::web::api_client::ApiClient;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::JsonBody;
use crate::web::state::AppState;

pub(super) fn require_scope(client: &ApiClient, scope: &str) -> AppResult<()> {
    if client.0.has_scope(scope) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("this API key lacks the {scope} scope")))
    }
}

/// The digest of a passport number kept in the verification log, keyed by a server secret.
pub fn passport_digest(key: &[u8], number: &str) -> String {
    crate::auth::digest::keyed_digest(key, number)
}

fn normalise(text: &str) -> String {
    text.trim().to_uppercase()
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
    let visa = known_visa(&state, &number).await?;
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

/// The e-visa `number` as verification keeps it: none for a number the index knows was never
/// issued, a copy kept in memory, or else the record read (and kept, once issued).
async fn known_visa(state: &AppState, number: &str) -> AppResult<Option<Arc<KnownVisa>>> {
    if state.issued_numbers.surely_unknown(number) {
        return Ok(None);
    }
    if let Some(visa) = state.visa_cache.get(number) {
        return Ok(Some(visa));
    }
    let generation = state.visa_cache.generation();
    let lookup = number.to_owned();
    let found =
        crate::web::read(&state.db, move |conn| Ok(issued_documents::find(conn, OutputKind::EVisa, &lookup)?)).await?;
    let found = found.map(KnownVisa::new).transpose()?.map(Arc::new);
    if let Some(visa) = found.as_ref().filter(|visa| visa.issued()) {
        state.visa_cache.put(generation, number, visa.clone());
    }
    Ok(found)
}

/// Body of `POST /api/v1/verify/token`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenCheck {
    token: String,
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
    let claims = match token_claims(&state, token).await {
        Ok(claims) => claims,
        Err(err) => {
            state
                .checks
                .record(entry(&state.log_key, &client.0.id, "token", None, None, "invalid_token", peer(&req)))
                .await?;
            return Err(err);
        }
    };
    let visa = known_visa(&state, &claims.visa_number).await?;
    // The token must describe the record: same passport and validity.
    let visa = visa.filter(|v| v.has_validity(&claims));
    let answer = answer_for(visa.as_deref(), &claims.passport_number);
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

/// The claims of a QR token whose signature verifies with the key it names: the key decoded
/// once and kept, read from the database only the first time; a token verified before is not
/// verified again.
async fn token_claims(state: &AppState, token: String) -> AppResult<Arc<VisaClaims>> {
    if let Some(claims) = state.verified_tokens.get(&token) {
        return Ok(claims);
    }
    let kid = token_kid(&token)?;
    let key = match state.token_keys.get(&kid) {
        Some(key) => key,
        None => {
            let keys = state.token_keys.clone();
            crate::web::read(&state.db, move |conn| Ok(keys.load(conn, &kid)?)).await?
        }
    };
    let claims = Arc::new(verify_claims(&token, &key)?);
    state.verified_tokens.put(&token, claims.clone());
    Ok(claims)
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
    let items =
        crate::web::read(&state.db, move |conn| Ok(issued_documents::revoked_visas(conn, since, 1000)?)).await?;
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
