//! Browser sessions and CSRF protection for the portal and the console.
//!
//! The session cookie holds a random token; the database holds only its SHA-256, so a copy of
//! the database signs nobody in. A session ends at sign-out, at its absolute expiry, when idle
//! too long (staff sooner than applicants), or when the account's token epoch moves on (disabled,
//! password changed, signed out everywhere). Every form carries a CSRF token derived from a
//! second cookie and the session cookie, so it is bound to the session and changes at sign-in;
//! a POST whose field does not match is refused. Where the service is reached over https, the
//! cookies are `Secure` and named with the `__Host-` prefix, which browsers refuse to take from
//! another host or without `Secure`.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{Duration, NaiveDateTime};
use futures_util::future::LocalBoxFuture;
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::app::User;
use crate::db;
use crate::db::users::{self, UserRow};
use crate::db::web_sessions::{self, WebSessionRow};
use crate::web::state::AppState;

/// The session cookie, over plain http.
pub const SESSION_COOKIE: &str = "evisa_session";
/// The CSRF cookie, over plain http.
pub const CSRF_COOKIE: &str = "evisa_csrf";

/// Whether cookies are `Secure` (the service is reached over https).
fn secure(state: &AppState) -> bool {
    state.config.public_url.starts_with("https://")
}

/// The session cookie's name.
pub fn session_cookie(state: &AppState) -> &'static str {
    if secure(state) { "__Host-evisa_session" } else { SESSION_COOKIE }
}

/// The CSRF cookie's name.
pub fn csrf_cookie(state: &AppState) -> &'static str {
    if secure(state) { "__Host-evisa_csrf" } else { CSRF_COOKIE }
}
/// The form field that repeats the CSRF cookie.
pub const CSRF_FIELD: &str = "csrf";
/// How long any session lasts at most.
const MAX_AGE_HOURS: i64 = 12;
/// How long an applicant's session survives without a request.
const APPLICANT_IDLE_MINUTES: i64 = 120;
/// How often activity is written back (a request within this of the last one writes nothing).
const TOUCH_EVERY_SECONDS: i64 = 60;

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

/// A cookie as the portal sets them: HttpOnly, `SameSite=Lax`, `Secure` when the public URL is
/// https, for the whole site.
pub fn cookie(state: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value).path("/").http_only(true).same_site(SameSite::Lax).secure(secure(state)).finish()
}

