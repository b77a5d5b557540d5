//! Administration: consular posts and staff accounts.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::views::{PostView, UserView};
use crate::app::Admin;
use crate::app::accounts::AccountInput;
use crate::app::posts::{self, NewPost};
use crate::app::register::{self, CreatedBy};
use crate::app::staff_accounts::{self, AccountUpdate};
use crate::auth::AuthUser;
use crate::db::catalog;
use crate::db::jobs::JobKind;
use crate::db::{self, admin_events, users};
use crate::domain::country::CountryCode;
use crate::domain::role::Role;
use crate::domain::texts::Texts;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{JsonBody, Page, PageQuery};
use crate::web::request_id::RequestId;
use crate::web::state::AppState;

/// Body of `POST /api/v1/admin/posts`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePost {
    code: String,
    name: String,
    country: CountryCode,
    time_zone: String,
    #[serde(default)]
    four_eyes: bool,
    #[serde(default)]
    texts: Texts,
}

/// `POST /api/v1/admin/posts`: adds a consular post.
pub async fn create_post(
    state: web::Data<AppState>,
    admin: Admin,
    request_id: RequestId,
    body: JsonBody<CreatePost>,
) -> AppResult<HttpResponse> {
    let CreatePost { code, name, country, time_zone, four_eyes, texts } = body.0;
    let post = NewPost { code, name, country: country.to_string(), time_zone, four_eyes, texts };
    let row = posts::create_post(&state.db, &admin, post, Some(request_id.to_string())).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/posts#{}", row.code)))
        .json(PostView::from(row)))
}

/// Body of `PATCH /api/v1/admin/posts/{code}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePost {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    time_zone: Option<String>,
    #[serde(default)]
    four_eyes: Option<bool>,
    #[serde(default)]
    texts: Option<Texts>,
}

/// `PATCH /api/v1/admin/posts/{code}`: renames a post, moves its time zone, or sets its
/// four-eyes policy.
pub async fn update_post(
    state: web::Data<AppState>,
    admin: Admin,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<UpdatePost>,
) -> AppResult<HttpResponse> {
    let UpdatePost { name, time_zone, four_eyes, texts } = body.0;
    let changes = catalog::PostChanges { name, time_zone, four_eyes, texts: texts.map(|t| t.to_json()) };
    let row = posts::update_post(&state.db, &admin, path.into_inner(), changes, Some(request_id.to_string())).await?;
    tracing::info!(admin = %admin.id, post = %row.code, four_eyes = row.four_eyes, "post updated");
    Ok(HttpResponse::Ok().json(PostView::from(row)))
}

/// Body of `POST /api/v1/admin/users`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    email: String,
    password: String,
    full_name: String,
    role: Role,
    post: String,
    #[serde(default)]
    preferred_language: Option<String>,
}

/// `POST /api/v1/admin/users`: creates a staff account.
pub async fn create_user(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<CreateUser>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Admin])?;
    let request = body.0;
    if !request.role.is_staff() {
        return Err(AppError::invalid_field("role", "invalid", "one of officer, supervisor, admin"));
    }
    let input = AccountInput {
        email: request.email,
        password: request.password,
        full_name: request.full_name,
        role: request.role,
        post: Some(request.post),
        preferred_language: request.preferred_language,
    };
    let audit = CreatedBy { actor_id: user.id.clone(), request_id: request_id.to_string() };
    let created = register::register(&state.db, state.config.clone(), input, Some(audit)).await?;
    tracing::info!(admin = %user.id, account = %created.id, role = %created.role, "staff account created");
    Ok(HttpResponse::Created().json(UserView::from(created)))
}

/// Body of `PATCH /api/v1/admin/users/{id}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[serde(default)]
    disabled: Option<bool>,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    post: Option<String>,
    #[serde(default)]
    full_name: Option<String>,
}

/// `PATCH /api/v1/admin/users/{id}`: disables or enables an account, or moves a staff member to
/// another role or post; a change of access ends the account's sessions.
pub async fn update_user(
    state: web::Data<AppState>,
    admin: Admin,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<UpdateUser>,
) -> AppResult<HttpResponse> {
    let UpdateUser { disabled, role, post, full_name } = body.0;
    let update = AccountUpdate { disabled, role, post, full_name };
    let id = path.into_inner();
    let row = staff_accounts::update_account(&state.db, &admin, id, update, request_id.to_string()).await?;
    state.sessions.forget(&row.id);
    Ok(HttpResponse::Ok().json(UserView::from(row)))
}

/// Query of `GET /api/v1/admin/users`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListUsers {
    #[serde(default)]
    post: Option<String>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    per_page: Option<u32>,
}

/// `GET /api/v1/admin/users`: staff accounts, optionally of one post.
pub async fn list_users(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListUsers>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Admin])?;
    let ListUsers { post, page, per_page } = query.into_inner();
    let page = PageQuery::new(page, per_page);
    let (limit, offset) = page.limit_offset()?;
    let (rows, total) =
        crate::web::read(&state.db, move |conn| Ok(users::list_staff(conn, post.as_deref(), limit, offset)?)).await?;
    Ok(HttpResponse::Ok().json(Page {
        items: rows.into_iter().map(UserView::from).collect::<Vec<_>>(),
        page: page.page,
        per_page: page.per_page,
        total,
    }))
}

