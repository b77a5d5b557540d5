//! Revoke: a supervisor revokes what was issued for a case, on coded grounds.

use std::sync::Arc;

use super::grounds::{self, Purpose};
use crate::app::engine::{self, Actor, Audit, Step, visible_case};
use crate::app::{Error, Result, Staff, Supervisor, text};
use crate::config::Config;
use crate::db::Db;
use crate::domain::status::Action;
use crate::issuance;

/// Revokes the output of case `id`; the case becomes `revoked` and the holder is told why.
pub async fn revoke(
    db: &Db,
    config: Arc<Config>,
    user: &Supervisor,
    id: String,
    codes: Vec<String>,
    note: Option<String>,
    audit: Audit,
) -> Result<()> {
    let note = text("note", note, false, 2000)?;
    let staff = Staff::new((**user).clone())?;
    db.write(move |conn| {
        let case = visible_case(conn, &id, &staff)?;
        let grounds = grounds::resolve(conn, &codes, Purpose::Revocation)?;
        let recorded: Vec<&str> = grounds.iter().map(|g| g.code.as_str()).collect();
        let revoked = issuance::revoke(conn, &case, &recorded)?
            .ok_or_else(|| Error::Conflict("nothing valid was issued for this case".into()))?;
        let audit = audit
            .with_staff_note(note)
            .with_details(serde_json::json!({"document_number": revoked, "visa_number": revoked, "grounds": recorded}));
        let email = serde_json::json!({
            "visa_number": revoked, "document_number": revoked, "grounds": grounds,
            "appeal_information": config.appeal_information,
        });
        engine::transition(conn, &config, &case, &Actor::from(&*staff), Step::new(Action::Revoke, audit).email(email))?;
        Ok(())
    })
    .await
}
