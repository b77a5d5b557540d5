//! API clients of the verification API, and the log of their checks.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{api_clients, verification_log, visas};

/// A machine client.
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = api_clients)]
pub struct ClientRow {
    /// Client id.
    pub id: String,
    /// Name of the system.
    pub name: String,
    /// Organisation operating it.
    pub organisation: String,
    /// Comma-separated scopes (`verify`, `revocations`).
    pub scopes: String,
    /// Public prefix of the key, to find it.
    pub key_prefix: String,
    /// SHA-256 of the whole key.
    pub key_hash: String,
    /// Whether the client is switched off.
    pub disabled: bool,
    /// Created at.
    pub created_at: NaiveDateTime,
    /// Last key rotation.
    pub rotated_at: Option<NaiveDateTime>,
}

impl ClientRow {
    /// Whether the client holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.split(',').any(|s| s == scope)
    }
}

/// Adds a client.
pub fn insert(conn: &mut AnyConnection, client: &ClientRow) -> QueryResult<()> {
    diesel::insert_into(api_clients::table).values(client).execute(conn).map(|_| ())
}

/// The client whose key has this prefix.
pub fn by_prefix(conn: &mut AnyConnection, prefix: &str) -> QueryResult<Option<ClientRow>> {
    api_clients::table.filter(api_clients::key_prefix.eq(prefix)).first(conn).optional()
}

/// The client with this id.
pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<ClientRow>> {
    api_clients::table.find(id).first(conn).optional()
}

/// All clients, newest first.
pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<ClientRow>> {
    api_clients::table.order(api_clients::created_at.desc()).load(conn)
}

/// Replaces a client's key.
pub fn rotate(conn: &mut AnyConnection, id: &str, prefix: &str, hash: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(api_clients::table.find(id))
        .set((api_clients::key_prefix.eq(prefix), api_clients::key_hash.eq(hash), api_clients::rotated_at.eq(at)))
        .execute(conn)
}

/// Switches a client off.
pub fn disable(conn: &mut AnyConnection, id: &str) -> QueryResult<usize> {
    diesel::update(api_clients::table.find(id)).set(api_clients::disabled.eq(true)).execute(conn)
}

/// A logged check.
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = verification_log)]
pub struct CheckRow {
    /// Id (UUIDv7).
    pub id: String,
    /// The client.
    pub client_id: String,
    /// `number`, `token` or `revocations`.
    pub method: String,
    /// The visa number asked about.
    pub visa_number: Option<String>,
    /// SHA-256 of the passport number asked about (never the number itself).
    pub passport_hash: Option<String>,
    /// The answer.
    pub result: String,
    /// The caller's address.
    pub ip: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Logs checks: on PostgreSQL in one statement (one round trip for a whole group commit); on
/// SQLite, in process, row by row.
pub fn log(conn: &mut AnyConnection, checks: &[CheckRow]) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(pg) => {
            diesel::insert_into(verification_log::table).values(checks).execute(pg)?;
        }
        AnyConnection::Sqlite(lite) => {
            for check in checks {
                diesel::insert_into(verification_log::table).values(check).execute(lite)?;
            }
        }
    }
    Ok(())
}

/// One page of the log, newest first, optionally of one client and a time window, with the total.
pub fn checks(
    conn: &mut AnyConnection,
    client: Option<&str>,
    from: Option<NaiveDateTime>,
    to: Option<NaiveDateTime>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<CheckRow>, i64)> {
    let filtered = || {
        let mut query = verification_log::table.into_boxed();
        if let Some(client) = client {
            query = query.filter(verification_log::client_id.eq(client.to_owned()));
        }
        if let Some(from) = from {
            query = query.filter(verification_log::created_at.ge(from));
        }
        if let Some(to) = to {
            query = query.filter(verification_log::created_at.lt(to));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((verification_log::created_at.desc(), verification_log::id.desc()))
        .limit(limit)
        .offset(offset)
        .load(conn)?;
    Ok((rows, total))
}

/// A revoked visa: number, revocation time, grounds as JSON text.
pub type Revocation = (String, Option<NaiveDateTime>, Option<String>);

/// Visas revoked after `since`, oldest first.
pub fn revoked_since(conn: &mut AnyConnection, since: NaiveDateTime, limit: i64) -> QueryResult<Vec<Revocation>> {
    visas::table
        .filter(visas::status.eq("revoked"))
        .filter(visas::revoked_at.gt(since))
        .order((visas::revoked_at.asc(), visas::visa_number.asc()))
        .select((visas::visa_number, visas::revoked_at, visas::revocation_grounds))
        .limit(limit)
        .load(conn)
}
