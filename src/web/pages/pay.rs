//! Paying in the portal: the pay step (start a checkout and go to the provider's page), the
//! test provider's own page (marked TEST), the page where Stripe's card element takes a card,
//! and the page the payer comes back to, which says what happened and what to do next.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::draft::fee_text;
use super::{Ctx, Form, attempt, check_csrf, signed_in};
use crate::app::checkout::{self, Settlement};
use crate::app::{self, Applicant};
use crate::db::checkouts::CheckoutRow;
use crate::db::{cases, fees};
use crate::domain::status::CaseStatus;
use crate::payment_providers::{Outcome, Provider, test};

/// `POST /cases/{id}/pay`: starts (or resumes) paying what the case owes.
async fn pay(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let user = signed_in!(ctx);
    let applicant = attempt!(ctx, Applicant::new(user));
    let started =
        attempt!(ctx, checkout::start(&ctx.state.db, &ctx.state.payments, &applicant, path.into_inner()).await);
    ctx.redirect(&started.pay_path)
}

/// The open checkout `id` of the signed-in applicant, with its case's reference.
async fn own_checkout(ctx: &Ctx, id: String) -> app::Result<(CheckoutRow, String)> {
    let user = ctx.user().ok_or_else(|| app::Error::Unauthenticated("sign in".into()))?;
    let applicant = Applicant::new(user)?;
    let checkout = checkout::open_checkout(&ctx.state.db, &applicant, id).await?;
    let reference = checkout::reference(&ctx.state.db, &checkout.case_id).await?;
    Ok((checkout, reference))
}

fn result_path(checkout: &CheckoutRow) -> String {
    format!("/cases/{}/payment/{}", checkout.case_id, checkout.id)
}

/// `GET /pay/test/{checkout}`: the test provider's page.
async fn test_page(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
    let _ = signed_in!(ctx);
    let (checkout, reference) = attempt!(ctx, own_checkout(&ctx, path.into_inner()).await);
    if checkout.status != "open" || checkout.provider != test::NAME {
        return ctx.redirect(&result_path(&checkout));
    }
    ctx.render(
        "pay_test.html",
        json!({"title": ctx.t("test_provider_title"), "id": checkout.id, "reference": reference,
               "amount": fee_text(checkout.amount_minor, &checkout.currency)}),
    )
}

/// `POST /pay/test/{checkout}`: the payer pays, is declined or cancels on the test page.
async fn test_outcome(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let _ = signed_in!(ctx);
    let (checkout, _) = attempt!(ctx, own_checkout(&ctx, path.into_inner()).await);
    let outcome = match form.get("outcome").map(String::as_str) {
        Some("pay") => Outcome::Succeeded { amount_minor: checkout.amount_minor, currency: checkout.currency.clone() },
        Some("decline") => Outcome::Declined,
        Some("cancel") => Outcome::Cancelled,
        _ => return ctx.fail(app::Error::invalid_field("outcome", "invalid", "pay, decline or cancel")),
    };
    let settlement = Settlement {
        provider: test::NAME,
        checkout_id: checkout.id.clone(),
        provider_ref: None,
        outcome,
        event_id: None,
    };
    let request_id = crate::web::request_id::of_request(&ctx.req);
    let settled =
        attempt!(ctx, checkout::settle(&ctx.state.db, ctx.state.config.clone(), settlement, request_id).await);
    ctx.redirect(&result_path(&settled))
}

/// `GET /pay/stripe/{checkout}`: the card form of Stripe.js (Stripe needs script to take a card).
async fn stripe_page(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
    let _ = signed_in!(ctx);
    let Provider::Stripe(stripe) = &ctx.state.payments else { return ctx.fail(app::Error::NotFound) };
    let (checkout, reference) = attempt!(ctx, own_checkout(&ctx, path.into_inner()).await);
    if checkout.status != "open" {
        return ctx.redirect(&result_path(&checkout));
    }
    let (publishable_key, js_url) = stripe.page_settings();
    let origin = |url: &str| url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    let mut page = ctx.render(
        "pay_stripe.html",
        json!({"title": ctx.t("pay_with_card"), "id": checkout.id, "reference": reference, "js_url": js_url,
               "publishable_key": publishable_key, "amount": fee_text(checkout.amount_minor, &checkout.currency)}),
    );
    // This page alone runs Stripe's script, in Stripe's frames.
    let policy = format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; \
         frame-ancestors 'none'; script-src 'self' {js}; frame-src {js}; connect-src {js} https://api.stripe.com",
        js = origin(js_url)
    );
    if let Ok(value) = header::HeaderValue::from_str(&policy) {
        page.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    page
}

/// `POST /pay/stripe/{checkout}`: the PaymentMethod Stripe.js made of the card is charged.
async fn stripe_pay(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let user = signed_in!(ctx);
    let Provider::Stripe(stripe) = &ctx.state.payments else { return ctx.fail(app::Error::NotFound) };
    let applicant = attempt!(ctx, Applicant::new(user));
    let method = form.get("payment_method").cloned().unwrap_or_default();
    let request_id = crate::web::request_id::of_request(&ctx.req);
    let config = ctx.state.config.clone();
    let settled = attempt!(
        ctx,
        checkout::pay_by_card(&ctx.state.db, config, stripe, &applicant, path.into_inner(), method, request_id).await
    );
    ctx.redirect(&result_path(&settled))
}

/// `GET /cases/{id}/payment/{checkout}`: what became of a payment, and what next.
async fn result(ctx: Ctx, path: web::Path<(String, String)>) -> HttpResponse {
    let user = signed_in!(ctx);
    let (case_id, id) = path.into_inner();
    let checkout = attempt!(ctx, checkout::find(&ctx.state.db, &user, case_id.clone(), id).await);
    let (case, receipts) = attempt!(
        ctx,
        ctx.state
            .db
            .run::<_, crate::app::Error, _>(move |conn| Ok((
                cases::find(conn, &case_id)?.ok_or(app::Error::NotFound)?,
                fees::receipts(conn, &case_id)?
            )))
            .await
    );
    let next = if case.status == CaseStatus::Draft {
        format!("/cases/{}/check", case.id)
    } else {
        format!("/cases/{}", case.id)
    };
    let receipt: Option<Value> = receipts.iter().find(|r| r.transaction_id == checkout.provider_ref).map(|r| {
        json!({"amount": fee_text(r.amount_minor, &r.currency), "at": r.received_at.format("%d.%m.%Y %H:%M UTC").to_string(),
               "provider_reference": r.transaction_id})
    });
    ctx.render(
        "payment_result.html",
        json!({"title": ctx.t(&format!("payment_{}_title", checkout.status)), "status": checkout.status,
               "reference": case.reference, "case_id": case.id, "receipt": receipt, "next": next,
               "amount": fee_text(checkout.amount_minor, &checkout.currency)}),
    )
}

/// The payment pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/cases/{id}/pay", web::post().to(pay))
        .route("/cases/{id}/payment/{checkout}", web::get().to(result))
        .route("/pay/test/{checkout}", web::get().to(test_page))
        .route("/pay/test/{checkout}", web::post().to(test_outcome))
        .route("/pay/stripe/{checkout}", web::get().to(stripe_page))
        .route("/pay/stripe/{checkout}", web::post().to(stripe_pay));
}
