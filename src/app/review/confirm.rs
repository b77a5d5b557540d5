//! Confirm: a second person confirms a recommended approval (four-eyes).

use std::sync::Arc;

use super::{act, decision_json, stored_decision};
use crate::app::engine::{Audit, Step};
use crate::app::{CaseFile, Error, Result, Staff};
use crate::config::Config;
use crate::db::cases::TransitionChanges;
use crate::db::{self, Db};
use crate::domain::decision::Decision;
use crate::domain::status::{Action, CaseStatus};

/// Confirms the recommendation on case `id`; the one who recommended it never may.
pub async fn confirm(db: &Db, config: Arc<Config>, user: &Staff, id: String, audit: Audit) -> Result<CaseFile> {
    act(db, config, user, id, move |_, case, user| {
        if case.status == CaseStatus::PendingApproval && case.recommended_by.as_deref() == Some(user.id.as_str()) {
            return Err(Error::Forbidden("four-eyes: the person who recommended an approval cannot confirm it".into()));
        }
        let grant = match stored_decision(case)? {
            Some(Decision::Recommended { grant }) => grant,
            _ => None,
        };
        let changes = TransitionChanges {
            decision: Some(Some(decision_json(&Decision::Approved { grant: grant.clone() })?)),
            decided_at: Some(Some(db::now())),
            ..TransitionChanges::default()
        };
        let audit = audit.with_details(serde_json::json!({"grant": grant, "recommended_by": case.recommended_by}));
        Ok(Step::new(Action::Confirm, audit).changes(changes))
    })
    .await
}
