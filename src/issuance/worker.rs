//! The issuance worker: a thread of its own that drains the durable issuance queue, so that
//! drawing and signing PDFs never occupies the HTTP workers.

use chrono::Duration;
use rand::Rng;
use std::sync::{Arc, Condvar, Mutex, Weak};

use crate::db::{self, visas};
use crate::startup::AppState;

/// Attempts before a job is marked failed.
pub const MAX_ATTEMPTS: i32 = 8;

/// Wakes the worker as soon as a job is enqueued in this process.
#[derive(Default)]
pub struct Nudge {
    pending: Mutex<bool>,
    ready: Condvar,
}

impl Nudge {
    /// Signals new work.
    pub fn wake(&self) {
        if let Ok(mut pending) = self.pending.lock() {
            *pending = true;
            self.ready.notify_all();
        }
    }

    fn wait(&self, timeout: std::time::Duration) {
        if let Ok(mut pending) = self.pending.lock() {
            if !*pending {
                pending = match self.ready.wait_timeout(pending, timeout) {
                    Ok((guard, _)) => guard,
                    Err(_) => return,
                };
            }
            *pending = false;
        }
    }
}

/// Backoff before attempt `attempts + 1`: exponential from 5 s, at most an hour, with jitter.
pub fn backoff(attempts: i32) -> Duration {
    let base = 5i64 * 2i64.pow(attempts.clamp(0, 10) as u32);
    let capped = base.min(3600);
    let jitter = rand::rng().random_range(0..=capped / 4 + 1);
    Duration::seconds(capped + jitter)
}

/// Runs one due job, if any; returns whether there was one.
pub async fn run_once(state: &AppState) -> anyhow::Result<bool> {
    let now = db::now();
    let lease = now + Duration::seconds(i64::try_from(state.config.issuance_lease_secs).unwrap_or(120));
    let mut conn = state.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let job = db::write_transaction(&mut conn, |conn| visas::lease_next(conn, now, lease))?;
    drop(conn);
    let Some(job) = job else { return Ok(false) };
    if let Err(err) = super::issue::issue(state, &job.case_id).await {
        let message = format!("{err:#}");
        let retry = (job.attempts < MAX_ATTEMPTS).then(|| db::now() + backoff(job.attempts));
        tracing::error!(case = %job.case_id, attempt = job.attempts, retry = retry.is_some(), error = %message, "issuance failed");
        let mut conn = state.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
        visas::fail(&mut conn, &job.case_id, &message, retry, db::now())?;
    }
    Ok(true)
}

/// Starts the worker thread. It stops by itself once the application state is gone.
pub fn spawn(
    state: Weak<AppState>,
    nudge: Arc<Nudge>,
    poll: std::time::Duration,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("issuance".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(err) => {
                tracing::error!(error = %err, "issuance worker could not start");
                return;
            }
        };
        loop {
            let Some(state) = state.upgrade() else { break };
            let outcome = runtime.block_on(run_once(&state));
            drop(state);
            match outcome {
                Ok(true) => continue,
                Ok(false) => nudge.wait(poll),
                Err(err) => {
                    tracing::warn!(error = %format!("{err:#}"), "issuance worker");
                    nudge.wait(poll);
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_with_bounded_jitter() {
        for attempts in 0..12 {
            let wait = backoff(attempts).num_seconds();
            let base = (5i64 * 2i64.pow(attempts.clamp(0, 10) as u32)).min(3600);
            assert!((base..=base + base / 4 + 1).contains(&wait), "attempt {attempts}: {wait}");
        }
    }
}
