//! Issued visas kept in memory for the verification hot path, without ever answering from a
//! stale copy: copies of visas checked (below), and the index of every e-visa number recorded
//! ([`IssuedNumbers`]), which answers for numbers never issued.
//!
//! Every copy carries the generation it was read in; a revocation moves the generation on (at
//! once when committed by this process, and within a quarter of a second when committed by
//! another: a watcher polls the latest revocation time), and a copy of an older generation is
//! read again. The generation is taken before the database read, so a revocation
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

/// How often the whole index is checked against the database's count, to heal a number missed
/// by the watch (a row recorded with a clock behind the latest one seen).
const RECONCILE_EVERY: Duration = Duration::from_secs(30);
/// How far before the latest number seen a refresh reads again, for clocks of other nodes that
/// run behind.
const CLOCK_SLACK: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// Every e-visa number recorded, kept in memory so that a check of a number never issued (most of
/// what a border sees: mistyped and invented numbers) is answered without the database. The index
/// is current when it was refreshed after the last recording this process knows of: its own at
/// commit, another node's within a quarter of a second (a watcher reads the latest recording
/// time). While it is not current, every number counts as possibly known and is looked up.
pub struct IssuedNumbers {
    index: RwLock<Index>,
    /// The database's recordings: the index is current when it was refreshed at their count.
    issuances: Changes,
}

#[derive(Default)]
struct Index {
    /// The recording count it was refreshed at; `None` before the first load.
    generation: Option<u64>,
    numbers: std::collections::HashSet<String>,
    /// When the latest number it holds was recorded.
    latest: Option<chrono::NaiveDateTime>,
}

impl IssuedNumbers {
    /// Starts the index and the thread that loads it and keeps it current; the thread stops once
    /// the index is dropped.
    pub fn start(db: Db) -> std::io::Result<Arc<IssuedNumbers>> {
        let index = Arc::new(IssuedNumbers::counting(db.issuances().clone()));
        let owner = Arc::downgrade(&index);
        std::thread::Builder::new().name("issued-numbers".into()).spawn(move || {
            let mut stamp = None;
            let mut reconciled = std::time::Instant::now();
            while let Some(index) = owner.upgrade() {
                if let Ok(mut conn) = db.conn() {
                    // Another node's recording moves the latest time.
                    if let Ok(now) = issued_documents::latest_recorded(&mut conn) {
                        if stamp.is_some_and(|before| before != now) {
                            index.issuances.count();
                        }
                        stamp = Some(now);
                    }
                    let reconcile = reconciled.elapsed() >= RECONCILE_EVERY;
                    if let Err(err) = index.refresh(&mut conn, reconcile) {
                        tracing::warn!(error = %err, "could not refresh the index of issued numbers");
                    } else if reconcile {
                        reconciled = std::time::Instant::now();
                    }
                }
                drop(index);
                std::thread::sleep(WATCH_EVERY);
            }
        })?;
        Ok(index)
    }

    /// An empty index, current once refreshed at the count of `issuances`.
    fn counting(issuances: Changes) -> IssuedNumbers {
        IssuedNumbers { index: RwLock::default(), issuances }
    }

    /// Whether `number` is surely not an e-visa's: the index is current and does not hold it.
    pub fn surely_unknown(&self, number: &str) -> bool {
        let generation = self.issuances.seen();
        self.index.read().is_ok_and(|index| index.generation == Some(generation) && !index.numbers.contains(number))
    }

    /// Brings the index up to the recordings seen so far: the numbers recorded since a little
    /// before the latest it holds (all of them the first time, or when `reconcile` finds its
    /// size differs from the database's count).
    fn refresh(&self, conn: &mut crate::db::AnyConnection, reconcile: bool) -> diesel::QueryResult<()> {
        let generation = self.issuances.seen();
        let (current, latest) = match self.index.read() {
            Ok(index) => (index.generation == Some(generation), index.latest),
            Err(_) => return Ok(()),
        };
        if current && !reconcile {
            return Ok(());
        }
        let kind = crate::domain::service::OutputKind::EVisa;
        let since = latest.map(|latest| latest - CLOCK_SLACK);
        let found = issued_documents::numbers_since(conn, kind, since)?;
        let Ok(mut index) = self.index.write() else { return Ok(()) };
        for (number, recorded) in found {
            index.latest = index.latest.max(Some(recorded));
            index.numbers.insert(number);
        }
        drop(index);
        if reconcile || latest.is_none() {
            let count = issued_documents::count(conn, kind)?;
            let held = self.index.read().map_or(0, |index| index.numbers.len());
            if usize::try_from(count).ok() != Some(held) {
                let all = issued_documents::numbers_since(conn, kind, None)?;
                if let Ok(mut index) = self.index.write() {
                    index.latest = all.iter().map(|(_, at)| *at).max();
                    index.numbers = all.into_iter().map(|(number, _)| number).collect();
                }
            }
        }
        if let Ok(mut index) = self.index.write() {
            index.generation = Some(generation);
        }
        Ok(())
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
