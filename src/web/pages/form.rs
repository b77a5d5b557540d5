//! The fields of a submitted page form. Refused before any handler sees them when a field holds
//! a control character (NUL, escape, ...) that no one types and PostgreSQL cannot store; line
//! breaks and tabs, which text areas send, are kept.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use std::collections::HashMap;

use crate::web::error::AppError;
use crate::web::text;

/// The url-encoded fields of a form, free of control characters.
pub struct Form(HashMap<String, String>);

impl Form {
    /// The fields.
    pub fn into_inner(self) -> HashMap<String, String> {
        self.0
    }
}

impl std::ops::Deref for Form {
    type Target = HashMap<String, String>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl FromRequest for Form {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Form, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fields = web::Form::<HashMap<String, String>>::from_request(req, payload);
        Box::pin(async move {
            let fields = fields.await?.into_inner();
            if let Some(name) = fields.iter().find_map(|(name, value)| text::control_character_in(name, value)) {
                return Err(
                    AppError::invalid_field(name, "control_character", "control characters are not allowed").into()
                );
            }
            Ok(Form(fields))
        })
    }
}
