//! Return: a supervisor sends a recommendation back for review, and the recommender is told why.

use std::sync::Arc;

use super::act;
use crate::app::engine::{Audit, Step};
use crate::app::{CaseFile, Result, Staff, text};
use crate::config::Config;
use crate::db::cases::TransitionChanges;
use crate::db::{Db, users};
use crate::domain::status::Action;
use crate::notify;

/// Returns the recommendation on case `id` to review, with a note saying why.
pub async fn return_case(
    db: &Db,
    config: Arc<Config>,
    user: &Staff,
    id: String,
    note: Option<String>,
    audit: Audit,
) -> Result<CaseFile> {
    let reason = text("note", note, true, 2000)?.unwrap_or_default();
    let audit = audit.with_staff_note(Some(reason.clone()));
    let mailer = config.clone();
    act(db, config, user, id, move |conn, case, supervisor| {
        // The recommender is told why, in the same transaction as the return.
        if let Some(recommender) = case.recommended_by.as_deref().map(|r| users::find(conn, r)).transpose()?.flatten() {
            let supervisor = users::find(conn, &supervisor.id)?.map(|u| u.full_name).unwrap_or_default();
            let context = serde_json::json!({
                "reference": case.reference, "reason": reason, "supervisor": supervisor,
                "link": format!("{}/console/cases/{}", mailer.portal_url, case.id),
            });
            notify::enqueue(conn, &mailer, &recommender, "recommendation_returned", Some(&case.id), context, None)?;
        }
        let changes =
            TransitionChanges { decision: Some(None), recommended_by: Some(None), ..TransitionChanges::default() };
        Ok(Step::new(Action::Return, audit).changes(changes))
    })
    .await
}
