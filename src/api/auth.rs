//! Registration, login and the caller's own account.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::views::UserView;
use crate::accounts::{self, AccountInput};
use crate::auth::{AuthUser, password};
use crate::db::users;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::extract::JsonBody;
use crate::startup::AppState;

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
pub async fn register(state: web::Data<AppState>, body: JsonBody<RegisterRequest>) -> AppResult<HttpResponse> {
    let request = body.0;
    let account = accounts::validate(AccountInput {
        email: request.email,
        password: request.password,
        full_name: request.full_name,
        role: Role::Applicant,
        post: None,
        preferred_language: request.preferred_language,
    })?;
    let user = create(&state, account).await?;
    Ok(HttpResponse::Created().json(UserView::from(user)))
}

/// Hashes the password off the async workers, then stores the account.
pub(super) async fn create(state: &AppState, account: accounts::ValidAccount) -> AppResult<users::UserRow> {
    let (account, hash) = web::block(move || {
        let hash = password::hash(account.password());
        (account, hash)
    })
    .await?;
    let hash = hash?;
    state.db.write(move |conn| accounts::insert(conn, &account, &hash)).await
}

/// Body of `POST /api/v1/auth/login`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    email: String,
    password: String,
}

/// `POST /api/v1/auth/login`: exchanges credentials for an access token.
pub async fn login(state: web::Data<AppState>, body: JsonBody<LoginRequest>) -> AppResult<HttpResponse> {
    let LoginRequest { email, password: given } = body.0;
    let email = email.trim().to_lowercase();
    state.login_throttle.attempt(&email).map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })?;
    let lookup = email.clone();
    let user = state.db.run(move |conn| Ok(users::find_by_email(conn, &lookup)?)).await?;
    let (user, matches) = web::block(move || {
        // Unknown accounts are checked against a decoy hash so both cases cost the same.
        let hash = user.as_ref().map_or_else(|| password::decoy_hash().to_owned(), |u| u.password_hash.clone());
        let matches = password::verify(&given, &hash);
        (user, matches)
    })
    .await?;
    let user = match user {
        Some(user) if matches && !user.disabled => user,
        _ => {
            tracing::info!(email = %email, "login refused");
            return Err(AppError::Unauthorized("the e-mail address or password is wrong".into()));
        }
    };
    let token = state.tokens.issue(&user.id, user.role(), user.post_code.as_deref())?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(token))
}

/// `GET /api/v1/me`: the caller's account.
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let row = state.db.run(move |conn| users::find(conn, &user.id)?.ok_or(AppError::NotFound)).await?;
    Ok(HttpResponse::Ok().json(UserView::from(row)))
}
