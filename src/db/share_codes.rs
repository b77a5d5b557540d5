//! Share codes and the log of their checks.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{share_code_checks, share_codes};
use crate::domain::share_code::MAX_WRONG_BIRTH_DATES;

/// A share code as stored: its digest, never its characters.
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = share_codes)]
pub struct ShareCodeRow {
    /// Id (UUIDv7).
    pub id: String,
    /// Keyed digest of the code's characters.
    pub code_digest: String,
    /// The code's last three characters, shown to its holder.
    pub code_hint: String,
    /// The document it lets a checker see.
    pub document_number: String,
    /// The account holding the document.
    pub holder_id: String,
    /// What it is for (`work`, `renting`, `study`, `other`).
    pub purpose: String,
    /// When it was made.
    pub created_at: NaiveDateTime,
    /// When it stops answering.
    pub expires_at: NaiveDateTime,
    /// When its holder cancelled it.
    pub cancelled_at: Option<NaiveDateTime>,
    /// Wrong dates of birth given with it.
    pub wrong_birth_dates: i32,
}

/// A logged check of a share code.
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = share_code_checks)]
pub struct ShareCheckRow {
    /// Id (UUIDv7), also the reference a checker keeps.
    pub id: String,
    /// The code checked, when the characters were one.
    pub share_code_id: Option<String>,
    /// What it came to (`shown`, `wrong_birth_date`, `unknown_code`, `inactive`).
    pub outcome: String,
    /// The checker's address.
    pub ip: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Adds a code.
pub fn insert(conn: &mut AnyConnection, row: &ShareCodeRow) -> QueryResult<()> {
    diesel::insert_into(share_codes::table).values(row).execute(conn).map(|_| ())
}

/// The code with this digest.
pub fn by_digest(conn: &mut AnyConnection, digest: &str) -> QueryResult<Option<ShareCodeRow>> {
    share_codes::table.filter(share_codes::code_digest.eq(digest)).first(conn).optional()
}

/// The codes of a holder, newest first.
pub fn for_holder(conn: &mut AnyConnection, holder_id: &str) -> QueryResult<Vec<ShareCodeRow>> {
    share_codes::table
        .filter(share_codes::holder_id.eq(holder_id))
        .order((share_codes::created_at.desc(), share_codes::id.desc()))
        .load(conn)
}

/// The code `id` if `holder_id` holds it.
pub fn find_for_holder(conn: &mut AnyConnection, id: &str, holder_id: &str) -> QueryResult<Option<ShareCodeRow>> {
    share_codes::table.find(id).filter(share_codes::holder_id.eq(holder_id)).first(conn).optional()
}

/// Cancels a code not cancelled yet; 1 when it was cancelled now.
pub fn cancel(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(share_codes::table.find(id).filter(share_codes::cancelled_at.is_null()))
        .set(share_codes::cancelled_at.eq(at))
        .execute(conn)
}

/// Counts an attempt at a code as a wrong date of birth before the date is compared, unless the
/// code took its last one already: 1 when the attempt may go on. The update holds the code's
/// row until the transaction ends, so attempts at one code are compared one at a time and no
/// number of them at once gets past the limit.
pub fn take_attempt(conn: &mut AnyConnection, id: &str) -> QueryResult<usize> {
    diesel::update(share_codes::table.find(id).filter(share_codes::wrong_birth_dates.lt(MAX_WRONG_BIRTH_DATES)))
        .set(share_codes::wrong_birth_dates.eq(share_codes::wrong_birth_dates + 1))
        .execute(conn)
}

/// Gives back the attempt taken by [`take_attempt`]: the date of birth was right.
pub fn give_back_attempt(conn: &mut AnyConnection, id: &str) -> QueryResult<usize> {
    diesel::update(share_codes::table.find(id))
        .set(share_codes::wrong_birth_dates.eq(share_codes::wrong_birth_dates - 1))
        .execute(conn)
}

/// Logs a check, in the caller's transaction.
pub fn log_check(conn: &mut AnyConnection, row: &ShareCheckRow) -> QueryResult<()> {
    diesel::insert_into(share_code_checks::table).values(row).execute(conn).map(|_| ())
}

/// The checks of these codes, newest first (at most `limit`).
pub fn checks_of(conn: &mut AnyConnection, code_ids: &[String], limit: i64) -> QueryResult<Vec<ShareCheckRow>> {
    share_code_checks::table
        .filter(share_code_checks::share_code_id.eq_any(code_ids))
        .order((share_code_checks::created_at.desc(), share_code_checks::id.desc()))
        .limit(limit)
        .load(conn)
}
