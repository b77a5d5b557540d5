//! Who is calling: the bearer token of a request turned into the application's [`User`] while its
//! session holds (the account's token epoch, checked every few seconds), and the
//! role-typed extractors (applicant, staff, supervisor, administrator) that use cases require.
//! The portal and the console will build the same types from a session cookie.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::app::{Admin, Applicant, Staff, Supervisor, User};
use crate::db::users;
use crate::web::error::AppError;
use crate::web::state::AppState;

fn authenticate(req: &HttpRequest) -> LocalBoxFuture<'static, Result<User, AppError>> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let token = bearer_token(req);
    Box::pin(async move {
        let state = state.ok_or_else(|| AppError::internal(anyhow::anyhow!("application state missing")))?;
        let claims = state.tokens.verify(&token?)?;
        let current = match state.sessions.cached(&claims.sub) {
            Some(current) => current,
            None => {
                let account = claims.sub.clone();
                let current = state
                    .db
                    .run::<_, crate::web::error::AppError, _>(move |conn| Ok(users::session_state(conn, &account)?))
                    .await?;
                state.sessions.remember(&claims.sub, current);
                current
            }
        };
        match current {
            Some((epoch, false)) if epoch == claims.epoch => {
                Ok(User { id: claims.sub, role: claims.role, post: claims.post })
            }
            _ => Err(AppError::Unauthorized("the session has ended; sign in again".into())),
        }
    })
}

/// The bearer token of a request.
fn bearer_token(req: &HttpRequest) -> Result<String, AppError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| AppError::Unauthorized("a bearer token is required".into()))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::Unauthorized("the Authorization header must hold a bearer token".into()))?;
    Ok(token.to_owned())
}

impl FromRequest for User {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<User, AppError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        authenticate(req)
    }
}

macro_rules! role_extractor {
    ($($name:ident),+) => {
        $(
            impl FromRequest for $name {
                type Error = AppError;
                type Future = LocalBoxFuture<'static, Result<$name, AppError>>;

                fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
                    let user = authenticate(req);
                    Box::pin(async move { Ok($name::new(user.await?)?) })
                }
            }
        )+
    };
}

role_extractor!(Applicant, Staff, Supervisor, Admin);
