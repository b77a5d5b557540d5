//! Issued consular documents (certificates, and any kind but e-visas): the signed PDF for its
//! holder and the post's staff, and the check by document number and date of birth for third
//! parties (an API key with the `verify` scope, logged like visa checks, minimal disclosure).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::verify::{entry, peer, require_scope};
use super::visas::issued_pdf;
use crate::auth::AuthUser;
use crate::db::{catalog, issued_documents};
use crate::domain::issued::{DocumentStatus, IssuedDocument};
use crate::domain::service::OutputKind;
use crate::web::api_client::ApiClient;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::JsonBody;
use crate::web::state::AppState;

/// `GET /api/v1/requests/{id}/document.pdf`: the signed certificate.
pub async fn pdf(state: web::Data<AppState>, user: AuthUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    issued_pdf(&state, user, path.into_inner(), None).await
}

/// Body of `POST /api/v1/verify/document`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentCheck {
    document_number: String,
    date_of_birth: NaiveDate,
}

/// The answer of a document check: the status and, for a match, no more than a clerk needs.
#[derive(Serialize)]
pub struct DocumentAnswer {
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    document_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    holder: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issue_date: Option<NaiveDate>,
    checked_at: chrono::DateTime<Utc>,
}

/// The answer for a certificate (if any) whose holder must be born on `born`; a mismatch answers
/// exactly like an unknown number.
fn answer_for(found: Option<(IssuedDocument, String)>, born: NaiveDate) -> DocumentAnswer {
    let stored = found.as_ref().map_or_else(String::new, |(c, _)| c.holder.date_of_birth.to_string());
    let same: bool = format!("{stored:\0<10}").as_bytes().ct_eq(format!("{born:\0<10}").as_bytes()).into();
    match found.filter(|(c, _)| same && c.status.is_issued()) {
        Some((certificate, service)) => DocumentAnswer {
            result: if certificate.status == DocumentStatus::Revoked { "revoked" } else { "valid" },
            holder: Some(
                format!("{} {}", certificate.holder.given_names, certificate.holder.surname).trim().to_owned(),
            ),
            document_number: Some(certificate.number),
            service: Some(service),
            issue_date: Some(certificate.issue_date),
            checked_at: Utc::now(),
        },
        None => DocumentAnswer {
            result: "not_found",
            document_number: None,
            service: None,
            holder: None,
            issue_date: None,
            checked_at: Utc::now(),
        },
    }
}

/// `POST /api/v1/verify/document`: checks a certificate by its number and its holder's date of
/// birth. Logged (committed) before it is answered.
pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ApiClient,
    body: JsonBody<DocumentCheck>,
) -> AppResult<HttpResponse> {
    state.limits.ip(&req)?;
    state.limits.client(&client.0.id)?;
    require_scope(&client, "verify")?;
    let DocumentCheck { document_number, date_of_birth } = body.0;
    let number = document_number.trim().to_uppercase();
    if number.is_empty() || number.len() > 20 {
        return Err(AppError::invalid_field("document_number", "invalid", "1 to 20 characters"));
    }
    let lookup = number.clone();
    let found = crate::web::read(&state.db, move |conn| {
        let consular = issued_documents::find_any(conn, &lookup)?.filter(|d| d.kind != OutputKind::EVisa);
        let Some(certificate) = consular else {
            return Ok(None);
        };
        let service = catalog::find_service(conn, &certificate.service_code)?
            .map_or_else(|| certificate.service_code.clone(), |s| s.name);
        Ok(Some((certificate, service)))
    })
    .await?;
    let answer = answer_for(found, date_of_birth);
    crate::web::metrics::verification("document", answer.result);
    let born = date_of_birth.to_string();
    let row = entry(&state.log_key, &client.0.id, "document", Some(&number), Some(&born), answer.result, peer(&req));
    state.checks.record(row).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(answer))
}
