//! Who is calling: the bearer token of a request turned into the application's [`User`], and the
//! role-typed extractors (applicant, staff, supervisor, administrator) that use cases require.
//! The portal and the console will build the same types from a session cookie.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::{Ready, ready};

use crate::app::{Admin, Applicant, Staff, Supervisor, User};
use crate::startup::AppState;
use crate::web::error::AppError;

fn authenticate(req: &HttpRequest) -> Result<User, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("application state missing")))?;
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
    let claims = state.tokens.verify(token)?;
    Ok(User { id: claims.sub, role: claims.role, post: claims.post })
}

impl FromRequest for User {
    type Error = AppError;
    type Future = Ready<Result<User, AppError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

macro_rules! role_extractor {
    ($($name:ident),+) => {
        $(
            impl FromRequest for $name {
                type Error = AppError;
                type Future = Ready<Result<$name, AppError>>;

                fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
                    ready(authenticate(req).and_then(|user| Ok($name::new(user)?)))
                }
            }
        )+
    };
}

role_extractor!(Applicant, Staff, Supervisor, Admin);
