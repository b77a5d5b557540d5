//! Respond: the applicant answers a request for information; the case goes back to the officer
//! who asked.

use std::sync::Arc;

use super::own_case;
use crate::app::engine::{self, Actor, Audit, Step};
use crate::app::{Applicant, CaseFile, Result, text};
use crate::config::Config;
use crate::db::Db;
use crate::domain::status::Action;

/// Answers the request for information on the case `id` with `message`.
pub async fn respond(
    db: &Db,
    config: Arc<Config>,
    user: &Applicant,
    id: String,
    message: Option<String>,
    audit: Audit,
) -> Result<CaseFile> {
    let message = text("message", message, true, 2000)?;
    let user = user.clone();
    db.write(move |conn| {
        let case = own_case(conn, &id, &user)?;
        let step = Step::new(Action::Respond, audit.with_note(message));
        engine::transition(conn, &config, &case, &Actor::from(&*user), step)?;
        CaseFile::load(conn, &case.id)
    })
    .await
}
