//! Release: the assignee puts a case back in the queue.

use std::sync::Arc;

use super::{act, require_handler};
use crate::app::engine::{Audit, Step};
use crate::app::{CaseFile, Result, Staff};
use crate::config::Config;
use crate::db::Db;
use crate::db::cases::TransitionChanges;
use crate::domain::status::Action;

/// Why the service released a case: its officer is away.
pub const AWAY: &str = "assignee_away";

/// Unassigns the case `id` and moves it back to `submitted`.
pub async fn release(db: &Db, config: Arc<Config>, user: &Staff, id: String, audit: Audit) -> Result<CaseFile> {
    act(db, config, user, id, move |_, case, user| {
        require_handler(user, case)?;
        let changes = TransitionChanges { assigned_officer_id: Some(None), ..TransitionChanges::default() };
        Ok(Step::new(Action::Release, audit).changes(changes))
    })
    .await
}
