//! Authentication: password hashing, access tokens, the request extractor that turns a bearer
//! token into an [`AuthUser`], and login throttling.

pub mod api_keys;
pub mod jwt;
pub mod password;
pub mod throttle;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::{Ready, ready};

use crate::domain::role::Role;
use crate::error::AppError;
use crate::startup::AppState;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// Account id.
    pub id: String,
    /// Role from the token.
    pub role: Role,
    /// Consular post of staff.
    pub post: Option<String>,
}

impl AuthUser {
    /// Refuses the request with 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("this action is not open to the {} role", self.role)))
        }
    }
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Ready<Result<AuthUser, AppError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, AppError> {
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
    Ok(AuthUser { id: claims.sub, role: claims.role, post: claims.post })
}
