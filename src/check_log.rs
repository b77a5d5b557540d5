//! The verification log writer. Every check is written to the log before it is answered, but
//! checks arriving together share one commit (group commit): a thread takes whatever checks
//! are waiting, writes them at once, then releases their answers. One commit per batch instead
//! of one per check is what lets the log keep up with the verification hot path.
//!
//! The thread keeps a connection of its own, opened again after an error, so a batch costs one
//! statement on PostgreSQL and one transaction on SQLite, and nothing else.

use std::sync::mpsc;

use crate::db::clients::{self, CheckRow};
use crate::db::{AnyConnection, Db};
use crate::web::error::{AppError, AppResult};

type Done = tokio::sync::oneshot::Sender<Result<(), String>>;

/// Most checks written at once.
const BATCH: usize = 512;

/// Hands checks to the writer thread.
pub struct CheckLog {
    sender: mpsc::Sender<(CheckRow, Done)>,
}

impl CheckLog {
    /// Starts the writer; it stops when the last `CheckLog` is dropped.
    pub fn start(db: Db) -> std::io::Result<CheckLog> {
        let (sender, receiver) = mpsc::channel::<(CheckRow, Done)>();
        std::thread::Builder::new().name("check-log".into()).spawn(move || {
            let mut conn: Option<AnyConnection> = None;
            let mut rows = Vec::with_capacity(BATCH);
            let mut waiting = Vec::with_capacity(BATCH);
            while let Ok(first) = receiver.recv() {
                let mut next = Some(first);
                while let Some((row, done)) = next {
                    rows.push(row);
                    waiting.push(done);
                    next = if rows.len() < BATCH { receiver.try_recv().ok() } else { None };
                }
                let outcome = write(&db, &mut conn, &rows);
                if let Err(err) = &outcome {
                    tracing::error!(error = %err, checks = rows.len(), "verification log write failed");
                    // Opened again for the next batch: the connection may be what failed.
                    conn = None;
                }
                for done in waiting.drain(..) {
                    let _ = done.send(outcome.clone());
                }
                rows.clear();
            }
        })?;
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

/// Writes one batch, opening the thread's connection first if it has none.
fn write(db: &Db, conn: &mut Option<AnyConnection>, rows: &[CheckRow]) -> Result<(), String> {
    let conn = match conn {
        Some(conn) => conn,
        None => conn.insert(db.dedicated().map_err(|e| e.to_string())?),
    };
    clients::log(db, conn, rows).map_err(|e| e.to_string())
}
