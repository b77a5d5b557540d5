//! The offline verification kit by API: the signed trust list (public) and the signed revocation
//! file (API clients with the `revocations` scope, logged as the feed is), as the nodes that hold
//! the signing key last published them.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::verify::{entry, peer, require_scope};
use crate::issuance::offline::{REVOCATIONS, TRUST_LIST};
use crate::web::api_client::ApiClient;
use crate::web::error::{AppError, AppResult};
use crate::web::state::AppState;

/// A published file as stored, or 503 before the first publication.
async fn published(state: &AppState, key: &str) -> AppResult<HttpResponse> {
    let bytes = state.documents.get(key).await.map_err(|_| {
        AppError::Unavailable("not published yet: a node that holds the signing key publishes it at start".into())
    })?;
    Ok(HttpResponse::Ok()
        .content_type("application/jose")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .body(bytes))
}

/// `GET /api/v1/offline/trust-list`: every signer of documents still valid, signed.
pub async fn trust_list(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    published(&state, TRUST_LIST).await
}

/// `GET /api/v1/offline/revocations`: every revoked e-visa, signed.
pub async fn revocations(state: web::Data<AppState>, req: HttpRequest, client: ApiClient) -> AppResult<HttpResponse> {
    state.limits.ip(&req)?;
    state.limits.client(&client.0.id)?;
    require_scope(&client, "revocations")?;
    let answer = published(&state, REVOCATIONS).await?;
    state
        .checks
        .record(entry(&state.log_key, &client.0.id, "revocation_file", None, None, "served", peer(&req)))
        .await?;
    Ok(answer)
}
