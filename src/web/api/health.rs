//! Liveness, readiness and the API description.

use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::db::Backend;
use crate::db::jobs::{self, JobKind};
use crate::web::error::{AppError, AppResult};
use crate::web::state::AppState;

/// `GET /health`: the process is up.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /ready`: the database answers. `degraded` (still 200: the node serves) while an
/// issuance has failed for good, so that monitoring sees work that no retry will finish; the
/// jobs failed for good are counted by kind.
pub async fn ready(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let failed = crate::web::read(&state.db, |conn| {
        conn.batch_execute("SELECT 1").map_err(|e| AppError::Unavailable(format!("database: {e}")))?;
        Ok(jobs::count_failed(conn)?)
    })
    .await?;
    let database = match state.db.backend() {
        Backend::Postgres => "postgresql",
        Backend::Sqlite => "sqlite",
    };
    let issuance_failed = failed.iter().any(|(kind, count)| kind == JobKind::IssueOutput.as_str() && *count > 0);
    let status = if issuance_failed { "degraded" } else { "ready" };
    let failed: serde_json::Map<String, serde_json::Value> =
        failed.into_iter().map(|(kind, count)| (kind, json!(count))).collect();
    Ok(HttpResponse::Ok().json(json!({"status": status, "database": database, "failed_jobs": failed})))
}

/// `GET /openapi.yaml`: the API description.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().content_type("application/yaml").body(include_str!("../../../openapi.yaml"))
}
