//! Paying fees through the API: an applicant's checkouts, an officer's record of a payment at
//! the counter, and the payment provider's webhook.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::app::checkout::{self, Checkout};
use crate::app::{Applicant, User};
use crate::db::checkouts::CheckoutRow;
use crate::payment_providers::{Provider, stripe};
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{JsonBody, RawJsonBody};
use crate::web::request_id::RequestId;
use crate::web::state::AppState;

/// A checkout as the API shows it.
#[derive(Serialize)]
pub struct CheckoutView {
    id: String,
    case_id: String,
    provider: String,
    status: String,
    amount_minor: i64,
    currency: String,
    /// The page where the payer pays (relative to the service), while open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pay_url: Option<String>,
}

impl CheckoutView {
    fn new(row: CheckoutRow, provider: &Provider) -> CheckoutView {
        let pay_url = (row.status == "open").then(|| provider.pay_path(&row.id));
        CheckoutView {
            id: row.id,
            case_id: row.case_id,
            provider: row.provider,
            status: row.status,
            amount_minor: row.amount_minor,
            currency: row.currency,
            pay_url,
        }
    }
}

/// `POST /api/v1/cases/{id}/checkouts`: starts paying what the applicant's case owes (or
/// answers the checkout already open for it).
pub async fn start(state: web::Data<AppState>, user: Applicant, path: web::Path<String>) -> AppResult<HttpResponse> {
    let Checkout { row, .. } = checkout::start(&state.db, &state.payments, &user, path.into_inner()).await?;
    Ok(HttpResponse::Created().json(CheckoutView::new(row, &state.payments)))
}

/// `GET /api/v1/cases/{id}/checkouts/{checkout}`: a checkout and its outcome.
pub async fn show(
    state: web::Data<AppState>,
    user: User,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (case_id, id) = path.into_inner();
    let row = checkout::find(&state.db, &user, case_id, id).await?;
    Ok(HttpResponse::Ok().json(CheckoutView::new(row, &state.payments)))
}

/// Body of `POST /api/v1/cases/{id}/counter-payments`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterPayment {
    method: String,
    receipt_number: String,
}

/// `POST /api/v1/cases/{id}/counter-payments`: an officer of the post records what the case
/// owes as paid at the counter.
pub async fn counter(
    state: web::Data<AppState>,
    user: User,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<CounterPayment>,
) -> AppResult<HttpResponse> {
    let CounterPayment { method, receipt_number } = body.0;
    let config = state.config.clone();
    let receipt = checkout::record_at_counter(
        &state.db,
        config,
        &user,
        path.into_inner(),
        method,
        receipt_number,
        request_id.to_string(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(receipt))
}

/// `POST /api/v1/payments/stripe/webhook`: Stripe's events about PaymentIntents, verified by
/// their signature and handled once each.
pub async fn stripe_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    request_id: RequestId,
    body: RawJsonBody,
) -> AppResult<HttpResponse> {
    let Provider::Stripe(stripe) = &state.payments else { return Err(AppError::NotFound) };
    let header = req.headers().get("Stripe-Signature").and_then(|v| v.to_str().ok());
    let event = stripe.event(header, &body.0, chrono::Utc::now().timestamp()).map_err(|err| match err {
        stripe::WebhookError::Signature => AppError::Unauthorized(err.to_string()),
        stripe::WebhookError::Body => AppError::BadRequest(err.to_string()),
    })?;
    let Some((checkout_id, event)) = event else {
        return Ok(HttpResponse::Ok().json(serde_json::json!({"received": true, "handled": false})));
    };
    let config = state.config.clone();
    let settlement = checkout::Settlement {
        provider: stripe::NAME,
        checkout_id,
        provider_ref: Some(event.provider_ref),
        outcome: event.outcome,
        event_id: Some(event.id),
    };
    checkout::settle(&state.db, config, settlement, request_id.to_string()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"received": true, "handled": true})))
}
