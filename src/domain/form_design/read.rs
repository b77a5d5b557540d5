//! A design read back from a form's schema, texts and documents, and the conditions the portal
//! applies to a form's answers.

use serde_json::Value;

use super::{
    Choice, Condition, DETAILS, DOCUMENTS, Design, Kind, Page, Question, SHOW_IF, Words, path, required, words_of,
};
use crate::domain::service::DocumentRequirement;
use crate::domain::texts::{LANGUAGES, Texts};

impl Design {
    /// The design of a form: its schema, texts and documents, read back.
    pub fn read(schema: &Value, texts: &Texts, documents: &[DocumentRequirement]) -> Design {
        let conditional = conditionally_required(schema);
        let words = |key: &str, fallback: &str| -> Words {
            let mut found: Words = LANGUAGES
                .iter()
                .filter_map(|lang| texts.exact(lang, key).map(|t| (lang.to_string(), t.to_owned())))
                .collect();
            if !fallback.is_empty() {
                found.entry("en".into()).or_insert_with(|| fallback.to_owned());
            }
            found
        };
        let question = |page: &str, key: &str, property: &Value, required: &[&str]| {
            let path = path(page, key);
            let kind = Kind::of(property);
            let choices = property["enum"].as_array().into_iter().flatten().filter_map(Value::as_str);
            Question {
                key: key.to_owned(),
                kind,
                required: required.contains(&key) || conditional.contains(&path),
                label: words(&format!("field.{path}"), property["title"].as_str().unwrap_or(&words_of(key))),
                hint: words(&format!("hint.{path}"), property["description"].as_str().unwrap_or_default()),
                choices: choices
                    .map(|v| Choice { value: v.to_owned(), label: words(&format!("choice.{path}.{v}"), &words_of(v)) })
                    .collect(),
                show_if: serde_json::from_value(property[SHOW_IF].clone()).ok(),
            }
        };
        let mut pages = Vec::new();
        let mut details = Vec::new();
        let root_required = required(schema);
        for (key, property) in schema["properties"].as_object().into_iter().flatten() {
            if property["type"] == "object" {
                let needed = required(property);
                let questions = property["properties"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(q, p)| question(key, q, p, &needed))
                    .collect();
                let title = words(&format!("section.{key}"), property["title"].as_str().unwrap_or(&words_of(key)));
                pages.push(Page { key: key.clone(), title, questions });
            } else {
                details.push(question(DETAILS, key, property, &root_required));
            }
        }
        if !details.is_empty() {
            pages.push(Page { key: DETAILS.into(), title: words("title", "Details"), questions: details });
        }
        if !documents.is_empty() {
            let questions = documents
                .iter()
                .map(|d| Question {
                    key: d.kind.clone(),
                    kind: Kind::File,
                    required: d.required,
                    label: words(&format!("document.{}", d.kind), &words_of(&d.kind)),
                    hint: Words::new(),
                    choices: Vec::new(),
                    show_if: None,
                })
                .collect();
            pages.push(Page { key: DOCUMENTS.into(), title: words("section.documents", "Documents"), questions });
        }
        Design { pages }
    }
}

/// The dotted paths a schema's `allOf` `then`s require: questions required when shown.
pub fn conditionally_required(schema: &Value) -> Vec<String> {
    fn walk(then: &Value, prefix: &str, out: &mut Vec<String>) {
        for key in required(then) {
            let sub = &then["properties"][key];
            let path = if prefix.is_empty() { key.to_owned() } else { format!("{prefix}.{key}") };
            if sub.is_object() { walk(sub, &path, out) } else { out.push(path) }
        }
    }
    let mut out = Vec::new();
    for rule in schema["allOf"].as_array().into_iter().flatten() {
        walk(&rule["then"], "", &mut out);
    }
    out
}

/// The condition of a schema property, if it is shown only when an earlier answer has a value:
/// the dotted path and the value (`true`/`false` for yes/no answers).
pub fn condition_of(property: &Value) -> Option<Condition> {
    serde_json::from_value(property.get(SHOW_IF)?.clone()).ok()
}

/// Whether the answers `form` show a question with condition `condition`.
pub fn shown(condition: &Condition, form: &Value) -> bool {
    let answer = condition.question.split('.').try_fold(form, |value, key| value.get(key));
    match answer {
        Some(Value::String(text)) => *text == condition.equals,
        Some(Value::Bool(flag)) => flag.to_string() == condition.equals,
        _ => false,
    }
}

/// Removes the answers `form` holds for questions its conditions no longer show.
pub fn drop_hidden(schema: &Value, form: &mut Value) {
    let snapshot = form.clone();
    let mut hidden = Vec::new();
    for (key, property) in schema["properties"].as_object().into_iter().flatten() {
        let nested: Vec<(String, &Value)> = if property["type"] == "object" {
            property["properties"].as_object().into_iter().flatten().map(|(k, p)| (format!("{key}.{k}"), p)).collect()
        } else {
            vec![(key.clone(), property)]
        };
        for (path, property) in nested {
            if condition_of(property).is_some_and(|c| !shown(&c, &snapshot)) {
                hidden.push(path);
            }
        }
    }
    for path in hidden {
        let (parent, last) = path.rsplit_once('.').map_or(("", path.as_str()), |(p, l)| (p, l));
        let target = if parent.is_empty() {
            Some(&mut *form)
        } else {
            parent.split('.').try_fold(&mut *form, |v, k| v.get_mut(k))
        };
        if let Some(Value::Object(map)) = target {
            map.remove(last);
        }
    }
}
