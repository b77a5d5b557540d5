//! Respond: the applicant answers a request for information; the case goes back to the officer
//! who asked, once the case again meets every submission rule.

use std::sync::Arc;

use super::own_case;
use super::submit::submission_problems;
use crate::app::engine::{self, Actor, Audit, Step};
use crate::app::{Applicant, CaseFile, Error, Result, text};
use crate::config::Config;
use crate::db::Db;
use crate::domain::status::{Action, CaseStatus};

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
        if case.status == CaseStatus::InfoRequested {
            let problems = submission_problems(conn, &config, &case)?;
            if !problems.is_empty() {
                return Err(Error::Invalid(problems));
            }
        }
        let step = Step::new(Action::Respond, audit.with_note(message));
        engine::transition(conn, &config, &case, &Actor::from(&*user), step)?;
        CaseFile::load(conn, &case.id)
    })
    .await
}
