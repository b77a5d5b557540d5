//! The database: one connection type over SQLite and PostgreSQL, the pool, migrations, and the
//! repositories of each table.
//!
//! Diesel is blocking; [`Db::run`] and [`Db::write`] run work on the runtime's blocking pool so the
//! HTTP workers never wait on the database.

pub mod admin_events;
pub mod appointments;
pub mod case_counts;
pub mod case_queue;
pub mod cases;
pub mod catalog;
pub mod checkouts;
pub mod clients;
pub mod documents;
mod error;
pub mod events;
pub mod fees;
pub mod issued_documents;
pub mod jobs;
pub mod keys;
pub mod outbox;
#[allow(missing_docs)]
pub mod schema;
pub mod share_codes;
pub mod users;
pub mod watch;
pub mod web_sessions;
mod writing;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

// The derive generates helper items (the multi-backend type and its plumbing) without docs.
#[allow(missing_docs)]
mod multi {
    /// A connection to either supported database.
    #[derive(diesel::MultiConnection)]
    pub enum AnyConnection {
        /// PostgreSQL, the production backend.
        Postgresql(diesel::PgConnection),
        /// SQLite, the embedded default.
        Sqlite(diesel::SqliteConnection),
    }
}
pub use error::DbError;
pub use multi::AnyConnection;
use writing::Local;

/// How much a dedicated writer's PostgreSQL backend writes before it asks the kernel to write it
/// out (as `checkpoint_flush_after` does for the checkpointer by default on Linux).
pub const WRITER_FLUSH_AFTER: &str = "256kB";

/// Which database a URL designates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A `postgres://` or `postgresql://` URL.
    Postgres,
    /// Anything else: a SQLite file path (an optional `sqlite://` prefix is removed).
    Sqlite,
}

impl Backend {
    /// Chooses the backend from the URL's scheme. Never guesses by trying to connect.
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// The URL with any password replaced, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme_end + 3], &credentials[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url)
}

/// Opens connections of the backend its URL names (and only that one).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
}

impl ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        match self.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.url)
                .map(AnyConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(sqlite_path(&self.url))
                    .map_err(r2d2::Error::ConnectionError)?;
                // busy_timeout first: the other pragmas may already need to wait for a lock.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    /// A connection dropped while its thread unwinds, or whose transaction manager lost track
    /// of its state, may be inside an open transaction: it must never be handed out again, or
    /// later commits on it would become savepoints and be lost.
    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || transaction_manager_is_broken(conn)
    }
}

/// A connection the pool could not give.
fn pool_error(err: r2d2::PoolError) -> DbError {
    DbError::Unavailable(format!("database pool: {err}"))
}

/// The shared handle to the database.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager>,
    manager: ConnectionManager,
    local: std::sync::Arc<Local>,
}

