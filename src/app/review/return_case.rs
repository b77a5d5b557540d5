//! Return: a supervisor sends a recommendation back for review.

use std::sync::Arc;

use super::act;
use crate::app::engine::{Audit, Step};
use crate::app::{CaseFile, Result, Staff, text};
use crate::config::Config;
use crate::db::Db;
use crate::db::cases::TransitionChanges;
use crate::domain::status::Action;

/// Returns the recommendation on case `id` to review, with a note saying why.
pub async fn return_case(
    db: &Db,
    config: Arc<Config>,
    user: &Staff,
    id: String,
    note: Option<String>,
    audit: Audit,
) -> Result<CaseFile> {
    let audit = audit.with_staff_note(text("note", note, true, 2000)?);
    act(db, config, user, id, move |_, _, _| {
        let changes =
            TransitionChanges { decision: Some(None), recommended_by: Some(None), ..TransitionChanges::default() };
        Ok(Step::new(Action::Return, audit).changes(changes))
    })
    .await
}
