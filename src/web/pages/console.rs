//! The officer console (`/console`): the post's queue with filters, counts, overdue markers and
//! "claim next"; the case view with the form beside the photo and documents, the history and
//! internal notes, and the actions the state machine allows this officer, and nothing else.
//! Supervisors see the recommendations waiting for four-eyes confirmation and can revoke.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use std::collections::HashMap;

use super::apply::{fee_text, load};
use super::cases::history;
use super::{Ctx, attempt, check_csrf, signed_in};
use crate::app::checkout;
use crate::app::engine::Audit;
use crate::app::review::decide::Verdict;
use crate::app::review::{
    OPEN_STATUSES, claim, claim_next, confirm, decide, note, release, request_info, return_case, revoke,
};
use crate::app::{self, Staff, Supervisor, User};
use crate::db::cases::{self, CaseRow, QueueFilter};
use crate::db::jobs::{self, JobKind};
use crate::db::{self, catalog, events};
use crate::domain::role::Role;
use crate::domain::status::{self, Action, CaseStatus};
use crate::outputs::e_visa::grant::GrantRequest;

use super::Form;

fn staff(ctx: &Ctx, user: User) -> Result<Staff, HttpResponse> {
    Staff::new(user).map_err(|err| ctx.fail(err))
}

/// The statuses the queue filter offers.
const LISTED: [CaseStatus; 8] = [
    CaseStatus::Submitted,
    CaseStatus::InReview,
    CaseStatus::InfoRequested,
    CaseStatus::PendingApproval,
    CaseStatus::Approved,
    CaseStatus::Issued,
    CaseStatus::Rejected,
    CaseStatus::Revoked,
];

