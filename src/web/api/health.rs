//! Liveness, readiness and the API description.

use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::db::Backend;
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};

/// `GET /health`: the process is up.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /ready`: the database answers.
pub async fn ready(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    crate::web::read(&state.db, |conn| {
        conn.batch_execute("SELECT 1").map_err(|e| AppError::Unavailable(format!("database: {e}")))
    })
    .await?;
    let database = match state.db.backend() {
        Backend::Postgres => "postgresql",
        Backend::Sqlite => "sqlite",
    };
    Ok(HttpResponse::Ok().json(json!({"status": "ready", "database": database})))
}

/// `GET /openapi.yaml`: the API description.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().content_type("application/yaml").body(include_str!("../../../openapi.yaml"))
}
