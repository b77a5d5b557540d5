//! What an applicant changed in answer to a request for information: each answer before and
//! after, and the documents that are new or replaced, against a snapshot taken when the
//! request was made.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The case as it stood when information was requested.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The form's answers.
    pub form: Value,
    /// Each document's kind and content digest.
    pub documents: BTreeMap<String, String>,
}

/// One answer that changed, by dotted path; `None` for an answer absent on that side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The answer's path (`applicant.date_of_birth`).
    pub field: String,
    /// Its value before, as text.
    pub before: Option<String>,
    /// Its value after, as text.
    pub after: Option<String>,
}

fn flatten(value: &Value, at: &str, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(fields) => {
            for (key, inner) in fields {
                let path = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
                flatten(inner, &path, out);
            }
        }
        Value::Null => {}
        Value::String(text) => {
            out.insert(at.to_owned(), text.clone());
        }
        other => {
            out.insert(at.to_owned(), other.to_string());
        }
    }
}

/// The answers that differ between `before` and `after`, in path order.
pub fn answers(before: &Value, after: &Value) -> Vec<Change> {
    let (mut old, mut new) = (BTreeMap::new(), BTreeMap::new());
    flatten(before, "", &mut old);
    flatten(after, "", &mut new);
    let fields: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    fields
        .into_iter()
        .filter(|field| old.get(*field) != new.get(*field))
        .map(|field| Change { field: field.clone(), before: old.get(field).cloned(), after: new.get(field).cloned() })
        .collect()
}

/// The kinds of `documents` (kind, digest) that are new or replaced since `before`.
pub fn documents(before: &BTreeMap<String, String>, documents: &[(String, String)]) -> Vec<String> {
    documents.iter().filter(|(kind, digest)| before.get(kind) != Some(digest)).map(|(kind, _)| kind.clone()).collect()
}

/// An empty form, for a case with no answers.
pub fn empty() -> Value {
    Value::Object(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_what_differs_is_a_change_and_documents_are_new_when_their_content_is() {
        let before = json!({"applicant": {"surname": "Nurly", "date_of_birth": "1990-02-15"}, "copies": 1});
        let after = json!({"applicant": {"surname": "Nurly", "date_of_birth": "1990-03-15", "place_of_birth": "Almaty"}, "copies": 1});
        let found = answers(&before, &after);
        assert_eq!(
            found,
            [
                Change {
                    field: "applicant.date_of_birth".into(),
                    before: Some("1990-02-15".into()),
                    after: Some("1990-03-15".into())
                },
                Change { field: "applicant.place_of_birth".into(), before: None, after: Some("Almaty".into()) },
            ]
        );
        assert!(answers(&before, &before).is_empty());
        let had: BTreeMap<String, String> =
            [("photo".to_owned(), "aa".to_owned()), ("passport".to_owned(), "bb".to_owned())].into();
        let now = [
            ("photo".to_owned(), "cc".to_owned()),
            ("passport".to_owned(), "bb".to_owned()),
            ("letter".to_owned(), "dd".to_owned()),
        ];
        assert_eq!(documents(&had, &now), ["photo", "letter"]);
    }
}
