//! Appointments: posts' schedules (administrators) and the applicant's slots and booking. Each
//! handler extracts, calls a use case of [`crate::app::appointments`] and renders.

use crate::web::request_id::RequestId;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::views::CaseView;
use crate::app::applicant::as_applicant;
use crate::app::appointments::{self, Attendance};
use crate::app::engine::Audit;
use crate::app::{Admin, Staff, User};
use crate::domain::schedule::Schedule;
use crate::web::error::AppResult;
use crate::web::extract::JsonBody;
use crate::web::state::AppState;

/// `PUT /api/v1/admin/posts/{code}/schedule`: publishes a post's appointment schedule.
pub async fn publish_schedule(
    state: web::Data<AppState>,
    admin: Admin,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<Schedule>,
) -> AppResult<HttpResponse> {
    let schedule =
        appointments::publish_schedule(&state.db, &admin, path.into_inner(), None, body.0, request_id.to_string())
            .await?;
    Ok(HttpResponse::Ok().json(schedule))
}

/// `PUT /api/v1/admin/posts/{code}/services/{service}/schedule`: publishes the schedule of one
/// appointment service at a post.
pub async fn publish_service_schedule(
    state: web::Data<AppState>,
    admin: Admin,
    request_id: RequestId,
    path: web::Path<(String, String)>,
    body: JsonBody<Schedule>,
) -> AppResult<HttpResponse> {
    let (post, service) = path.into_inner();
    let schedule =
        appointments::publish_schedule(&state.db, &admin, post, Some(service), body.0, request_id.to_string()).await?;
    Ok(HttpResponse::Ok().json(schedule))
}

/// Query of `GET /api/v1/appointments`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayQuery {
    #[serde(default)]
    date: Option<NaiveDate>,
}

/// `GET /api/v1/appointments?date=`: the appointments at the caller's post on a day.
pub async fn day(state: web::Data<AppState>, staff: Staff, query: web::Query<DayQuery>) -> AppResult<HttpResponse> {
    let (bookings, date, tz) = appointments::day(&state.db, &staff, query.into_inner().date).await?;
    let items: Vec<serde_json::Value> = bookings
        .into_iter()
        .map(|b| {
            serde_json::json!({
                "case_id": b.case.id, "reference": b.case.reference, "service": b.case.service_code,
                "surname": b.case.surname, "given_names": b.case.given_names,
                "start": b.appointment.starts_at.and_utc().with_timezone(&tz).fixed_offset(),
                "end": b.appointment.ends_at.and_utc().with_timezone(&tz).fixed_offset(),
                "attendance": b.appointment.attendance,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "date": date, "time_zone": tz.name(), "items": items })))
}

/// Body of `POST /api/v1/cases/{id}/attendance`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttendanceBody {
    attendance: Attendance,
}

/// `POST /api/v1/cases/{id}/attendance`: marks whether the applicant came.
pub async fn attendance(
    state: web::Data<AppState>,
    staff: Staff,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<AttendanceBody>,
) -> AppResult<HttpResponse> {
    let audit = Audit::for_request(request_id);
    let file = appointments::mark_attendance(&state.db, &staff, path.into_inner(), body.0.attendance, audit).await?;
    Ok(HttpResponse::Ok().json(CaseView::new(file, staff.role)))
}

/// Query of `GET /api/v1/requests/{id}/slots`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotsQuery {
    #[serde(default)]
    from: Option<NaiveDate>,
    #[serde(default)]
    to: Option<NaiveDate>,
}

/// One slot as listed: start and end in the post's local time, with their offset.
#[derive(Serialize)]
struct SlotView {
    start: DateTime<chrono::FixedOffset>,
    end: DateTime<chrono::FixedOffset>,
    free: i32,
}

/// `GET /api/v1/requests/{id}/slots?from=&to=`: the post's slots for an approved request.
pub async fn slots(
    state: web::Data<AppState>,
    user: User,
    path: web::Path<String>,
    query: web::Query<SlotsQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let user = as_applicant(&state.db, user, &id).await?;
    let SlotsQuery { from, to } = query.into_inner();
    let (slots, tz) = appointments::slots(&state.db, &user, id, from, to).await?;
    let items: Vec<SlotView> = slots
        .into_iter()
        .map(|s| SlotView {
            start: s.slot.start.with_timezone(&tz).fixed_offset(),
            end: s.slot.end.with_timezone(&tz).fixed_offset(),
            free: s.free,
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// Body of `POST /api/v1/requests/{id}/appointment`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Booking {
    start: DateTime<Utc>,
}

/// `POST /api/v1/requests/{id}/appointment`: books a slot, or moves the appointment to it.
pub async fn book(
    state: web::Data<AppState>,
    user: User,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<Booking>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let user = as_applicant(&state.db, user, &id).await?;
    let audit = Audit::for_request(request_id);
    let file =
        appointments::book(&state.db, &state.documents, state.config.clone(), &user, id, body.0.start, audit).await?;
    Ok(HttpResponse::Ok().json(CaseView::new(file, user.role)))
}
