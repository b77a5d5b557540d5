//! Errors met before a page's handler runs (a path segment that names nothing, a form that is
//! not one, too large or holding control characters, an unknown address) answer as pages in the
//! visitor's language, like every other page, never as the API's problem+json or plain text.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{Ctx, i18n, session};
use crate::web::state::AppState;

/// Paths that machines call: their errors stay problem+json.
fn is_machine_path(path: &str) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/.well-known/")
        || matches!(path, "/health" | "/ready" | "/metrics" | "/openapi.yaml")
}

/// The message keys of the page for an error status.
fn messages(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        404 | 405 => ("not_found_title", "not_found_text"),
        413 => ("too_large_title", "too_large_text"),
        429 => ("busy_title", "busy_text"),
        400..=499 => ("bad_request_title", "bad_request_text"),
        _ => ("failure_title", "failure_text"),
    }
}

/// The page that stands for an error answer of `status` to `req`.
fn page(req: HttpRequest, status: StatusCode) -> Option<HttpResponse> {
    let state = req.app_data::<web::Data<AppState>>()?.clone();
    let (lang, _) = i18n::choose(&req, None);
    let (csrf, _) = session::csrf_token(&state, &req);
    let ctx = Ctx { req, state, visitor: None, lang, csrf, cookies: Vec::new() };
    let (title, text) = messages(status);
    Some(ctx.message(status, &ctx.t(title), &[ctx.t(text)]))
}

fn is_html(response: &HttpResponse<impl MessageBody>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// Middleware: an error answer to a page request that is not a page becomes one.
pub async fn as_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    if is_machine_path(req.path()) {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    // The request is read back from the answer: a copy held across the call would keep the
    // router from matching it.
    let response = next.call(req).await?;
    let status = response.status();
    if status.as_u16() < 400 || is_html(response.response()) {
        return Ok(response.map_into_left_body());
    }
    let http = response.request().clone();
    match page(http.clone(), status) {
        Some(page) => Ok(ServiceResponse::new(http, page).map_into_right_body()),
        None => Ok(response.map_into_left_body()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_paths_keep_their_errors_and_each_error_has_its_words() {
        for path in ["/api/v1/me", "/.well-known/jwks.json", "/health", "/ready", "/metrics", "/openapi.yaml"] {
            assert!(is_machine_path(path), "{path}");
        }
        for path in ["/", "/login", "/cases/x", "/apiary"] {
            assert!(!is_machine_path(path), "{path}");
        }
        assert_eq!(messages(StatusCode::PAYLOAD_TOO_LARGE).0, "too_large_title");
        assert_eq!(messages(StatusCode::UNPROCESSABLE_ENTITY).0, "bad_request_title");
        assert_eq!(messages(StatusCode::SERVICE_UNAVAILABLE).0, "failure_title");
    }
}
