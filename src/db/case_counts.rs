//! Counts of cases by post, service and status, drafts aside, moved in the transaction of every
//! change to a case ([`shift`]), so that statistics and metrics read a few rows however long a
//! post's history grows. Rows are always changed in one order, so that two transactions moving
//! the same counts wait for each other rather than deadlock.
//!
//! A count is the sum of up to [`SHARDS`] rows. A row moved by a transaction stays locked until
//! it commits, so with one row per count every change of status at a post waited for the
//! commit of the one before; each thread now moves the rows of its own shard, and readers sum.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, SmallInt, Text};

use super::AnyConnection;
use super::schema::case_counts;
use crate::domain::status::CaseStatus;

/// Where a case is counted: its post, service and status.
pub type Place<'a> = (&'a str, &'a str, CaseStatus);

/// Moves a case's count from `from` (`None`: it is new) to `to`. Drafts are not counted.
pub fn shift<'a>(conn: &mut AnyConnection, from: Option<Place<'a>>, to: Option<Place<'a>>) -> QueryResult<()> {
    fn counted(place: Option<Place<'_>>) -> Option<Place<'_>> {
        place.filter(|(_, _, status)| *status != CaseStatus::Draft)
    }
    let (from, to) = (counted(from), counted(to));
    if from == to {
        return Ok(());
    }
    let mut changes: Vec<(Place<'a>, i64)> = from.map(|p| (p, -1)).into_iter().chain(to.map(|p| (p, 1))).collect();
    changes.sort_by(|((a1, a2, a3), _), ((b1, b2, b3), _)| (a1, a2, a3.as_str()).cmp(&(b1, b2, b3.as_str())));
    for ((post, service, status), delta) in changes {
        add(conn, post, service, status.as_str(), delta)?;
    }
    Ok(())
}

/// Rows a count is spread over.
pub const SHARDS: i16 = 4;

/// The shard this thread moves: threads take them in turn, so that concurrent writers (each on
/// a thread of its own) mostly move different rows, and a transaction (on one thread) moves the
/// rows of one shard, in the one order.
fn shard() -> i16 {
    use std::sync::atomic::{AtomicI16, Ordering};
    static NEXT: AtomicI16 = AtomicI16::new(0);
    thread_local! {
        static SHARD: i16 = NEXT.fetch_add(1, Ordering::Relaxed).rem_euclid(SHARDS);
    }
    SHARD.with(|shard| *shard)
}

fn add(conn: &mut AnyConnection, post: &str, service: &str, status: &str, delta: i64) -> QueryResult<()> {
    const UPSERT: &str = "INSERT INTO case_counts (post_code, service_code, status, shard, cases) \
        VALUES ({1}, {2}, {3}, {4}, {5}) ON CONFLICT (post_code, service_code, status, shard) \
        DO UPDATE SET cases = case_counts.cases + excluded.cases";
    let sql = |placeholder: fn(usize) -> String| {
        (1..=5).fold(UPSERT.to_owned(), |sql, i| sql.replace(&format!("{{{i}}}"), &placeholder(i)))
    };
    match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(sql(|i| format!("${i}")))
            .bind::<Text, _>(post)
            .bind::<Text, _>(service)
            .bind::<Text, _>(status)
            .bind::<SmallInt, _>(shard())
            .bind::<BigInt, _>(delta)
            .execute(pg)?,
        AnyConnection::Sqlite(lite) => diesel::sql_query(sql(|_| "?".to_owned()))
            .bind::<Text, _>(post)
            .bind::<Text, _>(service)
            .bind::<Text, _>(status)
            .bind::<SmallInt, _>(shard())
            .bind::<BigInt, _>(delta)
            .execute(lite)?,
    };
    Ok(())
}

/// A post's cases by status, of one service or all; statuses with no case are left out.
pub fn by_status(conn: &mut AnyConnection, post: &str, service: Option<&str>) -> QueryResult<Vec<(String, i64)>> {
    let mut query = case_counts::table.filter(case_counts::post_code.eq(post.to_owned())).into_boxed();
    if let Some(service) = service {
        query = query.filter(case_counts::service_code.eq(service.to_owned()));
    }
    let rows: Vec<(String, i64)> = query.select((case_counts::status, case_counts::cases)).load(conn)?;
    Ok(sum_by(rows.into_iter().map(|(status, n)| ((status,), n)))
        .into_iter()
        .map(|((status,), n)| (status, n))
        .collect())
}

/// Cases by post and status, across every post; pairs with no case are left out.
pub fn by_post_and_status(conn: &mut AnyConnection) -> QueryResult<Vec<(String, String, i64)>> {
    let rows: Vec<(String, String, i64)> =
        case_counts::table.select((case_counts::post_code, case_counts::status, case_counts::cases)).load(conn)?;
    Ok(sum_by(rows.into_iter().map(|(post, status, n)| ((post, status), n)))
        .into_iter()
        .map(|((post, status), n)| (post, status, n))
        .collect())
}

fn sum_by<K: Ord>(rows: impl Iterator<Item = (K, i64)>) -> Vec<(K, i64)> {
    let mut sums = std::collections::BTreeMap::new();
    for (key, n) in rows {
        *sums.entry(key).or_insert(0) += n;
    }
    sums.into_iter().filter(|(_, n)| *n > 0).collect()
}

/// Counts every case again from the cases themselves, for cases written by other means than
/// this service (a bulk import, the seeding example).
pub fn recount(conn: &mut AnyConnection) -> QueryResult<()> {
    diesel::delete(case_counts::table).execute(conn)?;
    diesel::sql_query(
        "INSERT INTO case_counts (post_code, service_code, status, cases) \
         SELECT post_code, service_code, status, COUNT(*) FROM cases WHERE status <> 'draft' \
         GROUP BY post_code, service_code, status",
    )
    .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{SHARDS, shard};

    #[test]
    fn threads_take_the_shards_in_turn() {
        let shards: std::collections::BTreeSet<i16> =
            (0..SHARDS).map(|_| std::thread::spawn(shard).join().unwrap()).collect();
        assert_eq!(shards, (0..SHARDS).collect(), "each new thread its own shard, until all are taken");
        let here = shard();
        assert_eq!(shard(), here, "a thread keeps its shard");
    }
}
