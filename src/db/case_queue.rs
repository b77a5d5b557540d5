//! The queries of the queues: a post's cases filtered and paged, the next case to claim, and the
//! counts and decision times the statistics show.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

use super::AnyConnection;
use super::cases::CaseRow;
use super::schema::cases;
use crate::domain::status::CaseStatus;

diesel::define_sql_function! {
    /// SQL `lower` of nullable text.
    #[sql_name = "lower"]
    fn lower_nullable(x: Nullable<Text>) -> Nullable<Text>;
}

diesel::define_sql_function! {
    /// SQL `lower` of text.
    fn lower(x: Text) -> Text;
}

/// A decided case's service, submission time and decision time.
pub type DecisionTime = (String, Option<NaiveDateTime>, Option<NaiveDateTime>);

/// Whom queue entries are assigned to.
#[derive(Debug, Clone)]
pub enum Assignee {
    /// This officer.
    Officer(String),
    /// Nobody.
    Nobody,
}

/// Which cases of a post a queue listing shows.
#[derive(Debug, Clone)]
pub struct QueueFilter {
    /// The post.
    pub post: String,
    /// Statuses to include.
    pub statuses: Vec<CaseStatus>,
    /// Only this visa type.
    pub service_code: Option<String>,
    /// Only cases with this assignee.
    pub assignee: Option<Assignee>,
    /// Only applicants of this nationality.
    pub nationality: Option<String>,
    /// Only cases past (true) or within (false) their decision deadline at `now`.
    pub overdue: Option<bool>,
    /// The current time, for `overdue`.
    pub now: NaiveDateTime,
    /// Text that the reference, surname or given names contain (case-insensitive).
    pub text: Option<String>,
}

fn like_pattern(text: &str) -> String {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of a post's queue, urgent cases first ("urgent" sorts after "normal", hence
/// descending), then by decision deadline; with the total count.
pub fn queue(
    conn: &mut AnyConnection,
    filter: &QueueFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<CaseRow>, i64)> {
    let build = || {
        let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
        let mut query = cases::table
            .filter(cases::post_code.eq(filter.post.clone()))
            .filter(cases::status.eq_any(statuses))
            .into_boxed();
        if let Some(code) = &filter.service_code {
            query = query.filter(cases::service_code.eq(code.clone()));
        }
        match &filter.assignee {
            Some(Assignee::Officer(id)) => query = query.filter(cases::assigned_officer_id.eq(id.clone())),
            Some(Assignee::Nobody) => query = query.filter(cases::assigned_officer_id.is_null()),
            None => {}
        }
        if let Some(nationality) = &filter.nationality {
            query = query.filter(cases::nationality.eq(nationality.clone()));
        }
        match filter.overdue {
            Some(true) => query = query.filter(cases::decision_deadline.lt(filter.now)),
            Some(false) => query = query.filter(cases::decision_deadline.ge(filter.now)),
            None => {}
        }
        if let Some(text) = &filter.text {
            let pattern = like_pattern(text);
            query = query.filter(
                lower(cases::reference)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower_nullable(cases::surname).like(pattern.clone()).escape('\\'))
                    .or(lower_nullable(cases::given_names).like(pattern).escape('\\')),
            );
        }
        query
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((cases::priority.desc(), cases::decision_deadline.asc(), cases::submitted_at.asc(), cases::id.asc()))
        .limit(limit)
        .offset(offset)
        .load(conn)?;
    Ok((rows, total))
}

/// The id of the next case to claim at a post: submitted, urgent first, then earliest deadline.
/// On PostgreSQL the row is locked for the rest of the transaction and rows locked by other
/// claimers are skipped; on SQLite the caller's write transaction already excludes other writers.
pub fn next_claimable(conn: &mut AnyConnection, post: &str) -> QueryResult<Option<String>> {
    let query = cases::table
        .filter(cases::post_code.eq(post.to_owned()))
        .filter(cases::status.eq(CaseStatus::Submitted.as_str()))
        .order((cases::priority.desc(), cases::decision_deadline.asc(), cases::submitted_at.asc(), cases::id.asc()))
        .select(cases::id)
        .limit(1);
    match conn {
        AnyConnection::Postgresql(pg) => query.for_update().skip_locked().first(pg).optional(),
        AnyConnection::Sqlite(lite) => query.first(lite).optional(),
    }
}

/// Number of cases (drafts aside) by post and status, across every post (from the counts).
pub fn count_by_post_and_status(conn: &mut AnyConnection) -> QueryResult<Vec<(String, String, i64)>> {
    super::case_counts::by_post_and_status(conn)
}

/// Number of a post's cases (drafts aside) by status, of one service or all (from the counts).
pub fn count_by_status(conn: &mut AnyConnection, post: &str, service: Option<&str>) -> QueryResult<Vec<(String, i64)>> {
    super::case_counts::by_status(conn, post, service)
}

/// Number of a post's open cases past their decision deadline at `now`, of one service or all.
pub fn count_overdue(
    conn: &mut AnyConnection,
    post: &str,
    service: Option<&str>,
    open: &[CaseStatus],
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let open: Vec<&str> = open.iter().map(|s| s.as_str()).collect();
    let mut query = cases::table
        .filter(cases::post_code.eq(post.to_owned()))
        .filter(cases::status.eq_any(open))
        .filter(cases::decision_deadline.lt(now))
        .into_boxed();
    if let Some(service) = service {
        query = query.filter(cases::service_code.eq(service.to_owned()));
    }
    query.count().get_result(conn)
}

/// How many of a post's cases in `open` statuses were submitted in `[from, to)` (an open end
/// is unbounded).
pub fn count_submitted_between(
    conn: &mut AnyConnection,
    post: &str,
    open: &[CaseStatus],
    from: Option<NaiveDateTime>,
    to: Option<NaiveDateTime>,
) -> QueryResult<i64> {
    let open: Vec<&str> = open.iter().map(|s| s.as_str()).collect();
    let mut query = cases::table
        .filter(cases::post_code.eq(post.to_owned()))
        .filter(cases::status.eq_any(open))
        .filter(cases::submitted_at.is_not_null())
        .into_boxed();
    if let Some(from) = from {
        query = query.filter(cases::submitted_at.ge(from));
    }
    if let Some(to) = to {
        query = query.filter(cases::submitted_at.lt(to));
    }
    query.count().get_result(conn)
}

/// (visa type, submitted at, decided at) of a post's cases decided since `since`.
pub fn decision_times(
    conn: &mut AnyConnection,
    post: &str,
    service: Option<&str>,
    since: NaiveDateTime,
) -> QueryResult<Vec<DecisionTime>> {
    let mut query =
        cases::table.filter(cases::post_code.eq(post.to_owned())).filter(cases::decided_at.ge(since)).into_boxed();
    if let Some(service) = service {
        query = query.filter(cases::service_code.eq(service.to_owned()));
    }
    query.select((cases::service_code, cases::submitted_at, cases::decided_at)).load(conn)
}
