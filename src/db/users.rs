//! Accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::users;
use crate::domain::role::Role;

/// A stored account. Deliberately not `Debug`: it holds the password hash.
#[derive(Queryable, Clone)]
pub struct UserRow {
    /// Account id (UUID).
    pub id: String,
    /// Login e-mail, lower case.
    pub email: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Full name for display.
    pub full_name: String,
    /// Role name.
    pub role: String,
    /// The staff member's consular post.
    pub post_code: Option<String>,
    /// Preferred language of correspondence (ISO 639-1).
    pub preferred_language: String,
    /// Whether the account may no longer log in.
    pub disabled: bool,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
    /// When the e-mail address was verified.
    pub email_verified_at: Option<NaiveDateTime>,
    /// Access tokens of an older epoch are no longer accepted.
    pub token_epoch: i32,
    /// A staff member away until then gets no answers to their requests meanwhile.
    pub away_until: Option<NaiveDateTime>,
}

impl UserRow {
    /// The account's role. Stored roles are checked by the schema, so an unknown name means a
    /// corrupted row; it is treated as the least privileged role.
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Applicant)
    }
}

/// A new account.
#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    /// Account id (UUID).
    pub id: &'a str,
    /// Login e-mail, lower case.
    pub email: &'a str,
    /// Argon2id PHC string.
    pub password_hash: &'a str,
    /// Full name.
    pub full_name: &'a str,
    /// Role name.
    pub role: &'a str,
    /// Consular post, for staff.
    pub post_code: Option<&'a str>,
    /// Preferred language.
    pub preferred_language: &'a str,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// When the e-mail address was verified (staff accounts are verified by their creator).
    pub email_verified_at: Option<NaiveDateTime>,
}

/// Inserts an account. A taken e-mail is a unique violation.
pub fn insert(conn: &mut AnyConnection, user: &NewUser<'_>) -> QueryResult<()> {
    diesel::insert_into(users::table).values(user).execute(conn).map(|_| ())
}

/// The account with this (lower-case) e-mail.
pub fn find_by_email(conn: &mut AnyConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table.filter(users::email.eq(email)).first(conn).optional()
}

/// The account with this id.
pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<UserRow>> {
    users::table.find(id).first(conn).optional()
}

/// Whether any administrator account exists.
pub fn admin_exists(conn: &mut AnyConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.filter(users::role.eq(Role::Admin.as_str())))).get_result(conn)
}

/// Staff accounts, optionally of one post, newest first, with the total count.
pub fn list_staff(
    conn: &mut AnyConnection,
    post: Option<&str>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<UserRow>, i64)> {
    let filtered = || {
        let mut query = users::table.filter(users::role.ne(Role::Applicant.as_str())).into_boxed();
        if let Some(post) = post {
            query = query.filter(users::post_code.eq(post.to_owned()));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered().order((users::created_at.desc(), users::id)).limit(limit).offset(offset).load(conn)?;
    Ok((rows, total))
}

/// Marks the account's e-mail address verified.
pub fn mark_verified(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id).filter(users::email_verified_at.is_null()))
        .set(users::email_verified_at.eq(at))
        .execute(conn)
}

/// Replaces the account's password hash, ending every session of the account.
pub fn set_password(conn: &mut AnyConnection, id: &str, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::token_epoch.eq(users::token_epoch + 1)))
        .execute(conn)
}

/// An account's current token epoch and whether it is disabled; `None` if it does not exist.
pub fn session_state(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<(i32, bool)>> {
    users::table.find(id).select((users::token_epoch, users::disabled)).first(conn).optional()
}

/// Ends every session of an account: its tokens issued so far are refused from now on.
pub fn bump_token_epoch(conn: &mut AnyConnection, id: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set(users::token_epoch.eq(users::token_epoch + 1)).execute(conn)
}

/// Changes to an account by an administrator; `None` leaves a field alone.
#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
pub struct UserChanges {
    /// New full name.
    pub full_name: Option<String>,
    /// New role name.
    pub role: Option<String>,
    /// New post.
    pub post_code: Option<String>,
    /// Disabled or enabled.
    pub disabled: Option<bool>,
}

/// Sets the language an account's e-mails and pages are in.
pub fn set_language(conn: &mut AnyConnection, id: &str, language: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set(users::preferred_language.eq(language)).execute(conn)
}

/// Records until when a staff member is away (`None`: not away).
pub fn set_away(conn: &mut AnyConnection, id: &str, until: Option<NaiveDateTime>) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set(users::away_until.eq(until)).execute(conn)
}

/// Applies changes to an account.
pub fn update(conn: &mut AnyConnection, id: &str, changes: &UserChanges) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set(changes).execute(conn)
}

/// Number of active administrators other than `except`.
pub fn other_active_admins(conn: &mut AnyConnection, except: &str) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::disabled.eq(false))
        .filter(users::id.ne(except))
        .count()
        .get_result(conn)
}
