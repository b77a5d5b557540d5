//! Officers' and supervisors' work on one case: claim, release, assign, request information,
//! decide, confirm or return a recommendation, notes, deadline and priority. The applicant's
//! answer to a request for information is here too, as the other half of that exchange.

use actix_web::{HttpResponse, web};
use chrono::Duration;
use serde::Deserialize;
use tracing_actix_web::RequestId;

use super::applications::reload;
use super::views::ApplicationView;
use crate::auth::AuthUser;
use crate::config::Config;
use crate::db::cases::{self, CaseRow, TransitionChanges};
use crate::db::{self, AnyConnection, catalog, users, visas};
use crate::domain::FieldError;
use crate::domain::decision::{Decision, Entries, GrantContext, GrantRequest, RecordedGround, decide_grant};
use crate::domain::role::Role;
use crate::domain::status::{Action, CaseStatus};
use crate::domain::visa_application::VisaApplicationForm;
use crate::error::{AppError, AppResult};
use crate::extract::JsonBody;
use crate::notify;
use crate::startup::AppState;
use crate::workflow::{self, Actor, Audit};

/// Longest a decision deadline may be from submission, in days.
pub const MAX_DEADLINE_DAYS: i64 = 45;

/// Statuses in which a case awaits a decision.
pub const OPEN_STATUSES: [CaseStatus; 4] =
    [CaseStatus::Submitted, CaseStatus::InReview, CaseStatus::InfoRequested, CaseStatus::PendingApproval];

