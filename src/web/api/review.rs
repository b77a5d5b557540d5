//! Officers' and supervisors' work on one case: claim, release, assign, request information,
//! decide, confirm or return a recommendation, notes, deadline and priority; and the applicant's
//! answer to a request for information, the other half of that exchange. Each handler extracts,
//! calls a use case of [`crate::app`] and renders.

use crate::web::request_id::RequestId;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::future::{Ready, ready};

use super::views::{ApplicationView, CaseView};
use super::visas::RevokeRequest;
use crate::app::applicant::respond;
use crate::app::engine::Audit;
use crate::app::review::decide::Verdict;
use crate::app::review::set_priority::Priority;
use crate::app::review::{
    assign, claim, confirm, decide, extend_deadline, note, release, request_info, return_case, revoke, set_priority,
};
use crate::app::{Applicant, CaseFile, Staff, Supervisor, User};
use crate::issuance::e_visa::grant::{Entries, GrantRequest};
use crate::web::error::AppResult;
use crate::web::extract::JsonBody;
use crate::web::state::AppState;

/// The shape a case takes in an answer: a visa application's under `/api/v1/applications`, the
/// service-neutral one under `/api/v1/cases` and `/api/v1/requests`. The same handlers serve all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// [`ApplicationView`].
    Application,
    /// [`CaseView`].
    Case,
}

impl FromRequest for Shape {
    type Error = actix_web::Error;
    type Future = Ready<Result<Shape, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let neutral = ["/api/v1/cases/", "/api/v1/requests/"].iter().any(|prefix| req.path().starts_with(prefix));
        ready(Ok(if neutral { Shape::Case } else { Shape::Application }))
    }
}

pub(super) fn ok(shape: Shape, file: CaseFile, viewer: &User) -> HttpResponse {
    match shape {
        Shape::Application => HttpResponse::Ok().json(ApplicationView::new(file, viewer.role)),
        Shape::Case => HttpResponse::Ok().json(CaseView::new(file, viewer.role)),
    }
}

/// `POST /api/v1/applications/{id}/claim`: the caller takes this submitted case.
pub async fn claim(
    state: web::Data<AppState>,
    user: Staff,
    shape: Shape,
    request_id: RequestId,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let file =
        claim::claim(&state.db, state.config.clone(), &user, path.into_inner(), Audit::for_request(request_id)).await?;
    Ok(ok(shape, file, &user))
}

/// `POST /api/v1/applications/{id}/release`: the assignee puts the case back in the queue.
pub async fn release(
    state: web::Data<AppState>,
    user: Staff,
    shape: Shape,
    request_id: RequestId,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let audit = Audit::for_request(request_id);
    let file = release::release(&state.db, state.config.clone(), &user, path.into_inner(), audit).await?;
    Ok(ok(shape, file, &user))
}

/// Body of `POST /api/v1/applications/{id}/assign`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    officer_id: String,
}

/// `POST /api/v1/applications/{id}/assign`: a supervisor gives the case to an officer of the post.
pub async fn assign(
    state: web::Data<AppState>,
    user: Staff,
    shape: Shape,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<AssignRequest>,
) -> AppResult<HttpResponse> {
    let audit = Audit::for_request(request_id);
    let file =
        assign::assign(&state.db, state.config.clone(), &user, path.into_inner(), body.0.officer_id, audit).await?;
    Ok(ok(shape, file, &user))
}

/// Body of `POST /api/v1/applications/{id}/request-info`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestInfoRequest {
    message: Option<String>,
    #[serde(default)]
    items: Vec<String>,
    #[serde(default)]
    documents: Vec<String>,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default)]
    due_date: Option<chrono::NaiveDate>,
}

/// `POST /api/v1/applications/{id}/request-info`: asks the applicant for more information.
pub async fn request_info(
    state: web::Data<AppState>,
    user: Staff,
    shape: Shape,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<RequestInfoRequest>,
) -> AppResult<HttpResponse> {
    let RequestInfoRequest { message, items, documents, fields, due_date } = body.0;
    let audit = Audit::for_request(request_id);
    let id = path.into_inner();
    let request = request_info::Request { message, items, documents, fields, due_date };
    let file = request_info::request_info(&state.db, state.config.clone(), &user, id, request, audit).await?;
    Ok(ok(shape, file, &user))
}

/// Body of `POST /api/v1/applications/{id}/respond`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RespondRequest {
    message: Option<String>,
}

/// `POST /api/v1/applications/{id}/respond`: the applicant answers a request for information;
/// the case goes back to the same officer.
pub async fn respond(
    state: web::Data<AppState>,
    user: Applicant,
    shape: Shape,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<RespondRequest>,
) -> AppResult<HttpResponse> {
    let audit = Audit::for_request(request_id);
    let id = path.into_inner();
    let file = respond::respond(&state.db, state.config.clone(), &user, id, body.0.message, audit).await?;
    Ok(ok(shape, file, &user))
}

