//! Document-signer keys: which exist, which is active.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::signing_keys;

/// A signing key's record.
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = signing_keys)]
pub struct KeyRow {
    /// Key id (RFC 7638 thumbprint of the public key).
    pub kid: String,
    /// The signer certificate (none while waiting for a CA to sign a request).
    pub certificate_pem: Option<String>,
    /// The CA certificate that issued it.
    pub ca_certificate_pem: Option<String>,
    /// Path of the private key file.
    pub key_file: String,
    /// `pending`, `active` or `retired`.
    pub status: String,
    /// Generated for development, not issued by a real CA.
    pub development: bool,
    /// When it was added.
    pub created_at: NaiveDateTime,
    /// When it was activated.
    pub activated_at: Option<NaiveDateTime>,
    /// When it was retired.
    pub retired_at: Option<NaiveDateTime>,
}

/// Adds a key.
pub fn insert(conn: &mut AnyConnection, key: &KeyRow) -> QueryResult<()> {
    diesel::insert_into(signing_keys::table).values(key).execute(conn).map(|_| ())
}

/// All keys, newest first.
pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<KeyRow>> {
    signing_keys::table.order(signing_keys::created_at.desc()).load(conn)
}

/// The key with this id.
pub fn find(conn: &mut AnyConnection, kid: &str) -> QueryResult<Option<KeyRow>> {
    signing_keys::table.find(kid).first(conn).optional()
}

/// The active key that signs new visas: the most recently activated one.
pub fn active(conn: &mut AnyConnection) -> QueryResult<Option<KeyRow>> {
    signing_keys::table
        .filter(signing_keys::status.eq("active"))
        .order((signing_keys::activated_at.desc(), signing_keys::kid))
        .first(conn)
        .optional()
}

/// Sets a key's status (and certificates, when given), stamping the time.
pub fn set_status(
    conn: &mut AnyConnection,
    kid: &str,
    status: &str,
    certificates: Option<(String, String)>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let target = signing_keys::table.find(kid);
    let changed = match status {
        "active" => diesel::update(target)
            .set((signing_keys::status.eq(status), signing_keys::activated_at.eq(at)))
            .execute(conn)?,
        _ => diesel::update(target)
            .set((signing_keys::status.eq(status), signing_keys::retired_at.eq(at)))
            .execute(conn)?,
    };
    if let Some((cert, ca)) = certificates {
        diesel::update(signing_keys::table.find(kid))
            .set((signing_keys::certificate_pem.eq(cert), signing_keys::ca_certificate_pem.eq(ca)))
            .execute(conn)?;
    }
    Ok(changed)
}

/// Records where a key's private key file is (relative to the data directory where it is under it).
pub fn set_key_file(conn: &mut AnyConnection, kid: &str, key_file: &str) -> QueryResult<usize> {
    diesel::update(signing_keys::table.find(kid)).set(signing_keys::key_file.eq(key_file)).execute(conn)
}
