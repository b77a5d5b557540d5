//! Extend deadline: a supervisor moves the decision deadline of an open case, within a cap.

use chrono::Duration;
use std::sync::Arc;

use super::act;
use crate::app::engine::{Audit, Step};
use crate::app::{CaseFile, Error, Result, Staff, Supervisor, text};
use crate::config::Config;
use crate::db::Db;
use crate::db::cases::TransitionChanges;
use crate::domain::status::Action;

/// Longest a decision deadline may be from submission, in days.
pub const MAX_DEADLINE_DAYS: i64 = 45;

/// Extends the deadline of case `id` by `days`, at most to [`MAX_DEADLINE_DAYS`] after
/// submission, with a recorded reason.
pub async fn extend_deadline(
    db: &Db,
    config: Arc<Config>,
    user: &Staff,
    id: String,
    days: i64,
    reason: Option<String>,
    audit: Audit,
) -> Result<CaseFile> {
    let reason = text("reason", reason, true, 1000)?;
    if !(1..=MAX_DEADLINE_DAYS).contains(&days) {
        return Err(Error::invalid_field("days", "out_of_range", format!("between 1 and {MAX_DEADLINE_DAYS} days")));
    }
    let audit = audit.with_staff_note(reason).internal();
    act(db, config, user, id, move |_, case, user| {
        Supervisor::new((**user).clone())?;
        let (Some(submitted), Some(deadline)) = (case.submitted_at, case.decision_deadline) else {
            return Err(Error::Conflict(format!("a case that is {} has no deadline to extend", case.status)));
        };
        let limit = submitted + Duration::days(MAX_DEADLINE_DAYS);
        let extended = deadline.checked_add_signed(Duration::days(days)).filter(|d| *d <= limit).ok_or_else(|| {
            Error::invalid_field(
                "days",
                "beyond_limit",
                format!(
                    "a deadline may not be later than {MAX_DEADLINE_DAYS} days after submission ({})",
                    limit.date()
                ),
            )
        })?;
        let audit = audit.with_details(serde_json::json!({"from": deadline.and_utc(), "to": extended.and_utc()}));
        let changes = TransitionChanges { decision_deadline: Some(extended), ..TransitionChanges::default() };
        Ok(Step::new(Action::ExtendDeadline, audit).changes(changes))
    })
    .await
}
