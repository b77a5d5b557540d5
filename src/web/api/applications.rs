//! Visa applications, the applicant's side: create, read, edit, submit, withdraw, history. Each
//! handler extracts, calls a use case of [`crate::app::applicant`] and renders.

use crate::web::request_id::RequestId;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::review::{Shape, ok};
use super::views::{ApplicationView, EventView};
use crate::app::applicant::{as_applicant, create, edit, submit, withdraw};
use crate::app::engine::{Audit, visible_case};
use crate::app::{Applicant, CaseFile, Error, User};
use crate::db::{cases, events};
use crate::domain::role::Role;
use crate::issuance::e_visa::form::{ApplicantDetails, ContactDetails, PassportDetails, TravelDetails};
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{JsonBody, OptionalJsonBody, Page, PageQuery, from_value};
use crate::web::state::AppState;

/// A visa application as clients write it: the visa type and post, then the form.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    visa_type: String,
    post: String,
    #[serde(default)]
    applicant: ApplicantDetails,
    #[serde(default)]
    passport: PassportDetails,
    #[serde(default)]
    travel: TravelDetails,
    #[serde(default)]
    contact: ContactDetails,
}

/// Visa routes call the service `visa_type`.
fn visa_vocabulary(err: Error) -> AppError {
    match err {
        Error::Invalid(mut problems) => {
            for problem in &mut problems {
                if problem.field == "service" {
                    problem.field = "visa_type".into();
                }
            }
            AppError::Validation(problems)
        }
        other => other.into(),
    }
}

/// `POST /api/v1/applications`: creates a draft.
pub async fn create(
    state: web::Data<AppState>,
    user: Applicant,
    request_id: RequestId,
    body: JsonBody<ApplicationInput>,
) -> AppResult<HttpResponse> {
    let input = body.0;
    let form = serde_json::json!({
        "applicant": input.applicant, "passport": input.passport, "travel": input.travel, "contact": input.contact,
    });
    let draft = create::Draft { service: input.visa_type, post: input.post, form };
    let file = create::create(&state.db, state.config.clone(), &user, draft, Audit::for_request(request_id))
        .await
        .map_err(visa_vocabulary)?;
    let view = ApplicationView::new(file, user.role);
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/applications/{}", view.id))).json(view))
}

/// `GET /api/v1/applications`: the applicant's own cases, or the staff member's post's cases.
pub async fn list(state: web::Data<AppState>, user: User, query: web::Query<PageQuery>) -> AppResult<HttpResponse> {
    let page = query.into_inner();
    let (limit, offset) = page.limit_offset()?;
    let items = crate::web::read(&state.db, move |conn| {
        let (rows, total) = match (user.role, user.post.as_deref()) {
            (Role::Applicant, _) => cases::list_for_applicant(conn, &user.id, limit, offset)?,
            (Role::Officer | Role::Supervisor, Some(post)) => cases::list_for_post(conn, post, limit, offset)?,
            _ => {
                return Err(AppError::Forbidden("administrators do not handle case files".into()));
            }
        };
        let mut items = Vec::with_capacity(rows.len());
        for case in rows {
            items.push(ApplicationView::new(CaseFile::visa_file(conn, case)?, user.role));
        }
        Ok(Page { items, page: page.page, per_page: page.per_page, total })
    })
    .await?;
    Ok(HttpResponse::Ok().json(items))
}

/// `GET /api/v1/applications/{id}` (and `/api/v1/requests/{id}`, `/api/v1/cases/{id}`).
pub async fn get(
    state: web::Data<AppState>,
    user: User,
    shape: Shape,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let viewer = user.clone();
    let file = crate::web::read(&state.db, move |conn| {
        let case = visible_case(conn, &id, &user)?;
        Ok(CaseFile::load(conn, &case.id)?)
    })
    .await?;
    Ok(ok(shape, file, &viewer))
}

/// `PATCH /api/v1/applications/{id}`: a JSON merge patch (RFC 7396) of the application, while
/// it is a draft or information was requested.
pub async fn update(
    state: web::Data<AppState>,
    user: User,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<serde_json::Value>,
) -> AppResult<HttpResponse> {
    let mut patch = body.0;
    let Some(fields) = patch.as_object_mut() else {
        return Err(AppError::invalid_field("", "invalid", "a merge patch must be a JSON object"));
    };
    let names: Vec<String> = fields.keys().cloned().collect();
    let mut take = |name: &str| match fields.remove(name) {
        None => Ok(None),
        Some(value) => from_value::<String>(value)
            .map(Some)
            .map_err(|_| AppError::invalid_field(name, "invalid", "must be a string")),
    };
    let service = take("visa_type")?;
    let post = take("post")?;
    if let Some(unknown) = fields.keys().find(|k| !["applicant", "passport", "travel", "contact"].contains(&k.as_str()))
    {
        return Err(AppError::invalid_field(unknown.clone(), "invalid", format!("unknown field `{unknown}`")));
    }
    let id = path.into_inner();
    let user = as_applicant(&state.db, user, &id).await?;
    let changes = edit::Changes { service, post, form_patch: patch, fields: names };
    let file = edit::edit(&state.db, state.config.clone(), &user, id, changes, Audit::for_request(request_id))
        .await
        .map_err(visa_vocabulary)?;
    Ok(HttpResponse::Ok().json(ApplicationView::new(file, user.role)))
}

/// `POST /api/v1/applications/{id}/submit` (and `/api/v1/requests/{id}/submit`): checks every rule and submits, or lists every problem.
pub async fn submit(
    state: web::Data<AppState>,
    user: User,
    shape: Shape,
    request_id: RequestId,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let user = as_applicant(&state.db, user, &id).await?;
    let file = submit::submit(&state.db, state.config.clone(), &user, id, Audit::for_request(request_id))
        .await
        .map_err(|err| if shape == Shape::Application { visa_vocabulary(err) } else { err.into() })?;
    Ok(ok(shape, file, &user))
}

/// Body of `POST /api/v1/applications/{id}/withdraw`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/v1/applications/{id}/withdraw` (and `/api/v1/requests/{id}/withdraw`): the applicant withdraws before a decision.
pub async fn withdraw(
    state: web::Data<AppState>,
    user: User,
    shape: Shape,
    request_id: RequestId,
    path: web::Path<String>,
    body: OptionalJsonBody<WithdrawRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let user = as_applicant(&state.db, user, &id).await?;
    let reason = body.0.reason;
    let audit = Audit::for_request(request_id);
    let file = withdraw::withdraw(&state.db, state.config.clone(), &user, id, reason, audit).await?;
    Ok(ok(shape, file, &user))
}

/// `GET /api/v1/applications/{id}/events`: the case's history.
pub async fn events(state: web::Data<AppState>, user: User, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let items = crate::web::read(&state.db, move |conn| {
        let case = visible_case(conn, &id, &user)?;
        let rows = events::list_for_case(conn, &case.id)?;
        Ok(rows.into_iter().filter_map(|row| EventView::for_viewer(row, user.role)).collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}
