//! Seeds a database with cases for the queue measurements (`examples/queue_scale.rs`) as a
//! ministry's history grows: one case every two minutes going back in time (10,000 cases are two
//! weeks, a million almost four years), spread over 20 posts (`SEED-P00` to `SEED-P19`) and the
//! visa services, urgent and normal. Cases of the last 20 days are in every status, with
//! deadlines 15 days after submission (overdue when still open); older ones are decided or
//! withdrawn. Grows the seeded set up to `total`, so it can be run at 10,000, measured, then run
//! again at full size. Rows are made by the database itself (`generate_series` on PostgreSQL, a
//! recursive CTE on SQLite), 50,000 per statement; the kept counts are recounted at the end.
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/evisa_scale \
//!   cargo run --release --example seed_cases -- 1000000
//! EVISA_DATA_DIR=/tmp/evisa-scale cargo run --release --example seed_cases -- 100000
//! ```

use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Text};
use std::time::Instant;

use evisa::db::catalog::{self, PostRow};
use evisa::db::{self, AnyConnection, Backend};

/// Posts the cases are spread over.
const POSTS: i64 = 20;
/// Rows per INSERT statement.
const BATCH: i64 = 50_000;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct Code {
    #[diesel(sql_type = Text)]
    code: String,
}

/// The status of the `n`th seeded case. Of every hundred of the last 20 days (the 14,400 newest): 6 drafts, 12 submitted,
/// 6 in review, 3 waiting for information, 2 pending approval, 2 approved, 49 issued,
/// 12 refused, 6 withdrawn and 2 revoked; of older ones: 70 issued, 17 refused, 9 withdrawn
/// and 4 revoked.
const STATUS_SQL: &str = "CASE WHEN n < 14400 THEN (CASE \
    WHEN n % 100 < 6 THEN 'draft' WHEN n % 100 < 18 THEN 'submitted' WHEN n % 100 < 24 THEN 'in_review' \
    WHEN n % 100 < 27 THEN 'info_requested' WHEN n % 100 < 29 THEN 'pending_approval' \
    WHEN n % 100 < 31 THEN 'approved' WHEN n % 100 < 80 THEN 'issued' WHEN n % 100 < 92 THEN 'rejected' \
    WHEN n % 100 < 98 THEN 'withdrawn' ELSE 'revoked' END) ELSE (CASE \
    WHEN n % 100 < 70 THEN 'issued' WHEN n % 100 < 87 THEN 'rejected' WHEN n % 100 < 96 THEN 'withdrawn' \
    ELSE 'revoked' END) END";

/// Whether the `n`th case has been decided.
const DECIDED_SQL: &str = "(n < 14400 AND ((n % 100 >= 29 AND n % 100 < 92) OR n % 100 >= 98)) OR (n >= 14400 AND (n % 100 < 87 OR n % 100 >= 96))";

