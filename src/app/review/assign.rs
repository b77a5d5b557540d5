//! Assign: a supervisor gives a case to an officer of the post.

use std::sync::Arc;

use super::act;
use crate::app::engine::{Audit, Step};
use crate::app::{CaseFile, Error, Result, Staff};
use crate::config::Config;
use crate::db::cases::TransitionChanges;
use crate::db::{Db, users};
use crate::domain::status::{Action, CaseStatus};

/// Assigns the case `id` to `officer_id`, an active officer or supervisor of its post.
pub async fn assign(
    db: &Db,
    config: Arc<Config>,
    user: &Staff,
    id: String,
    officer_id: String,
    audit: Audit,
) -> Result<CaseFile> {
    act(db, config, user, id, move |conn, case, _| {
        let officer = users::find(conn, &officer_id)?.filter(|o| {
            o.role().handles_cases() && !o.disabled && o.post_code.as_deref() == Some(case.post_code.as_str())
        });
        if officer.is_none() {
            return Err(Error::invalid_field(
                "officer_id",
                "unknown",
                "not an active officer or supervisor of the case's post",
            ));
        }
        let mut audit =
            audit.with_details(serde_json::json!({"officer_id": officer_id, "previous": case.assigned_officer_id}));
        // A hand-over between officers is internal; taking a case out of the queue is not.
        audit.internal = case.status == CaseStatus::InReview;
        let changes = TransitionChanges { assigned_officer_id: Some(Some(officer_id)), ..TransitionChanges::default() };
        Ok(Step::new(Action::Assign, audit).changes(changes))
    })
    .await
}
