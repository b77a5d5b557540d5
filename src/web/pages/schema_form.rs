//! A service's form, rendered from its JSON Schema: one step per top-level section (an object
//! property), the top-level answers that are not sections in a step of their own; each field's
//! input follows its schema (text, date, choice, long text, number, yes/no). Posted HTML form
//! values become a JSON merge patch of the case's form, so a service an administrator adds
//! appears in the portal with no code change, and the use cases check it as they check the API's.

use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

use crate::domain::FieldError;
use crate::domain::countries;
use crate::domain::form_design::{self, Condition};
use crate::domain::texts::Texts;

/// One option of a choice: the value stored and the words shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// The value stored (`pages_full`, `KAZ`).
    pub value: String,
    /// The words shown, in the page's language.
    pub label: String,
}

/// How a field is entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "options")]
pub enum Input {
    /// One line of text.
    Text,
    /// Several lines of text.
    TextArea,
    /// A date (`YYYY-MM-DD`).
    Date,
    /// A whole number.
    Number,
    /// Yes or no.
    Checkbox,
    /// One of these values.
    Choice(Vec<Choice>),
    /// A country, stored as its ICAO code (fields whose pattern is `^[A-Z<]{3}$`).
    Country(Vec<Choice>),
    /// A secret (account forms only; schemas have no such type).
    Password,
    /// A one-time code of digits (account forms only).
    Code,
}

impl Input {
    /// The words shown for `value` where the input offers options.
    fn label_of(&self, value: &str) -> Option<String> {
        match self {
            Input::Choice(options) | Input::Country(options) => {
                options.iter().find(|o| o.value == value).map(|o| o.label.clone())
            }
            _ => None,
        }
    }
}

/// One field of a step.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// Dotted path in the form, also the HTML field's name (`applicant.surname`).
    pub name: String,
    /// The field's id in the page (`f-applicant-surname`).
    pub id: String,
    /// Label, in the page's language.
    pub label: String,
    /// Hint, in the page's language, if any.
    pub hint: Option<String>,
    /// How it is entered.
    pub input: Input,
    /// Whether the schema requires it.
    pub required: bool,
    /// Its current value, as text.
    pub value: String,
    /// Its value as the page's language writes it, where that differs (dates, choices).
    pub shown: Option<String>,
    /// What is wrong with it, in the page's words.
    pub error: Option<String>,
    /// Shown only when an earlier answer has a value.
    pub show_if: Option<Condition>,
}

/// One step of the form.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The section's key (`applicant`), or `details` for the top-level answers.
    pub key: String,
    /// Title, in the page's language.
    pub title: String,
    /// Its fields.
    pub fields: Vec<Field>,
}

/// The key of the step that holds the top-level answers that are not sections.
pub const DETAILS: &str = "details";

/// The pattern that makes a field a country.
const COUNTRY_PATTERN: &str = "^[A-Z<]{3}$";

/// A name in words: `pages_full` is "Pages full".
pub fn words(name: &str) -> String {
    let text = name.replace('_', " ");
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

/// The words of a service's form in a page's language: the service's own texts in that
/// language, then the message catalogue's words for fields every form shares (`field_<path>`,
/// `section_<key>`, `option_<value>`, `document_<kind>`), then the service's English texts, then
/// the schema's own titles.
pub struct Words<'a> {
    lang: &'static str,
    texts: &'a Texts,
    /// The issuing state, which CLDR does not name when it is a specimen (UTO).
    state: (&'a str, &'a str),
}

impl<'a> Words<'a> {
    /// The words of a service with `texts`, in `lang`; `state` is the issuing state's code and
    /// name in `lang`.
    pub fn new(lang: &'static str, texts: &'a Texts, state: (&'a str, &'a str)) -> Words<'a> {
        Words { lang, texts, state }
    }

    fn pick(&self, key: &str, generic: &str, fallback: impl FnOnce() -> String) -> String {
        let catalogue = || super::i18n::messages(self.lang)[generic].as_str();
        self.texts
            .exact(self.lang, key)
            .or_else(catalogue)
            .or_else(|| self.texts.exact("en", key))
            .map_or_else(fallback, str::to_owned)
    }

    /// The title of section `key`.
    pub fn section(&self, key: &str, title: Option<&str>) -> String {
        self.pick(&format!("section.{key}"), &format!("section_{key}"), || {
            title.map_or_else(|| words(key), str::to_owned)
        })
    }

    /// The title of the form's step of top-level answers.
    pub fn form_title(&self, title: Option<&str>) -> String {
        self.pick("title", "section_details", || title.unwrap_or("Details").to_owned())
    }

    /// The label of the field at `name`.
    pub fn field(&self, name: &str, title: Option<&str>) -> String {
        let last = name.rsplit('.').next().unwrap_or(name);
        self.pick(&format!("field.{name}"), &format!("field_{name}"), || {
            title.map_or_else(|| words(last), str::to_owned)
        })
    }

    /// The hint of the field at `name`.
    pub fn hint(&self, name: &str, description: Option<&str>) -> Option<String> {
        let key = format!("hint.{name}");
        self.texts.get(self.lang, &key).or(description).map(str::to_owned)
    }

    /// The words for `value` of the choice at `name`.
    pub fn choice(&self, name: &str, value: &str) -> String {
        self.pick(&format!("choice.{name}.{value}"), &format!("option_{value}"), || words(value))
    }

    /// The name of documents of `kind`.
    pub fn document(&self, kind: &str) -> String {
        self.pick(&format!("document.{kind}"), &format!("document_{kind}"), || words(kind))
    }

    /// Every country, the issuing state among them, in the language's order.
    pub fn countries(&self) -> Vec<Choice> {
        let (code, name) = self.state;
        let mut list: Vec<Choice> = countries::list(self.lang)
            .into_iter()
            .map(|(value, label)| Choice { value: value.to_owned(), label: label.to_owned() })
            .collect();
        if countries::name(code, self.lang).is_none() {
            list.insert(0, Choice { value: code.to_owned(), label: name.to_owned() });
        }
        list
    }
}