fn insert_batch(
    conn: &mut AnyConnection,
    backend: Backend,
    from: i64,
    to: i64,
    applicant: &str,
    services: &[String],
) -> anyhow::Result<()> {
    let service = format!(
        "CASE {} END",
        services
            .iter()
            .enumerate()
            .map(|(i, code)| format!("WHEN (n / 7) % {} = {i} THEN '{code}'", services.len()))
            .collect::<String>()
    );
    // Submitted 2n minutes ago, decision deadline 15 days later, decided within 10 days of
    // submission.
    let (series, id, submitted, deadline, decided, now) = match backend {
        Backend::Postgres => (
            format!("SELECT generate_series({from}, {to} - 1) AS n"),
            "md5('seed-case-' || n)",
            "(LOCALTIMESTAMP(0) - 2 * n * INTERVAL '1 minute')",
            "(LOCALTIMESTAMP(0) - 2 * n * INTERVAL '1 minute' + INTERVAL '15 days')",
            "(LOCALTIMESTAMP(0) - 2 * n * INTERVAL '1 minute' + (n % 10) * INTERVAL '1 day')",
            "LOCALTIMESTAMP(0)",
        ),
        Backend::Sqlite => (
            format!(
                "WITH RECURSIVE series(n) AS (SELECT {from} UNION ALL SELECT n + 1 FROM series WHERE n + 1 < {to}) SELECT n FROM series"
            ),
            "lower(hex(randomblob(16)))",
            "datetime('now', '-' || (2 * n) || ' minutes')",
            "datetime('now', '-' || (2 * n) || ' minutes', '+15 days')",
            "datetime('now', '-' || (2 * n) || ' minutes', '+' || (n % 10) || ' days')",
            "datetime('now')",
        ),
    };
    let sql = format!(
        "INSERT INTO cases (id, reference, applicant_id, service, service_code, post_code, status, form, surname, \
         given_names, nationality, priority, submitted_at, decision_deadline, version, created_at, updated_at, \
         decided_at, form_version) \
         SELECT {id}, 'SEED-' || n, '{applicant}', 'visa', {service}, \
           'SEED-P' || CASE WHEN (n / 100) % {POSTS} < 10 THEN '0' ELSE '' END || ((n / 100) % {POSTS}), \
           {STATUS_SQL}, '{{}}', 'Seeded' || (n % 997), 'Case', \
           CASE n % 4 WHEN 0 THEN 'GBR' WHEN 1 THEN 'IND' WHEN 2 THEN 'BRA' ELSE 'KAZ' END, \
           CASE WHEN n % 23 = 0 THEN 'urgent' ELSE 'normal' END, \
           CASE WHEN n % 100 < 6 THEN NULL ELSE {submitted} END, \
           CASE WHEN n % 100 < 6 THEN NULL ELSE {deadline} END, \
           1, {now}, {now}, CASE WHEN {DECIDED_SQL} THEN {decided} ELSE NULL END, 1 \
         FROM ({series}) AS numbers"
    );
    diesel::sql_query(sql).execute(conn)?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let total: i64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let config = evisa::config::Config::from_env()?;
    let backend = Backend::of_url(&config.database_url);
    let state = evisa::startup::bootstrap(config)?;
    let mut conn = state.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    for i in 0..POSTS {
        let code = format!("SEED-P{i:02}");
        if catalog::find_post(&mut conn, &code)?.is_none() {
            let post = PostRow {
                code,
                name: format!("Seeded post {i}"),
                country: "GBR".into(),
                time_zone: "UTC".into(),
                created_at: db::now(),
                four_eyes: false,
                texts: "{}".into(),
            };
            catalog::insert_post(&mut conn, &post)?;
        }
    }
    let applicant = match evisa::db::users::find_by_email(&mut conn, "seed.applicant@example.org")? {
        Some(user) => user.id,
        None => {
            use evisa::app::accounts::{self, AccountInput};
            let account = accounts::validate(AccountInput {
                email: "seed.applicant@example.org".into(),
                password: "Seed-account-password-2027".into(),
                full_name: "Seeded Applicant".into(),
                role: evisa::domain::role::Role::Applicant,
                post: None,
                preferred_language: None,
            })
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            accounts::insert(&mut conn, &account, "unusable").map_err(|e| anyhow::anyhow!("{e}"))?.id
        }
    };
    let services: Vec<String> =
        diesel::sql_query("SELECT code FROM services WHERE output = 'e_visa' AND active ORDER BY code")
            .load::<Code>(&mut conn)?
            .into_iter()
            .map(|c| c.code)
            .collect();
    anyhow::ensure!(!services.is_empty(), "no visa services in the catalogue");
    let seeded = diesel::sql_query("SELECT COUNT(*) AS n FROM cases WHERE reference LIKE 'SEED-%'")
        .get_result::<Count>(&mut conn)?
        .n;
    let started = Instant::now();
    let mut from = seeded;
    while from < total {
        let to = (from + BATCH).min(total);
        insert_batch(&mut conn, backend, from, to, &applicant, &services)?;
        from = to;
        eprintln!("{from} seeded cases ({:.0} s)", started.elapsed().as_secs_f64());
    }
    evisa::db::case_counts::recount(&mut conn)?;
    if backend == Backend::Postgres {
        diesel::sql_query("VACUUM ANALYZE cases").execute(&mut conn)?;
        // The bulk load leaves gigabytes of dirty pages; written out now, they do not compete
        // with the measurement that follows (a database in service writes them a little at a time).
        diesel::sql_query("CHECKPOINT").execute(&mut conn)?;
    } else {
        diesel::sql_query("ANALYZE").execute(&mut conn)?;
    }
    let all = diesel::sql_query("SELECT COUNT(*) AS n FROM cases").get_result::<Count>(&mut conn)?.n;
    println!(
        "{backend:?}: seeded {} cases in {:.1} s; {all} cases in all",
        total.saturating_sub(seeded).max(0),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
