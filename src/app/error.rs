//! What a use case can end in besides success. It names what went wrong in the application's
//! terms; each surface decides how to show it (problem+json for the API, a page for the portal, a
//! message for the command line).

use crate::domain::FieldError;

/// An error of the application layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is well formed but breaks a rule; each problem names its field.
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    /// No such thing, or not one the caller may see.
    #[error("the resource does not exist")]
    NotFound,
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The caller is not (or no longer) known.
    #[error("{0}")]
    Unauthenticated(String),
    /// The thing is not in a state that allows this, or someone changed it first.
    #[error("{0}")]
    Conflict(String),
    /// An upload is larger than the limit, in bytes.
    #[error("the upload exceeds the limit of {0} bytes")]
    TooLarge(usize),
    /// An upload's format is not one accepted here.
    #[error("{0}")]
    UnacceptedFormat(String),
    /// Too many attempts; retry after the given number of seconds.
    #[error("too many attempts")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// A dependency such as the database is unavailable.
    #[error("{0}")]
    Unavailable(String),
    /// Anything unexpected. The cause is for the log, never for the user.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The result of a use case.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A rule broken by one field.
    pub fn invalid_field(field: impl Into<String>, code: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError::new(field, code, detail)])
    }

    /// Wraps any unexpected error.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Error::Internal(err.into())
    }
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        Error::Internal(err.into())
    }
}

impl From<crate::db::DbError> for Error {
    fn from(err: crate::db::DbError) -> Self {
        match err {
            crate::db::DbError::Unavailable(detail) => Error::Unavailable(detail),
            other => Error::Internal(other.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        Error::Unavailable(format!("database pool: {err}"))
    }
}

impl From<crate::auth::password::HashingError> for Error {
    fn from(err: crate::auth::password::HashingError) -> Self {
        match err {
            crate::auth::password::HashingError::Busy => Error::RateLimited { retry_after_secs: 1 },
            crate::auth::password::HashingError::Failed(cause) => Error::Internal(cause),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Error::Internal(err.into())
    }
}
