//! The verification log writers. Every check is written to the log before it is answered, but
//! checks arriving together share one commit (group commit): a writer takes whatever checks
//! are waiting, writes them at once, then releases their answers. One commit per batch instead
//! of one per check is what lets the log keep up with the verification hot path.
//!
//! Each writer keeps a connection of its own, opened again after an error, so a batch costs one
//! statement on PostgreSQL and one transaction on SQLite, and nothing else. Batches are as large
//! as the checks waiting while the previous one committed: one writer makes few, large commits;
//! a standby writer steps in only behind a slow commit.

use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::Duration;

use crate::db::clients::{self, CheckRow};
use crate::db::{AnyConnection, Db};
use crate::web::error::{AppError, AppResult};

type Done = tokio::sync::oneshot::Sender<Result<(), String>>;

/// Most checks written at once.
const BATCH: usize = 512;
/// How long the main writer's commit may take before the standby writer writes the checks
/// waiting behind it.
const STANDBY_AFTER: Duration = Duration::from_millis(2);

type Check = (CheckRow, Done);

/// Hands checks to the writers.
pub struct CheckLog {
    sender: mpsc::Sender<Check>,
}

/// What the writers share: the checks waiting, and the main writer's commits.
struct Queue {
    receiver: Mutex<mpsc::Receiver<Check>>,
    commits: Mutex<Commits>,
    started: Condvar,
}

/// The main writer's commits.
#[derive(Default)]
struct Commits {
    /// How many it started.
    count: u64,
    /// Whether one is under way.
    under_way: bool,
    /// Whether it stopped (every sender is gone).
    closed: bool,
}

impl Queue {
    /// The checks waiting, the first one waited for up to `wait` (for ever without): `None` once
    /// every sender is gone, an empty batch when none came in time.
    fn gather(&self, wait: Option<Duration>) -> Option<Vec<Check>> {
        let receiver = self.receiver.lock().ok()?;
        let first = match wait {
            None => receiver.recv().ok()?,
            Some(wait) => match receiver.recv_timeout(wait) {
                Ok(first) => first,
                Err(mpsc::RecvTimeoutError::Timeout) => return Some(Vec::new()),
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            },
        };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match receiver.try_recv() {
                Ok(check) => batch.push(check),
                Err(_) => break,
            }
        }
        Some(batch)
    }

    fn set(&self, change: impl FnOnce(&mut Commits)) {
        if let Ok(mut commits) = self.commits.lock() {
            change(&mut commits);
        }
        self.started.notify_all();
    }
}

impl CheckLog {
    /// Starts the writers; they stop when the last `CheckLog` is dropped. The main writer takes
    /// whatever checks are waiting and commits them; on PostgreSQL a standby writer, on a
    /// connection of its own, writes the checks waiting behind a commit that takes longer than
    /// [`STANDBY_AFTER`], so that a slow commit does not hold up every check. (SQLite writes one
    /// transaction at a time, so a standby could not help there.)
    pub fn start(db: Db) -> std::io::Result<CheckLog> {
        let (sender, receiver) = mpsc::channel::<Check>();
        let queue =
            Arc::new(Queue { receiver: Mutex::new(receiver), commits: Mutex::default(), started: Condvar::new() });
        if db.backend() == crate::db::Backend::Postgres {
            let (db, queue) = (db.clone(), queue.clone());
            std::thread::Builder::new().name("check-log-standby".into()).spawn(move || standby(&db, &queue))?;
        }
        std::thread::Builder::new().name("check-log".into()).spawn(move || main_writer(&db, &queue))?;
        Ok(CheckLog { sender })
    }

    /// Writes a check to the log; returns once it is committed.
    pub async fn record(&self, row: CheckRow) -> AppResult<()> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.sender.send((row, done)).map_err(|_| AppError::Unavailable("verification log writer stopped".into()))?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(AppError::Unavailable(format!("verification log: {err}"))),
            Err(_) => Err(AppError::Unavailable("verification log writer stopped".into())),
        }
    }
}

/// The main writer: waits for a check, takes it with whatever else is waiting, commits them and
/// releases their answers; until every sender is gone.
fn main_writer(db: &Db, queue: &Queue) {
    let mut conn = None;
    while let Some(batch) = queue.gather(None) {
        queue.set(|c| {
            c.count += 1;
            c.under_way = true;
        });
        commit(db, &mut conn, batch);
        queue.set(|c| c.under_way = false);
    }
    queue.set(|c| c.closed = true);
}

/// The standby writer: while a commit of the main writer has taken longer than
/// [`STANDBY_AFTER`], commits the checks waiting behind it.
fn standby(db: &Db, queue: &Queue) {
    let mut conn = None;
    loop {
        let seen = {
            let Ok(commits) = queue.commits.lock() else { return };
            let Ok(commits) = queue.started.wait_while(commits, |c| !c.under_way && !c.closed) else { return };
            if commits.closed {
                return;
            }
            commits.count
        };
        std::thread::sleep(STANDBY_AFTER);
        let stuck = || queue.commits.lock().is_ok_and(|c| c.under_way && c.count == seen);
        while stuck() {
            match queue.gather(Some(STANDBY_AFTER)) {
                None => return,
                Some(batch) if batch.is_empty() => {}
                Some(batch) => commit(db, &mut conn, batch),
            }
        }
        // Not to wake again for the commit just seen: wait for the next one.
        let Ok(commits) = queue.commits.lock() else { return };
        if queue.started.wait_while(commits, |c| c.count == seen && !c.closed).is_err() {
            return;
        }
    }
}

/// Writes a batch in one commit and releases the answers of its checks.
fn commit(db: &Db, conn: &mut Option<AnyConnection>, batch: Vec<Check>) {
    let (rows, waiting): (Vec<CheckRow>, Vec<Done>) = batch.into_iter().unzip();
    let outcome = write(db, conn, &rows);
    if let Err(err) = &outcome {
        tracing::error!(error = %err, checks = rows.len(), "verification log write failed");
        // Opened again for the next batch: the connection may be what failed.
        *conn = None;
    }
    for done in waiting {
        let _ = done.send(outcome.clone());
    }
}

/// Writes one batch, opening the thread's connection first if it has none.
fn write(db: &Db, conn: &mut Option<AnyConnection>, rows: &[CheckRow]) -> Result<(), String> {
    let conn = match conn {
        Some(conn) => conn,
        None => conn.insert(db.dedicated().map_err(|e| e.to_string())?),
    };
    clients::log(db, conn, rows).map_err(|e| e.to_string())
}