/// `GET /console?service=&status=&priority=&overdue=`.
async fn queue(ctx: Ctx, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    let user = signed_in!(ctx);
    let staff = match staff(&ctx, user) {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let Some(post) = staff.post.clone() else {
        return ctx.fail(app::Error::Forbidden("the account belongs to no post".into()));
    };
    let status = query.get("status").and_then(|s| s.parse::<CaseStatus>().ok()).filter(|s| LISTED.contains(s));
    let status = status.unwrap_or(CaseStatus::Submitted);
    let priority = query.get("priority").filter(|p| ["urgent", "normal"].contains(&p.as_str())).cloned();
    let overdue = query.get("overdue").is_some_and(|v| v == "true");
    let service = query.get("service").filter(|s| !s.is_empty()).cloned();
    let filter = QueueFilter {
        post: post.clone(),
        statuses: vec![status],
        service_code: service.clone(),
        assignee: None,
        nationality: None,
        overdue: overdue.then_some(true),
        now: db::now(),
        text: None,
    };
    let now = db::now();
    let lang = ctx.lang;
    let (rows, counts, overdue_count, services, failed_issuance) = attempt!(
        ctx,
        ctx.state
            .db
            .run(move |conn| {
                let (rows, _) = cases::queue(conn, &filter, 100, 0)?;
                // The same figures as the statistics: open statuses by count, and the overdue.
                let by_status: HashMap<String, i64> =
                    cases::count_by_status(conn, &filter.post, None)?.into_iter().collect();
                let counts: Vec<Value> = OPEN_STATUSES
                    .iter()
                    .map(|s| json!({"status": s.as_str(), "count": by_status.get(s.as_str()).copied().unwrap_or(0)}))
                    .collect();
                let late = cases::count_overdue(conn, &filter.post, None, &OPEN_STATUSES, filter.now)?;
                let services = catalog::list_services(conn)?;
                let mut shown = Vec::new();
                for case in rows {
                    let name = services
                        .iter()
                        .find(|(s, _)| s.code == case.service_code)
                        .map_or(case.service_code.clone(), |(s, _)| s.name_in(lang));
                    shown.push((case, name));
                }
                let services: Vec<Value> =
                    services.iter().map(|(s, _)| json!({"code": s.code, "name": s.name_in(lang)})).collect();
                let stuck = jobs::count_failed(conn)?
                    .into_iter()
                    .find(|(kind, _)| kind == JobKind::IssueOutput.as_str())
                    .map_or(0, |(_, count)| count);
                Ok((shown, counts, late, services, stuck))
            })
            .await
    );
    let cases: Vec<Value> = rows
        .into_iter()
        .filter(|(case, _)| priority.as_ref().is_none_or(|p| *p == case.priority))
        .map(|(case, service)| {
            let late = case.decision_deadline.is_some_and(|d| d < now);
            json!({"id": case.id, "reference": case.reference, "service": service, "status": case.status.as_str(),
                   "name": format!("{} {}", case.given_names.clone().unwrap_or_default(), case.surname.clone().unwrap_or_default()).trim(),
                   "deadline": case.decision_deadline.map(|d| d.format("%d.%m.%Y").to_string()),
                   "overdue": late, "urgent": case.priority == "urgent"})
        })
        .collect();
    let statuses: Vec<&str> = LISTED.iter().map(|s| s.as_str()).collect();
    ctx.render(
        "console_queue.html",
        json!({"title": ctx.t("queue"), "post": post, "cases": cases, "counts": counts, "overdue_count": overdue_count,
               "services": services, "statuses": statuses, "is_supervisor": staff.role == Role::Supervisor,
               "failed_issuance": failed_issuance,
               "filter": {"service": service, "status": status.as_str(), "priority": query.get("priority"), "overdue": overdue}}),
    )
}

/// `POST /console/claim-next`.
async fn claim_next_case(ctx: Ctx, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let user = signed_in!(ctx);
    let staff = match staff(&ctx, user) {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    match attempt!(ctx, claim_next::claim_next(&ctx.state.db, ctx.state.config.clone(), &staff, Audit::default()).await)
    {
        Some(file) => ctx.redirect(&format!("/console/cases/{}", file.case.id)),
        None => ctx.redirect("/console"),
    }
}

/// What this officer may do to the case now, by the state machine and who handles it.
pub fn actions(case: &CaseRow, user: &User) -> Vec<&'static str> {
    let handler = user.role == Role::Supervisor || case.assigned_officer_id.as_deref() == Some(user.id.as_str());
    let allowed = |action: Action| status::transition(case.status, action, user.role).is_ok();
    let mut found = Vec::new();
    if allowed(Action::Claim) && case.assigned_officer_id.is_none() {
        found.push("claim");
    }
    if handler {
        for (action, name) in [
            (Action::Release, "release"),
            (Action::RequestInfo, "request_info"),
            (Action::Approve, "approve"),
            (Action::Return, "return"),
        ] {
            if allowed(action) {
                found.push(name);
            }
        }
    }
    if allowed(Action::Confirm) && case.recommended_by.as_deref() != Some(user.id.as_str()) {
        found.push("confirm");
    }
    if user.role == Role::Supervisor && allowed(Action::Revoke) {
        found.push("revoke");
    }
    if handler {
        found.push("note");
    }
    found
}

/// `GET /console/cases/{id}`.
async fn case_view(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
    let user = signed_in!(ctx);
    if !user.role.handles_cases() {
        return ctx.fail(app::Error::NotFound);
    }
    let id = path.into_inner();
    let draft = attempt!(ctx, load(&ctx, user.clone(), id.clone()).await);
    let case_id = id.clone();
    let (rows, grounds, fee) = attempt!(
        ctx,
        ctx.state
            .db
            .run(move |conn| {
                Ok((
                    events::list_for_case(conn, &case_id)?,
                    catalog::list_refusal_grounds(conn)?,
                    crate::db::fees::for_case(conn, &case_id)?,
                ))
            })
            .await
    );
    let events = history(&ctx, rows, user.role, &grounds);
    let refusal: Vec<Value> = grounds
        .iter()
        .filter(|g| g.for_refusal())
        .map(|g| json!({"code": g.code, "title": g.words_in(ctx.lang).0}))
        .collect();
    let revocation: Vec<Value> = grounds
        .iter()
        .filter(|g| g.applies_to != "refusal")
        .map(|g| json!({"code": g.code, "title": g.words_in(ctx.lang).0}))
        .collect();
    let texts = draft.service.texts();
    let words = super::apply::words(&ctx, &texts);
    let documents: Vec<Value> = draft
        .documents
        .iter()
        .map(|d| {
            json!({"kind": d.kind, "name": words.document(&d.kind), "url": format!("/cases/{}/files/{}", id, d.kind),
                        "image": d.content_type.starts_with("image/"), "size_kb": (d.size_bytes / 1024).max(1)})
        })
        .collect();
    let case = &draft.case;
    let now = db::now();
    let view = json!({
        "id": case.id, "reference": case.reference, "service": draft.service.name_in(ctx.lang), "status": case.status.as_str(),
        "name": format!("{} {}", case.given_names.clone().unwrap_or_default(), case.surname.clone().unwrap_or_default()).trim(),
        "deadline": case.decision_deadline.map(|d| d.format("%d.%m.%Y").to_string()),
        "overdue": case.decision_deadline.is_some_and(|d| d < now), "urgent": case.priority == "urgent",
        "visa": draft.service.output == "e_visa",
        "fee": fee.filter(|f| f.amount_minor > 0).map(|f| json!({"text": fee_text(f.amount_minor, &f.currency), "paid": fee_text(f.paid_minor, &f.currency),
            "outstanding": fee_text(f.outstanding_minor(), &f.currency),
            "payable": f.outstanding_minor() > 0 && case.status.takes_payment()})),
    });
    ctx.render(
        "console_case.html",
        json!({"title": case.reference, "case": view, "steps": draft.steps, "documents": documents, "events": events,
               "actions": actions(case, &user), "grounds": refusal, "revocation_grounds": revocation}),
    )
}

fn grounds_of(form: &HashMap<String, String>) -> Vec<String> {
    let mut codes: Vec<String> = form.keys().filter_map(|k| k.strip_prefix("ground_")).map(str::to_owned).collect();
    codes.sort();
    codes
}

fn optional(form: &HashMap<String, String>, key: &str) -> Option<String> {
    form.get(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// `POST /console/cases/{id}/{action}`: performs one action through its use case.
async fn act(ctx: Ctx, path: web::Path<(String, String)>, form: Form) -> HttpResponse {
    let form = form.into_inner();
    check_csrf!(ctx, form);
    let user = signed_in!(ctx);
    let staff = match staff(&ctx, user.clone()) {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let (id, action) = path.into_inner();
    let (db, config) = (&ctx.state.db, ctx.state.config.clone());
    let audit = Audit::default();
    let done: app::Result<()> = match action.as_str() {
        "claim" => claim::claim(db, config, &staff, id.clone(), audit).await.map(drop),
        "release" => release::release(db, config, &staff, id.clone(), audit).await.map(drop),
        "confirm" => confirm::confirm(db, config, &staff, id.clone(), audit).await.map(drop),
        "return" => {
            return_case::return_case(db, config, &staff, id.clone(), optional(&form, "note"), audit).await.map(drop)
        }
        "notes" => note::note(db, &staff, id.clone(), optional(&form, "text"), audit).await,
        "request-info" => {
            let items: Vec<String> = form
                .get("items")
                .map(|t| t.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default();
            let message = optional(&form, "message");
            request_info::request_info(db, config, &staff, id.clone(), message, items, audit).await.map(drop)
        }
        "decision" => {
            let verdict = if form.get("decision").map(String::as_str) == Some("refuse") {
                Verdict::Refuse { grounds: grounds_of(&form) }
            } else {
                let date = |key: &str| optional(&form, key).and_then(|v| v.parse().ok());
                let grant = GrantRequest {
                    entries: None,
                    valid_from: date("valid_from"),
                    valid_until: date("valid_until"),
                    duration_of_stay_days: optional(&form, "duration_of_stay_days").and_then(|v| v.parse().ok()),
                };
                Verdict::Approve { grant }
            };
            decide::decide(db, config, &staff, id.clone(), verdict, optional(&form, "note"), audit).await.map(drop)
        }
        "payment" => {
            let method = form.get("method").cloned().unwrap_or_default();
            let receipt = form.get("receipt_number").cloned().unwrap_or_default();
            let request_id = crate::web::request_id::of_request(&ctx.req);
            checkout::record_at_counter(db, config, &user, id.clone(), method, receipt, request_id).await.map(drop)
        }
        "revoke" => match Supervisor::new(user) {
            Ok(supervisor) => revoke::revoke(db, config, &supervisor, id.clone(), grounds_of(&form), None, audit).await,
            Err(err) => Err(err),
        },
        _ => Err(app::Error::NotFound),
    };
    match done {
        Ok(()) => ctx.redirect(&format!("/console/cases/{id}")),
        Err(err) => ctx.fail(err),
    }
}

/// The console's pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/console", web::get().to(queue))
        .route("/console/claim-next", web::post().to(claim_next_case))
        .route("/console/cases/{id}", web::get().to(case_view))
        .route("/console/cases/{id}/{action}", web::post().to(act));
}
