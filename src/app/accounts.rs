//! Creating accounts: the rules shared by registration, the admin API and the command line.

use crate::app::{Error, Result};
use crate::db::users::{self, NewUser, UserRow};
use crate::db::{self, AnyConnection, catalog};
use crate::domain::FieldError;
use crate::domain::email::Email;
use crate::domain::password_policy;
use crate::domain::role::Role;

/// A request to create an account, as received.
#[derive(Debug, Clone)]
pub struct AccountInput {
    /// Login e-mail.
    pub email: String,
    /// Initial password.
    pub password: String,
    /// Full name.
    pub full_name: String,
    /// Role of the account.
    pub role: Role,
    /// Consular post (staff only).
    pub post: Option<String>,
    /// Preferred language of correspondence.
    pub preferred_language: Option<String>,
}

/// An account request that passed validation.
#[derive(Debug, Clone)]
pub struct ValidAccount {
    email: Email,
    password: String,
    full_name: String,
    role: Role,
    post: Option<String>,
    preferred_language: String,
}

impl ValidAccount {
    /// The password to hash.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The account's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The login address.
    pub fn email(&self) -> &str {
        self.email.as_str()
    }

    /// The full name.
    pub fn full_name(&self) -> &str {
        &self.full_name
    }

    /// The language of correspondence.
    pub fn preferred_language(&self) -> &str {
        &self.preferred_language
    }
}

/// Checks an account request, listing every problem.
pub fn validate(input: AccountInput) -> Result<ValidAccount> {
    let mut problems = Vec::new();
    let email = input
        .email
        .parse::<Email>()
        .map_err(|e| problems.push(FieldError::new("email", "invalid", e.to_string())))
        .ok();
    let full_name = input.full_name.trim().to_owned();
    if full_name.is_empty() || full_name.chars().count() > 200 || full_name.chars().any(char::is_control) {
        problems.push(FieldError::new("full_name", "invalid", "between 1 and 200 characters, no control characters"));
    }
    let mut personal: Vec<&str> = full_name.split_whitespace().collect();
    personal.push(input.email.as_str());
    if let Err(problem) = password_policy::check(&input.password, &personal) {
        problems.push(problem);
    }
    match (input.role, &input.post) {
        (Role::System, _) => problems.push(FieldError::new("role", "invalid", "not a role of accounts")),
        (role, None) if role.is_staff() => {
            problems.push(FieldError::new("post", "required", "staff accounts belong to a post"))
        }
        (Role::Applicant, Some(_)) => {
            problems.push(FieldError::new("post", "not_allowed", "applicants belong to no post"))
        }
        _ => {}
    }
    let preferred_language = input.preferred_language.unwrap_or_else(|| "en".into());
    if preferred_language.len() != 2 || !preferred_language.bytes().all(|b| b.is_ascii_lowercase()) {
        problems.push(FieldError::new("preferred_language", "invalid", "an ISO 639-1 code such as en, ru or kk"));
    }
    match email {
        Some(email) if problems.is_empty() => Ok(ValidAccount {
            email,
            password: input.password,
            full_name,
            role: input.role,
            post: input.post,
            preferred_language,
        }),
        _ => Err(Error::Invalid(problems)),
    }
}

/// Stores a validated account with its password hash. The post must exist (422); a taken e-mail
/// is a 409.
pub fn insert(conn: &mut AnyConnection, account: &ValidAccount, password_hash: &str) -> Result<UserRow> {
    if let Some(post) = &account.post
        && catalog::find_post(conn, post)?.is_none()
    {
        return Err(Error::invalid_field("post", "unknown", format!("no consular post has the code {post}")));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let now = db::now();
    let new = NewUser {
        id: &id,
        email: account.email.as_str(),
        password_hash,
        full_name: &account.full_name,
        role: account.role.as_str(),
        post_code: account.post.as_deref(),
        preferred_language: &account.preferred_language,
        created_at: now,
        // Staff addresses are vouched for by whoever creates the account.
        email_verified_at: account.role.is_staff().then_some(now),
    };
    match users::insert(conn, &new) {
        Ok(()) => users::find(conn, &id)?.ok_or_else(|| Error::internal(anyhow::anyhow!("inserted account vanished"))),
        Err(err) if db::is_unique_violation(&err) => {
            Err(Error::Conflict("an account with this e-mail address already exists".into()))
        }
        Err(err) => Err(err.into()),
    }
}

/// Sets the language of an account's e-mails (and pages): a two-letter ISO 639-1 code, as
/// accounts are created with.
pub async fn set_language(db: &crate::db::Db, id: String, language: String) -> Result<()> {
    if language.len() != 2 || !language.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(Error::invalid_field("preferred_language", "invalid", "an ISO 639-1 code such as en, ru or kk"));
    }
    db.write(move |conn| Ok(crate::db::users::set_language(conn, &id, &language).map(drop)?)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(role: Role, post: Option<&str>) -> AccountInput {
        AccountInput {
            email: "officer@example.org".into(),
            password: "kX8#mP2vQz-long".into(),
            full_name: "Ada Officer".into(),
            role,
            post: post.map(str::to_owned),
            preferred_language: None,
        }
    }

    fn fields(result: Result<ValidAccount>) -> Vec<String> {
        match result {
            Err(Error::Invalid(problems)) => problems.into_iter().map(|p| p.field).collect(),
            Err(other) => panic!("unexpected {other:?}"),
            Ok(_) => vec![],
        }
    }

    #[test]
    fn staff_need_a_post_and_applicants_have_none() {
        assert_eq!(fields(validate(input(Role::Officer, None))), vec!["post"]);
        assert_eq!(fields(validate(input(Role::Applicant, Some("UTO-HQ")))), vec!["post"]);
        assert!(validate(input(Role::Supervisor, Some("UTO-HQ"))).is_ok());
        assert_eq!(fields(validate(input(Role::System, None))), vec!["role"]);
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let mut bad = input(Role::Applicant, None);
        bad.email = "nope".into();
        bad.password = "short".into();
        bad.full_name = " ".into();
        bad.preferred_language = Some("english".into());
        assert_eq!(fields(validate(bad)), vec!["email", "full_name", "password", "preferred_language"]);
    }
}
