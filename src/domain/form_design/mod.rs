//! A service's form as an administrator designs it in the console: pages of questions, each of a
//! kind, required or not, with words in every language and, where it asks, a condition on an
//! answer of an earlier page ("only if purpose = study").
//!
//! A design compiles to what the engine already reads: the form's JSON Schema (a page is an
//! object; a condition is an `if`/`then` that requires the question only when it holds, and an
//! `x-show-if` the portal reads to show it only then), the form's catalogue texts, and the
//! service's documents (file questions). It is also read back from them, so a form written as
//! raw JSON opens in the designer too. The page `details` holds top-level answers.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

use super::FieldError;
use super::service::DocumentRequirement;
use super::texts::Texts;

mod compile;
mod read;

pub use read::{condition_of, conditionally_required, drop_hidden, shown};

/// The page whose questions are the form's top-level answers.
pub const DETAILS: &str = "details";
/// The page the documents are read back onto.
pub const DOCUMENTS: &str = "documents";
/// The keyword of a property shown only when an earlier answer has a value.
pub const SHOW_IF: &str = "x-show-if";
/// The largest upload a file question accepts, in bytes.
const FILE_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// Words in each language, by language code.
pub type Words = BTreeMap<String, String>;

/// How a question is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One line of text.
    Text,
    /// Several lines of text.
    LongText,
    /// A date.
    Date,
    /// One of the question's choices.
    Choice,
    /// A country.
    Country,
    /// A whole number.
    Number,
    /// Yes or no.
    YesNo,
    /// A file, uploaded with the documents.
    File,
}

impl Kind {
    /// Every kind, in the designer's order.
    pub const ALL: [Kind; 8] =
        [Kind::Text, Kind::LongText, Kind::Date, Kind::Choice, Kind::Country, Kind::Number, Kind::YesNo, Kind::File];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::LongText => "long_text",
            Kind::Date => "date",
            Kind::Choice => "choice",
            Kind::Country => "country",
            Kind::Number => "number",
            Kind::YesNo => "yes_no",
            Kind::File => "file",
        }
    }

    /// The kind a schema property is answered as.
    fn of(property: &Value) -> Kind {
        match property["type"].as_str() {
            _ if property["enum"].is_array() => Kind::Choice,
            Some("integer") | Some("number") => Kind::Number,
            Some("boolean") => Kind::YesNo,
            _ if property["pattern"] == "^[A-Z<]{3}$" => Kind::Country,
            _ if property["format"] == "date" => Kind::Date,
            _ if property["maxLength"].as_u64().is_some_and(|m| m > 200) => Kind::LongText,
            _ => Kind::Text,
        }
    }
}

/// One choice of a choice question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The value stored.
    pub value: String,
    /// Its words in each language.
    pub label: Words,
}

/// When a question is shown: the answer at `question` (a dotted path) equals `equals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    /// The dotted path of the earlier question.
    pub question: String,
    /// The value it must have (`true` or `false` for a yes/no question).
    pub equals: String,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// Its key in the page.
    pub key: String,
    /// How it is answered.
    pub kind: Kind,
    /// Whether an answer is needed (when shown).
    pub required: bool,
    /// Its label in each language.
    pub label: Words,
    /// Its hint in each language.
    #[serde(default)]
    pub hint: Words,
    /// The choices of a choice question.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Shown only when this holds.
    #[serde(default)]
    pub show_if: Option<Condition>,
}

/// One page of questions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// Its key in the form.
    pub key: String,
    /// Its title in each language.
    pub title: Words,
    /// Its questions, in order.
    pub questions: Vec<Question>,
}

/// A form as designed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Design {
    /// Its pages, in order.
    pub pages: Vec<Page>,
}

/// What a design compiles to.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The form's JSON Schema.
    pub schema: Value,
    /// The form's texts (sections, fields, hints, choices, documents) in each language.
    pub texts: Texts,
    /// The service's documents.
    pub documents: Vec<DocumentRequirement>,
}

fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && key.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The dotted path of question `key` on page `page`.
pub fn path(page: &str, key: &str) -> String {
    if page == DETAILS { key.to_owned() } else { format!("{page}.{key}") }
}

