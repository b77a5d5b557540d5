//! The statistics' decision times (median days from submission to decision, and decisions, per
//! service, over the last 90 days), kept per post and service filter. Reading them means reading
//! every decision of the window, which grows with a post's pace; the counts by status, read on
//! every request anyway, change whenever a case of the post changes status, and so whenever a
//! decision is made or undone, on any node. So the decision times are read again only when the
//! post's counts differ from those they were read with, or after a minute, as the window moves on.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long decision times are kept while the post's counts stay the same: the window moves on
/// by the minute, and a minute changes nothing a supervisor reads in 90 days of decisions.
pub const KEPT_FOR: Duration = Duration::from_secs(60);
/// Most (post, service filter) pairs kept; beyond that the memo starts afresh.
const CAPACITY: usize = 10_000;

/// Decision times of a post, of one service or all.
#[derive(Debug, PartialEq)]
pub struct Pace {
    /// Median days from submission to decision, per service.
    pub median_days_to_decision: BTreeMap<String, f64>,
    /// Decisions in the window, per service.
    pub decided: BTreeMap<String, usize>,
}

/// Counts by status the decision times were read with.
pub type Counts = BTreeMap<String, i64>;

struct Kept {
    counts: Counts,
    read_at: Instant,
    pace: Arc<Pace>,
}

/// Decision times by post and service filter, with the counts they were read with.
#[derive(Default)]
pub struct PaceMemo {
    kept: Mutex<HashMap<(String, Option<String>), Kept>>,
}

impl PaceMemo {
    /// The decision times of `post` (and `service`) if they were read with these `counts` less
    /// than [`KEPT_FOR`] before `now`.
    pub fn get(&self, post: &str, service: Option<&str>, counts: &Counts, now: Instant) -> Option<Arc<Pace>> {
        let kept = self.kept.lock().ok()?;
        let entry = kept.get(&(post.to_owned(), service.map(str::to_owned)))?;
        (entry.counts == *counts && now.saturating_duration_since(entry.read_at) < KEPT_FOR).then(|| entry.pace.clone())
    }

    /// Keeps decision times read at `read_at` with these `counts`.
    pub fn put(&self, post: &str, service: Option<&str>, counts: Counts, read_at: Instant, pace: Arc<Pace>) {
        if let Ok(mut kept) = self.kept.lock() {
            if kept.len() >= CAPACITY {
                kept.clear();
            }
            kept.insert((post.to_owned(), service.map(str::to_owned)), Kept { counts, read_at, pace });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pace(decided: usize) -> Arc<Pace> {
        Arc::new(Pace {
            median_days_to_decision: BTreeMap::from([("TOURIST".to_owned(), 1.5)]),
            decided: BTreeMap::from([("TOURIST".to_owned(), decided)]),
        })
    }

    fn counts(approved: i64) -> Counts {
        BTreeMap::from([("approved".to_owned(), approved), ("submitted".to_owned(), 3)])
    }

    #[test]
    fn kept_while_the_counts_stay_the_same_and_for_a_minute_at_most() {
        let memo = PaceMemo::default();
        let read_at = Instant::now();
        assert_eq!(memo.get("P", None, &counts(1), read_at), None);
        memo.put("P", None, counts(1), read_at, pace(1));
        assert_eq!(memo.get("P", None, &counts(1), read_at + Duration::from_secs(59)), Some(pace(1)));
        assert_eq!(memo.get("P", None, &counts(2), read_at), None, "a decision changes the counts");
        assert_eq!(memo.get("P", None, &counts(1), read_at + KEPT_FOR), None, "the window moves on");
        assert_eq!(memo.get("P", Some("TOURIST"), &counts(1), read_at), None, "per service filter");
        assert_eq!(memo.get("Q", None, &counts(1), read_at), None, "per post");
    }
}
