//! The verification log writer. Every check is written to the log before it is answered, but
//! checks arriving together share one transaction (group commit): a thread takes whatever checks
//! are waiting, writes them in one transaction, then releases their answers. One commit per batch
//! instead of one per check is what lets SQLite's single writer keep up with the verification
//! hot path.

use std::sync::mpsc;

use crate::db::clients::{self, CheckRow};
use crate::db::{self, Db};
use crate::web::error::{AppError, AppResult};

type Job = (CheckRow, tokio::sync::oneshot::Sender<Result<(), String>>);

/// Most checks written in one transaction.
const BATCH: usize = 512;

/// Hands checks to the writer thread.
pub struct CheckLog {
    sender: mpsc::Sender<Job>,
}

impl CheckLog {
    /// Starts the writer; it stops when the last `CheckLog` is dropped.
    pub fn start(db: Db) -> std::io::Result<CheckLog> {
        let (sender, receiver) = mpsc::channel::<Job>();
        std::thread::Builder::new().name("check-log".into()).spawn(move || {
            while let Ok(first) = receiver.recv() {
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match receiver.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                let outcome = db.conn().map_err(|e| e.to_string()).and_then(|mut conn| {
                    let rows: Vec<CheckRow> = batch.iter().map(|(row, _)| row.clone()).collect();
                    db::write_transaction(&mut conn, |conn| clients::log(conn, &rows)).map_err(|e| e.to_string())
                });
                if let Err(err) = &outcome {
                    tracing::error!(error = %err, checks = batch.len(), "verification log write failed");
                }
                for (_, done) in batch {
                    let _ = done.send(outcome.clone());
                }
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
