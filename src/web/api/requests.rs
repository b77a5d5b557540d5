//! Consular requests, the applicant's side, for every service of the catalogue: the form is the
//! service's own (checked against its JSON Schema), the documents are those it asks for. Each
//! handler extracts, calls a use case of [`crate::app::applicant`] and renders.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use serde::Deserialize;
use tracing_actix_web::RequestId;

use super::applications::WithdrawRequest;
use super::views::{CaseView, DocumentView, EventView};
use crate::app::applicant::{as_applicant, create, edit, respond, submit, upload, withdraw};
use crate::app::engine::{Audit, visible_case};
use crate::app::{Applicant, CaseFile, User};
use crate::db::{cases, documents, events};
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{JsonBody, OptionalJsonBody, Page, PageQuery, declared_length, read_body};

/// Body of `POST /api/v1/requests`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    service: String,
    post: String,
    #[serde(default)]
    form: serde_json::Value,
}

fn render(file: CaseFile, user: &User) -> CaseView {
    CaseView::new(file, user.role)
}

/// `POST /api/v1/requests`: a draft request for a service of the catalogue.
pub async fn create(
    state: web::Data<AppState>,
    user: Applicant,
    request_id: RequestId,
    body: JsonBody<NewRequest>,
) -> AppResult<HttpResponse> {
    let NewRequest { service, post, form } = body.0;
    let form = if form.is_null() { serde_json::json!({}) } else { form };
    let draft = create::Draft { service, post, form };
    let file = create::create(&state.db, state.config.clone(), &user, draft, Audit::for_request(request_id)).await?;
    let view = render(file, &user);
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/requests/{}", view.id))).json(view))
}

/// `GET /api/v1/requests`: the applicant's own requests.
pub async fn list(
    state: web::Data<AppState>,
    user: Applicant,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let page = query.into_inner();
    let (limit, offset) = page.limit_offset()?;
    let role = user.role;
    let page = crate::web::read(&state.db, move |conn| {
        let (rows, total) = cases::list_for_applicant_of(conn, &user.id, "consular", limit, offset)?;
        let mut items = Vec::with_capacity(rows.len());
        for case in rows {
            items.push(CaseView::new(CaseFile::of(conn, case)?, role));
        }
        Ok(Page { items, page: page.page, per_page: page.per_page, total })
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `GET /api/v1/requests/{id}` (and `GET /api/v1/cases/{id}` for staff).
pub async fn get(state: web::Data<AppState>, user: User, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let viewer = user.clone();
    let file = crate::web::read(&state.db, move |conn| {
        let case = visible_case(conn, &id, &user)?;
        Ok(CaseFile::load(conn, &case.id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(render(file, &viewer)))
}

/// `PATCH /api/v1/requests/{id}`: a JSON merge patch (RFC 7396) of the form.
pub async fn update(
    state: web::Data<AppState>,
    user: User,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<serde_json::Value>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let user = as_applicant(&state.db, user, &id).await?;
    let patch = body.0;
    let fields: Vec<String> = patch.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    let changes = edit::Changes { service: None, post: None, form_patch: patch, fields };
    let audit = Audit::for_request(request_id);
    let file = edit::edit(&state.db, state.config.clone(), &user, id, changes, audit).await?;
    Ok(HttpResponse::Ok().json(render(file, &user)))
}

/// `PUT /api/v1/requests/{id}/documents/{kind}`: a document of a kind the service asks for.
pub async fn upload(
    state: web::Data<AppState>,
    user: User,
    request_id: RequestId,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let (id, kind) = path.into_inner();
    let media_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let user = as_applicant(&state.db, user, &id).await?;
    let admitted = upload::admit(&state.db, &user, id, kind, media_type).await?;
    let bytes: Bytes = read_body(&mut payload.into_inner(), declared_length(&req), admitted.max_bytes).await?;
    let row =
        upload::store(&state.db, &state.documents, &user, admitted, bytes, Audit::for_request(request_id)).await?;
    Ok(HttpResponse::Ok().json(DocumentView::from(row)))
}

/// `GET /api/v1/requests/{id}/documents/{kind}`: the document's bytes.
pub async fn download(
    state: web::Data<AppState>,
    user: User,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, kind) = path.into_inner();
    let row = crate::web::read(&state.db, move |conn| {
        let case = visible_case(conn, &id, &user)?;
        documents::find(conn, &case.id, &kind)?.ok_or(AppError::NotFound)
    })
    .await?;
    let bytes = state.documents.get(&row.storage_key).await.map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(row.content_type)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// `POST /api/v1/requests/{id}/submit`: checks every rule and submits, or lists every problem.
pub async fn submit(
    state: web::Data<AppState>,
    user: User,
    request_id: RequestId,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let user = as_applicant(&state.db, user, &id).await?;
    let file = submit::submit(&state.db, state.config.clone(), &user, id, Audit::for_request(request_id)).await?;
    Ok(HttpResponse::Ok().json(render(file, &user)))
}

/// `POST /api/v1/requests/{id}/withdraw`: withdraws before a decision.
pub async fn withdraw(
    state: web::Data<AppState>,
    user: User,
    request_id: RequestId,
    path: web::Path<String>,
    body: OptionalJsonBody<WithdrawRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let user = as_applicant(&state.db, user, &id).await?;
    let audit = Audit::for_request(request_id);
    let file = withdraw::withdraw(&state.db, state.config.clone(), &user, id, body.0.reason(), audit).await?;
    Ok(HttpResponse::Ok().json(render(file, &user)))
}

/// Body of `POST /api/v1/requests/{id}/respond`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RespondBody {
    message: Option<String>,
}

/// `POST /api/v1/requests/{id}/respond`: answers a request for information.
pub async fn respond(
    state: web::Data<AppState>,
    user: Applicant,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<RespondBody>,
) -> AppResult<HttpResponse> {
    let audit = Audit::for_request(request_id);
    let id = path.into_inner();
    let file = respond::respond(&state.db, state.config.clone(), &user, id, body.0.message, audit).await?;
    Ok(HttpResponse::Ok().json(render(file, &user)))
}

/// `GET /api/v1/requests/{id}/events` (and `/api/v1/cases/{id}/events`): the history.
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
