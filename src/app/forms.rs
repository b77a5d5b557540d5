//! The forms of consular services, checked against their JSON Schema (one validator per schema,
//! compiled once). Drafts may be incomplete: while editing, only what is present is checked; on
//! submission, everything. Every service's schema must hold the applicant's identity, which the
//! engine uses for queues, eligibility and outputs.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::{Error, Result};
use crate::domain::FieldError;

/// When a form is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// A draft being written: missing answers are not problems yet.
    Draft,
    /// A submission: everything the schema asks for.
    Submission,
}

/// The applicant fields every service's form must define and require.
pub const IDENTITY: [&str; 4] = ["surname", "given_names", "date_of_birth", "nationality"];

fn compile(schema: &Value) -> std::result::Result<jsonschema::Validator, String> {
    jsonschema::options().should_validate_formats(true).build(schema).map_err(|e| e.to_string())
}

fn validator(schema_text: &str) -> Result<Arc<jsonschema::Validator>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let key = hex::encode(Sha256::digest(schema_text.as_bytes()));
    let cache = CACHE.get_or_init(Default::default);
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(found);
    }
    let schema: Value = serde_json::from_str(schema_text)?;
    let compiled = Arc::new(compile(&schema).map_err(|e| Error::internal(anyhow::anyhow!("stored form schema: {e}")))?);
    if let Ok(mut cache) = cache.lock() {
        cache.insert(key, compiled.clone());
    }
    Ok(compiled)
}

/// Every problem of `form` under the schema `schema_text`, each named by the JSON Pointer of the
/// field (`/applicant/surname`) and the schema keyword it breaks (`required`, `pattern`, ...).
pub fn problems(schema_text: &str, form: &Value, stage: Stage) -> Result<Vec<FieldError>> {
    let validator = validator(schema_text)?;
    let mut problems = Vec::new();
    for error in validator.iter_errors(form) {
        let keyword = error.kind().keyword();
        let at = error.instance_path().to_string();
        let field = match error.kind() {
            jsonschema::error::ValidationErrorKind::Required { property } => {
                if stage == Stage::Draft {
                    continue;
                }
                format!("{at}/{}", property.as_str().unwrap_or_default())
            }
            _ => at,
        };
        let field = if field.is_empty() { "/".to_owned() } else { field };
        problems.push(FieldError::new(field, keyword, error.to_string()));
    }
    // In the order of the form's fields, whatever order the validator found them in.
    problems.sort_by(|a, b| a.field.cmp(&b.field));
    Ok(problems)
}

/// Checks a form schema an administrator saves: a valid JSON Schema whose `applicant` object
/// defines and requires [`IDENTITY`].
pub fn check_schema(schema: &Value) -> std::result::Result<(), Vec<FieldError>> {
    let invalid = |detail: String| vec![FieldError::new("form_schema", "invalid_schema", detail)];
    compile(schema).map_err(invalid)?;
    let requires = |object: &Value, name: &str| {
        object["required"].as_array().is_some_and(|r| r.iter().any(|v| v.as_str() == Some(name)))
    };
    let applicant = &schema["properties"]["applicant"];
    let mut missing = Vec::new();
    if !requires(schema, "applicant") || !applicant.is_object() {
        missing.push("applicant".to_owned());
    }
    for field in IDENTITY {
        if applicant["properties"][field].is_null() || !requires(applicant, field) {
            missing.push(format!("applicant.{field}"));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(invalid(format!("the form must define and require {}", missing.join(", "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object", "additionalProperties": false, "required": ["applicant", "address"],
            "properties": {
                "applicant": {"type": "object", "required": IDENTITY,
                    "properties": {"surname": {"type": "string", "minLength": 1}, "given_names": {"type": "string"},
                                   "date_of_birth": {"type": "string", "format": "date"},
                                   "nationality": {"type": "string", "pattern": "^[A-Z<]{1,3}$"}}},
                "address": {"type": "string", "maxLength": 20}
            }
        })
    }

    #[test]
    fn problems_are_named_by_pointer_and_keyword_and_drafts_may_be_incomplete() {
        let text = schema().to_string();
        let form = json!({"applicant": {"surname": "", "date_of_birth": "1990-13-45", "nationality": "gbr"}});
        let draft: Vec<(String, String)> =
            problems(&text, &form, Stage::Draft).unwrap().into_iter().map(|p| (p.field, p.code)).collect();
        assert!(draft.contains(&("/applicant/surname".into(), "minLength".into())), "{draft:?}");
        assert!(draft.contains(&("/applicant/date_of_birth".into(), "format".into())), "{draft:?}");
        assert!(draft.contains(&("/applicant/nationality".into(), "pattern".into())), "{draft:?}");
        assert!(!draft.iter().any(|(_, code)| code == "required"));
        let submitted: Vec<String> =
            problems(&text, &form, Stage::Submission).unwrap().into_iter().map(|p| p.field).collect();
        assert!(submitted.contains(&"/applicant/given_names".to_owned()) && submitted.contains(&"/address".to_owned()));
        let extra = problems(&text, &json!({"colour": "blue"}), Stage::Draft).unwrap();
        assert_eq!(extra[0].code, "additionalProperties");
    }

    #[test]
    fn saved_schemas_must_be_valid_and_hold_the_identity() {
        assert!(check_schema(&schema()).is_ok());
        assert!(check_schema(&json!({"type": "object", "properties": {"applicant": {"type": 7}}})).is_err());
        let mut partial = schema();
        partial["properties"]["applicant"]["required"] = json!(["surname"]);
        let problems = check_schema(&partial).unwrap_err();
        assert!(problems[0].detail.contains("applicant.given_names"), "{}", problems[0].detail);
    }
}
