//! The issuance worker: drains the durable issuance queue on a thread of its own (see
//! [`crate::jobs`]), so that drawing and signing PDFs never occupies the HTTP workers.

use chrono::Duration;
use std::sync::Arc;

use crate::db::{self, visas};
use crate::jobs::backoff;
use crate::startup::AppState;

/// Attempts before a job is marked failed.
pub const MAX_ATTEMPTS: i32 = 8;

/// Runs one due job, if any; returns whether there was one.
pub async fn run_once(state: Arc<AppState>) -> anyhow::Result<bool> {
    let state = &*state;
    let now = db::now();
    let lease = now + Duration::seconds(i64::try_from(state.config.issuance_lease_secs).unwrap_or(120));
    let mut conn = state.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let job = db::write_transaction(&mut conn, |conn| visas::lease_next(conn, now, lease))?;
    drop(conn);
    let Some(job) = job else { return Ok(false) };
    if let Err(err) = super::issue::issue(state, &job.case_id).await {
        let message = format!("{err:#}");
        let retry = (job.attempts < MAX_ATTEMPTS).then(|| db::now() + backoff(5.0, job.attempts));
        tracing::error!(case = %job.case_id, attempt = job.attempts, retry = retry.is_some(), error = %message, "issuance failed");
        let mut conn = state.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
        visas::fail(&mut conn, &job.case_id, &message, retry, db::now())?;
    }
    Ok(true)
}
