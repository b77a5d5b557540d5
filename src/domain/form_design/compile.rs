//! A design compiled to the form's JSON Schema, texts and documents.

use serde_json::{Value, json};

use super::{Compiled, DETAILS, Design, FILE_MAX_BYTES, Kind, Question, SHOW_IF, at_path, path, push};
use crate::domain::FieldError;
use crate::domain::service::DocumentRequirement;
use crate::domain::texts::{LANGUAGES, Texts};

impl Design {
    /// The schema, texts and documents of the design; `existing` documents keep their media
    /// types and sizes. Refused with the design's problems.
    pub fn compile(&self, existing: &[DocumentRequirement]) -> Result<Compiled, Vec<FieldError>> {
        let problems = self.problems();
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut texts = Texts::default();
        let mut root = json!({"type": "object", "required": [], "properties": {}});
        let mut conditions = Vec::new();
        let mut documents = Vec::new();
        for page in &self.pages {
            let mut object = json!({"type": "object", "title": page.title["en"], "required": [], "properties": {}});
            for (lang, title) in page.title.iter().filter(|(l, _)| LANGUAGES.contains(&l.as_str())) {
                let key = if page.key == DETAILS { "title".to_owned() } else { format!("section.{}", page.key) };
                texts.insert(lang, &key, title);
            }
            for question in &page.questions {
                let path = path(&page.key, &question.key);
                if question.kind == Kind::File {
                    let kept = existing.iter().find(|d| d.kind == question.key).cloned();
                    let media_types = ["application/pdf", "image/jpeg", "image/png"].map(str::to_owned).to_vec();
                    documents.push(DocumentRequirement {
                        required: question.required,
                        ..kept.unwrap_or(DocumentRequirement {
                            kind: question.key.clone(),
                            required: question.required,
                            media_types,
                            max_bytes: FILE_MAX_BYTES,
                        })
                    });
                    for (lang, label) in &question.label {
                        texts.insert(lang, &format!("document.{}", question.key), label);
                    }
                    continue;
                }
                let target = if page.key == DETAILS { &mut root } else { &mut object };
                target["properties"][&question.key] = property(question);
                match &question.show_if {
                    Some(condition) if question.required => {
                        conditions.push((condition.clone(), page.key.clone(), question.key.clone()))
                    }
                    Some(_) => {}
                    None if question.required => push(&mut target["required"], &question.key),
                    None => {}
                }
                for (lang, label) in &question.label {
                    texts.insert(lang, &format!("field.{path}"), label);
                }
                for (lang, hint) in question.hint.iter().filter(|(_, h)| !h.trim().is_empty()) {
                    texts.insert(lang, &format!("hint.{path}"), hint);
                }
                for choice in &question.choices {
                    for (lang, label) in &choice.label {
                        texts.insert(lang, &format!("choice.{path}.{}", choice.value), label);
                    }
                }
            }
            if page.key != DETAILS && page.questions.iter().any(|q| q.kind != Kind::File) {
                if object["required"].as_array().is_some_and(|r| !r.is_empty()) {
                    push(&mut root["required"], &page.key);
                }
                root["properties"][&page.key] = object;
            }
        }
        let all_of: Vec<Value> = conditions
            .iter()
            .map(|(condition, page, key)| {
                let condition_question = self.questions().find(|(p, q)| path(&p.key, &q.key) == condition.question);
                let equals = match condition_question.map(|(_, q)| q.kind) {
                    Some(Kind::YesNo) => Value::Bool(condition.equals == "true"),
                    _ => Value::String(condition.equals.clone()),
                };
                let then = if page == DETAILS {
                    json!({"required": [key]})
                } else {
                    at_path(page, json!({"required": [key]}))
                };
                json!({"if": at_path(&condition.question, json!({"const": equals})), "then": then})
            })
            .collect();
        if !all_of.is_empty() {
            root["allOf"] = Value::Array(all_of);
        }
        Ok(Compiled { schema: root, texts, documents })
    }
}

/// The schema property of a question.
fn property(question: &Question) -> Value {
    let mut property = match question.kind {
        Kind::Text => json!({"type": "string", "maxLength": 200}),
        Kind::LongText => json!({"type": "string", "maxLength": 2000}),
        Kind::Date => json!({"type": "string", "format": "date"}),
        Kind::Choice => json!({"enum": question.choices.iter().map(|c| c.value.as_str()).collect::<Vec<_>>()}),
        Kind::Country => json!({"type": "string", "pattern": "^[A-Z<]{3}$"}),
        Kind::Number => json!({"type": "integer"}),
        Kind::YesNo | Kind::File => json!({"type": "boolean"}),
    };
    if question.required && matches!(question.kind, Kind::Text | Kind::LongText) {
        property["minLength"] = json!(1);
    }
    property["title"] = json!(question.label.get("en").cloned().unwrap_or_default());
    if let Some(hint) = question.hint.get("en").filter(|h| !h.trim().is_empty()) {
        property["description"] = json!(hint);
    }
    if let Some(condition) = &question.show_if {
        property[SHOW_IF] = json!(condition);
    }
    property
}
