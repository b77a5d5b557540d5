//! The form of kinds without a typed form of their own: stored as given (its service's JSON
//! Schema is checked on submission), its applicant's identity read for queues and eligibility,
//! and names refused that no passport could print.

use serde_json::Value;

use super::CheckedForm;
use crate::app::{self, Error};
use crate::domain::FieldError;

/// Checks a plain form: a JSON object whose applicant's names have a Latin form.
pub fn check(form: Value) -> app::Result<CheckedForm> {
    if !form.is_object() {
        return Err(Error::invalid_field("form", "invalid", "the form must be a JSON object"));
    }
    let text = |name: &str| form["applicant"][name].as_str().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let unwritable: Vec<FieldError> = ["surname", "given_names"]
        .into_iter()
        .filter(|name| text(name).is_some_and(|value| !crate::domain::mrz::has_latin_form(&value)))
        .map(|name| {
            FieldError::new(
                format!("applicant.{name}"),
                "not_transliterable",
                "write the name in Latin or Cyrillic letters, as in the passport's machine-readable zone",
            )
        })
        .collect();
    if !unwritable.is_empty() {
        return Err(Error::Invalid(unwritable));
    }
    Ok(CheckedForm {
        surname: text("surname"),
        given_names: text("given_names"),
        nationality: text("nationality"),
        json: form.to_string(),
    })
}
