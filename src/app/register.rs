//! Register: a new account, either an applicant registering themselves (who is sent the address
//! verification e-mail) or staff created by an administrator (audited).

use std::sync::Arc;

use super::accounts::{self, AccountInput};
use super::{Error, Result};
use crate::auth::password;
use crate::config::Config;
use crate::db::users::UserRow;
use crate::db::{self, Db};
use crate::domain::role::Role;
use crate::notify;

/// The administrator creating an account, for the audit trail.
#[derive(Debug, Clone)]
pub struct CreatedBy {
    /// The administrator's account.
    pub actor_id: String,
    /// The request that asked for it.
    pub request_id: String,
}

/// Validates and stores an account. The password is hashed on the blocking pool (a bounded
/// number at a time), never on the async workers; the verification e-mail and the audit event land with the account.
pub async fn register(
    db: &Db,
    config: Arc<Config>,
    input: AccountInput,
    created_by: Option<CreatedBy>,
) -> Result<UserRow> {
    let account = accounts::validate(input)?;
    let secret = account.password().to_owned();
    let hash = password::bounded(move || password::hash(&secret)).await?.map_err(Error::internal)?;
    db.write(move |conn| {
        let user = accounts::insert(conn, &account, &hash)?;
        if account.role() == Role::Applicant {
            notify::send_token(conn, &config, &user, "verify_email")?;
        }
        if let Some(by) = created_by {
            let details = serde_json::json!({"email": user.email, "role": user.role, "post": user.post_code});
            db::admin_events::record(
                conn,
                "create_user",
                &user.id,
                (Some(&by.actor_id), "admin"),
                details,
                Some(&by.request_id),
            )?;
        }
        Ok(user)
    })
    .await
}