/// Body of `POST /api/v1/applications/{id}/decision`.
#[derive(Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case", deny_unknown_fields)]
pub enum DecisionRequest {
    /// Approve (or recommend approval where four-eyes applies).
    Approve {
        #[serde(default)]
        entries: Option<Entries>,
        #[serde(default)]
        valid_from: Option<chrono::NaiveDate>,
        #[serde(default)]
        valid_until: Option<chrono::NaiveDate>,
        #[serde(default)]
        duration_of_stay_days: Option<i32>,
        #[serde(default)]
        note: Option<String>,
    },
    /// Refuse on coded grounds.
    Refuse {
        #[serde(default)]
        grounds: Vec<String>,
        #[serde(default)]
        note: Option<String>,
    },
}

/// `POST /api/v1/applications/{id}/decision`: approves, recommends approval, or refuses.
pub async fn decide(
    state: web::Data<AppState>,
    user: Staff,
    shape: Shape,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<DecisionRequest>,
) -> AppResult<HttpResponse> {
    let (verdict, note) = match body.0 {
        DecisionRequest::Approve { entries, valid_from, valid_until, duration_of_stay_days, note } => {
            let grant = GrantRequest { entries, valid_from, valid_until, duration_of_stay_days };
            (Verdict::Approve { grant }, note)
        }
        DecisionRequest::Refuse { grounds, note } => (Verdict::Refuse { grounds }, note),
    };
    let audit = Audit::for_request(request_id);
    let id = path.into_inner();
    let file = decide::decide(&state.db, state.config.clone(), &user, id, verdict, note, audit).await?;
    Ok(ok(shape, file, &user))
}

/// `POST /api/v1/applications/{id}/confirm`: a second person confirms a recommended approval.
pub async fn confirm(
    state: web::Data<AppState>,
    user: Staff,
    shape: Shape,
    request_id: RequestId,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let audit = Audit::for_request(request_id);
    let file = confirm::confirm(&state.db, state.config.clone(), &user, path.into_inner(), audit).await?;
    Ok(ok(shape, file, &user))
}

/// Body of `POST /api/v1/applications/{id}/return`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    note: Option<String>,
}

/// `POST /api/v1/applications/{id}/return`: a supervisor sends a recommendation back for review.
pub async fn return_for_review(
    state: web::Data<AppState>,
    user: Staff,
    shape: Shape,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<ReturnRequest>,
) -> AppResult<HttpResponse> {
    let audit = Audit::for_request(request_id);
    let id = path.into_inner();
    let file = return_case::return_case(&state.db, state.config.clone(), &user, id, body.0.note, audit).await?;
    Ok(ok(shape, file, &user))
}

/// Body of `POST /api/v1/applications/{id}/notes`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    text: Option<String>,
}

/// `POST /api/v1/applications/{id}/notes`: an internal note, visible to staff only.
pub async fn add_note(
    state: web::Data<AppState>,
    user: Staff,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<NoteRequest>,
) -> AppResult<HttpResponse> {
    note::note(&state.db, &user, path.into_inner(), body.0.text, Audit::for_request(request_id)).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({"status": "recorded"})))
}

/// Body of `POST /api/v1/applications/{id}/extend-deadline`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendDeadlineRequest {
    days: i64,
    reason: Option<String>,
}

/// `POST /api/v1/applications/{id}/extend-deadline`: a supervisor extends the decision deadline,
/// at most to 45 days after submission, with a recorded reason.
pub async fn extend_deadline(
    state: web::Data<AppState>,
    user: Staff,
    shape: Shape,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<ExtendDeadlineRequest>,
) -> AppResult<HttpResponse> {
    let ExtendDeadlineRequest { days, reason } = body.0;
    let audit = Audit::for_request(request_id);
    let id = path.into_inner();
    let file =
        extend_deadline::extend_deadline(&state.db, state.config.clone(), &user, id, days, reason, audit).await?;
    Ok(ok(shape, file, &user))
}

/// Body of `POST /api/v1/applications/{id}/priority`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityRequest {
    priority: Priority,
}

/// `POST /api/v1/applications/{id}/priority`: a supervisor marks a case urgent or normal.
pub async fn set_priority(
    state: web::Data<AppState>,
    user: Staff,
    shape: Shape,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<PriorityRequest>,
) -> AppResult<HttpResponse> {
    let audit = Audit::for_request(request_id);
    let id = path.into_inner();
    let file = set_priority::set_priority(&state.db, state.config.clone(), &user, id, body.0.priority, audit).await?;
    Ok(ok(shape, file, &user))
}

/// `POST /api/v1/cases/{id}/revoke`: a supervisor revokes what was issued for a case (an e-visa
/// or a certificate) on coded grounds.
pub async fn revoke(
    state: web::Data<AppState>,
    user: Supervisor,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<RevokeRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let RevokeRequest { grounds, note } = body.0;
    let audit = Audit::for_request(request_id);
    revoke::revoke(&state.db, state.config.clone(), &user, id.clone(), grounds, note, audit).await?;
    let file = crate::web::read(&state.db, move |conn| Ok(CaseFile::load(conn, &id)?)).await?;
    Ok(HttpResponse::Ok().json(CaseView::new(file, user.role)))
}
