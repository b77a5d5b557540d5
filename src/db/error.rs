//! The database layer's own error: a query that failed, or stored data that breaks the promises
//! of the schema. The layers above decide what either means to their callers.

/// What can go wrong reading or writing the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A query failed (connection, constraint, serialisation).
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    /// A row holds what the schema forbids (an unknown kind or status).
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// No connection could be had (the pool is exhausted, the server is down).
    #[error("{0}")]
    Unavailable(String),
    /// The blocking task running the work failed (it panicked).
    #[error("database task failed: {0}")]
    Task(String),
}
