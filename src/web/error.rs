//! The HTTP surface's error type and its rendering as `application/problem+json` (RFC 9457).
//!
//! Expected failures carry a message meant for the client. Everything unexpected becomes
//! [`AppError::Internal`]: logged in full, answered with an opaque 500.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::FieldError;

/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Every error a request can end in.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed (400).
    #[error("{0}")]
    BadRequest(String),
    /// No or invalid credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated but not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such resource, or not one the caller may see (404).
    #[error("the resource does not exist")]
    NotFound,
    /// The route exists but not for this method (405).
    #[error("this method is not allowed on this resource")]
    MethodNotAllowed,
    /// The request conflicts with the resource's state: an illegal transition or a lost race (409).
    #[error("{0}")]
    Conflict(String),
    /// The body exceeds the route's limit, in bytes (413).
    #[error("the request body exceeds the limit of {0} bytes")]
    PayloadTooLarge(usize),
    /// The body's media type is not accepted here (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The content is well formed but invalid; each problem names its field (422).
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    /// Too many requests; retry after the given number of seconds (429).
    #[error("too many requests")]
    TooManyRequests {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// A dependency such as the database is unavailable (503).
    #[error("{0}")]
    Unavailable(String),
    /// Anything unexpected (500). The cause is logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A validation error about a single field.
    pub fn invalid_field(field: impl Into<String>, code: impl Into<String>, detail: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, code, detail)])
    }

    /// Wraps any unexpected error.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(err.into())
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            AppError::BadRequest(_) => ("bad-request", "Bad request"),
            AppError::Unauthorized(_) => ("unauthorized", "Authentication required"),
            AppError::Forbidden(_) => ("forbidden", "Forbidden"),
            AppError::NotFound => ("not-found", "Not found"),
            AppError::MethodNotAllowed => ("method-not-allowed", "Method not allowed"),
            AppError::Conflict(_) => ("conflict", "Conflict"),
            AppError::PayloadTooLarge(_) => ("payload-too-large", "Payload too large"),
            AppError::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            AppError::Validation(_) => ("validation-error", "Invalid request content"),
            AppError::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            AppError::Unavailable(_) => ("unavailable", "Service unavailable"),
            AppError::Internal(_) => ("internal-error", "Internal error"),
        }
    }
}

/// The body of a problem response.
#[derive(Debug, Serialize)]
pub struct Problem<'a> {
    /// URI identifying the problem type.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: &'a str,
    /// The HTTP status code.
    pub status: u16,
    /// Explanation of this occurrence.
    pub detail: String,
    /// For validation errors: every bad field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<&'a [FieldError]>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (slug, title) = self.slug_and_title();
        let detail = match self {
            AppError::Internal(err) => {
                tracing::error!(error = format!("{err:#}"), "internal error");
                "an internal error occurred; it has been logged".to_owned()
            }
            AppError::Unavailable(reason) => {
                tracing::warn!(reason, "service unavailable");
                "the service is temporarily unavailable".to_owned()
            }
            other => other.to_string(),
        };
        let errors = match self {
            AppError::Validation(errors) => Some(errors.as_slice()),
            _ => None,
        };
        let body = Problem {
            problem_type: format!("urn:evisa:problem:{slug}"),
            title,
            status: status.as_u16(),
            detail,
            errors,
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self {
            AppError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            AppError::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.max(&1).to_string()));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&body).unwrap_or_default())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        AppError::Internal(err.into())
    }
}

impl From<crate::db::DbError> for AppError {
    fn from(err: crate::db::DbError) -> Self {
        match err {
            crate::db::DbError::Unavailable(detail) => AppError::Unavailable(detail),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(format!("database pool: {err}"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {err}"))
    }
}

impl From<crate::app::Error> for AppError {
    fn from(err: crate::app::Error) -> Self {
        use crate::app::Error as E;
        match err {
            E::Invalid(problems) => AppError::Validation(problems),
            E::NotFound => AppError::NotFound,
            E::Forbidden(detail) => AppError::Forbidden(detail),
            E::Unauthenticated(detail) => AppError::Unauthorized(detail),
            E::Conflict(detail) => AppError::Conflict(detail),
            E::TooLarge(limit) => AppError::PayloadTooLarge(limit),
            E::UnacceptedFormat(detail) => AppError::UnsupportedMediaType(detail),
            E::RateLimited { retry_after_secs } => AppError::TooManyRequests { retry_after_secs },
            E::Unavailable(detail) => AppError::Unavailable(detail),
            E::Internal(err) => AppError::Internal(err),
        }
    }
}

/// The result type of handlers and services.
pub type AppResult<T> = Result<T, AppError>;
