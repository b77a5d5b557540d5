//! What consular staff do to the cases of their post: claim, claim the next, assign, release,
//! request information, decide, confirm or return a recommendation, note, extend the deadline,
//! set the priority, and revoke what was issued.

pub mod assign;
pub mod away;
pub mod claim;
pub mod claim_next;
pub mod confirm;
pub mod decide;
pub mod extend_deadline;
pub mod follow_up;
pub mod grounds;
pub mod note;
pub mod release;
pub mod request_info;
pub mod return_case;
pub mod revoke;
pub mod set_priority;

use std::sync::Arc;

use super::engine::{self, Actor, Step, visible_case};
use super::{CaseFile, Error, Result, Staff};
use crate::config::Config;
use crate::db::cases::CaseRow;
use crate::db::{AnyConnection, Db};
use crate::domain::decision::Decision;
use crate::domain::role::Role;
use crate::domain::status::CaseStatus;

/// Statuses in which a case awaits a decision.
pub const OPEN_STATUSES: [CaseStatus; 4] =
    [CaseStatus::Submitted, CaseStatus::InReview, CaseStatus::InfoRequested, CaseStatus::PendingApproval];

/// Staff of the case's post who may work on it: its assignee, or any supervisor of the post.
pub(crate) fn require_handler(user: &Staff, case: &CaseRow) -> Result<()> {
    match user.role {
        Role::Supervisor => Ok(()),
        Role::Officer if case.assigned_officer_id.as_deref() == Some(user.id.as_str()) => Ok(()),
        _ => Err(Error::Forbidden("the case is assigned to another officer".into())),
    }
}

/// The decision stored on a case.
pub(crate) fn stored_decision(case: &CaseRow) -> Result<Option<Decision>> {
    Ok(case.decision.as_deref().map(serde_json::from_str).transpose()?)
}

/// A decision as stored.
pub(crate) fn decision_json(decision: &Decision) -> Result<String> {
    Ok(serde_json::to_string(decision)?)
}

/// Runs `prepare` on the case `id` as the staff member sees it, performs the step it returns,
/// and answers with the case as it then is, all in one write transaction.
pub(crate) async fn act<F>(db: &Db, config: Arc<Config>, user: &Staff, id: String, prepare: F) -> Result<CaseFile>
where
    F: FnOnce(&mut AnyConnection, &CaseRow, &Staff) -> Result<Step> + Send + 'static,
{
    let user = user.clone();
    db.write(move |conn| {
        let case = visible_case(conn, &id, &user)?;
        let step = prepare(conn, &case, &user)?;
        engine::transition(conn, &config, &case, &Actor::from(&*user), step)?;
        CaseFile::load(conn, &case.id)
    })
    .await
}
