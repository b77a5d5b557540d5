//! Cases: the stored row, references, creation, form and status changes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::AnyConnection;
use super::schema::cases;
use crate::domain::status::CaseStatus;

/// A stored case.
#[derive(Queryable, Debug, Clone)]
pub struct CaseRow {
    /// Case id (UUID).
    pub id: String,
    /// Human-readable reference.
    pub reference: String,
    /// The applicant's account.
    pub applicant_id: String,
    /// The case family: `visa` for e-visas, `consular` for other services.
    pub service: String,
    /// The service's code in the catalogue (for visas, the visa type).
    pub service_code: String,
    /// The post handling the case.
    pub post_code: String,
    /// Current status; a stored name this code does not know fails the load.
    #[diesel(deserialize_as = String)]
    pub status: CaseStatus,
    /// The service's form as JSON text.
    pub form: String,
    /// Surname, copied from the form for searching.
    pub surname: Option<String>,
    /// Given names, copied from the form for searching.
    pub given_names: Option<String>,
    /// Nationality, copied from the form for searching.
    pub nationality: Option<String>,
    /// The officer the case is assigned to.
    pub assigned_officer_id: Option<String>,
    /// `normal` or `urgent`.
    pub priority: String,
    /// When it was submitted.
    pub submitted_at: Option<NaiveDateTime>,
    /// When a decision is due.
    pub decision_deadline: Option<NaiveDateTime>,
    /// Incremented by every change.
    pub version: i32,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
    /// The current decision or recommendation as JSON text.
    pub decision: Option<String>,
    /// Who recommended approval, while four-eyes confirmation is pending.
    pub recommended_by: Option<String>,
    /// When the final decision was taken.
    pub decided_at: Option<NaiveDateTime>,
    /// The version of the service's form the case was created with.
    pub form_version: i32,
}

/// A new case.
#[derive(Insertable)]
#[diesel(table_name = cases)]
pub struct NewCase<'a> {
    /// Case id.
    pub id: &'a str,
    /// Human-readable reference.
    pub reference: &'a str,
    /// The applicant's account.
    pub applicant_id: &'a str,
    /// Kind of service.
    pub service: &'a str,
    /// The service's code.
    pub service_code: &'a str,
    /// The handling post.
    pub post_code: &'a str,
    /// Initial status.
    pub status: &'a str,
    /// The form as JSON text.
    pub form: &'a str,
    /// Surname for searching.
    pub surname: Option<&'a str>,
    /// Given names for searching.
    pub given_names: Option<&'a str>,
    /// Nationality for searching.
    pub nationality: Option<&'a str>,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Same as the creation time.
    pub updated_at: NaiveDateTime,
    /// The version of the service's form.
    pub form_version: i32,
}

/// New content for an editable case.
#[derive(AsChangeset)]
#[diesel(table_name = cases, treat_none_as_null = true)]
pub struct FormChanges<'a> {
    /// The service's code.
    pub service_code: &'a str,
    /// The handling post.
    pub post_code: &'a str,
    /// The form as JSON text.
    pub form: &'a str,
    /// Surname for searching.
    pub surname: Option<&'a str>,
    /// Given names for searching.
    pub given_names: Option<&'a str>,
    /// Nationality for searching.
    pub nationality: Option<&'a str>,
    /// Time of the change.
    pub updated_at: NaiveDateTime,
    /// The version of the service's form.
    pub form_version: i32,
}

/// What a status transition writes besides the status. `None` leaves a column alone;
/// `Some(None)` clears a nullable one.
#[derive(AsChangeset, Default)]
#[diesel(table_name = cases)]
pub struct TransitionChanges {
    /// New submission time.
    pub submitted_at: Option<NaiveDateTime>,
    /// New decision deadline.
    pub decision_deadline: Option<NaiveDateTime>,
    /// New assignee.
    pub assigned_officer_id: Option<Option<String>>,
    /// New decision or recommendation (JSON text).
    pub decision: Option<Option<String>>,
    /// New recommender.
    pub recommended_by: Option<Option<String>>,
    /// Time of the final decision.
    pub decided_at: Option<Option<NaiveDateTime>>,
    /// New priority.
    pub priority: Option<String>,
}

impl TransitionChanges {
    fn is_empty(&self) -> bool {
        self.submitted_at.is_none()
            && self.decision_deadline.is_none()
            && self.assigned_officer_id.is_none()
            && self.decision.is_none()
            && self.recommended_by.is_none()
            && self.decided_at.is_none()
            && self.priority.is_none()
    }
}

#[derive(QueryableByName)]
struct CounterValue {
    #[diesel(sql_type = BigInt)]
    last_value: i64,
}

/// Takes the next number of a reference scope, atomically.
pub fn next_reference_number(conn: &mut AnyConnection, scope: &str) -> QueryResult<i64> {
    const UPSERT: &str = "INSERT INTO reference_counters (scope, last_value) VALUES ({p}, 1) \
        ON CONFLICT (scope) DO UPDATE SET last_value = reference_counters.last_value + 1 RETURNING last_value";
    let row: CounterValue = match conn {
        AnyConnection::Postgresql(pg) => {
            diesel::sql_query(UPSERT.replace("{p}", "$1")).bind::<Text, _>(scope).get_result(pg)?
        }
        AnyConnection::Sqlite(lite) => {
            diesel::sql_query(UPSERT.replace("{p}", "?")).bind::<Text, _>(scope).get_result(lite)?
        }
    };
    Ok(row.last_value)
}

