//! Registration, login and the caller's own account.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::views::UserView;
use crate::app::accounts::AccountInput;
use crate::app::{Staff, register, sign_in, staff_accounts};
use crate::auth::AuthUser;
use crate::db::users;
use crate::domain::role::Role;
use crate::notify;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::JsonBody;
use crate::web::request_id::RequestId;
use crate::web::state::AppState;

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

/// The caller's address, for throttling attempts per account and address.
fn address(req: &HttpRequest) -> String {
    crate::web::client_addr::client_addr(req).map(|addr| addr.to_string()).unwrap_or_default()
}

/// Body of the token endpoints.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    token: String,
    #[serde(default)]
    password: Option<String>,
}

/// Body of `POST /api/v1/auth/verify-email`: the address and the six-digit code e-mailed to it,
/// or the long token of a message sent before codes had six digits.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    token: Option<String>,
}

/// `POST /api/v1/auth/verify-email`: confirms the address with the code e-mailed to it.
pub async fn verify_email(state: web::Data<AppState>, body: JsonBody<VerifyRequest>) -> AppResult<HttpResponse> {
    match body.0 {
        VerifyRequest { email: Some(email), code: Some(code), token: None } => {
            sign_in::verify_email(&state.db, &email, &code).await?;
        }
        VerifyRequest { email: None, code: None, token: Some(token) } => {
            sign_in::verify_email_token(&state.db, &token).await?;
        }
        VerifyRequest { email: None, .. } => {
            return Err(AppError::invalid_field("email", "required", "the address the code was sent to"));
        }
        VerifyRequest { code: None, .. } => {
            return Err(AppError::invalid_field("code", "required", "the six digits of the code in the e-mail"));
        }
        VerifyRequest { .. } => {
            return Err(AppError::invalid_field("token", "not_allowed", "either email and code, or token"));
        }
    }
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
    let config = state.config.clone();
    sign_in::request_reset(&state.db, config, &state.login_throttle, &body.0.email, &address(&req))?;
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
    let account = sign_in::reset_password(&state.db, &token, password).await?;
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
    let LoginRequest { email, password } = body.0;
    let user = sign_in::sign_in(&state.db, &state.sign_ins, &email, password, &address(&req)).await?;
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

/// Body of `PUT /api/v1/me/away`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Away {
    until: Option<chrono::DateTime<chrono::Utc>>,
}

/// `PUT /api/v1/me/away`: a staff member says until when they are away (`null`: back now).
pub async fn set_away(
    state: web::Data<AppState>,
    staff: Staff,
    request_id: RequestId,
    body: JsonBody<Away>,
) -> AppResult<HttpResponse> {
    let row = staff_accounts::set_away(&state.db, &staff, body.0.until, request_id.to_string()).await?;
    Ok(HttpResponse::Ok().json(UserView::from(row)))
}

/// `GET /api/v1/me`: the caller's account.
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let row = crate::web::read(&state.db, move |conn| users::find(conn, &user.id)?.ok_or(AppError::NotFound)).await?;
    Ok(HttpResponse::Ok().json(UserView::from(row)))
}
