//! The HTTP API: every route in one table, so the router and `openapi.yaml` can be compared.

mod admin;
mod applications;
mod appointments;
mod auth;
mod catalog;
pub(crate) mod certificates;
mod checkouts;
pub mod clients;
pub(crate) mod documents;
mod health;
mod offline;
mod payments;
mod queue;
mod requests;
mod review;
mod services;
pub(crate) mod share_codes;
pub(crate) mod verify;
pub(crate) mod views;
pub(crate) mod visas;

use actix_web::http::Method;
use actix_web::{Route, web};

use crate::web::error::AppError;

/// One route: method, path pattern (actix and OpenAPI share the `{param}` syntax) and handler.
pub struct Endpoint {
    /// HTTP method.
    pub method: Method,
    /// Path pattern.
    pub path: &'static str,
    route: Route,
}

fn endpoint<F, Args>(method: Method, path: &'static str, handler: F) -> Endpoint
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    Endpoint { route: web::method(method.clone()).to(handler), method, path }
}

/// Every route of the service. Requests are matched in this order, each route with a parameter
/// by a regular expression, so the verification checks (the hot path) come first: a check by
/// token matched after the routes above it spent a tenth of its time in their expressions.
pub fn endpoints() -> Vec<Endpoint> {
    use Method as M;
    vec![
        endpoint(M::POST, "/api/v1/verify", verify::by_number),
        endpoint(M::POST, "/api/v1/verify/token", verify::by_token),
        endpoint(M::GET, "/health", health::health),
        endpoint(M::GET, "/ready", health::ready),
        endpoint(M::GET, "/openapi.yaml", health::openapi),
        endpoint(M::GET, "/metrics", crate::web::metrics::metrics),
        endpoint(M::POST, "/api/v1/auth/register", auth::register),
        endpoint(M::POST, "/api/v1/auth/login", auth::login),
        endpoint(M::GET, "/api/v1/me", auth::me),
        endpoint(M::PUT, "/api/v1/me/away", auth::set_away),
        endpoint(M::POST, "/api/v1/auth/sign-out-everywhere", auth::sign_out_everywhere),
        endpoint(M::POST, "/api/v1/auth/verify-email", auth::verify_email),
        endpoint(M::POST, "/api/v1/auth/resend-verification", auth::resend_verification),
        endpoint(M::POST, "/api/v1/auth/password-reset", auth::password_reset),
        endpoint(M::POST, "/api/v1/auth/password-reset/confirm", auth::password_reset_confirm),
        endpoint(M::GET, "/api/v1/admin/outbox", admin::list_outbox),
        endpoint(M::GET, "/api/v1/admin/audit", admin::audit),
        endpoint(M::POST, "/api/v1/admin/outbox/{id}/retry", admin::retry_email),
        endpoint(M::POST, "/api/v1/admin/issuance/retry", admin::retry_issuance),
        endpoint(M::POST, "/api/v1/cases/{id}/checkouts", checkouts::start),
        endpoint(M::GET, "/api/v1/cases/{id}/checkouts/{checkout}", checkouts::show),
        endpoint(M::POST, "/api/v1/cases/{id}/counter-payments", checkouts::counter),
        endpoint(M::POST, "/api/v1/payments/stripe/webhook", checkouts::stripe_webhook),
        endpoint(M::GET, "/api/v1/visa-types", catalog::visa_types),
        endpoint(M::GET, "/api/v1/services", catalog::services),
        endpoint(M::POST, "/api/v1/admin/services", services::create),
        endpoint(M::PATCH, "/api/v1/admin/services/{code}", services::update),
        endpoint(M::GET, "/api/v1/posts", catalog::posts),
        endpoint(M::GET, "/api/v1/refusal-grounds", catalog::refusal_grounds),
        endpoint(M::POST, "/api/v1/admin/posts", admin::create_post),
        endpoint(M::PATCH, "/api/v1/admin/posts/{code}", admin::update_post),
        endpoint(M::PUT, "/api/v1/admin/posts/{code}/schedule", appointments::publish_schedule),
        endpoint(
            M::PUT,
            "/api/v1/admin/posts/{code}/services/{service}/schedule",
            appointments::publish_service_schedule,
        ),
        endpoint(M::GET, "/api/v1/appointments", appointments::day),
        endpoint(M::POST, "/api/v1/cases/{id}/attendance", appointments::attendance),
        endpoint(M::GET, "/api/v1/admin/users", admin::list_users),
        endpoint(M::POST, "/api/v1/admin/users", admin::create_user),
        endpoint(M::PATCH, "/api/v1/admin/users/{id}", admin::update_user),
        endpoint(M::POST, "/api/v1/applications", applications::create),
        endpoint(M::GET, "/api/v1/applications", applications::list),
        endpoint(M::GET, "/api/v1/applications/{id}", applications::get),
        endpoint(M::PATCH, "/api/v1/applications/{id}", applications::update),
        endpoint(M::POST, "/api/v1/applications/{id}/submit", applications::submit),
        endpoint(M::POST, "/api/v1/applications/{id}/withdraw", applications::withdraw),
        endpoint(M::GET, "/api/v1/applications/{id}/events", applications::events),
        endpoint(M::PUT, "/api/v1/applications/{id}/documents/{kind}", documents::upload),
        endpoint(M::GET, "/api/v1/applications/{id}/documents/{kind}", documents::download),
        endpoint(M::POST, "/api/v1/applications/{id}/claim", review::claim),
        endpoint(M::POST, "/api/v1/applications/{id}/release", review::release),
        endpoint(M::POST, "/api/v1/applications/{id}/assign", review::assign),
        endpoint(M::POST, "/api/v1/applications/{id}/request-info", review::request_info),
        endpoint(M::POST, "/api/v1/applications/{id}/respond", review::respond),
        endpoint(M::POST, "/api/v1/applications/{id}/decision", review::decide),
        endpoint(M::POST, "/api/v1/applications/{id}/confirm", review::confirm),
        endpoint(M::POST, "/api/v1/applications/{id}/return", review::return_for_review),
        endpoint(M::POST, "/api/v1/applications/{id}/notes", review::add_note),
        endpoint(M::POST, "/api/v1/applications/{id}/extend-deadline", review::extend_deadline),
        endpoint(M::POST, "/api/v1/applications/{id}/priority", review::set_priority),
        endpoint(M::POST, "/api/v1/requests", requests::create),
        endpoint(M::GET, "/api/v1/requests", requests::list),
        endpoint(M::GET, "/api/v1/requests/{id}", applications::get),
        endpoint(M::PATCH, "/api/v1/requests/{id}", requests::update),
        endpoint(M::PUT, "/api/v1/requests/{id}/documents/{kind}", documents::upload),
        endpoint(M::GET, "/api/v1/requests/{id}/documents/{kind}", documents::download),
        endpoint(M::POST, "/api/v1/requests/{id}/submit", applications::submit),
        endpoint(M::POST, "/api/v1/requests/{id}/withdraw", applications::withdraw),
        endpoint(M::POST, "/api/v1/requests/{id}/respond", review::respond),
        endpoint(M::GET, "/api/v1/requests/{id}/events", applications::events),
        endpoint(M::GET, "/api/v1/requests/{id}/document.pdf", certificates::pdf),
        endpoint(M::GET, "/api/v1/requests/{id}/slots", appointments::slots),
        endpoint(M::POST, "/api/v1/requests/{id}/appointment", appointments::book),
        endpoint(M::GET, "/api/v1/cases/{id}", applications::get),
        endpoint(M::GET, "/api/v1/cases/{id}/events", applications::events),
        endpoint(M::POST, "/api/v1/cases/{id}/claim", review::claim),
        endpoint(M::POST, "/api/v1/cases/{id}/release", review::release),
        endpoint(M::POST, "/api/v1/cases/{id}/assign", review::assign),
        endpoint(M::POST, "/api/v1/cases/{id}/request-info", review::request_info),
        endpoint(M::POST, "/api/v1/cases/{id}/decision", review::decide),
        endpoint(M::POST, "/api/v1/cases/{id}/confirm", review::confirm),
        endpoint(M::POST, "/api/v1/cases/{id}/return", review::return_for_review),
        endpoint(M::POST, "/api/v1/cases/{id}/notes", review::add_note),
        endpoint(M::POST, "/api/v1/cases/{id}/revoke", review::revoke),
        endpoint(M::POST, "/api/v1/cases/{id}/payments", payments::record),
        endpoint(M::GET, "/api/v1/queue", queue::list),
        endpoint(M::POST, "/api/v1/queue/claim", queue::claim_next),
        endpoint(M::GET, "/api/v1/stats", queue::stats),
        endpoint(M::GET, "/api/v1/applications/{id}/evisa.pdf", visas::pdf),
        endpoint(M::GET, "/api/v1/applications/{id}/evisa.seal", visas::seal),
        endpoint(M::GET, "/api/v1/visas/{visa_number}", visas::get),
        endpoint(M::POST, "/api/v1/visas/{visa_number}/revoke", visas::revoke),
        endpoint(M::GET, "/.well-known/jwks.json", visas::jwks),
        endpoint(M::GET, "/api/v1/seal-signers", visas::seal_signers),
        endpoint(M::GET, "/api/v1/offline/trust-list", offline::trust_list),
        endpoint(M::GET, "/api/v1/offline/revocations", offline::revocations),
        endpoint(M::POST, "/api/v1/verify/document", certificates::verify),
        endpoint(M::GET, "/api/v1/revocations", verify::revocations),
        endpoint(M::POST, "/api/v1/share-codes", share_codes::create),
        endpoint(M::GET, "/api/v1/share-codes", share_codes::list),
        endpoint(M::POST, "/api/v1/share-codes/{id}/cancel", share_codes::cancel),
        endpoint(M::POST, "/api/v1/share-code-checks", share_codes::check),
        endpoint(M::POST, "/api/v1/admin/api-clients", clients::create_client),
        endpoint(M::GET, "/api/v1/admin/api-clients", clients::list_clients),
        endpoint(M::POST, "/api/v1/admin/api-clients/{id}/rotate", clients::rotate_client),
        endpoint(M::POST, "/api/v1/admin/api-clients/{id}/disable", clients::disable_client),
        endpoint(M::GET, "/api/v1/admin/verification-log", clients::verification_log),
    ]
}

/// Mounts every route; methods a path does not serve get 405, unknown paths 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut by_path: Vec<(&'static str, Vec<Route>)> = Vec::new();
    for endpoint in endpoints() {
        match by_path.iter_mut().find(|(path, _)| *path == endpoint.path) {
            Some((_, routes)) => routes.push(endpoint.route),
            None => by_path.push((endpoint.path, vec![endpoint.route])),
        }
    }
    for (path, routes) in by_path {
        let resource = routes
            .into_iter()
            .fold(web::resource(path), |resource, route| resource.route(route))
            .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::MethodNotAllowed) }));
        cfg.service(resource);
    }
}

/// The answer to a path no route serves.
pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
