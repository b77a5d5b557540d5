//! Waiting for work done in the background: poll a condition until it holds or a deadline
//! passes, never a fixed sleep. Deadlines are generous because CI machines are slow and shared;
//! a condition that holds returns at once.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long background work (issuance in a debug build, a second process starting) may take on
/// a loaded machine.
pub const BACKGROUND: Duration = Duration::from_secs(90);

/// Polls `check` every 50 ms until it returns `Some`, and returns that; panics naming `what`
/// once `limit` has passed.
pub async fn until<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let since = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(since.elapsed() < limit, "{what}: not within {limit:?}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}
