//! Writing to the database: the one write transaction (`IMMEDIATE` on SQLite, its jobs signalled
//! and its revocations and recordings counted once it commits) and what this process keeps for a
//! database beside its connections.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::panic::AssertUnwindSafe;

use super::{AnyConnection, Db, issued_documents, jobs, watch};

/// What this process keeps for one database beside its connections. Each [`Db`] opened has its
/// own, so applications of one process on different databases (tests) share no lock or signal.
#[derive(Default)]
pub(super) struct Local {
    /// This process's turn to write to SQLite (see [`Db::sqlite_writer`]).
    writer: std::sync::Mutex<()>,
    /// Jobs committed, for this process's runners.
    jobs: std::sync::Arc<jobs::Signals>,
    /// Revocations committed, for the copies of documents kept in memory.
    revocations: watch::Changes,
    /// Changes to services and posts committed, for the copy of the catalogue kept in memory.
    catalogue: watch::Changes,
    /// Documents recorded, for the index of issued numbers kept in memory.
    issuances: watch::Changes,
}

impl Db {
    /// The signals this process's job runners of this database wait on (a runner keeps them, not
    /// the database's pool, while it waits).
    pub fn job_signals(&self) -> &std::sync::Arc<jobs::Signals> {
        &self.local.jobs
    }

    /// The revocations this process has seen committed on this database.
    pub fn revocations(&self) -> &watch::Changes {
        &self.local.revocations
    }

    /// The documents this process has seen recorded on this database.
    pub fn issuances(&self) -> &watch::Changes {
        &self.local.issuances
    }

    /// The changes to services and posts this process has seen committed on this database.
    pub fn catalogue_changes(&self) -> &watch::Changes {
        &self.local.catalogue
    }

    /// Takes this process's turn to write to this SQLite database, held until the transaction
    /// ends. SQLite has one writer at a time; a writer that finds the lock taken sleeps in the
    /// busy handler for 1, then 2, 5, 10 ms and more before it tries again, so writers of one
    /// process that queued there waited up to 20 ms for a lock freed after one. Queued on this
    /// lock, the next writer starts as soon as the last commits. Writers of other processes still
    /// meet on the busy timeout.
    pub fn sqlite_writer(&self) -> std::sync::MutexGuard<'_, ()> {
        // A writer that panicked has rolled back: the lock guards no data.
        self.local.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `work` on `conn` (one of this database's) in a transaction meant to write; once it
    /// commits, this process's runners are signalled about the jobs it enqueued and its
    /// revocations are counted. On SQLite the transaction is `IMMEDIATE`, so it takes the write
    /// lock before its first read: two writers then queue on the busy timeout instead of one
    /// failing when it upgrades a stale read snapshot.
    pub fn write_transaction<T, E, F>(&self, conn: &mut AnyConnection, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        forget_uncommitted();
        if matches!(conn, AnyConnection::Postgresql(_)) {
            return match std::panic::catch_unwind(AssertUnwindSafe(|| conn.transaction(work))) {
                Ok(Ok(value)) => {
                    self.committed();
                    Ok(value)
                }
                Ok(Err(err)) => {
                    forget_uncommitted();
                    Err(err)
                }
                Err(panic) => {
                    // diesel's transaction does not roll back when its body panics.
                    use diesel::connection::TransactionManager;
                    let _ = <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn);
                    std::panic::resume_unwind(panic)
                }
            };
        }
        let _writer = self.sqlite_writer();
        conn.batch_execute("BEGIN IMMEDIATE")?;
        match std::panic::catch_unwind(AssertUnwindSafe(|| work(conn))) {
            Ok(Ok(value)) => match conn.batch_execute("COMMIT") {
                Ok(()) => {
                    self.committed();
                    Ok(value)
                }
                Err(err) => {
                    let _ = conn.batch_execute("ROLLBACK");
                    forget_uncommitted();
                    Err(err.into())
                }
            },
            Ok(Err(err)) => {
                let _ = conn.batch_execute("ROLLBACK");
                forget_uncommitted();
                Err(err)
            }
            Err(panic) => {
                let _ = conn.batch_execute("ROLLBACK");
                std::panic::resume_unwind(panic)
            }
        }
    }

    /// After a commit on this thread: what it enqueued and revoked is made known.
    fn committed(&self) {
        self.local.jobs.committed();
        if issued_documents::take_revoked() {
            self.local.revocations.count();
        }
        if issued_documents::take_inserted() {
            self.local.issuances.count();
        }
    }
}

/// Forgets what this thread's abandoned transaction enqueued or revoked.
fn forget_uncommitted() {
    jobs::forget_pending();
    issued_documents::forget();
}
