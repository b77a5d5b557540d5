//! Administration of the verification API: machine clients and the log of their checks.

use crate::web::request_id::RequestId;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::app::clients as clients_app;
use crate::auth::AuthUser;
use crate::auth::api_keys;
use crate::db::clients::{self, CheckRow, ClientRow};
use crate::db::{self, admin_events};
use crate::domain::role::Role;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{JsonBody, Page, PageQuery};
use crate::web::state::AppState;

/// A client as administrators see it (never its key).
#[derive(Serialize)]
pub struct ClientView {
    id: String,
    name: String,
    organisation: String,
    scopes: Vec<String>,
    key_prefix: String,
    disabled: bool,
    created_at: chrono::DateTime<chrono::Utc>,
    rotated_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The key, present only in the answer that creates or rotates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
}

impl ClientView {
    fn new(row: ClientRow, api_key: Option<String>) -> ClientView {
        ClientView {
            id: row.id,
            name: row.name,
            organisation: row.organisation,
            scopes: row.scopes.split(',').map(str::to_owned).collect(),
            key_prefix: row.key_prefix,
            disabled: row.disabled,
            created_at: row.created_at.and_utc(),
            rotated_at: row.rotated_at.map(|at| at.and_utc()),
            api_key,
        }
    }
}

/// Body of `POST /api/v1/admin/api-clients`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    name: String,
    organisation: String,
    scopes: Vec<String>,
}

/// `POST /api/v1/admin/api-clients`: registers a machine client; the answer holds its key once.
pub async fn create_client(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<NewClient>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Admin])?;
    let NewClient { name, organisation, scopes } = body.0;
    let request = request_id.to_string();
    let (row, key) = crate::web::write(&state.db, move |conn| {
        Ok(clients_app::create(conn, &name, &organisation, &scopes, (Some(&user.id), "admin"), Some(&request))?)
    })
    .await?;
    Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(ClientView::new(row, Some(key))))
}

/// `GET /api/v1/admin/api-clients`.
pub async fn list_clients(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    user.require(&[Role::Admin])?;
    let rows = crate::web::read(&state.db, |conn| Ok(clients::list(conn)?)).await?;
    let items: Vec<ClientView> = rows.into_iter().map(|r| ClientView::new(r, None)).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// `POST /api/v1/admin/api-clients/{id}/rotate`: a new key; the old one stops working at once.
pub async fn rotate_client(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Admin])?;
    let id = path.into_inner();
    let request = request_id.to_string();
    let (row, key) = crate::web::write(&state.db, move |conn| {
        clients::find(conn, &id)?.ok_or(AppError::NotFound)?;
        let (key, prefix, hash) = api_keys::generate();
        clients::rotate(conn, &id, &prefix, &hash, db::now())?;
        admin_events::record(
            conn,
            "rotate_api_key",
            &id,
            (Some(&user.id), "admin"),
            serde_json::json!({}),
            Some(&request),
        )?;
        Ok((clients::find(conn, &id)?.ok_or(AppError::NotFound)?, key))
    })
    .await?;
    forget_clients(&state);
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(ClientView::new(row, Some(key))))
}

fn forget_clients(state: &AppState) {
    if let Ok(mut cache) = state.client_cache.lock() {
        cache.clear();
    }
}

/// `POST /api/v1/admin/api-clients/{id}/disable`: the client's key stops working.
pub async fn disable_client(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Admin])?;
    let id = path.into_inner();
    let request = request_id.to_string();
    let row = crate::web::write(&state.db, move |conn| {
        if clients::disable(conn, &id)? == 0 {
            return Err(AppError::NotFound);
        }
        admin_events::record(
            conn,
            "disable_api_client",
            &id,
            (Some(&user.id), "admin"),
            serde_json::json!({}),
            Some(&request),
        )?;
        clients::find(conn, &id)?.ok_or(AppError::NotFound)
    })
    .await?;
    forget_clients(&state);
    Ok(HttpResponse::Ok().json(ClientView::new(row, None)))
}

/// Query of `GET /api/v1/admin/verification-log`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    from: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    to: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    per_page: Option<u32>,
}

/// A logged check.
#[derive(Serialize)]
pub struct CheckView {
    id: String,
    client_id: String,
    method: String,
    visa_number: Option<String>,
    passport_hash: Option<String>,
    result: String,
    ip: Option<String>,
    at: chrono::DateTime<chrono::Utc>,
}

impl From<CheckRow> for CheckView {
    fn from(row: CheckRow) -> Self {
        CheckView {
            id: row.id,
            client_id: row.client_id,
            method: row.method,
            visa_number: row.visa_number,
            passport_hash: row.passport_hash,
            result: row.result,
            ip: row.ip,
            at: row.created_at.and_utc(),
        }
    }
}

/// `GET /api/v1/admin/verification-log`: every check, newest first, by client and time.
pub async fn verification_log(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<LogQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Admin])?;
    let LogQuery { client_id, from, to, page, per_page } = query.into_inner();
    let page = PageQuery::new(page, per_page);
    let (limit, offset) = page.limit_offset()?;
    let (rows, total) = crate::web::read(&state.db, move |conn| {
        Ok(clients::checks(
            conn,
            client_id.as_deref(),
            from.map(|f| f.naive_utc()),
            to.map(|t| t.naive_utc()),
            limit,
            offset,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page {
        items: rows.into_iter().map(CheckView::from).collect::<Vec<_>>(),
        page: page.page,
        per_page: page.per_page,
        total,
    }))
}
