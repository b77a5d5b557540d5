//! Visa applications, the applicant's side: create, read, edit, submit, withdraw, history.

use actix_web::{HttpResponse, web};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use tracing_actix_web::RequestId;

use super::views::{ApplicationView, EventView};
use crate::auth::AuthUser;
use crate::db::cases::{self, CaseRow, FormChanges, NewCase, TransitionChanges};
use crate::db::catalog::{self, VisaTypeRow};
use crate::db::{self, AnyConnection, events, users};
use crate::domain::FieldError;
use crate::domain::reference::{counter_scope, format_reference};
use crate::domain::role::Role;
use crate::domain::status::{Action, CaseStatus};
use crate::domain::visa_application::{
    ApplicantDetails, ContactDetails, PassportDetails, SubmissionContext, TravelDetails, VisaApplicationForm,
};
use crate::error::{AppError, AppResult};
use crate::extract::{JsonBody, OptionalJsonBody, Page, PageQuery, from_value};
use crate::notify;
use crate::startup::AppState;
use crate::workflow::{self, Actor, Audit};

/// The service kind of visa applications.
pub const VISA_SERVICE: &str = "visa";

/// A visa application as clients write it.
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

impl ApplicationInput {
    fn split(self) -> (String, String, VisaApplicationForm) {
        let form = VisaApplicationForm {
            applicant: self.applicant,
            passport: self.passport,
            travel: self.travel,
            contact: self.contact,
        };
        (self.visa_type, self.post, form)
    }

    fn join(case: &CaseRow) -> AppResult<serde_json::Value> {
        let form: VisaApplicationForm = serde_json::from_str(&case.form).map_err(AppError::internal)?;
        let input = ApplicationInput {
            visa_type: case.service_code.clone(),
            post: case.post_code.clone(),
            applicant: form.applicant,
            passport: form.passport,
            travel: form.travel,
            contact: form.contact,
        };
        serde_json::to_value(input).map_err(AppError::internal)
    }
}

/// A checked application, ready to be stored.
struct CheckedApplication {
    visa_type: String,
    post: String,
    form: VisaApplicationForm,
    form_json: String,
}

/// Field checks that need no database.
fn check_fields(input: ApplicationInput) -> AppResult<CheckedApplication> {
    let (visa_type, post, mut form) = input.split();
    form.normalise();
    let problems = form.field_problems();
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let form_json = serde_json::to_string(&form).map_err(AppError::internal)?;
    Ok(CheckedApplication { visa_type, post, form, form_json })
}

/// Checks that the visa type and post exist and take applications.
fn check_catalogue(conn: &mut AnyConnection, app: &CheckedApplication) -> AppResult<VisaTypeRow> {
    let mut problems = Vec::new();
    let visa_type = catalog::find_visa_type(conn, &app.visa_type)?.filter(|t| t.active);
    if visa_type.is_none() {
        problems.push(FieldError::new(
            "visa_type",
            "unknown",
            format!("{} is not a visa type open to applications", app.visa_type),
        ));
    }
    if catalog::find_post(conn, &app.post)?.is_none() {
        problems.push(FieldError::new("post", "unknown", format!("no consular post has the code {}", app.post)));
    }
    match visa_type {
        Some(visa_type) if problems.is_empty() => Ok(visa_type),
        _ => Err(AppError::Validation(problems)),
    }
}

fn view(conn: &mut AnyConnection, case: CaseRow, viewer: Role) -> AppResult<ApplicationView> {
    let documents = cases::documents(conn, &case.id)?;
    Ok(ApplicationView::new(case, documents, viewer))
}

/// The case as it now stands, for `viewer`.
pub(super) fn reload(conn: &mut AnyConnection, id: &str, viewer: Role) -> AppResult<ApplicationView> {
    let case = cases::find(conn, id)?.ok_or(AppError::NotFound)?;
    view(conn, case, viewer)
}

fn require_owner(user: &AuthUser, case: &CaseRow) -> AppResult<()> {
    if user.role == Role::Applicant && case.applicant_id == user.id {
        Ok(())
    } else {
        Err(AppError::Forbidden("only the applicant may change the application".into()))
    }
}

