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
use crate::domain::form_design;

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

/// How many steps a backtracking pattern of a stored schema may take from one position.
const BACKTRACK_LIMIT: usize = 1_000;
/// The longest answer a stored schema with backtracking patterns checks: its patterns try every
/// position of an answer, each under [`BACKTRACK_LIMIT`], so the answer's length bounds the work.
const BACKTRACKING_MAX_CHARS: usize = 1_000;

/// Compiles a schema whose `pattern`s run in time linear in the answer (the `regex` engine: no
/// lookaround, no backreferences), so no answer can make a check take seconds.
fn compile(schema: &Value) -> std::result::Result<jsonschema::Validator, String> {
    jsonschema::options()
        .should_validate_formats(true)
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(schema)
        .map_err(|e| e.to_string())
}

/// A stored schema, compiled.
struct Compiled {
    validator: jsonschema::Validator,
    /// Whether its patterns backtrack: saved before linear patterns were required.
    backtracking: bool,
}

/// Compiles a stored schema: with linear patterns where it can (every schema saved since they
/// are required), otherwise with backtracking patterns under a step limit.
fn compile_stored(schema: &Value) -> std::result::Result<Compiled, String> {
    if let Ok(validator) = compile(schema) {
        return Ok(Compiled { validator, backtracking: false });
    }
    let bounded = jsonschema::PatternOptions::fancy_regex().backtrack_limit(BACKTRACK_LIMIT);
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .with_pattern_options(bounded)
        .build(schema)
        .map_err(|e| e.to_string())?;
    Ok(Compiled { validator, backtracking: true })
}

fn validator(schema_text: &str) -> Result<Arc<Compiled>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Compiled>>>> = OnceLock::new();
    let key = hex::encode(Sha256::digest(schema_text.as_bytes()));
    let cache = CACHE.get_or_init(Default::default);
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(found);
    }
    let schema: Value = serde_json::from_str(schema_text)?;
    let compiled =
        Arc::new(compile_stored(&schema).map_err(|e| Error::internal(anyhow::anyhow!("stored form schema: {e}")))?);
    if let Ok(mut cache) = cache.lock() {
        cache.insert(key, compiled.clone());
    }
    Ok(compiled)
}

/// The answers of `form` longer than `max` characters, by JSON Pointer.
fn long_answers(form: &Value, at: &str, max: usize, found: &mut Vec<FieldError>) {
    match form {
        Value::String(text) if text.chars().count() > max => {
            let field = if at.is_empty() { "/".to_owned() } else { at.to_owned() };
            found.push(FieldError::new(field, "maxLength", format!("at most {max} characters")));
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                long_answers(item, &format!("{at}/{index}"), max, found);
            }
        }
        Value::Object(fields) => {
            for (name, value) in fields {
                let name = name.replace('~', "~0").replace('/', "~1");
                long_answers(value, &format!("{at}/{name}"), max, found);
            }
        }
        _ => {}
    }
}

/// Every problem of `form` under the schema `schema_text`, each named by the JSON Pointer of the
/// field (`/applicant/surname`) and the schema keyword it breaks (`required`, `pattern`, ...).
pub fn problems(schema_text: &str, form: &Value, stage: Stage) -> Result<Vec<FieldError>> {
    let compiled = validator(schema_text)?;
    let mut problems = Vec::new();
    if compiled.backtracking {
        long_answers(form, "", BACKTRACKING_MAX_CHARS, &mut problems);
        if !problems.is_empty() {
            return Ok(problems);
        }
    }
    for error in compiled.validator.iter_errors(form) {
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
    let mut problems = answers_of_missing_pages(schema_text, form, problems);
    // In the order of the form's fields, whatever order the validator found them in.
    problems.sort_by(|a, b| a.field.cmp(&b.field));
    Ok(problems)
}

/// A page of the form (an object of the schema) that is missing altogether is named by the
/// answers it lacks, those its conditions ask for included, so each can be put right.
fn answers_of_missing_pages(schema_text: &str, form: &Value, problems: Vec<FieldError>) -> Vec<FieldError> {
    if !problems.iter().any(|p| p.code == "required") {
        return problems;
    }
    let Ok(schema) = serde_json::from_str::<Value>(schema_text) else { return problems };
    let conditional = form_design::conditionally_required(&schema);
    let mut named = Vec::new();
    for problem in problems {
        let page = problem.field.trim_start_matches('/').to_owned();
        let page = page.as_str();
        let object = &schema["properties"][page];
        if problem.code != "required" || page.contains('/') || object["type"] != "object" {
            named.push(problem);
            continue;
        }
        let shown = |key: &str| {
            form_design::condition_of(&object["properties"][key]).is_none_or(|c| form_design::shown(&c, form))
        };
        let prefix = format!("{page}.");
        let lacking: Vec<String> = object["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .chain(conditional.iter().filter_map(|c| c.strip_prefix(&prefix)).map(str::to_owned))
            .filter(|key| shown(key))
            .collect();
        if lacking.is_empty() {
            named.push(problem);
        }
        for key in lacking {
            named.push(FieldError::new(
                format!("/{page}/{key}"),
                "required",
                format!("\"{key}\" is a required property"),
            ));
        }
    }
    named
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

    #[test]
    fn backtracking_patterns_are_refused_when_saved_and_bounded_when_stored() {
        let mut evil = schema();
        evil["properties"]["address"] = json!({"type": "string", "pattern": "(?=(a*)*)(a|aa)*b"});
        let refused = check_schema(&evil).unwrap_err();
        assert_eq!(refused[0].code, "invalid_schema");
        // A schema stored before the rule still answers at once: a long answer is refused as
        // too long, a short one is checked by its bounded pattern.
        let answer = json!({"address": "a".repeat(30_000)});
        let started = std::time::Instant::now();
        let found = problems(&evil.to_string(), &answer, Stage::Draft).unwrap();
        assert_eq!(
            found.iter().map(|p| (p.field.as_str(), p.code.as_str())).collect::<Vec<_>>(),
            [("/address", "maxLength")]
        );
        problems(&evil.to_string(), &json!({"address": "a".repeat(1_000)}), Stage::Draft).unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
        let missed = problems(&evil.to_string(), &json!({"address": "c"}), Stage::Draft).unwrap();
        assert_eq!(missed.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(), ["pattern"]);
        let met = problems(&evil.to_string(), &json!({"address": "aab"}), Stage::Draft).unwrap();
        assert!(met.is_empty(), "{met:?}");
        // Linear patterns keep working, on long answers too.
        let mut plain = schema();
        plain["properties"]["address"] = json!({"type": "string", "pattern": "^(a|aa)*b$"});
        assert!(check_schema(&plain).is_ok());
        let found = problems(&plain.to_string(), &answer, Stage::Draft).unwrap();
        assert_eq!(found.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(), ["pattern"]);
    }
}
