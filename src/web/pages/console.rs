//! The officer console (`/console`): the post's queue with filters, counts, overdue markers and
//! "claim next"; the case view with the form beside the photo and documents, the history and
//! internal notes, and the actions the state machine allows this officer, and nothing else.
//! Supervisors see the recommendations waiting for four-eyes confirmation and can revoke.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use std::collections::HashMap;

use super::age_chart;
use super::console_case::{Refused, case_page, case_view};
use super::{Ctx, attempt, check_csrf, signed_in};
use crate::app::checkout;
use crate::app::engine::Audit;
use crate::app::review::decide::Verdict;
use crate::app::review::{
    OPEN_STATUSES, claim, claim_next, confirm, decide, note, release, request_info, return_case, revoke,
};
use crate::app::{self, Staff, Supervisor, User, staff_accounts};
use crate::db::case_queue::{self, Assignee, QueueFilter};
use crate::db::jobs::{self, JobKind};
use crate::db::{self, catalog, events, users};
use crate::domain::FieldError;
use crate::domain::role::Role;
use crate::domain::status::CaseStatus;
use crate::issuance::e_visa::grant::GrantRequest;

use super::Form;

fn staff(ctx: &Ctx, user: User) -> Result<Staff, HttpResponse> {
    Staff::new(user).map_err(|err| ctx.fail(err))
}

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
    // No status asked for: the new cases; an empty one: every open case.
    let status = match query.get("status").map(String::as_str) {
        None => Some(CaseStatus::Submitted),
        Some(asked) => asked.parse::<CaseStatus>().ok().filter(|s| s.concerns_staff()),
    };
    let mine = query.get("mine").is_some_and(|v| v == "true");
    let supervisor = staff.role == Role::Supervisor;
    let priority = query.get("priority").filter(|p| ["urgent", "normal"].contains(&p.as_str())).cloned();
    let overdue = query.get("overdue").is_some_and(|v| v == "true");
    let service = query.get("service").filter(|s| !s.is_empty()).cloned();
    let filter = QueueFilter {
        post: post.clone(),
        statuses: status.map_or_else(|| OPEN_STATUSES.to_vec(), |s| vec![s]),
        service_code: service.clone(),
        assignee: mine.then(|| Assignee::Officer(staff.id.clone())),
        nationality: None,
        overdue: overdue.then_some(true),
        now: db::now(),
        text: None,
    };
    let now = db::now();
    let lang = ctx.lang;
    let me = staff.id.clone();
    let (rows, counts, overdue_count, services, failed_issuance, ages, back, away) = attempt!(
        ctx,
        ctx.state
            .db
            .run::<_, crate::app::Error, _>(move |conn| {
                let (rows, _) = case_queue::queue(conn, &filter, 100, 0)?;
                let away = users::find(conn, &me)?.and_then(|u| u.away_until).filter(|until| *until > filter.now);
                // What came back from the applicant: an answer, or a request that lapsed.
                let ids: Vec<String> = rows.iter().map(|c| c.id.clone()).collect();
                let back = events::latest_of(conn, &ids, &["request_info", "respond", "lapse"])?;
                // The same figures as the statistics: open statuses by count, and the overdue.
                let by_status: HashMap<String, i64> =
                    case_queue::count_by_status(conn, &filter.post, None)?.into_iter().collect();
                let counts: Vec<Value> = OPEN_STATUSES
                    .iter()
                    .map(|s| json!({"status": s.as_str(), "count": by_status.get(s.as_str()).copied().unwrap_or(0)}))
                    .collect();
                let late = case_queue::count_overdue(conn, &filter.post, None, &OPEN_STATUSES, filter.now)?;
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
                let ages = if supervisor {
                    Some(age_chart::counts(conn, &filter.post, &OPEN_STATUSES, filter.now)?)
                } else {
                    None
                };
                Ok((shown, counts, late, services, stuck, ages, back, away))
            })
            .await
    );
    let cases: Vec<Value> = rows
        .into_iter()
        .filter(|(case, _)| priority.as_ref().is_none_or(|p| *p == case.priority))
        .map(|(case, service)| {
            let late = case.decision_deadline.is_some_and(|d| d < now);
            // Its age against the time the law gives: "day 12 of 15".
            let age = case.submitted_at.map(|at| (now - at).num_days());
            let allowed = case.submitted_at.zip(case.decision_deadline).map(|(at, due)| (due - at).num_days());
            let age = age.map(|age| match allowed {
                Some(total) => ctx.t("age_of").replace("{age}", &age.to_string()).replace("{total}", &total.to_string()),
                None => ctx.t("age_days").replace("{age}", &age.to_string()),
            });
            let returned = match back.get(&case.id).map(String::as_str) {
                _ if !matches!(case.status, CaseStatus::Submitted | CaseStatus::InReview) => None,
                Some("respond") => Some("information_received"),
                Some("lapse") => Some("information_lapsed"),
                _ => None,
            };
            json!({"id": case.id, "reference": case.reference, "service": service, "status": case.status.as_str(), "age": age,
                   "returned": returned,
                   "name": format!("{} {}", case.given_names.clone().unwrap_or_default(), case.surname.clone().unwrap_or_default()).trim(),
                   "deadline": case.decision_deadline.map(|d| d.format("%d.%m.%Y").to_string()),
                   "overdue": late, "urgent": case.priority == "urgent"})
        })
        .collect();
    let statuses: Vec<&str> =
        CaseStatus::ALL.into_iter().filter(|s| s.concerns_staff()).map(CaseStatus::as_str).collect();
    let chart = ages.map(|ages| {
        let summary: Vec<String> = ages
            .iter()
            .enumerate()
            .map(|(index, count)| format!("{} {}: {count}", age_chart::label(index), ctx.t("days")))
            .collect();
        age_chart::svg(&ages, &ctx.t("open_cases_by_age"), &summary.join("; "))
    });
    ctx.render(
        "console_queue.html",
        json!({"title": ctx.t("queue"), "post": post, "cases": cases, "counts": counts, "overdue_count": overdue_count,
               "services": services, "statuses": statuses, "is_supervisor": staff.role == Role::Supervisor,
               "failed_issuance": failed_issuance, "chart": chart,
               "away_until": away.map(|until| crate::domain::dates::written(ctx.lang, (until - chrono::Duration::seconds(1)).date())),
               "filter": {"service": service, "status": status.map_or("", |s| s.as_str()), "priority": query.get("priority"),
                          "overdue": overdue, "mine": mine}}),
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
            let lines = |key: &str| -> Vec<String> {
                form.get(key)
                    .map(|t| t.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect())
                    .unwrap_or_default()
            };
            let named = |prefix: &str| -> Vec<String> {
                let mut names: Vec<String> =
                    form.keys().filter_map(|k| k.strip_prefix(prefix)).map(str::to_owned).collect();
                names.sort();
                names
            };
            match optional(&form, "due_date").map(|d| d.parse::<chrono::NaiveDate>()) {
                Some(Err(_)) => Err(app::Error::invalid_field("due_date", "format", "a date such as 2027-04-12")),
                due_date => {
                    let request = request_info::Request {
                        message: optional(&form, "message"),
                        items: lines("items"),
                        documents: named("document_"),
                        fields: named("field_"),
                        due_date: due_date.and_then(Result::ok),
                    };
                    request_info::request_info(db, config, &staff, id.clone(), request, audit).await.map(drop)
                }
            }
        }
        "decision" => match verdict(&form) {
            Ok(verdict) => {
                decide::decide(db, config, &staff, id.clone(), verdict, optional(&form, "note"), audit).await.map(drop)
            }
            Err(err) => Err(err),
        },
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
        // The case page again, with what was typed and what is wrong with it.
        Err(app::Error::Invalid(problems)) => {
            let name = if action == "decision" { form.get("decision").cloned().unwrap_or_default() } else { action };
            case_page(ctx, id, Refused { form: name, posted: form, problems }).await
        }
        Err(err) => ctx.fail(err),
    }
}

