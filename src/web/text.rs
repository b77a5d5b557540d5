//! The one place every request's text passes through: JSON bodies, query strings and paths are
//! refused when they carry NUL or other control characters, which PostgreSQL cannot store and no
//! field needs. Line breaks and tabs are allowed only in the multi-line fields.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use serde_json::Value;

use crate::web::error::AppError;

/// Fields whose text may run over several lines.
const MULTI_LINE: [&str; 8] = ["note", "message", "reason", "text", "items", "purpose", "address", "description"];

fn forbidden(c: char, multi_line: bool) -> bool {
    c.is_control() && !(multi_line && matches!(c, '\n' | '\r' | '\t'))
}

/// The path (as field errors name fields) of the first string, or key, of `value` that holds a
/// forbidden control character.
pub fn first_control_character(value: &Value) -> Option<String> {
    fn walk(value: &Value, path: &str, multi_line: bool) -> Option<String> {
        match value {
            Value::String(text) => text.chars().any(|c| forbidden(c, multi_line)).then(|| path.to_owned()),
            Value::Array(items) => {
                items.iter().enumerate().find_map(|(i, item)| walk(item, &format!("{path}[{i}]"), multi_line))
            }
            Value::Object(fields) => fields.iter().find_map(|(key, item)| {
                let field = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                if key.chars().any(|c| forbidden(c, false)) {
                    return Some(field);
                }
                walk(item, &field, MULTI_LINE.contains(&key.as_str()))
            }),
            _ => None,
        }
    }
    walk(value, "", false)
}

/// Whether a JSON text may hold a control character (Unicode `Cc`) inside a string: escaped
/// (any `\\`), or raw as DEL or a C1 character. Raw characters below U+0020 are not valid JSON
/// inside a string, so the parser refuses them either way.
pub fn may_hold_control_character(body: &[u8]) -> bool {
    body.iter().any(|&byte| byte == b'\\' || byte == 0x7f)
        || body.windows(2).any(|pair| pair[0] == 0xc2 && (0x80..=0x9f).contains(&pair[1]))
}

/// The name of a page form's field (`name=value`) holding a control character. A browser
/// sends line breaks only from a text area, so they are let through wherever they come.
pub fn control_character_in(name: &str, value: &str) -> Option<String> {
    (name.chars().any(|c| forbidden(c, false)) || value.chars().any(|c| forbidden(c, true))).then(|| name.to_owned())
}

/// Refuses a JSON document holding a control character where none belongs.
pub fn check_json(value: &Value) -> Result<(), AppError> {
    match first_control_character(value) {
        Some(field) => Err(AppError::invalid_field(field, "control_character", "control characters are not allowed")),
        None => Ok(()),
    }
}

/// Whether a raw (percent-encoded) URI part encodes a control character.
fn encodes_control_character(raw: &str) -> bool {
    raw.as_bytes().windows(3).any(|w| {
        w[0] == b'%'
            && matches!(
                (w[1].to_ascii_uppercase(), w[2].to_ascii_uppercase()),
                (b'0' | b'1', b'0'..=b'9' | b'A'..=b'F') | (b'7', b'F')
            )
    })
}

/// Middleware: a path encoding a control character names nothing (404); a query parameter
/// holding one is invalid (422, naming the parameter).
/// The refusal is an answer, not an error, so outer layers still see the request it answers.
pub async fn refuse_control_characters(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    if encodes_control_character(req.path()) {
        return Ok(req.error_response(AppError::NotFound).map_into_right_body());
    }
    let query = req.query_string();
    if encodes_control_character(query) {
        let pairs = actix_web::web::Query::<Vec<(String, String)>>::from_query(query).map(|q| q.into_inner());
        if let Ok(pairs) = pairs
            && let Some((name, _)) =
                pairs.iter().find(|(name, value)| name.chars().chain(value.chars()).any(|c| forbidden(c, false)))
        {
            let err = AppError::invalid_field(name.clone(), "control_character", "control characters are not allowed");
            return Ok(req.error_response(err).map_into_right_body());
        }
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_characters_are_found_by_path_and_line_breaks_only_where_text_runs_over_lines() {
        assert_eq!(first_control_character(&json!({"name": "a\u{0}b"})), Some("name".into()));
        assert_eq!(
            first_control_character(&json!({"applicant": {"surname": "x\ny"}})),
            Some("applicant.surname".into())
        );
        assert_eq!(first_control_character(&json!({"grounds": ["OK", "B\u{7}"]})), Some("grounds[1]".into()));
        assert_eq!(first_control_character(&json!({"note": "line one\nline two\ttabbed"})), None);
        assert_eq!(first_control_character(&json!({"note": "nul\u{0}"})), Some("note".into()));
        assert_eq!(first_control_character(&json!({"items": ["a\nb"]})), None);
        assert_eq!(first_control_character(&json!({"k\u{1}": 1})), Some("k\u{1}".into()));
        assert_eq!(first_control_character(&json!({"name": "Zoë Anaïs", "n": 1, "b": true})), None);
    }

    #[test]
    fn encoded_control_characters_are_recognised() {
        assert!(encodes_control_character("/api/v1/applications/%00"));
        assert!(encodes_control_character("q=a%1fb"));
        assert!(encodes_control_character("q=%7F"));
        assert!(!encodes_control_character("q=%20%41%C3%A9"));
    }
}
