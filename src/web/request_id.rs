//! The id of each request: the caller's `X-Request-Id` when it is well-formed (1 to 64 letters,
//! digits, `-`, `_` or `.`), otherwise a new UUIDv7. It is answered in the response's
//! `X-Request-Id`, carried by the request's root log span (so every log line of the request has
//! it), and recorded with the audit events the request causes.

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest};
use std::fmt;
use std::future::{Ready, ready};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};

/// The header that carries request ids both ways.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a caller's id may be taken as the request's.
fn well_formed(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl RequestId {
    fn of(req: &ServiceRequest) -> RequestId {
        let incoming = req.headers().get(&HEADER).and_then(|v| v.to_str().ok()).filter(|id| well_formed(id));
        RequestId(incoming.map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned))
    }
}

/// Middleware: gives the request its id and answers it in `X-Request-Id`.
pub async fn assign(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = RequestId::of(&req);
    req.extensions_mut().insert(id.clone());
    let mut response = next.call(req).await?;
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert(HEADER, value);
    }
    Ok(response)
}

/// The id of a request, for use cases that audit it (empty before [`assign`] ran).
pub fn of_request(req: &HttpRequest) -> String {
    req.extensions().get::<RequestId>().map(ToString::to_string).unwrap_or_default()
}

impl FromRequest for RequestId {
    type Error = Error;
    type Future = Ready<Result<RequestId, Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let id = req.extensions().get::<RequestId>().cloned();
        ready(Ok(id.unwrap_or_else(|| RequestId(uuid::Uuid::now_v7().to_string()))))
    }
}

/// The root span of every request, with the request's id as `request_id`.
pub struct RootSpan;

impl RootSpanBuilder for RootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = request.extensions().get::<RequestId>().map(ToString::to_string).unwrap_or_default();
        let route = request.match_pattern().unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %request.uri().path(),
            request_id = %id,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_short_ids_are_taken_from_callers() {
        assert!(well_formed("b7c1e2d0-42") && well_formed("trace.1_a"));
        assert!(!well_formed("") && !well_formed(&"a".repeat(65)) && !well_formed("a b") && !well_formed("x\u{e9}"));
    }
}
