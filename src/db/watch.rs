//! Watching the database for changes other processes commit: a thread reads a stamp (a count,
//! a latest time) every so often and says when it moves, so that a copy kept in memory can be
//! dropped. The caches of verification and of the catalogue use it.

use std::sync::Weak;
use std::time::Duration;

use super::{AnyConnection, Db};

/// Starts a thread named `name` that reads `stamp` every `every` and calls `moved` whenever it
/// differs from the last reading; the thread stops once `owner` is dropped.
pub fn spawn<T, O>(
    name: &str,
    db: Db,
    owner: Weak<O>,
    every: Duration,
    stamp: fn(&mut AnyConnection) -> diesel::QueryResult<T>,
    moved: fn(),
) -> std::io::Result<()>
where
    T: PartialEq + Send + 'static,
    O: Send + Sync + 'static,
{
    std::thread::Builder::new().name(name.to_owned()).spawn(move || {
        let mut seen: Option<T> = None;
        while owner.strong_count() > 0 {
            if let Some(now) = db.conn().ok().and_then(|mut conn| stamp(&mut conn).ok()) {
                if seen.as_ref().is_some_and(|before| *before != now) {
                    moved();
                }
                seen = Some(now);
            }
            std::thread::sleep(every);
        }
    })?;
    Ok(())
}