/// Runs `work` on the case `id` in a write transaction and answers with the case as it then is.
async fn act<F>(state: &AppState, user: AuthUser, id: String, work: F) -> AppResult<HttpResponse>
where
    F: FnOnce(&mut AnyConnection, &CaseRow, &AuthUser) -> AppResult<()> + Send + 'static,
{
    let view: ApplicationView = state
        .db
        .write(move |conn| {
            let case = workflow::visible_case(conn, &id, &user)?;
            work(conn, &case, &user)?;
            reload(conn, &case.id, user.role)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Staff of the case's post who may work on it: its assignee, or any supervisor of the post.
fn require_handler(user: &AuthUser, case: &CaseRow) -> AppResult<()> {
    match user.role {
        Role::Supervisor => Ok(()),
        Role::Officer if case.assigned_officer_id.as_deref() == Some(user.id.as_str()) => Ok(()),
        Role::Officer => Err(AppError::Forbidden("the case is assigned to another officer".into())),
        _ => Err(AppError::Forbidden(format!("a {} may not handle cases", user.role))),
    }
}

fn require_staff(user: &AuthUser) -> AppResult<()> {
    user.require(&[Role::Officer, Role::Supervisor])
}

fn text(field: &str, value: Option<String>, required: bool, max: usize) -> Result<Option<String>, FieldError> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    match value {
        None if required => Err(FieldError::required(field)),
        Some(v) if v.chars().count() > max => {
            Err(FieldError::new(field, "too_long", format!("at most {max} characters")))
        }
        other => Ok(other),
    }
}

fn one(result: Result<Option<String>, FieldError>) -> AppResult<Option<String>> {
    result.map_err(|problem| AppError::Validation(vec![problem]))
}

fn decision_json(decision: &Decision) -> AppResult<String> {
    serde_json::to_string(decision).map_err(AppError::internal)
}

fn stored_decision(case: &CaseRow) -> AppResult<Option<Decision>> {
    case.decision.as_deref().map(serde_json::from_str).transpose().map_err(AppError::internal)
}

/// `POST /api/v1/applications/{id}/claim`: the caller takes this submitted case.
pub async fn claim(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    require_staff(&user)?;
    let audit = Audit::for_request(request_id);
    act(&state, user, path.into_inner(), move |conn, case, user| {
        let changes =
            TransitionChanges { assigned_officer_id: Some(Some(user.id.clone())), ..TransitionChanges::default() };
        workflow::transition(conn, case, Action::Claim, &Actor::from(user), &audit, changes).map(drop)
    })
    .await
}

/// `POST /api/v1/applications/{id}/release`: the assignee puts the case back in the queue.
pub async fn release(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    require_staff(&user)?;
    let audit = Audit::for_request(request_id);
    act(&state, user, path.into_inner(), move |conn, case, user| {
        require_handler(user, case)?;
        let changes = TransitionChanges { assigned_officer_id: Some(None), ..TransitionChanges::default() };
        workflow::transition(conn, case, Action::Release, &Actor::from(user), &audit, changes).map(drop)
    })
    .await
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
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<AssignRequest>,
) -> AppResult<HttpResponse> {
    require_staff(&user)?;
    let officer_id = body.0.officer_id;
    let audit = Audit::for_request(request_id);
    act(&state, user, path.into_inner(), move |conn, case, user| {
        let officer = users::find(conn, &officer_id)?.filter(|o| {
            o.role().handles_cases() && !o.disabled && o.post_code.as_deref() == Some(case.post_code.as_str())
        });
        if officer.is_none() {
            return Err(AppError::invalid_field(
                "officer_id",
                "unknown",
                "not an active officer or supervisor of the case's post",
            ));
        }
        let mut audit =
            audit.with_details(serde_json::json!({"officer_id": officer_id, "previous": case.assigned_officer_id}));
        // A hand-over between officers is internal; taking a case out of the queue is not.
        audit.internal = case.status() == CaseStatus::InReview;
        let changes = TransitionChanges { assigned_officer_id: Some(Some(officer_id)), ..TransitionChanges::default() };
        workflow::transition(conn, case, Action::Assign, &Actor::from(user), &audit, changes).map(drop)
    })
    .await
}

/// Body of `POST /api/v1/applications/{id}/request-info`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestInfoRequest {
    message: Option<String>,
    #[serde(default)]
    items: Vec<String>,
}

/// `POST /api/v1/applications/{id}/request-info`: asks the applicant for more information.
pub async fn request_info(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<RequestInfoRequest>,
) -> AppResult<HttpResponse> {
    require_staff(&user)?;
    let RequestInfoRequest { message, items } = body.0;
    let mut problems = Vec::new();
    let message = text("message", message, true, 2000).map_err(|p| problems.push(p)).ok().flatten();
    let items: Vec<String> = items.into_iter().map(|i| i.trim().to_owned()).collect();
    if items.len() > 20 || items.iter().any(|i| i.is_empty() || i.chars().count() > 200) {
        problems.push(FieldError::new("items", "invalid", "at most 20 items of 1 to 200 characters"));
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let context = serde_json::json!({ "message": message, "items": items });
    let audit = Audit::for_request(request_id).with_note(message).with_details(serde_json::json!({ "items": items }));
    let config = state.config.clone();
    let response = act(&state, user, path.into_inner(), move |conn, case, user| {
        require_handler(user, case)?;
        workflow::transition(
            conn,
            case,
            Action::RequestInfo,
            &Actor::from(user),
            &audit,
            TransitionChanges::default(),
        )?;
        notify::case_event(conn, &config, case, "info_requested", context, None)
    })
    .await;
    state.mail.wake();
    response
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
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<RespondRequest>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Applicant])?;
    let message = one(text("message", body.0.message, true, 2000))?;
    let audit = Audit::for_request(request_id).with_note(message);
    act(&state, user, path.into_inner(), move |conn, case, user| {
        workflow::transition(conn, case, Action::Respond, &Actor::from(user), &audit, TransitionChanges::default())
            .map(drop)
    })
    .await
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
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<DecisionRequest>,
) -> AppResult<HttpResponse> {
    require_staff(&user)?;
    let audit = Audit::for_request(request_id);
    let response = match body.0 {
        DecisionRequest::Approve { entries, valid_from, valid_until, duration_of_stay_days, note } => {
            let note = one(text("note", note, false, 2000))?;
            let request = GrantRequest { entries, valid_from, valid_until, duration_of_stay_days };
            let config = state.config.clone();
            act(&state, user, path.into_inner(), move |conn, case, user| {
                approve(conn, &config, case, user, &request, audit.with_staff_note(note))
            })
            .await
        }
        DecisionRequest::Refuse { grounds, note } => {
            let note = one(text("note", note, false, 2000))?;
            if grounds.is_empty() {
                return Err(AppError::invalid_field("grounds", "required", "at least one refusal ground is required"));
            }
            let config = state.config.clone();
            act(&state, user, path.into_inner(), move |conn, case, user| {
                refuse(conn, &config, case, user, &grounds, audit.with_staff_note(note))
            })
            .await
        }
    };
    state.issuance.wake();
    state.mail.wake();
    response
}

