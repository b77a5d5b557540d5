//! The error summary at the top of a page with problems: each problem in the page's words,
//! linked to its field.

use serde_json::{Value, json};

use super::{i18n, schema_form};
use crate::domain::FieldError;

/// The error summary of a page: each problem in the page's words, linked to its field.
pub fn summary(lang: &str, problems: &[FieldError], fields: &[schema_form::Field]) -> Vec<Value> {
    problems
        .iter()
        .map(|p| {
            let name = schema_form::dotted(&p.field);
            let field = fields.iter().find(|f| f.name == name);
            json!({"text": i18n::problem(lang, p, field.map(|f| f.label.as_str())),
                   "id": field.map(|f| f.id.clone()).unwrap_or_default()})
        })
        .collect()
}

/// The error summary of a page whose fields are named as their problems name them, each drawn
/// with the id `f-<name with dashes>`.
pub fn plain_summary(lang: &str, problems: &[FieldError]) -> Vec<Value> {
    problems
        .iter()
        .map(|p| json!({"text": i18n::problem(lang, p, None), "id": format!("f-{}", p.field.replace('_', "-"))}))
        .collect()
}
