//! Signing in and confirming an e-mail address, for every surface: the JSON API issues an access
//! token for the account, the portal and the console start a browser session for it.

use crate::app::{Error, Result};
use crate::auth::failures::SignInThrottle;
use crate::auth::password;
use crate::auth::throttle::LoginThrottle;
use crate::db::users::{self, UserRow};
use crate::db::{self, Db, outbox};
use crate::notify;

/// The throttle key of requests about an account from an address: asking from one address
/// never holds the account's owner back at another.
pub fn attempt_key(purpose: &str, email: &str, address: &str) -> String {
    format!("{purpose}:{email}|{address}")
}

/// An e-mail address as logs may show it: a short digest, enough to correlate attempts.
pub fn log_safe(email: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(email.as_bytes())[..6])
}

/// The account of `email` if `given` is its password and it is not disabled. Wrong passwords
/// are throttled per account and address, and per account (see [`SignInThrottle`]); unknown
/// accounts cost the same as known ones.
pub async fn sign_in(db: &Db, throttle: &SignInThrottle, email: &str, given: String, address: &str) -> Result<UserRow> {
    let email = email.trim().to_lowercase();
    throttle.check(&email, address).map_err(|retry_after_secs| Error::RateLimited { retry_after_secs })?;
    let lookup = email.clone();
    let user = db.run::<_, crate::app::Error, _>(move |conn| Ok(users::find_by_email(conn, &lookup)?)).await?;
    let (user, matches) = password::bounded(move || {
        // Unknown accounts are checked against a decoy hash so both cases cost the same.
        let hash = user.as_ref().map_or_else(|| password::decoy_hash().to_owned(), |u| u.password_hash.clone());
        let matches = password::verify(&given, &hash);
        (user, matches)
    })
    .await?;
    match user {
        Some(user) if matches && !user.disabled => {
            throttle.succeeded(&email, address);
            Ok(user)
        }
        _ => {
            throttle.failed(&email, address);
            tracing::info!(account = %log_safe(&email), "login refused");
            Err(Error::Unauthenticated("the e-mail address or password is wrong".into()))
        }
    }
}

/// Confirms the address `email` with the six-digit code e-mailed to it; the account it belongs
/// to (whoever reads the mailbox owns the address). A wrong code counts against the account's
/// live code, which is void after [`notify::CODE_ATTEMPTS`] wrong guesses; an unknown address
/// is answered as a wrong code.
pub async fn verify_email(db: &Db, email: &str, code: &str) -> Result<UserRow> {
    let email = email.trim().to_lowercase();
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let invalid = || Error::invalid_field("code", "mismatch", "the code is wrong, expired or already used");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid_field("code", "format", "the six digits of the code in the e-mail"));
    }
    let verified = db
        .write::<_, crate::app::Error, _>(move |conn| {
            let Some(user) = users::find_by_email(conn, &email)? else { return Ok(None) };
            let hash = notify::code_hash(&user.id, &code);
            if !outbox::consume_code(conn, &user.id, &hash, "verify_email", db::now(), notify::CODE_ATTEMPTS)? {
                // Kept: the transaction commits, so the wrong guess counts.
                outbox::count_wrong_code(conn, &user.id, "verify_email")?;
                return Ok(None);
            }
            users::mark_verified(conn, &user.id, db::now())?;
            Ok(users::find(conn, &user.id)?)
        })
        .await?;
    verified.ok_or_else(invalid)
}

/// Confirms an address with a long single-use token e-mailed before codes had six digits (such
/// messages may still be in mailboxes); the account it belongs to.
pub async fn verify_email_token(db: &Db, token: &str) -> Result<UserRow> {
    let hash = notify::token_hash(token.trim());
    db.write::<_, crate::app::Error, _>(move |conn| {
        let user = outbox::consume_token(conn, &hash, "verify_email", db::now())?
            .ok_or_else(|| Error::invalid_field("token", "invalid", "the link is invalid, expired or already used"))?;
        users::mark_verified(conn, &user, db::now())?;
        users::find(conn, &user)?.ok_or(Error::NotFound)
    })
    .await
}

/// E-mails a password reset code to `email` if it belongs to an enabled account. Attempts are
/// throttled per address and account; the outcome never tells whether the address is
/// registered (the lookup runs after the answer, so its timing tells nothing either).
pub fn request_reset(
    db: &Db,
    config: std::sync::Arc<crate::config::Config>,
    throttle: &LoginThrottle,
    email: &str,
    address: &str,
) -> Result<()> {
    send_code_later(db, config, throttle, "password_reset", email, address, |user| !user.disabled)
}

/// E-mails a new address-confirmation code to `email` if it belongs to an account not yet
/// confirmed ("send the code again"). Throttled like [`request_reset`], and as silent about
/// whether the address is registered.
pub fn resend_verification(
    db: &Db,
    config: std::sync::Arc<crate::config::Config>,
    throttle: &LoginThrottle,
    email: &str,
    address: &str,
) -> Result<()> {
    send_code_later(db, config, throttle, "verify_email", email, address, |user| {
        !user.disabled && user.email_verified_at.is_none()
    })
}

/// Sends an e-mail with a code of `purpose` to the account of `email` if `wanted`, after the
/// answer: the answer and its timing are the same whether or not there is such an account.
fn send_code_later(
    db: &Db,
    config: std::sync::Arc<crate::config::Config>,
    throttle: &LoginThrottle,
    purpose: &'static str,
    email: &str,
    address: &str,
    wanted: fn(&UserRow) -> bool,
) -> Result<()> {
    let email = email.trim().to_lowercase();
    throttle
        .attempt(&attempt_key(purpose, &email, address))
        .map_err(|retry_after_secs| Error::RateLimited { retry_after_secs })?;
    let db = db.clone();
    actix_web::rt::spawn(async move {
        let sent = db
            .write::<_, crate::app::Error, _>(move |conn| {
                if let Some(user) = users::find_by_email(conn, &email)?.filter(wanted) {
                    notify::send_token(conn, &config, &user, purpose)?;
                }
                Ok(())
            })
            .await;
        if let Err(err) = sent {
            tracing::error!(error = %format!("{err:#}"), purpose, "e-mail with a code not queued");
        }
    });
    Ok(())
}

/// Sets a new password with an e-mailed reset code; the account's id. The code is looked up
/// before any hashing (guessing codes costs no Argon2), and the password is checked before the
/// code is spent, so a weak choice can be corrected. A new password ends every session.
pub async fn reset_password(db: &Db, token: &str, password: Option<String>) -> Result<String> {
    let token_hash = notify::token_hash(token.trim());
    let invalid = || Error::invalid_field("token", "invalid", "the link is invalid, expired or already used");
    let lookup = token_hash.clone();
    let known = db
        .run::<_, crate::app::Error, _>(move |conn| {
            Ok(outbox::find_valid_token(conn, &lookup, "password_reset", db::now())?.is_some())
        })
        .await?;
    if !known {
        return Err(invalid());
    }
    let password = password.ok_or_else(|| Error::Invalid(vec![crate::domain::FieldError::required("password")]))?;
    crate::domain::password_policy::check(&password, &[]).map_err(|p| Error::Invalid(vec![p]))?;
    let hash = password::bounded(move || password::hash(&password)).await?.map_err(Error::internal)?;
    db.write(move |conn| {
        let user = outbox::consume_token(conn, &token_hash, "password_reset", db::now())?.ok_or_else(invalid)?;
        users::set_password(conn, &user, &hash)?;
        // Whoever reads the mailbox owns the address.
        users::mark_verified(conn, &user, db::now())?;
        Ok(user)
    })
    .await
}