fn input(schema: &Value, name: &str, words: &Words<'_>) -> Input {
    if let Some(options) = schema["enum"].as_array() {
        let options = options
            .iter()
            .filter_map(Value::as_str)
            .map(|value| Choice { value: value.to_owned(), label: words.choice(name, value) })
            .collect();
        return Input::Choice(options);
    }
    match schema["type"].as_str() {
        Some("integer") | Some("number") => Input::Number,
        Some("boolean") => Input::Checkbox,
        _ if schema["pattern"] == COUNTRY_PATTERN => Input::Country(words.countries()),
        _ if schema["format"] == "date" => Input::Date,
        _ if schema["maxLength"].as_u64().is_some_and(|m| m > 200) => Input::TextArea,
        _ => Input::Text,
    }
}

fn required(schema: &Value) -> Vec<&str> {
    schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

fn fields(schema: &Value, prefix: &str, words: &Words<'_>, out: &mut Vec<Field>) {
    let needed = required(schema);
    for (key, property) in schema["properties"].as_object().into_iter().flatten() {
        let name = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        if property["type"] == "object" {
            fields(property, &name, words, out);
            continue;
        }
        out.push(Field {
            id: format!("f-{}", name.replace('.', "-")),
            label: words.field(&name, property["title"].as_str()),
            hint: words.hint(&name, property["description"].as_str()),
            input: input(property, &name, words),
            required: needed.contains(&key.as_str()),
            value: String::new(),
            shown: None,
            error: None,
            show_if: form_design::condition_of(property),
            name,
        });
    }
}

/// The steps of a form schema with the fields `form`'s answers show (a question with a
/// condition on an earlier answer is left out until that answer has its value), required as
/// the schema requires them when shown.
pub fn shown_steps(schema: &Value, words: &Words<'_>, form: &Value) -> Vec<Step> {
    let conditional = form_design::conditionally_required(schema);
    let mut steps = steps(schema, words);
    for step in &mut steps {
        step.fields.retain(|f| f.show_if.as_ref().is_none_or(|c| form_design::shown(c, form)));
        for field in &mut step.fields {
            field.required |= conditional.contains(&field.name);
        }
    }
    steps.retain(|s| !s.fields.is_empty());
    steps
}

/// The steps of a form schema, in the schema's order, without values, in `words`' language.
pub fn steps(schema: &Value, words: &Words<'_>) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut details = Vec::new();
    for (key, property) in schema["properties"].as_object().into_iter().flatten() {
        if property["type"] == "object" {
            let mut found = Vec::new();
            fields(property, key, words, &mut found);
            let title = words.section(key, property["title"].as_str());
            steps.push(Step { key: key.clone(), title, fields: found });
        } else {
            let single =
                serde_json::json!({"properties": {key.clone(): property.clone()}, "required": required(schema)});
            fields(&single, "", words, &mut details);
        }
    }
    if !details.is_empty() {
        let title = words.form_title(schema["title"].as_str());
        steps.push(Step { key: DETAILS.into(), title, fields: details });
    }
    steps
}

/// The dotted name of a problem's field: JSON Pointers (`/applicant/surname`) and dotted paths
/// (`applicant.surname`) alike.
pub fn dotted(field: &str) -> String {
    field.trim_start_matches('/').replace('/', ".")
}

fn lookup<'a>(form: &'a Value, name: &str) -> Option<&'a Value> {
    name.split('.').try_fold(form, |value, key| value.get(key))
}

/// Fills the steps' fields with the form's answers and the problems found, by field.
pub fn fill(steps: &mut [Step], form: &Value, problems: &[FieldError], lang: &str) {
    for field in steps.iter_mut().flat_map(|s| s.fields.iter_mut()) {
        field.value = match lookup(form, &field.name) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        field.shown = match field.input {
            Input::Date => field.value.parse().ok().map(|day| super::i18n::date(lang, day)),
            _ => field.input.label_of(&field.value),
        };
        field.error = problems
            .iter()
            .find(|p| dotted(&p.field) == field.name)
            .map(|p| super::i18n::problem(lang, p, Some(&field.label)));
    }
}

/// The merge patch that sets a step's fields to the posted values: an empty answer removes the
/// field; numbers and yes/no are typed as the schema says (a number that does not parse is kept
/// as text, for the schema to name the field).
pub fn patch(step: &Step, posted: &HashMap<String, String>) -> Value {
    let mut patch = Value::Object(Map::new());
    for field in &step.fields {
        let raw = posted.get(&field.name).map(|v| v.trim()).unwrap_or_default();
        let value = match field.input {
            Input::Checkbox => Value::Bool(!raw.is_empty()),
            _ if raw.is_empty() => Value::Null,
            Input::Number => raw.parse::<i64>().map_or_else(|_| Value::String(raw.to_owned()), Value::from),
            _ => Value::String(raw.to_owned()),
        };
        let mut at = &mut patch;
        let mut keys = field.name.split('.').peekable();
        while let Some(key) = keys.next() {
            let Value::Object(map) = at else { break };
            if keys.peek().is_none() {
                map.insert(key.to_owned(), value);
                break;
            }
            at = map.entry(key.to_owned()).or_insert_with(|| Value::Object(Map::new()));
        }
    }
    patch
}

#[cfg(test)]
mod tests;
