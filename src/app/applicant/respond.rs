//! Respond: the applicant answers a request for information; the case goes back to the officer
//! who asked (or to the queue while they are away), once the case again meets every submission
//! rule.

use std::sync::Arc;

use super::own_case;
use super::submit::submission_problems;
use crate::app::engine::{self, Actor, Audit, Step};
use crate::app::review::away;
use crate::app::{Applicant, CaseFile, Error, Result, text};
use crate::config::Config;
use crate::db::cases::{CaseRow, TransitionChanges};
use crate::db::{AnyConnection, Db, documents};
use crate::domain::changes::{self, Snapshot};
use crate::domain::status::{Action, CaseStatus};

/// What the applicant changed since information was last requested: each answer before and
/// after, and the documents new or replaced.
fn what_changed(conn: &mut AnyConnection, case: &CaseRow) -> Result<serde_json::Value> {
    let (_, details) = crate::app::review::request_info::latest_request(conn, &case.id)?;
    let before: Snapshot = serde_json::from_value(details["before"].clone()).unwrap_or_default();
    let form: serde_json::Value = serde_json::from_str(&case.form).unwrap_or_else(|_| changes::empty());
    let present: Vec<(String, String)> =
        documents::for_case(conn, &case.id)?.into_iter().map(|d| (d.kind, d.sha256)).collect();
    Ok(serde_json::json!({
        "changes": changes::answers(&before.form, &form),
        "documents": changes::documents(&before.documents, &present),
    }))
}

/// Answers the request for information on the case `id` with `message`.
pub async fn respond(
    db: &Db,
    config: Arc<Config>,
    user: &Applicant,
    id: String,
    message: Option<String>,
    audit: Audit,
) -> Result<CaseFile> {
    let message = text("message", message, true, 2000)?;
    let user = user.clone();
    db.write(move |conn| {
        let case = own_case(conn, &id, &user)?;
        if case.status == CaseStatus::InfoRequested {
            let problems = submission_problems(conn, &config, &case)?;
            if !problems.is_empty() {
                return Err(Error::Invalid(problems));
            }
        }
        // The legal clock starts again where it stopped, if the service's law stopped it.
        let resumed = crate::app::review::request_info::resumed_deadline(conn, &case)?;
        let mut details = what_changed(conn, &case)?;
        details["decision_deadline"] = serde_json::json!(resumed.map(|d| d.and_utc()));
        let changes = TransitionChanges { decision_deadline: resumed, ..TransitionChanges::default() };
        let step = Step::new(Action::Respond, audit.with_note(message).with_details(details)).changes(changes);
        engine::transition(conn, &config, &case, &Actor::from(&*user), step)?;
        away::back_to_queue_if_away(conn, &config, &case.id)?;
        CaseFile::load(conn, &case.id)
    })
    .await
}
