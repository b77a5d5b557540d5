//! Claim: a staff member takes a submitted case.

use std::sync::Arc;

use super::act;
use crate::app::engine::{Audit, Step};
use crate::app::{CaseFile, Result, Staff};
use crate::config::Config;
use crate::db::Db;
use crate::db::cases::TransitionChanges;
use crate::domain::status::Action;

/// Assigns the case `id` to the caller and moves it to `in_review`.
pub async fn claim(db: &Db, config: Arc<Config>, user: &Staff, id: String, audit: Audit) -> Result<CaseFile> {
    act(db, config, user, id, move |_, _, user| {
        let changes =
            TransitionChanges { assigned_officer_id: Some(Some(user.id.clone())), ..TransitionChanges::default() };
        Ok(Step::new(Action::Claim, audit).changes(changes))
    })
    .await
}