/// The cookie that removes `name`.
pub fn removal(state: &AppState, name: &'static str) -> Cookie<'static> {
    let mut gone = cookie(state, name, String::new());
    gone.set_max_age(time::Duration::ZERO);
    gone
}

/// How long `user` may stay idle before the session ends.
pub fn idle_limit(user: &UserRow, staff_idle_minutes: u64) -> Duration {
    if user.role().handles_cases() || user.role() == crate::domain::role::Role::Admin {
        Duration::minutes(i64::try_from(staff_idle_minutes).unwrap_or(30))
    } else {
        Duration::minutes(APPLICANT_IDLE_MINUTES)
    }
}

/// A session begun.
pub struct Begun {
    /// The cookies to set: the session's, and a new CSRF cookie (the one from before signing in
    /// is not carried over).
    pub cookies: [Cookie<'static>; 2],
    /// The CSRF token of the forms of the answer.
    pub form_token: String,
}

/// Starts a session for `user`.
pub async fn start(state: &AppState, user: &UserRow) -> crate::app::Result<Begun> {
    let token = random_token();
    let now = db::now();
    let row = WebSessionRow {
        token_hash: hash(&token),
        user_id: user.id.clone(),
        token_epoch: user.token_epoch,
        created_at: now,
        last_seen_at: now,
        expires_at: now + Duration::hours(MAX_AGE_HOURS),
    };
    state
        .db
        .write::<_, crate::app::Error, _>(move |conn| {
            web_sessions::delete_expired(conn, now)?;
            web_sessions::insert(conn, &row)?;
            Ok(())
        })
        .await?;
    let csrf = random_token();
    let form_token = form_token(&csrf, Some(&token));
    Ok(Begun {
        cookies: [cookie(state, session_cookie(state), token), cookie(state, csrf_cookie(state), csrf)],
        form_token,
    })
}

/// Ends the session of the request, if any.
pub async fn end(state: &AppState, req: &HttpRequest) -> crate::app::Result<()> {
    if let Some(token) = req.cookie(session_cookie(state)) {
        let token_hash = hash(token.value());
        state.db.write::<_, crate::app::Error, _>(move |conn| Ok(web_sessions::delete(conn, &token_hash)?)).await?;
    }
    Ok(())
}

/// Whether a session still holds at `now` for an account in the given state.
pub fn holds(session: &WebSessionRow, account: &UserRow, idle: Duration, now: NaiveDateTime) -> bool {
    !account.disabled
        && account.token_epoch == session.token_epoch
        && session.expires_at > now
        && now - session.last_seen_at <= idle
}

/// The signed-in account of a page request, if its session holds.
#[derive(Clone)]
pub struct Visitor(pub Option<UserRow>);

impl Visitor {
    /// The account as the use cases take it.
    pub fn user(&self) -> Option<User> {
        self.0.as_ref().map(|u| User { id: u.id.clone(), role: u.role(), post: u.post_code.clone() })
    }
}

async fn visitor(state: web::Data<AppState>, token: Option<String>) -> crate::app::Result<Visitor> {
    let Some(token) = token else { return Ok(Visitor(None)) };
    let token_hash = hash(&token);
    let staff_idle = state.config.staff_idle_minutes;
    state
        .db
        .run(move |conn| {
            let Some(session) = web_sessions::find(conn, &token_hash)? else { return Ok(Visitor(None)) };
            let Some(account) = users::find(conn, &session.user_id)? else { return Ok(Visitor(None)) };
            let now = db::now();
            if !holds(&session, &account, idle_limit(&account, staff_idle), now) {
                web_sessions::delete(conn, &token_hash)?;
                return Ok(Visitor(None));
            }
            if now - session.last_seen_at > Duration::seconds(TOUCH_EVERY_SECONDS) {
                web_sessions::touch(conn, &token_hash, now)?;
            }
            Ok(Visitor(Some(account)))
        })
        .await
}

impl FromRequest for Visitor {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Visitor, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = state.as_ref().and_then(|state| req.cookie(session_cookie(state))).map(|c| c.value().to_owned());
        Box::pin(async move {
            let state = state.ok_or_else(|| actix_web::error::ErrorInternalServerError("state missing"))?;
            visitor(state, token).await.map_err(|err| {
                tracing::error!(error = %err, "reading the browser session");
                actix_web::error::ErrorServiceUnavailable("the service is unavailable; try again shortly")
            })
        })
    }
}

/// The token forms carry: a digest of the CSRF cookie and the session cookie, so a token
/// planted before sign-in, or taken from another session, matches nothing.
pub fn form_token(csrf_cookie: &str, session: Option<&str>) -> String {
    let mut digest = Sha256::new();
    digest.update(b"evisa-csrf\0");
    digest.update(csrf_cookie.as_bytes());
    digest.update(b"\0");
    digest.update(session.unwrap_or_default().as_bytes());
    hex::encode(digest.finalize())
}

/// The CSRF token of a request's forms, and the CSRF cookie to set when it had none.
pub fn csrf_token(state: &AppState, req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    let existing = req.cookie(csrf_cookie(state)).map(|c| c.value().to_owned()).filter(|v| v.len() == 64);
    let (value, fresh) = match existing {
        Some(value) => (value, false),
        None => (random_token(), true),
    };
    let session = req.cookie(session_cookie(state));
    let token = form_token(&value, session.as_ref().map(|c| c.value()));
    (token, fresh.then(|| cookie(state, csrf_cookie(state), value)))
}

/// Whether `submitted` is the request's CSRF token (compared in constant time).
pub fn csrf_matches(state: &AppState, req: &HttpRequest, submitted: Option<&str>) -> bool {
    let Some(csrf) = req.cookie(csrf_cookie(state)) else { return false };
    let session = req.cookie(session_cookie(state));
    let expected = form_token(csrf.value(), session.as_ref().map(|c| c.value()));
    match submitted {
        Some(field) if !field.is_empty() => expected.as_bytes().ct_eq(field.as_bytes()).into(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::role::Role;

    fn account(role: Role) -> UserRow {
        let now = db::now();
        UserRow {
            id: "u".into(),
            email: "a@b.c".into(),
            password_hash: String::new(),
            full_name: "A".into(),
            role: role.as_str().into(),
            post_code: None,
            preferred_language: "en".into(),
            email_verified_at: Some(now),
            disabled: false,
            created_at: now,
            token_epoch: 3,
            away_until: None,
        }
    }

    fn session(last_seen_minutes_ago: i64) -> WebSessionRow {
        let now = db::now();
        WebSessionRow {
            token_hash: "h".into(),
            user_id: "u".into(),
            token_epoch: 3,
            created_at: now - Duration::hours(1),
            last_seen_at: now - Duration::minutes(last_seen_minutes_ago),
            expires_at: now + Duration::hours(11),
        }
    }

    #[test]
    fn staff_sessions_end_sooner_when_idle_than_applicants() {
        let now = db::now();
        let officer = account(Role::Officer);
        let applicant = account(Role::Applicant);
        assert!(holds(&session(10), &officer, idle_limit(&officer, 30), now));
        assert!(!holds(&session(45), &officer, idle_limit(&officer, 30), now));
        assert!(holds(&session(45), &applicant, idle_limit(&applicant, 30), now));
    }

    #[test]
    fn a_moved_epoch_a_disabled_account_or_the_expiry_ends_the_session() {
        let now = db::now();
        let mut account = account(Role::Applicant);
        let idle = idle_limit(&account, 30);
        account.token_epoch = 4;
        assert!(!holds(&session(1), &account, idle, now));
        account.token_epoch = 3;
        account.disabled = true;
        assert!(!holds(&session(1), &account, idle, now));
        account.disabled = false;
        let mut expired = session(1);
        expired.expires_at = now - Duration::seconds(1);
        assert!(!holds(&expired, &account, idle, now));
    }
}
