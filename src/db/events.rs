//! The audit trail of cases.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::case_events;

/// A recorded event.
#[derive(Queryable, Debug, Clone)]
pub struct EventRow {
    /// Event id (UUIDv7, so ids sort by time).
    pub id: String,
    /// The case.
    pub case_id: String,
    /// What was done (`create`, `submit`, `upload_document`, ...).
    pub action: String,
    /// Status before, if the case existed.
    pub from_status: Option<String>,
    /// Status after.
    pub to_status: String,
    /// The acting account; none for the service itself.
    pub actor_id: Option<String>,
    /// The actor's role.
    pub actor_role: String,
    /// Free-text note.
    pub note: Option<String>,
    /// Whether the note is for staff only.
    pub internal: bool,
    /// Structured details as JSON text.
    pub details: Option<String>,
    /// The HTTP request that caused it.
    pub request_id: Option<String>,
    /// When it happened (UTC).
    pub created_at: NaiveDateTime,
    /// A note for staff only.
    pub staff_note: Option<String>,
}

/// An event to record.
#[derive(Insertable)]
#[diesel(table_name = case_events)]
pub struct NewEvent<'a> {
    /// Event id.
    pub id: String,
    /// The case.
    pub case_id: &'a str,
    /// What was done.
    pub action: &'a str,
    /// Status before.
    pub from_status: Option<&'a str>,
    /// Status after.
    pub to_status: &'a str,
    /// The acting account.
    pub actor_id: Option<&'a str>,
    /// The actor's role.
    pub actor_role: &'a str,
    /// Free-text note.
    pub note: Option<&'a str>,
    /// Whether the note is for staff only.
    pub internal: bool,
    /// Structured details as JSON text.
    pub details: Option<String>,
    /// The HTTP request that caused it.
    pub request_id: Option<&'a str>,
    /// When it happened.
    pub created_at: NaiveDateTime,
    /// A note for staff only.
    pub staff_note: Option<&'a str>,
}

/// Records an event.
pub fn insert(conn: &mut AnyConnection, event: &NewEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(case_events::table).values(event).execute(conn).map(|_| ())
}

/// The case's events in the order they happened.
pub fn list_for_case(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Vec<EventRow>> {
    case_events::table
        .filter(case_events::case_id.eq(case_id))
        .order((case_events::created_at, case_events::id))
        .load(conn)
}

/// For each of the cases `ids`, the latest of `actions` recorded on it.
pub fn latest_of(
    conn: &mut AnyConnection,
    ids: &[String],
    actions: &[&str],
) -> QueryResult<std::collections::HashMap<String, String>> {
    let rows: Vec<(String, String)> = case_events::table
        .filter(case_events::case_id.eq_any(ids))
        .filter(case_events::action.eq_any(actions))
        .order((case_events::created_at, case_events::id))
        .select((case_events::case_id, case_events::action))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