/// `{"a": {"properties": {"b": inner}, ...}}` for the dotted path `a.b`, as a schema that
/// requires each step of the path.
fn at_path(path: &str, inner: Value) -> Value {
    path.rsplit('.').fold(inner, |inner, key| json!({"properties": {key: inner}, "required": [key]}))
}

impl Design {
    /// The design a new service starts from: the applicant's identity, which every form holds
    /// (its words in other languages are the catalogue's, as for every form).
    pub fn starter() -> Design {
        let english = |text: &str| Words::from([("en".to_owned(), text.to_owned())]);
        let identity = [
            ("surname", Kind::Text, "Surname"),
            ("given_names", Kind::Text, "Given names"),
            ("date_of_birth", Kind::Date, "Date of birth"),
            ("nationality", Kind::Country, "Nationality"),
        ];
        let questions = identity
            .into_iter()
            .map(|(key, kind, label)| Question {
                key: key.to_owned(),
                kind,
                required: true,
                label: english(label),
                hint: Words::new(),
                choices: Vec::new(),
                show_if: None,
            })
            .collect();
        Design { pages: vec![Page { key: "applicant".into(), title: english("About you"), questions }] }
    }

    /// Every question with its page, in order.
    pub fn questions(&self) -> impl Iterator<Item = (&Page, &Question)> {
        self.pages.iter().flat_map(|p| p.questions.iter().map(move |q| (p, q)))
    }

    /// Every problem of the design, named by `pages[i]...` paths.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        let mut earlier: Vec<(String, &Question)> = Vec::new();
        for (p, page) in self.pages.iter().enumerate() {
            let at = format!("pages[{p}]");
            if !is_key(&page.key) || self.pages.iter().filter(|o| o.key == page.key).count() > 1 {
                problems.push(FieldError::new(format!("{at}.key"), "invalid", "a unique key of a-z, 0-9 and _"));
            }
            if page.title.get("en").is_none_or(|t| t.trim().is_empty()) {
                problems.push(FieldError::new(format!("{at}.title.en"), "required", "an English title"));
            }
            for (q, question) in page.questions.iter().enumerate() {
                let at = format!("{at}.questions[{q}]");
                if !is_key(&question.key) || page.questions.iter().filter(|o| o.key == question.key).count() > 1 {
                    problems.push(FieldError::new(format!("{at}.key"), "invalid", "a unique key of a-z, 0-9 and _"));
                }
                if question.label.get("en").is_none_or(|t| t.trim().is_empty()) {
                    problems.push(FieldError::new(format!("{at}.label.en"), "required", "an English label"));
                }
                let values: Vec<&str> = question.choices.iter().map(|c| c.value.as_str()).collect();
                if question.kind == Kind::Choice
                    && (values.len() < 2
                        || values.iter().any(|v| !is_key(v) || values.iter().filter(|o| *o == v).count() > 1))
                {
                    problems.push(FieldError::new(
                        format!("{at}.choices"),
                        "invalid",
                        "two or more unique values of a-z, 0-9 and _",
                    ));
                }
                if let Some(condition) = &question.show_if {
                    let target = earlier.iter().find(|(path, _)| *path == condition.question).map(|(_, q)| *q);
                    let holds = target.is_some_and(|t| match t.kind {
                        Kind::Choice => t.choices.iter().any(|c| c.value == condition.equals),
                        Kind::YesNo => ["true", "false"].contains(&condition.equals.as_str()),
                        _ => false,
                    });
                    if !holds {
                        problems.push(FieldError::new(
                            format!("{at}.show_if"),
                            "invalid",
                            "a value of a choice or yes/no question of an earlier page",
                        ));
                    }
                }
            }
            earlier.extend(page.questions.iter().map(|q| (path(&page.key, &q.key), q)));
        }
        problems
    }
}

pub(super) fn push(list: &mut Value, key: &str) {
    if let Some(items) = list.as_array_mut() {
        items.push(json!(key));
    }
}

pub(super) fn required(schema: &Value) -> Vec<&str> {
    schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

/// A key in words: `pages_full` is "Pages full".
pub(super) fn words_of(key: &str) -> String {
    let text = key.replace('_', " ");
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}
