//! Background work: runners that lease jobs from the one durable queue ([`crate::db::jobs`]) and
//! hand each to the handler of its kind, retrying failures with backoff. A runner has a thread of
//! its own, is signalled when work is committed in this process and polls otherwise, and stops
//! when told to ([`Runners::stop`]) or once the application state is gone.

use chrono::{Duration, NaiveDateTime};
use rand::Rng;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::app;
use crate::config::Config;
use crate::db::jobs::{self, JobKind, JobRow};
use crate::db::{self, Db, outbox};
use crate::issuance::driver::Issuance;
use crate::notify::code_lifetime_minutes;
use crate::notify::mailer::{self, Delivery};

/// Backoff before the attempt after `attempts`: exponential from `base_secs`, at most an hour,
/// plus up to a quarter of jitter so that retries of many jobs spread out.
pub fn backoff(base_secs: f64, attempts: i32) -> Duration {
    let delay = (base_secs * 2f64.powi(attempts.clamp(0, 20))).min(3600.0);
    let jitter = rand::rng().random_range(0.0..=delay / 4.0);
    Duration::milliseconds(((delay + jitter) * 1000.0) as i64)
}

/// How a kind of job is leased and retried.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Seconds a runner holds a job before another may take it over.
    pub lease_secs: i64,
    /// Attempts before the job fails for good.
    pub max_attempts: i32,
    /// First backoff, in seconds.
    pub base_backoff_secs: f64,
}

/// Attempts before an issuance fails for good.
pub const ISSUANCE_MAX_ATTEMPTS: i32 = 8;

/// The policy of `kind` under `config`.
pub fn policy(kind: JobKind, config: &Config) -> Policy {
    match kind {
        JobKind::IssueOutput => Policy {
            lease_secs: i64::try_from(config.issuance_lease_secs).unwrap_or(120),
            max_attempts: ISSUANCE_MAX_ATTEMPTS,
            base_backoff_secs: 5.0,
        },
        JobKind::SendEmail => {
            Policy { lease_secs: 60, max_attempts: config.mail_max_attempts, base_backoff_secs: config.mail_retry_secs }
        }
        JobKind::RemindInformation => Policy { lease_secs: 60, max_attempts: 8, base_backoff_secs: 30.0 },
    }
}

/// What the runners take from the application that starts them: the parts each kind of job
/// uses.
pub trait Resources: Send + Sync + 'static {
    /// The database holding the queue.
    fn db(&self) -> &Db;
    /// The configuration (retry policies, the public address).
    fn config(&self) -> &Config;
    /// What issuing a document needs.
    fn issuance(&self) -> Issuance<'_>;
    /// What sending an e-mail needs.
    fn delivery(&self) -> Delivery<'_>;
}

async fn handle(state: &dyn Resources, kind: JobKind, job: &JobRow) -> anyhow::Result<()> {
    match kind {
        JobKind::IssueOutput => app::issue::issue(&state.issuance(), &job.subject).await,
        JobKind::SendEmail => mailer::deliver(&state.delivery(), &job.subject).await,
        JobKind::RemindInformation => app::review::follow_up::follow_up(state.db(), state.config(), &job.subject),
    }
}

/// The job a runner holds: its key and the end of its lease.
#[derive(Debug, Clone)]
struct Lease {
    kind: JobKind,
    subject: String,
    until: NaiveDateTime,
}

/// Runs one due job of `kinds`, if any, noting its lease in `held` while it runs; returns whether
/// there was one.
async fn run_once(state: &dyn Resources, kinds: &[JobKind], held: &Mutex<Option<Lease>>) -> anyhow::Result<bool> {
    let now = db::now();
    let longest_lease = kinds.iter().map(|k| policy(*k, state.config()).lease_secs).max().unwrap_or(60);
    let lease = now + Duration::seconds(longest_lease);
    let mut conn = state.db().conn()?;
    let job = state.db().write_transaction(&mut conn, |conn| jobs::lease_next(conn, kinds, now, lease))?;
    drop(conn);
    let Some(job) = job else { return Ok(false) };
    let Some(kind) = job.kind() else { return Ok(true) };
    set_held(held, Some(Lease { kind, subject: job.subject.clone(), until: lease }));
    let outcome = handle(state, kind, &job).await;
    let recorded = record(state, kind, &job, outcome);
    set_held(held, None);
    recorded.map(|()| true)
}

fn set_held(held: &Mutex<Option<Lease>>, lease: Option<Lease>) {
    if let Ok(mut held) = held.lock() {
        *held = lease;
    }
}