impl Db {
    /// Opens a pool on `url` and brings the schema up to date.
    pub fn connect(url: &str, pool_size: u32) -> anyhow::Result<Db> {
        let backend = Backend::of_url(url);
        let manager = ConnectionManager { url: url.to_owned(), backend };
        if backend == Backend::Sqlite {
            // WAL once, before the pool opens several connections at once.
            let mut conn = manager.connect().with_context(|| format!("opening SQLite database {url}"))?;
            conn.batch_execute("PRAGMA journal_mode = WAL;")?;
        }
        let pool = Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager.clone())
            .with_context(|| format!("connecting to {}", redact_url(url)))?;
        let db = Db { pool, manager, local: std::sync::Arc::default() };
        db.migrate()?;
        Ok(db)
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.manager.backend
    }

    /// Runs pending migrations. On PostgreSQL an advisory lock keeps several starting servers
    /// from migrating at once.
    pub fn migrate(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.get()?;
        let result = match &mut *conn {
            AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
            AnyConnection::Postgresql(c) => {
                c.batch_execute("SELECT pg_advisory_lock(7417001)")?;
                let result = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ());
                c.batch_execute("SELECT pg_advisory_unlock(7417001)")?;
                result
            }
        };
        result.map_err(|e| anyhow::anyhow!("running migrations: {e}"))
    }

    /// A connection of its own, outside the pool, for a thread that writes all the time (the
    /// verification log): it is not checked on every use, as pooled ones are, and it takes no
    /// pool slot from the requests.
    ///
    /// On PostgreSQL its backend asks the kernel to write out the table pages it evicts every
    /// [`WRITER_FLUSH_AFTER`] (`backend_flush_after`) instead of leaving them dirty in the page
    /// cache: a writer that never stops otherwise leaves hundreds of megabytes for the kernel to
    /// write at once when they expire, and every commit's WAL flush waits behind that burst.
    pub fn dedicated(&self) -> Result<AnyConnection, DbError> {
        let mut conn = self.manager.connect().map_err(|e| DbError::Unavailable(format!("connecting: {e}")))?;
        if let AnyConnection::Postgresql(pg) = &mut conn {
            pg.batch_execute(&format!("SET backend_flush_after = '{WRITER_FLUSH_AFTER}'"))?;
        }
        Ok(conn)
    }

    /// A pooled connection for synchronous callers (command-line tools, workers' own threads).
    pub fn conn(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, DbError> {
        self.pool.get().map_err(pool_error)
    }

    /// Runs `work` with a pooled connection on the blocking thread pool; its error is the
    /// caller's, which says what a database error means to it.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        let task = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(pool_error)?;
            work(&mut conn)
        });
        match task.await {
            Ok(result) => result,
            Err(failed) => Err(DbError::Task(failed.to_string()).into()),
        }
    }

    /// Runs `work` in a write transaction on the blocking thread pool: committed when it returns
    /// `Ok`, rolled back otherwise.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let db = self.clone();
        self.run(move |conn| db.write_transaction(conn, work)).await
    }
}

fn transaction_manager_is_broken(conn: &mut AnyConnection) -> bool {
    use diesel::connection::TransactionManager;
    <AnyConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
}

/// Whether a database error is a violated unique constraint.
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(err, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}

/// The current time as stored in the database: UTC, microsecond precision (PostgreSQL's).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_are_chosen_by_scheme() {
        assert_eq!(Backend::of_url("postgres://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::of_url("postgresql://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::of_url("./data/evisa.db"), Backend::Sqlite);
        assert_eq!(Backend::of_url("sqlite://data/evisa.db"), Backend::Sqlite);
        assert_eq!(sqlite_path("sqlite://data/evisa.db"), "data/evisa.db");
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(redact_url("postgres://evisa:s3cret@db:5432/evisa"), "postgres://evisa:***@db:5432/evisa");
        assert_eq!(redact_url("postgres://postgres@127.0.0.1/evisa"), "postgres://postgres@127.0.0.1/evisa");
        assert_eq!(redact_url("./data/evisa.db"), "./data/evisa.db");
    }

    #[test]
    fn each_database_has_its_own_writer_turn_and_signals() {
        let dir = tempfile::tempdir().unwrap();
        let open = |name: &str| Db::connect(dir.path().join(name).to_str().unwrap(), 2).unwrap();
        let (a, b) = (open("a.db"), open("b.db"));
        let kinds = [jobs::JobKind::SendEmail];
        let (a_seen, b_seen) = (a.job_signals().seen(&kinds), b.job_signals().seen(&kinds));
        // A's turn to write is held: B writes all the same (it would wait forever if they shared it).
        let _a_turn = a.sqlite_writer();
        let writer = b.clone();
        let wrote = std::thread::spawn(move || {
            let mut conn = writer.conn().unwrap();
            writer.write_transaction(&mut conn, |conn| jobs::enqueue(conn, kinds[0], "mail", now()))
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !wrote.is_finished() {
            assert!(std::time::Instant::now() < deadline, "B waited for A's turn to write");
            std::thread::sleep(Duration::from_millis(5));
        }
        wrote.join().unwrap().unwrap();
        assert_eq!(b.job_signals().seen(&kinds), b_seen + 1, "B's runners are signalled");
        assert_eq!(a.job_signals().seen(&kinds), a_seen, "A's runners are not");
        a.revocations().count();
        assert_eq!(b.revocations().seen(), 0, "a revocation on A leaves B's copies alone");
    }
}
