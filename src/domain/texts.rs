//! Catalogue data in each language. A service, a post or a refusal ground carries its English
//! words in its own columns and, beside them, texts per language and key:
//!
//! ```json
//! {"ru": {"name": "Легализация документов", "field.applicant.surname": "Фамилия",
//!         "choice.reason.damaged": "Паспорт повреждён", "document.photo": "Фотография"},
//!  "kk": {"name": "Құжаттарды заңдастыру"}}
//! ```
//!
//! Keys: `name`, `description`, `title` (the form's), `section.<key>`, `field.<path>`,
//! `hint.<path>`, `choice.<path>.<value>`, `document.<kind>`. A page asks for the key in its
//! language and falls back to English, then to the English column or schema title.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::FieldError;

/// The languages texts may be given in.
pub const LANGUAGES: [&str; 3] = ["en", "ru", "kk"];

/// Longest text, in characters.
const MAX_TEXT: usize = 2_000;
/// Longest key, in bytes.
const MAX_KEY: usize = 200;

/// Texts by language, then by key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Texts(BTreeMap<String, BTreeMap<String, String>>);

impl Texts {
    /// Texts as stored; anything unreadable counts as none (the English columns still answer).
    pub fn parse(stored: &str) -> Texts {
        serde_json::from_str(stored).unwrap_or_default()
    }

    /// As stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".to_owned())
    }

    /// The text of `key` in `lang`, if given.
    pub fn exact(&self, lang: &str, key: &str) -> Option<&str> {
        self.0.get(lang).and_then(|texts| texts.get(key)).map(String::as_str)
    }

    /// The text of `key` in `lang`, else in English.
    pub fn get(&self, lang: &str, key: &str) -> Option<&str> {
        self.exact(lang, key).or_else(|| self.exact("en", key))
    }

    /// Whether no text is given in any language.
    pub fn is_empty(&self) -> bool {
        self.0.values().all(BTreeMap::is_empty)
    }

    /// Adds `text` for `key` in `lang`.
    pub fn insert(&mut self, lang: &str, key: &str, text: &str) {
        self.0.entry(lang.to_owned()).or_default().insert(key.to_owned(), text.to_owned());
    }

    /// These texts with the form's words (sections, fields, hints, choices, documents and the
    /// form's title) replaced by `form`'s; the service's own name and description stay.
    pub fn with_form(&self, form: &Texts) -> Texts {
        const FORM_KEYS: [&str; 5] = ["section.", "field.", "hint.", "choice.", "document."];
        let mut merged = Texts::default();
        for (lang, texts) in &self.0 {
            for (key, text) in
                texts.iter().filter(|(k, _)| !FORM_KEYS.iter().any(|p| k.starts_with(p)) && *k != "title")
            {
                merged.insert(lang, key, text);
            }
        }
        for (lang, texts) in &form.0 {
            for (key, text) in texts {
                merged.insert(lang, key, text);
            }
        }
        merged
    }

    /// Problems with texts an administrator gives, each named `texts.<lang>.<key>`: known
    /// languages only, keys of `a-z 0-9 _ . -`, texts of 1 to 2,000 characters without control
    /// characters.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        for (lang, texts) in &self.0 {
            if !LANGUAGES.contains(&lang.as_str()) {
                problems.push(FieldError::new(format!("texts.{lang}"), "unknown_language", "one of en, ru, kk"));
                continue;
            }
            for (key, text) in texts {
                let key_ok = !key.is_empty()
                    && key.len() <= MAX_KEY
                    && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
                let length = text.trim().chars().count();
                if !key_ok {
                    problems.push(FieldError::new(
                        format!("texts.{lang}"),
                        "invalid_key",
                        "keys of a-z, 0-9, _, . and -",
                    ));
                } else if length == 0 || length > MAX_TEXT || text.chars().any(char::is_control) {
                    problems.push(FieldError::new(
                        format!("texts.{lang}.{key}"),
                        "invalid",
                        format!("between 1 and {MAX_TEXT} characters, without control characters"),
                    ));
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_language_falls_back_to_english_and_unreadable_texts_are_none() {
        let texts = Texts::parse(r#"{"ru": {"name": "Легализация"}, "en": {"name": "Legalisation", "title": "Form"}}"#);
        assert_eq!(texts.get("ru", "name"), Some("Легализация"));
        assert_eq!(texts.get("kk", "name"), Some("Legalisation"));
        assert_eq!(texts.get("kk", "title"), Some("Form"));
        assert_eq!(texts.exact("kk", "title"), None);
        assert_eq!(texts.get("ru", "description"), None);
        assert!(Texts::parse("not json").is_empty());
        assert_eq!(Texts::parse(&texts.to_json()), texts);
    }

    #[test]
    fn administrators_texts_are_checked_by_language_key_and_length() {
        let good =
            Texts::parse(r#"{"kk": {"field.applicant.surname": "Тегі", "choice.reason.pages_full": "Беттер толды"}}"#);
        assert!(good.problems().is_empty());
        let bad = Texts::parse(r#"{"de": {"name": "Pass"}, "ru": {"name": " ", "a b": "x", "hint.x": "a\u0000b"}}"#);
        let found: Vec<(String, String)> = bad.problems().into_iter().map(|p| (p.field, p.code)).collect();
        assert!(found.contains(&("texts.de".into(), "unknown_language".into())), "{found:?}");
        assert!(found.contains(&("texts.ru.name".into(), "invalid".into())), "{found:?}");
        assert!(found.contains(&("texts.ru".into(), "invalid_key".into())), "{found:?}");
        assert!(found.contains(&("texts.ru.hint.x".into(), "invalid".into())), "{found:?}");
    }
}
