//! Request information: the assignee asks the applicant for more.

use std::sync::Arc;

use super::{act, require_handler};
use crate::app::engine::{Audit, Step};
use crate::app::{CaseFile, Error, Result, Staff, text};
use crate::config::Config;
use crate::db::{Db, documents};
use crate::domain::FieldError;
use crate::domain::changes::{self, Snapshot};
use crate::domain::status::Action;

/// Asks the applicant of case `id` for information: a message and up to 20 items.
pub async fn request_info(
    db: &Db,
    config: Arc<Config>,
    user: &Staff,
    id: String,
    message: Option<String>,
    items: Vec<String>,
    audit: Audit,
) -> Result<CaseFile> {
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
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let email = serde_json::json!({ "message": message, "items": items });
    let audit = audit.with_note(message);
    act(db, config, user, id, move |conn, case, user| {
        require_handler(user, case)?;
        // The case as it stands, so that what the answer changes can be shown (to staff only).
        let snapshot = Snapshot {
            form: serde_json::from_str(&case.form).unwrap_or_else(|_| changes::empty()),
            documents: documents::for_case(conn, &case.id)?.into_iter().map(|d| (d.kind, d.sha256)).collect(),
        };
        let audit = audit.with_details(serde_json::json!({ "items": items, "before": snapshot }));
        Ok(Step::new(Action::RequestInfo, audit).email(email))
    })
    .await
}
