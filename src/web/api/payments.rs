//! The payment provider's callback. The handler authenticates the raw body's signature, parses
//! it, calls [`crate::app::payments::record`] and renders the receipt.

use crate::web::request_id::RequestId;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::app::payments::{self, Report, SIGNATURE_HEADER};
use crate::web::error::AppResult;
use crate::web::extract::{RawJsonBody, parse_json};
use crate::web::state::AppState;

/// `POST /api/v1/cases/{id}/payments`: a payment for the case's fee, signed with the shared
/// secret. A replay of a transaction answers as the first report did.
pub async fn record(
    state: web::Data<AppState>,
    req: HttpRequest,
    request_id: RequestId,
    path: web::Path<String>,
    body: RawJsonBody,
) -> AppResult<HttpResponse> {
    state.limits.ip(&req)?;
    let signature = req.headers().get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    payments::verify_signature(&state.payment_key, &body.0, signature)?;
    let report: Report = parse_json(&body.0)?;
    let receipt =
        payments::record(&state.db, state.config.clone(), path.into_inner(), report, &body.0, request_id.to_string())
            .await?;
    Ok(HttpResponse::Ok().json(receipt))
}
