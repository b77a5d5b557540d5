//! API clients of the verification API, and the log of their checks.

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};

use super::AnyConnection;
use super::schema::{api_clients, verification_log};

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

/// Writes a batch of checks to `db` through `conn` (one of its connections), all or none. On PostgreSQL the batch is one statement of one shape
/// whatever its size (each column is sent as an array and unnested), so it is parsed and planned
/// once per connection and commits on its own; on SQLite each check is one step of a prepared
/// insert, in one transaction.
pub fn log(db: &super::Db, conn: &mut AnyConnection, checks: &[CheckRow]) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(pg) => {
            CheckBatch::of(checks).execute(pg)?;
        }
        AnyConnection::Sqlite(lite) => {
            let _writer = db.sqlite_writer();
            lite.immediate_transaction(|lite| {
                for check in checks {
                    diesel::insert_into(verification_log::table).values(check).execute(lite)?;
                }
                Ok::<_, diesel::result::Error>(())
            })?;
        }
    }
    Ok(())
}

/// A batch of checks as PostgreSQL's `INSERT ... SELECT * FROM unnest($1, ..., $8)`.
struct CheckBatch<'a> {
    ids: Vec<&'a str>,
    clients: Vec<&'a str>,
    methods: Vec<&'a str>,
    visas: Vec<Option<&'a str>>,
    passports: Vec<Option<&'a str>>,
    results: Vec<&'a str>,
    ips: Vec<Option<&'a str>>,
    times: Vec<NaiveDateTime>,
}

impl<'a> CheckBatch<'a> {
    fn of(checks: &'a [CheckRow]) -> CheckBatch<'a> {
        CheckBatch {
            ids: checks.iter().map(|c| c.id.as_str()).collect(),
            clients: checks.iter().map(|c| c.client_id.as_str()).collect(),
            methods: checks.iter().map(|c| c.method.as_str()).collect(),
            visas: checks.iter().map(|c| c.visa_number.as_deref()).collect(),
            passports: checks.iter().map(|c| c.passport_hash.as_deref()).collect(),
            results: checks.iter().map(|c| c.result.as_str()).collect(),
            ips: checks.iter().map(|c| c.ip.as_deref()).collect(),
            times: checks.iter().map(|c| c.created_at).collect(),
        }
    }
}

impl QueryId for CheckBatch<'_> {
    type QueryId = CheckBatch<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for CheckBatch<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        use diesel::sql_types::{Array, Nullable, Text, Timestamp};
        out.push_sql(
            "INSERT INTO verification_log \
             (id, client_id, method, visa_number, passport_hash, result, ip, created_at) \
             SELECT * FROM unnest(",
        );
        out.push_bind_param::<Array<Text>, _>(&self.ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.clients)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.methods)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.visas)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.passports)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.results)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.ips)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.times)?;
        out.push_sql(")");
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for CheckBatch<'_> {}

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
