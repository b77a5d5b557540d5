//! Administrators change accounts: disable or enable them, move staff to another role or post,
//! correct a name. Every change is audited; a change of access ends the account's sessions.

use super::{Admin, Error, Result, Staff};
use crate::db::users::{self, UserChanges, UserRow};
use crate::db::{Db, admin_events, catalog};
use crate::domain::FieldError;
use crate::domain::role::Role;

/// What an administrator changes; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct AccountUpdate {
    /// Disable (or enable again).
    pub disabled: Option<bool>,
    /// Another staff role.
    pub role: Option<Role>,
    /// Another post.
    pub post: Option<String>,
    /// A corrected name.
    pub full_name: Option<String>,
}

/// Applies `update` to the account `id`. The last active administrator can be neither disabled
/// nor moved to another role.
pub async fn update_account(
    db: &Db,
    admin: &Admin,
    id: String,
    update: AccountUpdate,
    request_id: String,
) -> Result<UserRow> {
    let mut problems = Vec::new();
    let full_name = update.full_name.map(|n| n.trim().to_owned());
    if full_name.as_ref().is_some_and(|n| n.is_empty() || n.chars().count() > 200) {
        problems.push(FieldError::new("full_name", "invalid", "between 1 and 200 characters"));
    }
    if update.role.is_some_and(|r| !r.is_staff()) {
        problems.push(FieldError::new("role", "invalid", "one of officer, supervisor, admin"));
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let actor = admin.id.clone();
    db.write(move |conn| {
        let account = users::find(conn, &id)?.ok_or(Error::NotFound)?;
        let staff = account.role().is_staff();
        if !staff && (update.role.is_some() || update.post.is_some()) {
            let field = if update.role.is_some() { "role" } else { "post" };
            return Err(Error::invalid_field(field, "not_staff", "applicants have no role or post to change"));
        }
        if let Some(post) = &update.post
            && catalog::find_post(conn, post)?.is_none()
        {
            return Err(Error::invalid_field("post", "unknown", format!("no consular post has the code {post}")));
        }
        let leaves_admins = account.role() == Role::Admin
            && !account.disabled
            && (update.disabled == Some(true) || update.role.is_some_and(|r| r != Role::Admin));
        if leaves_admins && users::other_active_admins(conn, &account.id)? == 0 {
            return Err(Error::Conflict("the last active administrator can be neither disabled nor moved".into()));
        }
        let changes = UserChanges {
            full_name,
            role: update.role.map(|r| r.as_str().to_owned()),
            post_code: update.post.clone(),
            disabled: update.disabled,
        };
        let access_changed = update.disabled == Some(true)
            || update.role.is_some_and(|r| r != account.role())
            || update.post.as_ref().is_some_and(|p| account.post_code.as_ref() != Some(p));
        if changes.full_name.is_some()
            || changes.role.is_some()
            || changes.post_code.is_some()
            || changes.disabled.is_some()
        {
            users::update(conn, &account.id, &changes)?;
        }
        if access_changed {
            users::bump_token_epoch(conn, &account.id)?;
        }
        let details = serde_json::json!({
            "disabled": update.disabled, "role": update.role.map(Role::as_str), "post": update.post,
            "full_name": changes.full_name, "sessions_ended": access_changed,
        });
        admin_events::record(conn, "update_user", &account.id, (Some(&actor), "admin"), details, Some(&request_id))?;
        users::find(conn, &account.id)?.ok_or(Error::NotFound)
    })
    .await
}

/// The longest absence a staff member may announce.
pub const LONGEST_ABSENCE_DAYS: i64 = 366;

/// Says until when `staff` is away (`None`: back now). While they are away, an answer to one of
/// their requests for information goes back to the queue instead of waiting for them.
pub async fn set_away(
    db: &Db,
    staff: &Staff,
    until: Option<chrono::DateTime<chrono::Utc>>,
    request_id: String,
) -> Result<UserRow> {
    let now = chrono::Utc::now();
    if until.is_some_and(|u| u <= now || u > now + chrono::Duration::days(LONGEST_ABSENCE_DAYS)) {
        return Err(Error::invalid_field(
            "until",
            "out_of_range",
            format!("a time after now and within {LONGEST_ABSENCE_DAYS} days"),
        ));
    }
    let (id, role) = (staff.id.clone(), staff.role);
    db.write(move |conn| {
        let until = until.map(|u| u.naive_utc());
        users::set_away(conn, &id, until)?;
        let details = serde_json::json!({ "until": until });
        admin_events::record(conn, "set_away", &id, (Some(&id), role.as_str()), details, Some(&request_id))?;
        users::find(conn, &id)?.ok_or(Error::NotFound)
    })
    .await
}
