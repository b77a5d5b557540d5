//! API clients: the machine clients of embassies and border systems, created by an
//! administrator or the command line, each with its own key (stored hashed only).

use crate::app::{Error, Result};
use crate::auth::api_keys;
use crate::db::clients::{self, ClientRow};
use crate::db::{self, AnyConnection, admin_events};
use crate::domain::FieldError;

/// The scopes a client may hold.
pub const SCOPES: [&str; 2] = ["verify", "revocations"];

/// Checks a new client's fields.
pub fn validate(name: &str, organisation: &str, scopes: &[String]) -> Result<()> {
    let mut problems = Vec::new();
    for (field, value) in [("name", name), ("organisation", organisation)] {
        if value.trim().is_empty() || value.chars().count() > 200 {
            problems.push(FieldError::new(field, "invalid", "between 1 and 200 characters"));
        }
    }
    if scopes.is_empty() || scopes.iter().any(|s| !SCOPES.contains(&s.as_str())) {
        problems.push(FieldError::new("scopes", "invalid", "one or more of verify, revocations"));
    }
    if problems.is_empty() { Ok(()) } else { Err(Error::Invalid(problems)) }
}

/// Creates a client and returns it with its key (the only time the key is shown).
pub fn create(
    conn: &mut AnyConnection,
    name: &str,
    organisation: &str,
    scopes: &[String],
    actor: (Option<&str>, &str),
    request: Option<&str>,
) -> Result<(ClientRow, String)> {
    validate(name, organisation, scopes)?;
    let (key, prefix, hash) = api_keys::generate();
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    let row = ClientRow {
        id: uuid::Uuid::new_v4().to_string(),
        name: name.trim().to_owned(),
        organisation: organisation.trim().to_owned(),
        scopes: scopes.join(","),
        key_prefix: prefix,
        key_hash: hash,
        disabled: false,
        created_at: db::now(),
        rotated_at: None,
    };
    clients::insert(conn, &row)?;
    let details = serde_json::json!({"name": row.name, "organisation": row.organisation, "scopes": scopes});
    admin_events::record(conn, "create_api_client", &row.id, actor, details, request)?;
    Ok((row, key))
}
