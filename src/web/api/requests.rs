//! Consular requests, the applicant's side, for every service of the catalogue: the form is the
//! service's own (checked against its JSON Schema), the documents are those it asks for (reading,
//! documents, submitting, withdrawing, answering and the history are the visa routes' handlers,
//! answering in the service-neutral shape). Each handler extracts, calls a
//! use case of [`crate::app::applicant`] and renders.

use crate::web::request_id::RequestId;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::views::CaseView;
use crate::app::applicant::{as_applicant, create, edit};
use crate::app::engine::Audit;
use crate::app::{Applicant, CaseFile, User};
use crate::db::cases;
use crate::web::error::AppResult;
use crate::web::extract::{JsonBody, Page, PageQuery};
use crate::web::state::AppState;

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
