//! Registration, login and the caller's own account.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::views::UserView;
use crate::app::accounts::AccountInput;
use crate::app::register;
use crate::auth::{AuthUser, password};
use crate::db::{self, outbox, users};
use crate::domain::role::Role;
use crate::notify;
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::JsonBody;

/// Body of `POST /api/v1/auth/register`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    email: String,
    password: String,
    full_name: String,
    #[serde(default)]
    preferred_language: Option<String>,
}

/// `POST /api/v1/auth/register`: a new applicant account.
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<RegisterRequest>,
) -> AppResult<HttpResponse> {
    state.limits.ip(&req)?;
    let request = body.0;
    let input = AccountInput {
        email: request.email,
        password: request.password,
        full_name: request.full_name,
        role: Role::Applicant,
        post: None,
        preferred_language: request.preferred_language,
    };
    let user = register::register(&state.db, state.config.clone(), input, None).await?;
    Ok(HttpResponse::Created().json(UserView::from(user)))
}

async fn hash_off_workers(password: String) -> AppResult<String> {
    password::bounded(move || password::hash(&password)).await?.map_err(AppError::internal)
}

/// The throttle key of login attempts on an account from the caller's address: guessing from one
/// address never locks the account's owner out from another.
fn attempt_key(purpose: &str, email: &str, req: &HttpRequest) -> String {
    let address = req.peer_addr().map(|peer| peer.ip().to_string()).unwrap_or_default();
    format!("{purpose}:{email}|{address}")
}

/// An e-mail address as logs may show it: a short digest, enough to correlate attempts.
fn log_safe(email: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(email.as_bytes())[..6])
}

/// Body of the token endpoints.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    token: String,
    #[serde(default)]
    password: Option<String>,
}

fn invalid_token() -> AppError {
    AppError::invalid_field("token", "invalid", "the link is invalid, expired or already used")
}

/// `POST /api/v1/auth/verify-email`: confirms the address with the single-use token e-mailed at
/// registration.
pub async fn verify_email(state: web::Data<AppState>, body: JsonBody<TokenRequest>) -> AppResult<HttpResponse> {
    let TokenRequest { token, password } = body.0;
    if password.is_some() {
        return Err(AppError::invalid_field("password", "not_allowed", "not part of e-mail verification"));
    }
    let hash = notify::token_hash(token.trim());
    crate::web::write(&state.db, move |conn| {
        let user = outbox::consume_token(conn, &hash, "verify_email", db::now())?.ok_or_else(invalid_token)?;
        users::mark_verified(conn, &user, db::now())?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "verified"})))
}

/// `POST /api/v1/auth/resend-verification`: a fresh verification e-mail for the caller.
pub async fn resend_verification(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    user.require(&[Role::Applicant])?;
    state
        .login_throttle
        .attempt(&format!("verify:{}", user.id))
        .map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })?;
    let config = state.config.clone();
    crate::web::write(&state.db, move |conn| {
        let account = users::find(conn, &user.id)?.ok_or(AppError::NotFound)?;
        if account.email_verified_at.is_some() {
            return Err(AppError::Conflict("the e-mail address is already verified".into()));
        }
        Ok(notify::send_token(conn, &config, &account, "verify_email")?)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({"status": "sent"})))
}

/// Body of `POST /api/v1/auth/password-reset`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    email: String,
}

/// `POST /api/v1/auth/password-reset`: e-mails a reset link if the address has an account. The
/// answer is the same either way, so it tells nobody whether an address is registered.
pub async fn password_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<ResetRequest>,
) -> AppResult<HttpResponse> {
    state.limits.ip(&req)?;
    let email = body.0.email.trim().to_lowercase();
    state
        .login_throttle
        .attempt(&attempt_key("reset", &email, &req))
        .map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })?;
    let config = state.config.clone();
    let db = state.db.clone();
    // The answer leaves before the lookup, so its timing cannot tell whether the address exists.
    actix_web::rt::spawn(async move {
        let sent = db
            .write(move |conn| {
                if let Some(user) = users::find_by_email(conn, &email)?.filter(|u| !u.disabled) {
                    notify::send_token(conn, &config, &user, "password_reset")?;
                }
                Ok(())
            })
            .await;
        if let Err(err) = sent {
            tracing::error!(error = %format!("{err:#}"), "password reset e-mail not queued");
        }
    });
    Ok(HttpResponse::Accepted()
        .json(serde_json::json!({"status": "if the address belongs to an account, a reset link has been sent to it"})))
}

