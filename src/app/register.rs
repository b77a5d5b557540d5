//! Register: a new account, either an applicant registering themselves (who is sent the address
//! verification e-mail; a taken address gets the same answer and its owner an e-mail) or staff
//! created by an administrator (audited).

use std::sync::Arc;

use super::accounts::{self, AccountInput};
use super::{Error, Result};
use crate::auth::password;
use crate::config::Config;
use crate::db::users::{self, UserRow};
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

/// What a registrant whose address already has an account is told: an account like the one
/// they asked for, never stored, so the answer is the same as for a new address.
fn stand_in(account: &accounts::ValidAccount) -> UserRow {
    UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        email: account.email().to_owned(),
        password_hash: String::new(),
        full_name: account.full_name().to_owned(),
        role: Role::Applicant.as_str().to_owned(),
        post_code: None,
        preferred_language: account.preferred_language().to_owned(),
        disabled: false,
        created_at: db::now(),
        email_verified_at: None,
        token_epoch: 0,
        away_until: None,
    }
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
        // Registration answers the same for a taken address, so it reveals no account; the
        // address's owner is told instead. Staff accounts are made by administrators, who need to
        // know. Looked up first: a failed insert would abort a PostgreSQL transaction.
        if created_by.is_none()
            && account.role() == Role::Applicant
            && let Some(owner) = users::find_by_email(conn, account.email())?
        {
            let context = serde_json::json!({"link": format!("{}/login", config.portal_url)});
            notify::enqueue(conn, &config, &owner, "account_exists", None, context, None)?;
            return Ok(stand_in(&account));
        }
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