/// The decision a decision form asks for; a date or number that does not read is a problem of
/// its field, not a silent blank.
fn verdict(form: &HashMap<String, String>) -> app::Result<Verdict> {
    if form.get("decision").map(String::as_str) == Some("refuse") {
        return Ok(Verdict::Refuse { grounds: grounds_of(form) });
    }
    let mut problems = Vec::new();
    let mut date = |key: &str| match optional(form, key).map(|v| v.parse()) {
        Some(Ok(day)) => Some(day),
        Some(Err(_)) => {
            problems.push(FieldError::new(key, "format", "a date such as 2027-04-12"));
            None
        }
        None => None,
    };
    let (valid_from, valid_until) = (date("valid_from"), date("valid_until"));
    let duration_of_stay_days = match optional(form, "duration_of_stay_days").map(|v| v.parse()) {
        Some(Ok(days)) => Some(days),
        Some(Err(_)) => {
            problems.push(FieldError::new("duration_of_stay_days", "invalid", "a whole number of days"));
            None
        }
        None => None,
    };
    if !problems.is_empty() {
        return Err(app::Error::Invalid(problems));
    }
    Ok(Verdict::Approve { grant: GrantRequest { entries: None, valid_from, valid_until, duration_of_stay_days } })
}

/// `POST /console/away`: the staff member says until when they are away, or that they are back.
async fn away(ctx: Ctx, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let user = signed_in!(ctx);
    let staff = match staff(&ctx, user) {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    // A day in the post's calendar: away until the end of it.
    let until = match form.get("until").map(|d| d.trim()).filter(|d| !d.is_empty() && form.get("back").is_none()) {
        None => None,
        Some(day) => match day.parse::<chrono::NaiveDate>() {
            Ok(day) => Some((day + chrono::Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()),
            Err(_) => return ctx.fail(app::Error::invalid_field("until", "invalid", "a date such as 2027-01-31")),
        },
    };
    match staff_accounts::set_away(&ctx.state.db, &staff, until, String::new()).await {
        Ok(_) => ctx.redirect("/console"),
        Err(err) => ctx.fail(err),
    }
}

/// The console's pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/console", web::get().to(queue))
        .route("/console/away", web::post().to(away))
        .route("/console/claim-next", web::post().to(claim_next_case))
        .route("/console/cases/{id}", web::get().to(case_view))
        .route("/console/cases/{id}/{action}", web::post().to(act));
}
