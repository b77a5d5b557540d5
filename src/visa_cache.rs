//! Issued visas kept in memory for the verification hot path, without ever answering from a
//! stale copy. Every copy carries the generation it was read in; a revocation moves the
//! generation on (at once when committed by this process, and within a quarter of a second when
//! committed by another: a watcher polls the latest revocation time), and a copy of an older
//! generation is read again. The generation is taken before the database read, so a revocation
//! that commits during the read leaves the copy stale rather than wrong.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::db::issued_documents;
use crate::db::{Db, watch::Changes};

/// How many visas are kept; beyond that the cache starts afresh.
const CAPACITY: usize = 50_000;
/// How often revocations by other processes are looked for.
const WATCH_EVERY: Duration = Duration::from_millis(250);

/// Copies of issued visas by number, in the form their reader keeps them (`V`), each with the
/// generation it was read in.
pub struct VisaCache<V> {
    entries: RwLock<HashMap<String, (u64, Arc<V>)>>,
    /// The database's revocations: their count is the generation.
    revocations: Changes,
}

impl<V: Send + Sync + 'static> VisaCache<V> {
    /// Starts the cache and its watcher of revocations made by other processes; the watcher
    /// stops when the cache is dropped.
    pub fn start(db: Db) -> std::io::Result<Arc<VisaCache<V>>> {
        let revocations = db.revocations().clone();
        let cache = Arc::new(VisaCache::counting(revocations.clone()));
        let stamp = issued_documents::latest_revocation;
        crate::db::watch::spawn("visa-cache", db, Arc::downgrade(&cache), WATCH_EVERY, stamp, revocations)?;
        Ok(cache)
    }

    /// An empty cache whose generation is the count of `revocations`.
    fn counting(revocations: Changes) -> VisaCache<V> {
        VisaCache { entries: RwLock::default(), revocations }
    }

    /// The current generation; read it before reading a visa from the database.
    pub fn generation(&self) -> u64 {
        self.revocations.seen()
    }

    /// The visa `number`, if a copy of the current generation is kept.
    pub fn get(&self, number: &str) -> Option<Arc<V>> {
        let entries = self.entries.read().ok()?;
        let (generation, visa) = entries.get(number)?;
        (*generation == self.generation()).then(|| visa.clone())
    }

    /// Keeps a copy of the issued visa `number` read in `generation`. Only issued visas may be
    /// kept: one still being issued changes without a revocation.
    pub fn put(&self, generation: u64, number: &str, visa: Arc<V>) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(number.to_owned(), (generation, visa));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_of_an_older_generation_are_never_answered() {
        let revocations = Changes::default();
        let cache: VisaCache<&str> = VisaCache::counting(revocations.clone());
        cache.put(cache.generation(), "AAA", Arc::new("valid"));
        assert!(cache.get("AAA").is_some_and(|v| *v == "valid"));
        assert!(cache.get("BBB").is_none());
        revocations.count();
        assert!(cache.get("AAA").is_none(), "a revocation makes every copy stale");
        cache.put(cache.generation(), "AAA", Arc::new("revoked"));
        assert!(cache.get("AAA").is_some_and(|v| *v == "revoked"));
    }
}
