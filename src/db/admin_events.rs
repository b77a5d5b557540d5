//! The audit trail of administration: who created or changed accounts, posts, keys and e-mails.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::admin_events;

/// A recorded administrative action.
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = admin_events)]
pub struct AdminEventRow {
    /// Event id (UUIDv7).
    pub id: String,
    /// What was done (`create_user`, `update_post`, `activate_key`, ...).
    pub action: String,
    /// What it was done to (an account id, a post code, a key id, ...).
    pub target: String,
    /// The acting account; none for the command line.
    pub actor_id: Option<String>,
    /// The actor's role (`system` for the command line).
    pub actor_role: String,
    /// Structured details as JSON text.
    pub details: Option<String>,
    /// The HTTP request, if any.
    pub request_id: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Records an action, in the caller's transaction.
pub fn record(
    conn: &mut AnyConnection,
    action: &str,
    target: &str,
    actor: (Option<&str>, &str),
    details: serde_json::Value,
    request_id: Option<&str>,
) -> QueryResult<()> {
    let row = AdminEventRow {
        id: uuid::Uuid::now_v7().to_string(),
        action: action.to_owned(),
        target: target.to_owned(),
        actor_id: actor.0.map(str::to_owned),
        actor_role: actor.1.to_owned(),
        details: Some(details.to_string()),
        request_id: request_id.map(str::to_owned),
        created_at: super::now(),
    };
    diesel::insert_into(admin_events::table).values(&row).execute(conn).map(|_| ())
}

/// One page of the trail, newest first, with the total.
pub fn list(conn: &mut AnyConnection, limit: i64, offset: i64) -> QueryResult<(Vec<AdminEventRow>, i64)> {
    let total = admin_events::table.count().get_result(conn)?;
    let rows = admin_events::table
        .order((admin_events::created_at.desc(), admin_events::id.desc()))
        .limit(limit)
        .offset(offset)
        .load(conn)?;
    Ok((rows, total))
}

/// The administrator events that change what the portal shows of the catalogue.
pub const CATALOGUE_ACTIONS: [&str; 4] = ["create_service", "update_service", "create_post", "update_post"];

/// How many catalogue changes were recorded, and when the latest was: it moves whenever any
/// process changes a service or a post.
pub fn catalogue_stamp(conn: &mut AnyConnection) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    admin_events::table
        .filter(admin_events::action.eq_any(CATALOGUE_ACTIONS))
        .select((diesel::dsl::count_star(), diesel::dsl::max(admin_events::created_at)))
        .first(conn)
}
