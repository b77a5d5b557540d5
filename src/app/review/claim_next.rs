//! Claim next: a staff member takes the next case of the post's queue.

use std::sync::Arc;

use crate::app::engine::{self, Actor, Audit, Step};
use crate::app::{CaseFile, Error, Result, Staff};
use crate::config::Config;
use crate::db::Db;
use crate::db::cases::{self, TransitionChanges};
use crate::domain::status::Action;

/// Assigns the caller the next case of their post (urgent first, then earliest deadline) and
/// moves it to `in_review`; `None` when the queue is empty. Concurrent claimers never get the
/// same case: on PostgreSQL the candidate row is locked and rows locked by others are skipped;
/// on SQLite the write transaction excludes other writers.
pub async fn claim_next(db: &Db, config: Arc<Config>, user: &Staff, audit: Audit) -> Result<Option<CaseFile>> {
    let post = user.post.clone().ok_or_else(|| Error::Forbidden("the account belongs to no post".into()))?;
    let user = user.clone();
    db.write(move |conn| {
        let Some(id) = crate::db::case_queue::next_claimable(conn, &post)? else {
            return Ok(None);
        };
        let case = cases::find(conn, &id)?.ok_or(Error::NotFound)?;
        let changes =
            TransitionChanges { assigned_officer_id: Some(Some(user.id.clone())), ..TransitionChanges::default() };
        engine::transition(
            conn,
            &config,
            &case,
            &Actor::from(&*user),
            Step::new(Action::Claim, audit).changes(changes),
        )?;
        CaseFile::load(conn, &id).map(Some)
    })
    .await
}
