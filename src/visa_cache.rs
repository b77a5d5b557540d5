//! Issued visas kept in memory for the verification hot path, without ever answering from a
//! stale copy. Every copy carries the generation it was read in; a revocation moves the
//! generation on (at once when committed by this process, and within a quarter of a second when
//! committed by another: a watcher polls the latest revocation time), and a copy of an older
//! generation is read again. The generation is taken before the database read, so a revocation
//! that commits during the read leaves the copy stale rather than wrong.

use chrono::NaiveDateTime;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use crate::db::Db;
use crate::db::visas::{self, VisaRow};

/// How many visas are kept; beyond that the cache starts afresh.
const CAPACITY: usize = 50_000;
/// How often revocations by other processes are looked for.
const WATCH_EVERY: Duration = Duration::from_millis(250);

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The current generation; read it before reading a visa from the database.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// Moves the generation on: every copy read before now is stale.
pub fn invalidate() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// Copies of issued visas by number, each with the generation it was read in.
#[derive(Default)]
pub struct VisaCache {
    entries: RwLock<HashMap<String, (u64, Arc<VisaRow>)>>,
}

impl VisaCache {
    /// Starts the cache and its watcher of revocations made by other processes; the watcher
    /// stops when the cache is dropped.
    pub fn start(db: Db) -> std::io::Result<Arc<VisaCache>> {
        let cache = Arc::new(VisaCache::default());
        let weak: Weak<VisaCache> = Arc::downgrade(&cache);
        std::thread::Builder::new().name("visa-cache".into()).spawn(move || {
            let mut seen: Option<Option<NaiveDateTime>> = None;
            while weak.strong_count() > 0 {
                let latest = db.conn().ok().and_then(|mut conn| visas::latest_revocation(&mut conn).ok());
                if let Some(latest) = latest {
                    if seen.is_some_and(|before| before != latest) {
                        invalidate();
                    }
                    seen = Some(latest);
                }
                std::thread::sleep(WATCH_EVERY);
            }
        })?;
        Ok(cache)
    }

    /// The visa `number`, if a copy of the current generation is kept.
    pub fn get(&self, number: &str) -> Option<Arc<VisaRow>> {
        let entries = self.entries.read().ok()?;
        let (generation, visa) = entries.get(number)?;
        (*generation == self::generation()).then(|| visa.clone())
    }

    /// Keeps a copy of an issued visa read in `generation` (visas still being issued are not kept).
    pub fn put(&self, generation: u64, visa: Arc<VisaRow>) {
        if visa.status == "issuing" {
            return;
        }
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(visa.visa_number.clone(), (generation, visa));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visa(number: &str, status: &str) -> Arc<VisaRow> {
        let d = |s: &str| s.parse().unwrap();
        Arc::new(VisaRow {
            visa_number: number.into(),
            case_id: "c".into(),
            visa_type: "TOURIST".into(),
            type_letter: "C".into(),
            entries: "single".into(),
            valid_from: d("2027-03-01"),
            valid_until: d("2027-05-29"),
            duration_of_stay_days: 14,
            surname: "S".into(),
            given_names: "G".into(),
            sex: "F".into(),
            date_of_birth: d("1990-02-15"),
            place_of_birth: "P".into(),
            nationality: "GBR".into(),
            passport_number: "1".into(),
            passport_expiry: d("2031-01-09"),
            issuing_state: "UTO".into(),
            issuing_post: "UTO-HQ".into(),
            issue_date: d("2026-11-26"),
            kid: "k".into(),
            status: status.into(),
            pdf_key: None,
            pdf_sha256: None,
            revoked_at: None,
            revocation_grounds: None,
            created_at: chrono::Utc::now().naive_utc(),
        })
    }

    #[test]
    fn copies_of_an_older_generation_are_never_answered() {
        let cache = VisaCache::default();
        let before = generation();
        cache.put(before, visa("AAA", "valid"));
        cache.put(before, visa("BBB", "issuing"));
        assert!(cache.get("AAA").is_some_and(|v| v.status == "valid") || generation() != before);
        assert!(cache.get("BBB").is_none(), "visas being issued are read each time");
        invalidate();
        assert!(cache.get("AAA").is_none(), "a revocation makes every copy stale");
        cache.put(generation(), visa("AAA", "revoked"));
        assert!(cache.get("AAA").is_some_and(|v| v.status == "revoked"));
    }
}