/// Inserts a case, and counts it.
pub fn insert(conn: &mut AnyConnection, case: &NewCase<'_>) -> QueryResult<()> {
    diesel::insert_into(cases::table).values(case).execute(conn)?;
    let status = case.status.parse::<CaseStatus>().ok();
    super::case_counts::shift(conn, None, status.map(|status| (case.post_code, case.service_code, status)))
}

/// The case with this id.
pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<CaseRow>> {
    cases::table.find(id).first(conn).optional()
}

/// An applicant's cases, newest first, with the total count.
pub fn list_for_applicant(
    conn: &mut AnyConnection,
    applicant_id: &str,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<CaseRow>, i64)> {
    let total = cases::table.filter(cases::applicant_id.eq(applicant_id)).count().get_result(conn)?;
    let rows = cases::table
        .filter(cases::applicant_id.eq(applicant_id))
        .order((cases::created_at.desc(), cases::id.desc()))
        .limit(limit)
        .offset(offset)
        .load(conn)?;
    Ok((rows, total))
}

/// An applicant's cases of one family (`visa` or `consular`), newest first, with the total count.
pub fn list_for_applicant_of(
    conn: &mut AnyConnection,
    applicant_id: &str,
    family: &str,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<CaseRow>, i64)> {
    let mine = || {
        cases::table
            .filter(cases::applicant_id.eq(applicant_id.to_owned()))
            .filter(cases::service.eq(family.to_owned()))
    };
    let total = mine().count().get_result(conn)?;
    let rows = mine().order((cases::created_at.desc(), cases::id.desc())).limit(limit).offset(offset).load(conn)?;
    Ok((rows, total))
}

/// A post's cases past the draft stage, newest first, with the total count.
pub fn list_for_post(
    conn: &mut AnyConnection,
    post_code: &str,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<CaseRow>, i64)> {
    let visible = || {
        cases::table
            .filter(cases::post_code.eq(post_code.to_owned()))
            .filter(cases::status.ne(CaseStatus::Draft.as_str()))
    };
    let total = visible().count().get_result(conn)?;
    let rows = visible().order((cases::created_at.desc(), cases::id.desc())).limit(limit).offset(offset).load(conn)?;
    Ok((rows, total))
}

/// Replaces the form of a case, provided it is still at `expected_version` and in
/// `expected_status`. Returns the number of rows changed: 0 means someone else changed it first.
pub fn update_form(
    conn: &mut AnyConnection,
    id: &str,
    expected_status: CaseStatus,
    expected_version: i32,
    changes: &FormChanges<'_>,
) -> QueryResult<usize> {
    // Past the draft stage the case is counted where it is: read where, to move the count if the
    // form moves it to another post or service.
    let counted_at: Option<(String, String)> = if expected_status == CaseStatus::Draft {
        None
    } else {
        cases::table.find(id).select((cases::post_code, cases::service_code)).first(conn).optional()?
    };
    let changed = diesel::update(
        cases::table
            .filter(cases::id.eq(id))
            .filter(cases::status.eq(expected_status.as_str()))
            .filter(cases::version.eq(expected_version)),
    )
    .set((changes, cases::version.eq(cases::version + 1)))
    .execute(conn)?;
    if changed == 1
        && let Some((post, service)) = counted_at
    {
        super::case_counts::shift(
            conn,
            Some((&post, &service, expected_status)),
            Some((changes.post_code, changes.service_code, expected_status)),
        )?;
    }
    Ok(changed)
}

/// Moves a case from `from` to `to` (which may be the same status, for changes such as a
/// reassignment), provided it is still in `from` at `expected_version`. Returns the number of
/// rows changed: 0 means someone changed the case first (a lost race).
pub fn change_status(
    conn: &mut AnyConnection,
    id: &str,
    from: CaseStatus,
    expected_version: i32,
    to: CaseStatus,
    changes: TransitionChanges,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let target = cases::table
        .filter(cases::id.eq(id))
        .filter(cases::status.eq(from.as_str()))
        .filter(cases::version.eq(expected_version));
    let base = (cases::status.eq(to.as_str()), cases::updated_at.eq(at), cases::version.eq(cases::version + 1));
    if changes.is_empty() {
        diesel::update(target).set(base).execute(conn)
    } else {
        diesel::update(target).set((base, changes)).execute(conn)
    }
}

/// Bumps the version of a case in an editable status, so concurrent edits and uploads see each
/// other. Returns the number of rows changed.
pub fn touch(conn: &mut AnyConnection, id: &str, expected_status: CaseStatus, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(cases::table.filter(cases::id.eq(id)).filter(cases::status.eq(expected_status.as_str())))
        .set((cases::updated_at.eq(at), cases::version.eq(cases::version + 1)))
        .execute(conn)
}

/// Locks the case `id` until the transaction ends (PostgreSQL; SQLite's write transactions are
/// serial already), so that changes of one case that read before they write go one at a time.
pub fn lock(conn: &mut AnyConnection, id: &str) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(pg) => {
            cases::table.find(id).select(cases::id).for_update().first::<String>(pg).optional().map(drop)
        }
        AnyConnection::Sqlite(_) => Ok(()),
    }
}