fn approve(
    conn: &mut AnyConnection,
    config: &Config,
    case: &CaseRow,
    user: &AuthUser,
    request: &GrantRequest,
    audit: Audit,
) -> AppResult<()> {
    require_handler(user, case)?;
    let form: VisaApplicationForm = serde_json::from_str(&case.form).map_err(AppError::internal)?;
    let visa_type = catalog::find_visa_type(conn, &case.service_code)?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("visa type vanished")))?;
    let post = catalog::find_post(conn, &case.post_code)?;
    let today = catalog::today_at(post.as_ref());
    let ctx = GrantContext {
        today,
        entries: Entries::parse(&visa_type.entries).unwrap_or(Entries::Single),
        max_stay_days: visa_type.max_stay_days,
        validity_days: visa_type.validity_days,
        arrival: form.travel.arrival_date,
        departure: form.travel.departure_date,
        passport_expiry: form.passport.expiry_date,
    };
    let grant = decide_grant(request, &ctx).map_err(AppError::Validation)?;
    let four_eyes = visa_type.four_eyes || post.is_some_and(|p| p.four_eyes);
    let audit = audit.with_details(serde_json::json!({"grant": grant, "four_eyes": four_eyes}));
    let (action, changes) = if four_eyes {
        let decision = Decision::Recommended { grant };
        (
            Action::Recommend,
            TransitionChanges {
                decision: Some(Some(decision_json(&decision)?)),
                recommended_by: Some(Some(user.id.clone())),
                ..TransitionChanges::default()
            },
        )
    } else {
        let decision = Decision::Approved { grant };
        (
            Action::Approve,
            TransitionChanges {
                decision: Some(Some(decision_json(&decision)?)),
                decided_at: Some(Some(db::now())),
                ..TransitionChanges::default()
            },
        )
    };
    workflow::transition(conn, case, action, &Actor::from(user), &audit, changes)?;
    if action == Action::Approve {
        visas::enqueue(conn, &case.id, db::now())?;
        notify::case_event(conn, config, case, "approved", serde_json::json!({}), None)?;
    }
    Ok(())
}

