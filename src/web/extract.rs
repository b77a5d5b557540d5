//! Request extractors whose failures are problem documents naming the offending field.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::web::error::AppError;

/// Largest JSON body accepted, in bytes.
pub const JSON_LIMIT: usize = 64 * 1024;

/// A JSON request body, parsed into `T`. Wrong media type: 415; too large: 413; not JSON: 400;
/// JSON of the wrong shape: 422 naming the field.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body(req, payload);
        Box::pin(async move {
            match body.await? {
                Some(bytes) => parse_json(&bytes).map(JsonBody),
                None => Err(AppError::BadRequest("the request body is empty; a JSON document is expected".into())),
            }
        })
    }
}

/// A JSON request body as the raw bytes it arrived as, for callers that authenticate the exact
/// bytes (signed callbacks) before parsing them with [`parse_json`].
pub struct RawJsonBody(pub Bytes);

impl FromRequest for RawJsonBody {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body(req, payload);
        Box::pin(async move { Ok(RawJsonBody(body.await?.unwrap_or_default())) })
    }
}

/// Like [`JsonBody`], but an empty body stands for `T::default()`.
pub struct OptionalJsonBody<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalJsonBody<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body(req, payload);
        Box::pin(async move {
            match body.await? {
                Some(bytes) => parse_json(&bytes).map(OptionalJsonBody),
                None => Ok(OptionalJsonBody(T::default())),
            }
        })
    }
}

/// Reads a JSON body: `None` when there is none at all, 415 when one is sent as another type.
fn json_body(req: &HttpRequest, payload: &mut Payload) -> LocalBoxFuture<'static, Result<Option<Bytes>, AppError>> {
    let media_type_ok = is_json(req);
    let declared = declared_length(req);
    let has_content_type = req.headers().contains_key(header::CONTENT_TYPE);
    let mut payload = payload.take();
    Box::pin(async move {
        let body = read_body(&mut payload, declared, JSON_LIMIT).await?;
        if body.iter().all(u8::is_ascii_whitespace) && (!has_content_type || media_type_ok) {
            return Ok(None);
        }
        if !media_type_ok {
            return Err(AppError::UnsupportedMediaType("the body must be application/json".into()));
        }
        Ok(Some(body))
    })
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The request's declared `Content-Length`, if any.
pub fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers().get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// Reads a whole body of at most `limit` bytes; 413 beyond that. A moderately oversized body is
/// read to its end and dropped first, so that clients which only read the answer after sending
/// everything still see the 413; a grossly oversized one is refused without reading it.
pub async fn read_body(payload: &mut Payload, declared: Option<usize>, limit: usize) -> Result<Bytes, AppError> {
    let drain_limit = limit.saturating_mul(4);
    if declared.is_some_and(|length| length > drain_limit) {
        return Err(AppError::PayloadTooLarge(limit));
    }
    let mut body = BytesMut::new();
    let mut total = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(format!("could not read the request body: {e}")))?;
        total += chunk.len();
        if total > drain_limit {
            break;
        }
        if total <= limit {
            body.extend_from_slice(&chunk);
        }
    }
    if total > limit {
        return Err(AppError::PayloadTooLarge(limit));
    }
    Ok(body.freeze())
}

/// Parses JSON, telling a syntax error (400) from a well-formed body of the wrong shape (422,
/// with the path of the field).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    // A body in which no control character can hide is read straight into `T`; the path through a
    // `Value` below finds control characters, and names the field of any error.
    if !crate::web::text::may_hold_control_character(body)
        && let Ok(parsed) = serde_json::from_slice(body)
    {
        return Ok(parsed);
    }
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("the request body is not valid JSON: {e}")))?;
    crate::web::text::check_json(&value)?;
    from_value(value)
}

/// Converts a JSON value into `T`; a mismatch is a 422 naming the field's path.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    Ok(crate::app::decode(value)?)
}

/// `?page=&per_page=` of paginated listings.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 1-based page number.
    #[serde(default = "first_page")]
    pub page: u32,
    /// Items per page, 1 to 100.
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

fn first_page() -> u32 {
    1
}

fn default_per_page() -> u32 {
    20
}

impl PageQuery {
    /// A page query from optional parts, with the defaults for missing ones.
    pub fn new(page: Option<u32>, per_page: Option<u32>) -> PageQuery {
        PageQuery { page: page.unwrap_or_else(first_page), per_page: per_page.unwrap_or_else(default_per_page) }
    }

    /// Checks the bounds and returns (limit, offset).
    pub fn limit_offset(&self) -> Result<(i64, i64), AppError> {
        if self.page == 0 {
            return Err(AppError::invalid_field("page", "out_of_range", "pages are numbered from 1"));
        }
        if !(1..=100).contains(&self.per_page) {
            return Err(AppError::invalid_field("per_page", "out_of_range", "between 1 and 100"));
        }
        Ok((i64::from(self.per_page), i64::from(self.page - 1) * i64::from(self.per_page)))
    }
}

/// One page of a listing.
#[derive(Debug, serde::Serialize)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The page number.
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
    /// Items in all pages.
    pub total: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        date: chrono::NaiveDate,
    }

    #[test]
    fn shape_errors_name_the_field_and_syntax_errors_are_bad_requests() {
        match parse_json::<Outer>(br#"{"inner": {"date": "2026-13-01"}}"#) {
            Err(AppError::Validation(errors)) => assert_eq!(errors[0].field, "inner.date"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(parse_json::<Outer>(b"{\"inner\": "), Err(AppError::BadRequest(_))));
    }

    #[derive(Debug, Deserialize)]
    struct Named {
        name: String,
    }

    #[test]
    fn control_characters_are_refused_however_they_are_written() {
        let refused = |body: &[u8]| match parse_json::<Named>(body) {
            Err(AppError::Validation(errors)) => errors[0].field == "name" && errors[0].code == "control_character",
            _ => false,
        };
        assert!(refused(br#"{"name": "a\u0000b"}"#), "escaped below U+0020");
        assert!(refused(br#"{"name": "a\u0085b"}"#), "escaped C1");
        assert!(refused("{\"name\": \"a\u{7f}b\"}".as_bytes()), "raw DEL");
        assert!(refused("{\"name\": \"a\u{85}b\"}".as_bytes()), "raw C1");
        assert!(
            matches!(parse_json::<Named>(b"{\"name\": \"a\x01b\"}"), Err(AppError::BadRequest(_))),
            "raw below U+0020"
        );
        let plain = parse_json::<Named>("{\"name\": \"Zoë Анна Әлия\"}".as_bytes()).map(|n| n.name);
        assert_eq!(plain.ok().as_deref(), Some("Zoë Анна Әлия"));
        let escaped = parse_json::<Named>(br#"{"name": "tab\"quote"}"#).map(|n| n.name);
        assert_eq!(escaped.ok().as_deref(), Some("tab\"quote"));
        // A repeated field: the last one counts, as it always has.
        let repeated = parse_json::<Named>(br#"{"name": "a", "name": "b"}"#).map(|n| n.name);
        assert_eq!(repeated.ok().as_deref(), Some("b"));
    }
}
