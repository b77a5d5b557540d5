//! Background workers: a thread of their own per queue, woken when work is enqueued in this
//! process and polling otherwise, stopping once the application state is gone.

use chrono::Duration;
use rand::Rng;
use std::future::Future;
use std::sync::{Arc, Condvar, Mutex, Weak};

use crate::startup::AppState;

/// Wakes a worker as soon as work is enqueued in this process.
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

/// Backoff before the attempt after `attempts`: exponential from `base_secs`, at most an hour,
/// plus up to a quarter of jitter so that retries of many jobs spread out.
pub fn backoff(base_secs: f64, attempts: i32) -> Duration {
    let delay = (base_secs * 2f64.powi(attempts.clamp(0, 20))).min(3600.0);
    let jitter = rand::rng().random_range(0.0..=delay / 4.0);
    Duration::milliseconds(((delay + jitter) * 1000.0) as i64)
}

/// Starts a worker thread that calls `run_once` until it reports no work, then waits for a
/// nudge or the poll interval.
pub fn spawn<F, Fut>(
    name: &str,
    state: Weak<AppState>,
    nudge: Arc<Nudge>,
    poll: std::time::Duration,
    run_once: F,
) -> std::io::Result<()>
where
    F: Fn(Arc<AppState>) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<bool>>,
{
    let label = name.to_owned();
    std::thread::Builder::new().name(label.clone()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(err) => {
                tracing::error!(worker = %label, error = %err, "worker could not start");
                return;
            }
        };
        loop {
            let Some(state) = state.upgrade() else { break };
            let outcome = runtime.block_on(run_once(state));
            match outcome {
                Ok(true) => continue,
                Ok(false) => nudge.wait(poll),
                Err(err) => {
                    tracing::warn!(worker = %label, error = %format!("{err:#}"), "worker");
                    nudge.wait(poll);
                }
            }
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_with_bounded_jitter() {
        for attempts in 0..14 {
            let wait = backoff(5.0, attempts).num_milliseconds() as f64 / 1000.0;
            let base = (5.0 * 2f64.powi(attempts)).min(3600.0);
            assert!(wait >= base && wait <= base * 1.25 + 0.001, "attempt {attempts}: {wait}");
        }
    }
}
