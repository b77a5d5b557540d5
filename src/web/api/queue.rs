//! A post's queue of cases: listing, claiming the next case, and the post's statistics.

use crate::web::request_id::RequestId;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::views::ApplicationView;
use crate::app::engine::Audit;
use crate::app::review::{OPEN_STATUSES, claim_next};
use crate::app::{CaseFile, Staff, Supervisor};
use crate::auth::AuthUser;
use crate::db::case_queue::{self, Assignee, QueueFilter};
use crate::db::{self};
use crate::decision_pace::Pace;
use crate::domain::country::CountryCode;
use crate::domain::role::Role;
use crate::domain::status::CaseStatus;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{Page, PageQuery};
use crate::web::state::AppState;

/// Query of `GET /api/v1/queue`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// Comma-separated statuses; default `submitted`, or every open status when filtering by
    /// assignee.
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    visa_type: Option<String>,
    /// Only cases of this service (any service of the catalogue; `visa_type` is its older name).
    #[serde(default)]
    service: Option<String>,
    /// `me`, `none`, or an officer's id.
    #[serde(default)]
    assigned: Option<String>,
    #[serde(default)]
    nationality: Option<String>,
    #[serde(default)]
    overdue: Option<bool>,
    /// Text in the reference, surname or given names.
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    per_page: Option<u32>,
}

fn staff_post(user: &AuthUser) -> AppResult<String> {
    user.require(&[Role::Officer, Role::Supervisor])?;
    user.post.clone().ok_or_else(|| AppError::Forbidden("the account belongs to no post".into()))
}

/// `GET /api/v1/queue`: the caller's post's cases, urgent first, then by deadline.
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<QueueQuery>,
) -> AppResult<HttpResponse> {
    let post = staff_post(&user)?;
    let query = query.into_inner();
    let page = PageQuery::new(query.page, query.per_page);
    let (limit, offset) = page.limit_offset()?;
    let assignee = match query.assigned.as_deref() {
        None | Some("") => None,
        Some("me") => Some(Assignee::Officer(user.id.clone())),
        Some("none") => Some(Assignee::Nobody),
        Some(id) => Some(Assignee::Officer(id.to_owned())),
    };
    let statuses = match query.status.as_deref() {
        Some(list) if !list.is_empty() => list
            .split(',')
            .map(|name| name.trim().parse::<CaseStatus>().ok().filter(|s| *s != CaseStatus::Draft))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| AppError::invalid_field("status", "invalid", "comma-separated statuses other than draft"))?,
        _ if assignee.is_some() => OPEN_STATUSES.to_vec(),
        _ => vec![CaseStatus::Submitted],
    };
    let nationality = match query.nationality {
        Some(code) => Some(
            code.parse::<CountryCode>()
                .map_err(|e| AppError::invalid_field("nationality", "invalid", e.to_string()))?
                .to_string(),
        ),
        None => None,
    };
    let text = query.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > 100) {
        return Err(AppError::invalid_field("q", "too_long", "at most 100 characters"));
    }
    let filter = QueueFilter {
        post,
        statuses,
        service_code: query.service.or(query.visa_type),
        assignee,
        nationality,
        overdue: query.overdue,
        now: db::now(),
        text,
    };
    let role = user.role;
    let result = crate::web::read(&state.db, move |conn| {
        let (rows, total) = case_queue::queue(conn, &filter, limit, offset)?;
        let mut items = Vec::with_capacity(rows.len());
        for case in rows {
            items.push(ApplicationView::new(CaseFile::visa_file(conn, case)?, role));
        }
        Ok(Page { items, page: page.page, per_page: page.per_page, total })
    })
    .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// `POST /api/v1/queue/claim`: assigns the caller the next case of the post (urgent first, then
/// earliest deadline) and moves it to `in_review`; 204 when the queue is empty. Concurrent
/// claimers never get the same case: on PostgreSQL the candidate row is locked and rows locked
/// by others are skipped; on SQLite the write transaction excludes other writers.
pub async fn claim_next(state: web::Data<AppState>, user: Staff, request_id: RequestId) -> AppResult<HttpResponse> {
    let claimed =
        claim_next::claim_next(&state.db, state.config.clone(), &user, Audit::for_request(request_id)).await?;
    Ok(match claimed {
        Some(file) => HttpResponse::Ok().json(ApplicationView::new(file, user.role)),
        None => HttpResponse::NoContent().finish(),
    })
}

/// Query of `GET /api/v1/stats`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// Only cases of this service.
    #[serde(default)]
    service: Option<String>,
}

/// The statistics of a post.
#[derive(Serialize)]
pub struct Stats {
    post: String,
    generated_at: chrono::DateTime<chrono::Utc>,
    by_status: BTreeMap<String, i64>,
    overdue: i64,
    /// Median days from submission to decision, per service, over the cases decided in the
    /// last [`DECISION_WINDOW_DAYS`] days.
    median_days_to_decision: BTreeMap<String, f64>,
    /// Cases decided in that window, per service.
    decided: BTreeMap<String, usize>,
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 0 { (values[mid - 1] + values[mid]) / 2.0 } else { values[mid] })
}

/// Days of recent decisions the statistics' decision times cover: a post's current pace, read
/// through an index, whatever the length of its history.
pub const DECISION_WINDOW_DAYS: i64 = 90;

/// Reads the decision times of a post's cases decided in the window before `now`.
fn read_pace(
    conn: &mut db::AnyConnection,
    post: &str,
    service: Option<&str>,
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<Pace> {
    let mut durations: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (visa_type, submitted, decided) in
        case_queue::decision_times(conn, post, service, now - chrono::Duration::days(DECISION_WINDOW_DAYS))?
    {
        if let (Some(submitted), Some(decided)) = (submitted, decided) {
            let days = (decided - submitted).num_seconds() as f64 / 86_400.0;
            durations.entry(visa_type).or_default().push(days);
        }
    }
    let decided = durations.iter().map(|(k, v)| (k.clone(), v.len())).collect();
    let median_days_to_decision =
        durations.into_iter().filter_map(|(k, v)| median(v).map(|m| (k, (m * 100.0).round() / 100.0))).collect();
    Ok(Pace { median_days_to_decision, decided })
}

/// `GET /api/v1/stats`: counts by status, overdue cases and median time to decision per service,
/// for the supervisor's post, of one service (`?service=`) or all. The decision times are read
/// again when the post's counts have changed, or after a minute ([`crate::decision_pace`]).
pub async fn stats(
    state: web::Data<AppState>,
    user: Supervisor,
    query: web::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let post = staff_post(&user)?;
    let now = db::now();
    let service = query.into_inner().service;
    let memo = state.clone();
    let stats = crate::web::read(&state.db, move |conn| {
        let service = service.as_deref();
        let by_status: BTreeMap<String, i64> = case_queue::count_by_status(conn, &post, service)?.into_iter().collect();
        let overdue = case_queue::count_overdue(conn, &post, service, &OPEN_STATUSES, now)?;
        let read_at = std::time::Instant::now();
        let pace = match memo.decision_pace.get(&post, service, &by_status, read_at) {
            Some(pace) => pace,
            None => {
                let pace = std::sync::Arc::new(read_pace(conn, &post, service, now)?);
                memo.decision_pace.put(&post, service, by_status.clone(), read_at, pace.clone());
                pace
            }
        };
        Ok(Stats {
            post,
            generated_at: now.and_utc(),
            by_status,
            overdue,
            median_days_to_decision: pace.median_days_to_decision.clone(),
            decided: pace.decided.clone(),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(stats))
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
