//! Watching the database for changes other processes commit: a thread reads a stamp (a count,
//! a latest time) every so often and says when it moves, so that a copy kept in memory can be
//! dropped. The caches of verification and of the catalogue use it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::{AnyConnection, Db};

/// Changes of one kind committed on one database, as this process has seen them: by itself when
/// it commits one, by a watcher when another process did. A copy read before the count moved
/// may be stale. Clones share the count.
#[derive(Clone, Default)]
pub struct Changes(Arc<AtomicU64>);

impl Changes {
    /// How many changes were seen; read it before reading what will be kept.
    pub fn seen(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Counts a change committed by this process or another.
    pub fn count(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// Starts a thread named `name` that reads `stamp` every `every` and counts a change in `moved`
/// whenever it differs from the last reading; the thread stops once `owner` is dropped.
pub fn spawn<T, O>(
    name: &str,
    db: Db,
    owner: Weak<O>,
    every: Duration,
    stamp: fn(&mut AnyConnection) -> diesel::QueryResult<T>,
    moved: Changes,
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
                    moved.count();
                }
                seen = Some(now);
            }
            std::thread::sleep(every);
        }
    })?;
    Ok(())
}
