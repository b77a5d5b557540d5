//! A problem with one field of a request, as reported to clients in validation errors.

use serde::Serialize;

/// One invalid or missing field, named by its dotted path in the request body
/// (for example `passport.expiry_date`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted path of the field in the request (or the resource, for submission rules).
    pub field: String,
    /// Stable machine-readable code, such as `required` or `stay_too_long`.
    pub code: String,
    /// Human-readable explanation.
    pub detail: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, code: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError { field: field.into(), code: code.into(), detail: detail.into() }
    }

    /// The field is missing but required.
    pub fn required(field: impl Into<String>) -> Self {
        FieldError::new(field, "required", "this field is required")
    }
}
