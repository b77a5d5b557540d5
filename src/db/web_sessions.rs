//! Sessions of the portal and the console, by the SHA-256 of their cookie's token.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::web_sessions;

/// A browser session.
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = web_sessions)]
pub struct WebSessionRow {
    /// SHA-256 (hex) of the cookie's token.
    pub token_hash: String,
    /// The signed-in account.
    pub user_id: String,
    /// The account's token epoch when the session began.
    pub token_epoch: i32,
    /// When it began.
    pub created_at: NaiveDateTime,
    /// The last request seen (to within a minute).
    pub last_seen_at: NaiveDateTime,
    /// When it ends whatever happens.
    pub expires_at: NaiveDateTime,
}

/// Starts a session.
pub fn insert(conn: &mut AnyConnection, row: &WebSessionRow) -> QueryResult<()> {
    diesel::insert_into(web_sessions::table).values(row).execute(conn).map(|_| ())
}

/// The session with this token hash.
pub fn find(conn: &mut AnyConnection, token_hash: &str) -> QueryResult<Option<WebSessionRow>> {
    web_sessions::table.find(token_hash).first(conn).optional()
}

/// Records activity on a session.
pub fn touch(conn: &mut AnyConnection, token_hash: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(web_sessions::table.find(token_hash)).set(web_sessions::last_seen_at.eq(at)).execute(conn)
}

/// Ends a session.
pub fn delete(conn: &mut AnyConnection, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(web_sessions::table.find(token_hash)).execute(conn)
}

/// Ends the sessions that expired before `now`, and returns how many.
pub fn delete_expired(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(web_sessions::table.filter(web_sessions::expires_at.lt(now))).execute(conn)
}