/// Records the outcome of a job: done, or failed with a retry planned unless it was the last
/// attempt.
fn record(state: &dyn Resources, kind: JobKind, job: &JobRow, outcome: anyhow::Result<()>) -> anyhow::Result<()> {
    let mut conn = state.db().conn()?;
    match outcome {
        Ok(()) => {
            jobs::finish(&mut conn, kind, &job.subject, db::now())?;
        }
        Err(err) => {
            let message = format!("{err:#}");
            let policy = policy(kind, state.config());
            let final_attempt = job.attempts >= policy.max_attempts;
            let retry = (!final_attempt).then(|| db::now() + backoff(policy.base_backoff_secs, job.attempts));
            tracing::warn!(job = kind.as_str(), subject = %job.subject, attempt = job.attempts, retry = retry.is_some(), error = %message, "job failed");
            state.db().write_transaction(&mut conn, |conn| {
                if kind == JobKind::SendEmail {
                    outbox::mark_failed(conn, &job.subject, &message, final_attempt)?;
                    if final_attempt
                        && outbox::find(conn, &job.subject)?.is_some_and(|e| code_lifetime_minutes(&e.event).is_some())
                    {
                        outbox::scrub(conn, &job.subject, mailer::SCRUBBED)?;
                    }
                }
                jobs::fail(conn, kind, &job.subject, &message, retry, db::now())
            })?;
        }
    }
    Ok(())
}

/// The job runners of this process, stopped together when the process shuts down.
#[derive(Default)]
pub struct Runners {
    stopping: Arc<AtomicBool>,
    runners: Vec<Runner>,
}

struct Runner {
    name: String,
    /// The signals of the database whose jobs it runs.
    signals: Arc<jobs::Signals>,
    kinds: &'static [JobKind],
    thread: std::thread::JoinHandle<()>,
    held: Arc<Mutex<Option<Lease>>>,
}

impl Runners {
    /// Starts a runner thread for `kinds`: it runs jobs until none is due, then waits for a
    /// signal of its database or the poll interval. It holds `state` only while it runs a job.
    pub fn spawn<R: Resources>(
        &mut self,
        name: &str,
        kinds: &'static [JobKind],
        state: &Arc<R>,
        poll: std::time::Duration,
    ) -> std::io::Result<()> {
        let label = name.to_owned();
        // The thread keeps the signals, not the database: the pool goes with the application.
        let signals = state.db().job_signals().clone();
        let waiting = signals.clone();
        let state = Arc::downgrade(state);
        let stopping = self.stopping.clone();
        let held = Arc::new(Mutex::new(None));
        let holding = held.clone();
        let thread = std::thread::Builder::new().name(label.clone()).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(err) => {
                    tracing::error!(runner = %label, error = %err, "runner could not start");
                    return;
                }
            };
            while !stopping.load(Ordering::Acquire) {
                let Some(state) = state.upgrade() else { break };
                let seen = waiting.seen(kinds);
                let outcome = runtime.block_on(run_once(&*state, kinds, &holding));
                drop(state);
                match outcome {
                    Ok(true) => continue,
                    Ok(false) => waiting.wait_for(kinds, seen, poll),
                    Err(err) => {
                        tracing::warn!(runner = %label, error = %format!("{err:#}"), "runner");
                        waiting.wait_for(kinds, seen, poll);
                    }
                }
            }
        })?;
        self.runners.push(Runner { name: name.to_owned(), signals, kinds, thread, held });
        Ok(())
    }

    /// Tells every runner to take no new job, once the one it holds is finished.
    pub fn stop_leasing(&self) {
        self.stopping.store(true, Ordering::Release);
        for runner in &self.runners {
            runner.signals.wake(runner.kinds);
        }
    }

    /// Stops the runners: each finishes the job it holds if it can by `deadline`; the lease of a
    /// job still running then is given back, so that another process takes it up at once
    /// instead of when the lease would have expired.
    pub fn stop(self, db: &db::Db, deadline: std::time::Instant) {
        self.stop_leasing();
        for runner in self.runners {
            while !runner.thread.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            if runner.thread.is_finished() {
                continue;
            }
            let Some(lease) = runner.held.lock().ok().and_then(|held| held.clone()) else { continue };
            let given_back = db.conn().map_err(anyhow::Error::from).and_then(|mut conn| {
                Ok(jobs::give_back(&mut conn, lease.kind, &lease.subject, lease.until, db::now())?)
            });
            match given_back {
                Ok(_) => {
                    tracing::warn!(runner = %runner.name, job = lease.kind.as_str(), subject = %lease.subject, "stopping: gave back the lease of an unfinished job")
                }
                Err(err) => {
                    tracing::error!(runner = %runner.name, error = %format!("{err:#}"), "stopping: could not give back a lease")
                }
            }
        }
    }
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