/// Query of `GET /api/v1/admin/outbox`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListOutbox {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    per_page: Option<u32>,
}

/// An outbox e-mail as administrators see it (without its bodies).
#[derive(serde::Serialize)]
pub struct EmailView {
    id: String,
    message_id: String,
    event: String,
    case_id: Option<String>,
    recipient: String,
    subject: String,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    has_attachment: bool,
    created_at: chrono::DateTime<chrono::Utc>,
    next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    sent_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl EmailView {
    /// The e-mail with the time its sending job is next due.
    fn new(row: db::outbox::EmailRow, next_attempt: Option<chrono::NaiveDateTime>) -> Self {
        EmailView {
            next_attempt_at: next_attempt.filter(|_| row.status == "pending").map(|at| at.and_utc()),
            id: row.id,
            message_id: row.message_id,
            event: row.event,
            case_id: row.case_id,
            recipient: row.recipient,
            subject: row.subject,
            status: row.status,
            attempts: row.attempts,
            last_error: row.last_error,
            has_attachment: row.attachment_key.is_some(),
            created_at: row.created_at.and_utc(),
            sent_at: row.sent_at.map(|at| at.and_utc()),
        }
    }
}

fn next_attempt(conn: &mut db::AnyConnection, email_id: &str) -> AppResult<Option<chrono::NaiveDateTime>> {
    Ok(db::jobs::find(conn, JobKind::SendEmail, email_id)?.map(|job| job.run_after))
}

/// `GET /api/v1/admin/outbox`: pending, sent and failed e-mails with attempts and last error.
pub async fn list_outbox(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListOutbox>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Admin])?;
    let ListOutbox { status, page, per_page } = query.into_inner();
    if status.as_deref().is_some_and(|s| !matches!(s, "pending" | "sent" | "failed")) {
        return Err(AppError::invalid_field("status", "invalid", "one of pending, sent, failed"));
    }
    let page = PageQuery::new(page, per_page);
    let (limit, offset) = page.limit_offset()?;
    let (items, total) = crate::web::read(&state.db, move |conn| {
        let (rows, total) = db::outbox::list(conn, status.as_deref(), limit, offset)?;
        let items = rows
            .into_iter()
            .map(|row| Ok(EmailView::new(row.clone(), next_attempt(conn, &row.id)?)))
            .collect::<AppResult<Vec<_>>>()?;
        Ok((items, total))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page { items, page: page.page, per_page: page.per_page, total }))
}

/// `POST /api/v1/admin/outbox/{id}/retry`: sends a pending or failed e-mail again now.
pub async fn retry_email(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Admin])?;
    let id = path.into_inner();
    let actor = user.id.clone();
    let request = request_id.to_string();
    let row = crate::web::write(&state.db, move |conn| {
        let email = db::outbox::find(conn, &id)?.ok_or(AppError::NotFound)?;
        if email.status == "sent" {
            return Err(AppError::Conflict("the e-mail was already sent".into()));
        }
        db::outbox::mark_pending(conn, &id)?;
        db::jobs::enqueue(conn, JobKind::SendEmail, &id, db::now())?;
        let details =
            serde_json::json!({"recipient": email.recipient, "event": email.event, "attempts": email.attempts});
        admin_events::record(conn, "retry_email", &id, (Some(&actor), "admin"), details, Some(&request))?;
        let row = db::outbox::find(conn, &id)?.ok_or(AppError::NotFound)?;
        Ok(EmailView::new(row, next_attempt(conn, &id)?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// `POST /api/v1/admin/issuance/retry`: every issuance that failed for good is tried again now
/// (once its cause, a key file say, is mended).
pub async fn retry_issuance(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Admin])?;
    let actor = user.id.clone();
    let request = request_id.to_string();
    let retried = crate::web::write(&state.db, move |conn| {
        let retried = db::jobs::retry_failed(conn, JobKind::IssueOutput, db::now())?;
        let details = serde_json::json!({"retried": retried});
        admin_events::record(conn, "retry_issuance", "issue_output", (Some(&actor), "admin"), details, Some(&request))?;
        Ok(retried)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"retried": retried})))
}

/// An administrative action of the audit trail.
#[derive(serde::Serialize)]
pub struct AdminEventView {
    id: String,
    action: String,
    target: String,
    actor_id: Option<String>,
    actor_role: String,
    details: Option<serde_json::Value>,
    request_id: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// `GET /api/v1/admin/audit`: the audit trail of administration, newest first (admin).
pub async fn audit(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Admin])?;
    let page = query.into_inner();
    let (limit, offset) = page.limit_offset()?;
    let (rows, total) = crate::web::read(&state.db, move |conn| Ok(admin_events::list(conn, limit, offset)?)).await?;
    let items: Vec<AdminEventView> = rows
        .into_iter()
        .map(|row| AdminEventView {
            id: row.id,
            action: row.action,
            target: row.target,
            actor_id: row.actor_id,
            actor_role: row.actor_role,
            details: row.details.and_then(|d| serde_json::from_str(&d).ok()),
            request_id: row.request_id,
            created_at: row.created_at.and_utc(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page { items, page: page.page, per_page: page.per_page, total }))
}
