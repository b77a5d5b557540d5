//! Request information: the assignee asks the applicant for more: a message, and any of things
//! in words, named documents, named answers to correct, and a date to answer by.

use std::sync::Arc;

use super::{act, require_handler};
use crate::app::engine::{Audit, Step};
use crate::app::{CaseFile, Error, Result, Staff, text};
use crate::config::Config;
use crate::db::cases::CaseRow;
use crate::db::jobs::{self, JobKind};
use crate::db::{self, AnyConnection, Db, catalog, documents, events};
use crate::domain::FieldError;
use crate::domain::changes::{self, Snapshot};
use crate::domain::status::Action;
use chrono::NaiveDate;
use chrono::NaiveDateTime;
use serde_json::Value;

/// What an officer asks for: a message, and any of free-text items, named documents of the
/// service, named answers to correct, and a date to answer by.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// What the officer says.
    pub message: Option<String>,
    /// Things asked for in the officer's words (at most 20).
    pub items: Vec<String>,
    /// Kinds of the service's documents to upload again or for the first time.
    pub documents: Vec<String>,
    /// Answers to correct, by dotted path (`applicant.date_of_birth`); these may change even
    /// where a submitted case's answers are otherwise fixed, and only these may.
    pub fields: Vec<String>,
    /// The date to answer by.
    pub due_date: Option<NaiveDate>,
}

/// Longest time an applicant may be given to answer.
const LONGEST_WAIT_DAYS: i64 = 90;

/// Whether the form schema defines the answer at `path`.
fn defines(schema: &Value, path: &str) -> bool {
    let mut at = schema;
    for key in path.split('.') {
        at = &at["properties"][key];
        if at.is_null() {
            return false;
        }
    }
    at["type"] != "object"
}

