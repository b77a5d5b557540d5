//! Note: an internal note on a case, for staff only.

use super::require_handler;
use crate::app::engine::{self, Actor, Audit, visible_case};
use crate::app::{Result, Staff, text};
use crate::db::{self, Db};

/// Records a staff-only note on case `id`.
pub async fn note(db: &Db, user: &Staff, id: String, note: Option<String>, audit: Audit) -> Result<()> {
    let audit = audit.with_staff_note(text("text", note, true, 4000)?).internal();
    let user = user.clone();
    db.write(move |conn| {
        let case = visible_case(conn, &id, &user)?;
        require_handler(&user, &case)?;
        let status = case.status;
        engine::record(conn, &case.id, "note", Some(status), status, &Actor::from(&*user), &audit, db::now())
    })
    .await
}
