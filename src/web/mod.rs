//! The web surface: the JSON API, and the HTML pages of the applicant portal and the officer
//! console. Everything here extracts, calls a use case of [`crate::app`], and renders.

pub mod api;
pub mod api_client;
pub mod client_addr;
pub mod drain;
pub mod error;
pub mod extract;
pub mod identity;
pub mod metrics;
pub mod pages;
pub mod request_id;
pub mod state;
pub mod text;

use crate::db::{AnyConnection, Db};
use error::AppResult;

/// Runs a handler's read on the blocking pool, with the API's own errors.
pub async fn read<T, F>(db: &Db, work: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
{
    db.run::<_, crate::web::error::AppError, _>(move |conn| Ok(work(conn))).await?
}

/// Runs a handler's write in a transaction on the blocking pool, with the API's own errors: an
/// error rolls it back.
pub async fn write<T, F>(db: &Db, work: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
{
    db.write::<_, crate::web::error::AppError, _>(work).await
}