/// Asks the applicant of case `id` for information.
pub async fn request_info(
    db: &Db,
    config: Arc<Config>,
    user: &Staff,
    id: String,
    request: Request,
    audit: Audit,
) -> Result<CaseFile> {
    let Request { message, items, documents: kinds, fields, due_date } = request;
    let mut problems = Vec::new();
    let message = match text("message", message, true, 2000) {
        Ok(message) => message,
        Err(Error::Invalid(found)) => {
            problems.extend(found);
            None
        }
        Err(other) => return Err(other),
    };
    let items: Vec<String> = items.into_iter().map(|i| i.trim().to_owned()).collect();
    if items.len() > 20 || items.iter().any(|i| i.is_empty() || i.chars().count() > 200) {
        problems.push(FieldError::new("items", "invalid", "at most 20 items of 1 to 200 characters"));
    }
    let today = chrono::Utc::now().date_naive();
    if due_date.is_some_and(|due| due <= today || due > today + chrono::Duration::days(LONGEST_WAIT_DAYS)) {
        problems.push(FieldError::new(
            "due_date",
            "out_of_range",
            format!("after today and within {LONGEST_WAIT_DAYS} days"),
        ));
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let email = serde_json::json!({ "message": message, "items": items, "due_date": due_date });
    let audit = audit.with_note(message);
    act(db, config, user, id, move |conn, case, user| {
        require_handler(user, case)?;
        // Named documents and answers must be the service's own.
        let service = catalog::find_service(conn, &case.service_code)?.ok_or(Error::NotFound)?.to_service()?;
        let schema: Value = catalog::form_schema(conn, &case.service_code, case.form_version)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        let mut problems = Vec::new();
        for (index, kind) in kinds.iter().enumerate() {
            if service.document(kind).is_none() {
                problems.push(FieldError::new(
                    format!("documents[{index}]"),
                    "unknown",
                    format!("{kind} is not a document of this service"),
                ));
            }
        }
        for (index, field) in fields.iter().enumerate() {
            if !defines(&schema, field) {
                problems.push(FieldError::new(
                    format!("fields[{index}]"),
                    "unknown",
                    format!("{field} is not an answer of this form"),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        // The case as it stands, so that what the answer changes can be shown (to staff only).
        let snapshot = Snapshot {
            form: serde_json::from_str(&case.form).unwrap_or_else(|_| changes::empty()),
            documents: documents::for_case(conn, &case.id)?.into_iter().map(|d| (d.kind, d.sha256)).collect(),
        };
        let details = serde_json::json!({
            "items": items, "documents": kinds, "fields": fields, "due_date": due_date, "before": snapshot,
        });
        if let Some(due) = due_date {
            jobs::enqueue(conn, JobKind::RemindInformation, &case.id, remind_at(db::now(), due))?;
        }
        Ok(Step::new(Action::RequestInfo, audit.with_details(details)).email(email))
    })
    .await
}

/// When to remind of a request due on `due`, asked at `now`: two days before, or half-way when
/// that leaves less than a day.
pub fn remind_at(now: NaiveDateTime, due: NaiveDate) -> NaiveDateTime {
    let due = due.and_hms_opt(0, 0, 0).unwrap_or(now);
    let two_days_before = due - chrono::Duration::days(2);
    if two_days_before > now + chrono::Duration::days(1) { two_days_before } else { now + (due - now) / 2 }
}

/// The latest request for information on a case: the officer's message and the recorded
/// details (items, documents, fields, due date, the case as it stood); `Null` when none was made.
pub fn latest_request(conn: &mut AnyConnection, case_id: &str) -> Result<(Option<String>, Value)> {
    let asked =
        events::list_for_case(conn, case_id)?.into_iter().rev().find(|e| e.action == Action::RequestInfo.as_str());
    let details = asked.as_ref().and_then(|e| e.details.as_deref()).and_then(|d| serde_json::from_str(d).ok());
    Ok((asked.and_then(|e| e.note), details.unwrap_or_default()))
}

/// The decision deadline of `case` as a request for information stops waiting now (answered,
/// or lapsed): moved by the time the request waited, where the service's law stops the legal
/// clock meanwhile; `None` leaves it as it is.
pub fn resumed_deadline(conn: &mut AnyConnection, case: &CaseRow) -> Result<Option<NaiveDateTime>> {
    let Some(deadline) = case.decision_deadline else { return Ok(None) };
    if !catalog::find_service(conn, &case.service_code)?.is_some_and(|s| s.information_pauses_clock) {
        return Ok(None);
    }
    let asked = events::list_for_case(conn, &case.id)?
        .into_iter()
        .rev()
        .find(|e| e.action == Action::RequestInfo.as_str())
        .map(|e| e.created_at);
    Ok(asked.map(|at| deadline + (db::now() - at).max(chrono::Duration::zero())))
}

/// What the latest request for information on a case named: the answers that may change, if
/// it named any.
pub fn requested_fields(conn: &mut AnyConnection, case_id: &str) -> Result<Option<Vec<String>>> {
    let (_, details) = latest_request(conn, case_id)?;
    let fields: Vec<String> =
        details["fields"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
    Ok((!fields.is_empty()).then_some(fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_is_reminded_of_two_days_before_its_date_or_half_way_when_sooner() {
        let now = chrono::NaiveDate::from_ymd_opt(2027, 4, 1).unwrap().and_hms_opt(12, 0, 0).unwrap();
        let due = chrono::NaiveDate::from_ymd_opt(2027, 4, 11).unwrap();
        assert_eq!(
            remind_at(now, due),
            chrono::NaiveDate::from_ymd_opt(2027, 4, 9).unwrap().and_hms_opt(0, 0, 0).unwrap()
        );
        let soon = chrono::NaiveDate::from_ymd_opt(2027, 4, 3).unwrap();
        assert_eq!(
            remind_at(now, soon),
            chrono::NaiveDate::from_ymd_opt(2027, 4, 2).unwrap().and_hms_opt(6, 0, 0).unwrap()
        );
    }

    #[test]
    fn only_answers_the_schema_defines_may_be_named() {
        let schema = json!({"properties": {"applicant": {"type": "object", "properties": {"surname": {"type": "string"}}},
                                           "purpose": {"enum": ["a", "b"]}}});
        assert!(defines(&schema, "applicant.surname") && defines(&schema, "purpose"));
        assert!(!defines(&schema, "applicant") && !defines(&schema, "applicant.age") && !defines(&schema, "colour"));
    }
}