fn refuse(
    conn: &mut AnyConnection,
    config: &Config,
    case: &CaseRow,
    user: &AuthUser,
    codes: &[String],
    audit: Audit,
) -> AppResult<()> {
    require_handler(user, case)?;
    let catalogue = catalog::list_refusal_grounds(conn)?;
    let mut grounds: Vec<RecordedGround> = Vec::new();
    let mut problems = Vec::new();
    for (index, code) in codes.iter().enumerate() {
        match catalogue.iter().find(|g| &g.code == code && g.for_refusal()) {
            Some(ground) if !grounds.iter().any(|g| g.code == ground.code) => grounds.push(RecordedGround {
                code: ground.code.clone(),
                title: ground.title.clone(),
                description: ground.description.clone(),
            }),
            Some(_) => {}
            None => problems.push(FieldError::new(
                format!("grounds[{index}]"),
                "unknown",
                format!("{code} is not a refusal ground"),
            )),
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let codes: Vec<&str> = grounds.iter().map(|g| g.code.as_str()).collect();
    let audit = audit.with_details(serde_json::json!({ "grounds": codes }));
    let context = serde_json::json!({"grounds": grounds, "appeal_information": config.appeal_information});
    let decision = Decision::Refused { grounds, appeal_information: config.appeal_information.clone() };
    let changes = TransitionChanges {
        decision: Some(Some(decision_json(&decision)?)),
        decided_at: Some(Some(db::now())),
        ..TransitionChanges::default()
    };
    workflow::transition(conn, case, Action::Refuse, &Actor::from(user), &audit, changes)?;
    notify::case_event(conn, config, case, "refused", context, None)
}

/// `POST /api/v1/applications/{id}/confirm`: a second person confirms a recommended approval.
pub async fn confirm(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    require_staff(&user)?;
    let audit = Audit::for_request(request_id);
    let config = state.config.clone();
    let response = act(&state, user, path.into_inner(), move |conn, case, user| {
        if case.status() == CaseStatus::PendingApproval && case.recommended_by.as_deref() == Some(user.id.as_str()) {
            return Err(AppError::Forbidden(
                "four-eyes: the person who recommended an approval cannot confirm it".into(),
            ));
        }
        let grant = match stored_decision(case)? {
            Some(Decision::Recommended { grant }) => Some(grant),
            _ => None,
        };
        let changes = match grant.clone() {
            Some(grant) => TransitionChanges {
                decision: Some(Some(decision_json(&Decision::Approved { grant })?)),
                decided_at: Some(Some(db::now())),
                ..TransitionChanges::default()
            },
            None => TransitionChanges::default(),
        };
        let audit = audit.with_details(serde_json::json!({"grant": grant, "recommended_by": case.recommended_by}));
        workflow::transition(conn, case, Action::Confirm, &Actor::from(user), &audit, changes)?;
        visas::enqueue(conn, &case.id, db::now())?;
        notify::case_event(conn, &config, case, "approved", serde_json::json!({}), None)
    })
    .await;
    state.issuance.wake();
    state.mail.wake();
    response
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
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<ReturnRequest>,
) -> AppResult<HttpResponse> {
    require_staff(&user)?;
    let note = one(text("note", body.0.note, true, 2000))?;
    let audit = Audit::for_request(request_id).with_staff_note(note);
    act(&state, user, path.into_inner(), move |conn, case, user| {
        let changes =
            TransitionChanges { decision: Some(None), recommended_by: Some(None), ..TransitionChanges::default() };
        workflow::transition(conn, case, Action::Return, &Actor::from(user), &audit, changes).map(drop)
    })
    .await
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
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<NoteRequest>,
) -> AppResult<HttpResponse> {
    require_staff(&user)?;
    let note = one(text("text", body.0.text, true, 4000))?;
    let audit = Audit::for_request(request_id).with_staff_note(note).internal();
    let id = path.into_inner();
    state
        .db
        .write(move |conn| {
            let case = workflow::visible_case(conn, &id, &user)?;
            require_handler(&user, &case)?;
            let status = case.status();
            workflow::record(conn, &case.id, "note", Some(status), status, &Actor::from(&user), &audit, db::now())
        })
        .await?;
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
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<ExtendDeadlineRequest>,
) -> AppResult<HttpResponse> {
    require_staff(&user)?;
    let ExtendDeadlineRequest { days, reason } = body.0;
    let reason = one(text("reason", reason, true, 1000))?;
    if days < 1 {
        return Err(AppError::invalid_field("days", "out_of_range", "at least one day"));
    }
    let audit = Audit::for_request(request_id).with_staff_note(reason).internal();
    act(&state, user, path.into_inner(), move |conn, case, user| {
        user.require(&[Role::Supervisor])?;
        let status = case.status();
        if !OPEN_STATUSES.contains(&status) {
            return Err(AppError::Conflict(format!("a case that is {status} has no deadline to extend")));
        }
        let (Some(submitted), Some(deadline)) = (case.submitted_at, case.decision_deadline) else {
            return Err(AppError::Conflict("the case has no deadline".into()));
        };
        let extended = deadline + Duration::days(days);
        let limit = submitted + Duration::days(MAX_DEADLINE_DAYS);
        if extended > limit {
            return Err(AppError::invalid_field(
                "days",
                "beyond_limit",
                format!(
                    "a deadline may not be later than {MAX_DEADLINE_DAYS} days after submission ({})",
                    limit.date()
                ),
            ));
        }
        let audit = audit.with_details(serde_json::json!({"from": deadline.and_utc(), "to": extended.and_utc()}));
        update_in_place(
            conn,
            case,
            user,
            "extend_deadline",
            &audit,
            TransitionChanges { decision_deadline: Some(extended), ..TransitionChanges::default() },
        )
    })
    .await
}

/// Body of `POST /api/v1/applications/{id}/priority`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityRequest {
    priority: Priority,
}

/// How urgently a case is handled.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// In deadline order.
    Normal,
    /// Before every normal case.
    Urgent,
}

/// `POST /api/v1/applications/{id}/priority`: a supervisor marks a case urgent or normal.
pub async fn set_priority(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<PriorityRequest>,
) -> AppResult<HttpResponse> {
    require_staff(&user)?;
    let priority = if body.0.priority == Priority::Urgent { "urgent" } else { "normal" };
    let audit = Audit::for_request(request_id).internal().with_details(serde_json::json!({ "priority": priority }));
    act(&state, user, path.into_inner(), move |conn, case, user| {
        user.require(&[Role::Supervisor])?;
        if !OPEN_STATUSES.contains(&case.status()) {
            return Err(AppError::Conflict(format!("a case that is {} is no longer queued", case.status())));
        }
        update_in_place(
            conn,
            case,
            user,
            "set_priority",
            &audit,
            TransitionChanges { priority: Some(priority.into()), ..TransitionChanges::default() },
        )
    })
    .await
}

/// A change that keeps the status, guarded like a transition and audited.
fn update_in_place(
    conn: &mut AnyConnection,
    case: &CaseRow,
    user: &AuthUser,
    action: &str,
    audit: &Audit,
    changes: TransitionChanges,
) -> AppResult<()> {
    let status = case.status();
    let at = db::now();
    if cases::change_status(conn, &case.id, status, case.version, status, changes, at)? == 0 {
        return Err(AppError::Conflict("the case was changed meanwhile; reload it and try again".into()));
    }
    workflow::record(conn, &case.id, action, Some(status), status, &Actor::from(user), audit, at)
}
