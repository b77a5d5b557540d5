//! The one durable queue of background work. A job is a (kind, subject) pair: issue the output of
//! case X, send e-mail Y. Jobs are enqueued in the transaction of the change that causes them,
//! leased by a runner, retried with backoff, and finished or failed for good.
//!
//! Runners in this process are signalled when a transaction that enqueued work commits
//! ([`super::Db::write_transaction`] counts a [`Signals`] of its database); runners in other processes find the
//! work by polling.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

use super::AnyConnection;
use super::schema::jobs;

/// A kind of background work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Issue the output of an approved case (subject: the case id).
    IssueOutput,
    /// Send an e-mail of the outbox (subject: the e-mail id).
    SendEmail,
    /// Remind the applicant of a request for information before its date (subject: the case id).
    RemindInformation,
}

impl JobKind {
    /// Every kind.
    pub const ALL: [JobKind; 3] = [JobKind::IssueOutput, JobKind::SendEmail, JobKind::RemindInformation];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::IssueOutput => "issue_output",
            JobKind::SendEmail => "send_email",
            JobKind::RemindInformation => "remind_information",
        }
    }

    fn index(self) -> usize {
        match self {
            JobKind::IssueOutput => 0,
            JobKind::SendEmail => 1,
            JobKind::RemindInformation => 2,
        }
    }

    fn parse(name: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// A job of the queue.
#[derive(Queryable, Debug, Clone)]
pub struct JobRow {
    /// Its kind, as stored.
    pub kind: String,
    /// What it works on (a case or e-mail id).
    pub subject: String,
    /// `pending`, `done` or `failed`.
    pub status: String,
    /// Attempts so far, counting the current one once leased.
    pub attempts: i32,
    /// Not to be run before.
    pub run_after: NaiveDateTime,
    /// A runner holds it until then.
    pub locked_until: Option<NaiveDateTime>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Enqueued at.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

impl JobRow {
    /// Its kind; `None` for a kind this code does not know (left alone by every runner).
    pub fn kind(&self) -> Option<JobKind> {
        JobKind::parse(&self.kind)
    }
}

/// Enqueues a job in the caller's write transaction; runners of this process are signalled when
/// it commits. A job already queued for the same subject is put back in line instead.
pub fn enqueue(conn: &mut AnyConnection, kind: JobKind, subject: &str, at: NaiveDateTime) -> QueryResult<()> {
    let existing = find(conn, kind, subject)?;
    if existing.is_some() {
        retry_now(conn, kind, subject, at)?;
    } else {
        diesel::insert_into(jobs::table)
            .values((
                jobs::kind.eq(kind.as_str()),
                jobs::subject.eq(subject),
                jobs::status.eq("pending"),
                jobs::attempts.eq(0),
                jobs::run_after.eq(at),
                jobs::created_at.eq(at),
                jobs::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    PENDING.with(|pending| pending.set(pending.get() | 1 << kind.index()));
    Ok(())
}

/// Leases the next due job of one of `kinds` until `lease_until`: pending, due, and not leased by
/// a live runner. On PostgreSQL rows locked by other runners are skipped; the lease is what
/// survives the transaction, so a runner that dies loses its job to another once it expires.
pub fn lease_next(
    conn: &mut AnyConnection,
    kinds: &[JobKind],
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<Option<JobRow>> {
    let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let due = jobs::table
        .filter(jobs::status.eq("pending"))
        .filter(jobs::kind.eq_any(names))
        .filter(jobs::run_after.le(now))
        .filter(jobs::locked_until.is_null().or(jobs::locked_until.lt(now)))
        .order((jobs::run_after, jobs::subject))
        .select((jobs::kind, jobs::subject))
        .limit(1);
    let key: Option<(String, String)> = match conn {
        AnyConnection::Postgresql(pg) => due.for_update().skip_locked().first(pg).optional()?,
        AnyConnection::Sqlite(lite) => due.first(lite).optional()?,
    };
    let Some((kind, subject)) = key else { return Ok(None) };
    diesel::update(jobs::table.find((&kind, &subject)))
        .set((jobs::locked_until.eq(lease_until), jobs::attempts.eq(jobs::attempts + 1), jobs::updated_at.eq(now)))
        .execute(conn)?;
    jobs::table.find((kind, subject)).first(conn).optional()
}

/// Gives back a lease that ends at `lease_until` on a job still pending, as if the attempt had not
/// been made, so that any runner may take the job at once. A lease that has since changed hands
/// is left alone.
pub fn give_back(
    conn: &mut AnyConnection,
    kind: JobKind,
    subject: &str,
    lease_until: NaiveDateTime,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        jobs::table
            .find((kind.as_str(), subject))
            .filter(jobs::status.eq("pending"))
            .filter(jobs::locked_until.eq(lease_until)),
    )
    .set((jobs::locked_until.eq(None::<NaiveDateTime>), jobs::attempts.eq(jobs::attempts - 1), jobs::updated_at.eq(at)))
    .execute(conn)
}

/// Marks a job done, unless its handler put it back in line for later (a follow-up).
pub fn finish(conn: &mut AnyConnection, kind: JobKind, subject: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(jobs::table.find((kind.as_str(), subject)).filter(jobs::run_after.le(at)))
        .set((jobs::status.eq("done"), jobs::locked_until.eq(None::<NaiveDateTime>), jobs::updated_at.eq(at)))
        .execute(conn)
}

/// Records a failure: retried after `retry_at`, or failed for good when `retry_at` is `None`.
pub fn fail(
    conn: &mut AnyConnection,
    kind: JobKind,
    subject: &str,
    error: &str,
    retry_at: Option<NaiveDateTime>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let status = if retry_at.is_some() { "pending" } else { "failed" };
    diesel::update(jobs::table.find((kind.as_str(), subject)))
        .set((
            jobs::status.eq(status),
            jobs::run_after.eq(retry_at.unwrap_or(at)),
            jobs::locked_until.eq(None::<NaiveDateTime>),
            jobs::last_error.eq(error),
            jobs::updated_at.eq(at),
        ))
        .execute(conn)
}

/// Puts a job back in line for an immediate attempt, with a fresh count of attempts.
pub fn retry_now(conn: &mut AnyConnection, kind: JobKind, subject: &str, at: NaiveDateTime) -> QueryResult<usize> {
    PENDING.with(|pending| pending.set(pending.get() | 1 << kind.index()));
    diesel::update(jobs::table.find((kind.as_str(), subject)))
        .set((
            jobs::status.eq("pending"),
            jobs::attempts.eq(0),
            jobs::run_after.eq(at),
            jobs::locked_until.eq(None::<NaiveDateTime>),
            jobs::updated_at.eq(at),
        ))
        .execute(conn)
}

/// Number of jobs failed for good, by kind (the dead letters an operator must look at).
pub fn count_failed(conn: &mut AnyConnection) -> QueryResult<Vec<(String, i64)>> {
    jobs::table
        .filter(jobs::status.eq("failed"))
        .group_by(jobs::kind)
        .select((jobs::kind, diesel::dsl::count_star()))
        .load(conn)
}

/// Puts every job of `kind` that failed for good back in line, with a fresh count of attempts;
/// how many.
pub fn retry_failed(conn: &mut AnyConnection, kind: JobKind, at: NaiveDateTime) -> QueryResult<usize> {
    PENDING.with(|pending| pending.set(pending.get() | 1 << kind.index()));
    diesel::update(jobs::table.filter(jobs::kind.eq(kind.as_str())).filter(jobs::status.eq("failed")))
        .set((
            jobs::status.eq("pending"),
            jobs::attempts.eq(0),
            jobs::run_after.eq(at),
            jobs::locked_until.eq(None::<NaiveDateTime>),
            jobs::updated_at.eq(at),
        ))
        .execute(conn)
}

/// Number of jobs by kind and status.
pub fn count_by_kind_and_status(conn: &mut AnyConnection) -> QueryResult<Vec<(String, String, i64)>> {
    jobs::table
        .group_by((jobs::kind, jobs::status))
        .select((jobs::kind, jobs::status, diesel::dsl::count_star()))
        .load(conn)
}

/// When the oldest job of a kind still pending was created.
pub fn oldest_pending(conn: &mut AnyConnection, kind: JobKind) -> QueryResult<Option<NaiveDateTime>> {
    jobs::table
        .filter(jobs::kind.eq(kind.as_str()))
        .filter(jobs::status.eq("pending"))
        .select(diesel::dsl::min(jobs::created_at))
        .first(conn)
}

/// The job of this kind for this subject.
pub fn find(conn: &mut AnyConnection, kind: JobKind, subject: &str) -> QueryResult<Option<JobRow>> {
    jobs::table.find((kind.as_str(), subject)).first(conn).optional()
}

thread_local! {
    /// Kinds of jobs enqueued by the open transaction of this thread, as a bit set.
    static PENDING: Cell<u8> = const { Cell::new(0) };
}

/// Forgets what an abandoned transaction enqueued.
pub(super) fn forget_pending() {
    PENDING.with(|pending| pending.set(0));
}

/// Signals to this process's runners of one database that jobs were committed, counted per kind.
/// A runner reads the count before it looks for due jobs and waits only while it stays the same,
/// so that work committed between its look and its wait is never missed. Signals are counted,
/// never consumed: several runners of one kind each see every signal, at the cost of a look that
/// finds nothing. Each database has its own (see [`super::Db::job_signals`]).
#[derive(Default)]
pub struct Signals {
    counts: [AtomicU64; JobKind::ALL.len()],
    /// Held while a signal is counted or a runner decides to wait, so that a signal between the
    /// two cannot be missed.
    changes: Mutex<()>,
    /// Where runners wait for signals.
    ready: Condvar,
}

impl Signals {
    /// Signals the runners of every kind the transaction that just committed on this thread
    /// enqueued.
    pub(super) fn committed(&self) {
        let kinds = PENDING.with(|pending| pending.replace(0));
        let enqueued: Vec<JobKind> = JobKind::ALL.into_iter().filter(|k| kinds & (1 << k.index()) != 0).collect();
        if !enqueued.is_empty() {
            self.wake(&enqueued);
        }
    }

    /// Wakes the runners waiting for `kinds`.
    pub fn wake(&self, kinds: &[JobKind]) {
        let _changes = self.changes.lock();
        for kind in kinds {
            self.counts[kind.index()].fetch_add(1, Ordering::AcqRel);
        }
        self.ready.notify_all();
    }

    /// How many signals `kinds` have had.
    pub fn seen(&self, kinds: &[JobKind]) -> u64 {
        kinds.iter().map(|kind| self.counts[kind.index()].load(Ordering::Acquire)).sum()
    }

    /// Waits until a job of one of `kinds` is committed after `seen_before` was read, or
    /// `timeout` passes.
    pub fn wait_for(&self, kinds: &[JobKind], seen_before: u64, timeout: std::time::Duration) {
        let deadline = std::time::Instant::now() + timeout;
        let Ok(mut guard) = self.changes.lock() else { return };
        while self.seen(kinds) == seen_before {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return;
            }
            guard = match self.ready.wait_timeout(guard, left) {
                Ok((guard, _)) => guard,
                Err(_) => return,
            };
        }
        drop(guard);
    }
}
