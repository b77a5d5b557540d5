//! Officers who are away: a case that comes back to its officer while they are away (an answer
//! to their request, a request that lapsed) goes back to the queue instead of waiting for them.

use super::release::AWAY;
use crate::app::Result;
use crate::app::engine::{self, Actor, Audit, Step};
use crate::config::Config;
use crate::db::cases::TransitionChanges;
use crate::db::{self, AnyConnection, cases, users};
use crate::domain::status::CaseStatus;

/// Whether staff member `id` is away now: their account is disabled or they said they are away
/// until a later time.
pub fn is_away(conn: &mut AnyConnection, id: &str) -> Result<bool> {
    let now = db::now();
    Ok(users::find(conn, id)?.is_none_or(|u| u.disabled || u.away_until.is_some_and(|until| until > now)))
}

/// Puts case `id` back in the queue, unassigned, if it is in review and its officer is away;
/// the service releases it, and the audit trail says why.
pub fn back_to_queue_if_away(conn: &mut AnyConnection, config: &Config, id: &str) -> Result<()> {
    let Some(case) = cases::find(conn, id)? else { return Ok(()) };
    let Some(officer) = case.assigned_officer_id.clone() else { return Ok(()) };
    if case.status != CaseStatus::InReview || !is_away(conn, &officer)? {
        return Ok(());
    }
    let audit = Audit::default().internal().with_details(serde_json::json!({"reason": AWAY, "officer": officer}));
    let changes = TransitionChanges { assigned_officer_id: Some(None), ..TransitionChanges::default() };
    engine::transition(
        conn,
        config,
        &case,
        &Actor::system(),
        Step::new(crate::domain::status::Action::Release, audit).changes(changes),
    )?;
    Ok(())
}
