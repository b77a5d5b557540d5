//! Set priority: a supervisor marks an open case urgent or normal.

use std::sync::Arc;

use super::act;
use crate::app::engine::{Audit, Step};
use crate::app::{CaseFile, Result, Staff, Supervisor};
use crate::config::Config;
use crate::db::Db;
use crate::db::cases::TransitionChanges;
use crate::domain::status::Action;

/// How urgently a case is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// In deadline order.
    Normal,
    /// Before every normal case.
    Urgent,
}

impl Priority {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::Urgent => "urgent",
        }
    }
}

/// Sets the priority of case `id`.
pub async fn set_priority(
    db: &Db,
    config: Arc<Config>,
    user: &Staff,
    id: String,
    priority: Priority,
    audit: Audit,
) -> Result<CaseFile> {
    let audit = audit.internal().with_details(serde_json::json!({ "priority": priority.as_str() }));
    act(db, config, user, id, move |_, _, user| {
        Supervisor::new((**user).clone())?;
        let changes = TransitionChanges { priority: Some(priority.as_str().into()), ..TransitionChanges::default() };
        Ok(Step::new(Action::SetPriority, audit).changes(changes))
    })
    .await
}
