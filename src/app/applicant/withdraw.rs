//! Withdraw: the applicant withdraws a case before a decision.

use std::sync::Arc;

use super::own_case;
use crate::app::engine::{self, Actor, Audit, Step};
use crate::app::{Applicant, CaseFile, Result, text};
use crate::config::Config;
use crate::db::Db;
use crate::domain::status::Action;

/// Withdraws the case `id`, with an optional reason shown in its history.
pub async fn withdraw(
    db: &Db,
    config: Arc<Config>,
    user: &Applicant,
    id: String,
    reason: Option<String>,
    audit: Audit,
) -> Result<CaseFile> {
    let reason = text("reason", reason, false, 1000)?;
    let user = user.clone();
    db.write(move |conn| {
        let case = own_case(conn, &id, &user)?;
        let step = Step::new(Action::Withdraw, audit.with_note(reason));
        engine::transition(conn, &config, &case, &Actor::from(&*user), step)?;
        CaseFile::load(conn, &case.id)
    })
    .await
}