/// `POST /api/v1/auth/password-reset/confirm`: sets a new password with the e-mailed token.
pub async fn password_reset_confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<TokenRequest>,
) -> AppResult<HttpResponse> {
    state.limits.ip(&req)?;
    let TokenRequest { token, password } = body.0;
    let token_hash = notify::token_hash(token.trim());
    // The token is looked up before any hashing, so guessing tokens costs no Argon2.
    let lookup = token_hash.clone();
    let known = crate::web::read(&state.db, move |conn| {
        Ok(outbox::find_valid_token(conn, &lookup, "password_reset", db::now())?.is_some())
    })
    .await?;
    if !known {
        return Err(invalid_token());
    }
    let password =
        password.ok_or_else(|| AppError::Validation(vec![crate::domain::FieldError::required("password")]))?;
    // The password is checked before the token is spent, so a weak choice can be corrected.
    crate::domain::password_policy::check(&password, &[]).map_err(|p| AppError::Validation(vec![p]))?;
    let hash = hash_off_workers(password).await?;
    let account = crate::web::write(&state.db, move |conn| {
        let user = outbox::consume_token(conn, &token_hash, "password_reset", db::now())?.ok_or_else(invalid_token)?;
        // A new password ends every session of the account.
        users::set_password(conn, &user, &hash)?;
        // Whoever reads the mailbox owns the address.
        users::mark_verified(conn, &user, db::now())?;
        Ok(user)
    })
    .await?;
    state.sessions.forget(&account);
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "password changed"})))
}

/// Body of `POST /api/v1/auth/login`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    email: String,
    password: String,
}

/// `POST /api/v1/auth/login`: exchanges credentials for an access token.
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<LoginRequest>,
) -> AppResult<HttpResponse> {
    state.limits.ip(&req)?;
    let LoginRequest { email, password: given } = body.0;
    let email = email.trim().to_lowercase();
    state
        .login_throttle
        .attempt(&attempt_key("login", &email, &req))
        .map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })?;
    let lookup = email.clone();
    let user = crate::web::read(&state.db, move |conn| Ok(users::find_by_email(conn, &lookup)?)).await?;
    let (user, matches) = password::bounded(move || {
        // Unknown accounts are checked against a decoy hash so both cases cost the same.
        let hash = user.as_ref().map_or_else(|| password::decoy_hash().to_owned(), |u| u.password_hash.clone());
        let matches = password::verify(&given, &hash);
        (user, matches)
    })
    .await?;
    let user = match user {
        Some(user) if matches && !user.disabled => user,
        _ => {
            tracing::info!(account = %log_safe(&email), "login refused");
            return Err(AppError::Unauthorized("the e-mail address or password is wrong".into()));
        }
    };
    let token = state.tokens.issue(&user.id, user.role(), user.post_code.as_deref(), user.token_epoch)?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(token))
}

/// `POST /api/v1/auth/sign-out-everywhere`: ends every session of the caller's account, this one
/// included.
pub async fn sign_out_everywhere(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let account = user.id.clone();
    crate::web::write(&state.db, move |conn| Ok(users::bump_token_epoch(conn, &account)?)).await?;
    state.sessions.forget(&user.id);
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/me`: the caller's account.
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let row = crate::web::read(&state.db, move |conn| users::find(conn, &user.id)?.ok_or(AppError::NotFound)).await?;
    Ok(HttpResponse::Ok().json(UserView::from(row)))
}