/// `POST /api/v1/applications`: creates a draft.
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<ApplicationInput>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Applicant])?;
    let app = check_fields(body.0)?;
    let state_code = state.config.issuing_state.clone();
    let audit = Audit::for_request(request_id);
    let actor = Actor::from(&user);
    let created = state
        .db
        .write(move |conn| {
            check_catalogue(conn, &app)?;
            let now = db::now();
            let year = chrono::Datelike::year(&now);
            let number = cases::next_reference_number(conn, &counter_scope(&state_code, year))?;
            let reference = format_reference(&state_code, year, number);
            let id = uuid::Uuid::new_v4().to_string();
            let applicant = &app.form.applicant;
            cases::insert(
                conn,
                &NewCase {
                    id: &id,
                    reference: &reference,
                    applicant_id: &user.id,
                    service: VISA_SERVICE,
                    service_code: &app.visa_type,
                    post_code: &app.post,
                    status: CaseStatus::Draft.as_str(),
                    form: &app.form_json,
                    surname: applicant.surname.as_deref(),
                    given_names: applicant.given_names.as_deref(),
                    nationality: applicant.nationality.as_ref().map(|n| n.as_str()),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            workflow::record(conn, &id, "create", None, CaseStatus::Draft, &actor, &audit, now)?;
            reload(conn, &id, Role::Applicant)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/applications/{}", created.id)))
        .json(created))
}

/// `GET /api/v1/applications`: the applicant's own cases, or the staff member's post's cases.
pub async fn list(state: web::Data<AppState>, user: AuthUser, query: web::Query<PageQuery>) -> AppResult<HttpResponse> {
    let page = query.into_inner();
    let (limit, offset) = page.limit_offset()?;
    let items = state
        .db
        .run(move |conn| {
            let (rows, total) = match (user.role, user.post.as_deref()) {
                (Role::Applicant, _) => cases::list_for_applicant(conn, &user.id, limit, offset)?,
                (Role::Officer | Role::Supervisor, Some(post)) => cases::list_for_post(conn, post, limit, offset)?,
                _ => {
                    return Err(AppError::Forbidden("administrators do not handle case files".into()));
                }
            };
            let items = rows.into_iter().map(|case| view(conn, case, user.role)).collect::<AppResult<Vec<_>>>()?;
            Ok(Page { items, page: page.page, per_page: page.per_page, total })
        })
        .await?;
    Ok(HttpResponse::Ok().json(items))
}

/// `GET /api/v1/applications/{id}`.
pub async fn get(state: web::Data<AppState>, user: AuthUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let case = workflow::visible_case(conn, &id, &user)?;
            view(conn, case, user.role)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `PATCH /api/v1/applications/{id}`: a JSON merge patch (RFC 7396) of the application, while
/// it is a draft or information was requested.
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<serde_json::Value>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let patch = body.0;
    if !patch.is_object() {
        return Err(AppError::invalid_field("", "invalid", "a merge patch must be a JSON object"));
    }
    let audit = Audit::for_request(request_id);
    let updated = state
        .db
        .write(move |conn| {
            let case = workflow::visible_case(conn, &id, &user)?;
            require_owner(&user, &case)?;
            let status = case.status();
            if !status.is_editable_by_applicant() {
                return Err(AppError::Conflict(format!("an application that is {status} can no longer be edited")));
            }
            let mut document = ApplicationInput::join(&case)?;
            json_patch::merge(&mut document, &patch);
            let app = check_fields(from_value::<ApplicationInput>(document)?)?;
            check_catalogue(conn, &app)?;
            let applicant = &app.form.applicant;
            let changes = FormChanges {
                service_code: &app.visa_type,
                post_code: &app.post,
                form: &app.form_json,
                surname: applicant.surname.as_deref(),
                given_names: applicant.given_names.as_deref(),
                nationality: applicant.nationality.as_ref().map(|n| n.as_str()),
                updated_at: db::now(),
            };
            if cases::update_form(conn, &case.id, status, case.version, &changes)? == 0 {
                return Err(AppError::Conflict(
                    "the application was changed meanwhile; reload it and try again".into(),
                ));
            }
            let fields: Vec<&String> = patch.as_object().map(|o| o.keys().collect()).unwrap_or_default();
            let audit = audit.with_details(serde_json::json!({ "changed": fields }));
            workflow::record(
                conn,
                &case.id,
                "edit",
                Some(status),
                status,
                &Actor::from(&user),
                &audit,
                changes.updated_at,
            )?;
            reload(conn, &case.id, user.role)
        })
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}

/// `POST /api/v1/applications/{id}/submit`: checks every rule and submits, or lists every problem.
pub async fn submit(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let audit = Audit::for_request(request_id);
    let config = state.config.clone();
    let submitted = state
        .db
        .write(move |conn| {
            let case = workflow::visible_case(conn, &id, &user)?;
            require_owner(&user, &case)?;
            let account = users::find(conn, &user.id)?.ok_or(AppError::NotFound)?;
            if account.email_verified_at.is_none() {
                return Err(AppError::Forbidden(
                    "confirm your e-mail address before submitting: follow the link we sent you".into(),
                ));
            }
            if case.status() != CaseStatus::Draft {
                return Err(AppError::Conflict(format!(
                    "an application that is {} cannot be submitted",
                    case.status()
                )));
            }
            let form: VisaApplicationForm = serde_json::from_str(&case.form).map_err(AppError::internal)?;
            let visa_type = catalog::find_visa_type(conn, &case.service_code)?.filter(|t| t.active);
            let post = catalog::find_post(conn, &case.post_code)?;
            let documents = cases::documents(conn, &case.id)?;
            let has = |kind: &str| documents.iter().any(|d| d.kind == kind);
            let today = catalog::today_at(post.as_ref());
            let mut problems = form.submission_problems(&SubmissionContext {
                today,
                max_stay_days: visa_type.as_ref().map_or(i32::MAX, |t| t.max_stay_days),
                has_photo: has("photo"),
                has_passport_scan: has("passport"),
            });
            if visa_type.is_none() {
                problems.push(FieldError::new("visa_type", "unknown", "this visa type no longer takes applications"));
            }
            if !problems.is_empty() {
                return Err(AppError::Validation(problems));
            }
            let now = db::now();
            let processing_days = visa_type.map_or(15, |t| t.processing_days);
            let changes = TransitionChanges {
                submitted_at: Some(now),
                decision_deadline: Some(now + Duration::days(i64::from(processing_days))),
                ..TransitionChanges::default()
            };
            let deadline = changes.decision_deadline;
            workflow::transition(conn, &case, Action::Submit, &Actor::from(&user), &audit, changes)?;
            let deadline = deadline.map(|d| d.format("%d %B %Y").to_string());
            notify::case_event(conn, &config, &case, "submitted", serde_json::json!({ "deadline": deadline }), None)?;
            reload(conn, &case.id, user.role)
        })
        .await?;
    state.mail.wake();
    Ok(HttpResponse::Ok().json(submitted))
}

/// Body of `POST /api/v1/applications/{id}/withdraw`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/v1/applications/{id}/withdraw`: the applicant withdraws before a decision.
pub async fn withdraw(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
    body: OptionalJsonBody<WithdrawRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let reason = body.0.reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 1000) {
        return Err(AppError::invalid_field("reason", "too_long", "at most 1000 characters"));
    }
    let audit = Audit::for_request(request_id).with_note(reason);
    let config = state.config.clone();
    let withdrawn = state
        .db
        .write(move |conn| {
            let case = workflow::visible_case(conn, &id, &user)?;
            require_owner(&user, &case)?;
            workflow::transition(
                conn,
                &case,
                Action::Withdraw,
                &Actor::from(&user),
                &audit,
                TransitionChanges::default(),
            )?;
            notify::case_event(conn, &config, &case, "withdrawn", serde_json::json!({}), None)?;
            reload(conn, &case.id, user.role)
        })
        .await?;
    state.mail.wake();
    Ok(HttpResponse::Ok().json(withdrawn))
}

/// `GET /api/v1/applications/{id}/events`: the case's history.
pub async fn events(state: web::Data<AppState>, user: AuthUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let items = state
        .db
        .run(move |conn| {
            let case = workflow::visible_case(conn, &id, &user)?;
            let rows = events::list_for_case(conn, &case.id)?;
            Ok(rows.into_iter().filter_map(|row| EventView::for_viewer(row, user.role)).collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}
