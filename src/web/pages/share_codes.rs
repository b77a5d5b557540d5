//! The holder's share codes (`/account/share-codes`): make one for a document in force, for a
//! purpose and a number of days; see each code with every check of it; cancel one. In the
//! holder's language, like every page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::{Ctx, Form, attempt, check_csrf, plain_summary, signed_in, status_for};
use crate::app::Applicant;
use crate::app::engine::Audit;
use crate::app::share_codes::{self, CodeView, NewCode};
use crate::domain::FieldError;
use crate::domain::share_code::{MAX_VALID_DAYS, Purpose};

/// Days a code is valid for unless the holder says otherwise.
const DEFAULT_DAYS: i64 = 30;

fn purpose_label(ctx: &Ctx, purpose: &str) -> String {
    ctx.t(&format!("share_purpose_{purpose}"))
}

fn at(ctx: &Ctx, at: chrono::NaiveDateTime) -> String {
    format!("{} {}", super::i18n::date(ctx.lang, at.date()), at.format("%H:%M UTC"))
}

/// The page's view of the holder's codes, and of every check of them, newest first.
fn codes_view(ctx: &Ctx, codes: &[CodeView]) -> (Vec<Value>, Vec<Value>) {
    let shown: Vec<Value> = codes
        .iter()
        .map(|c| {
            json!({"id": c.row.id, "hint": c.row.code_hint, "purpose": purpose_label(ctx, c.purpose.as_str()),
                   "created": super::i18n::date(ctx.lang, c.row.created_at.date()),
                   "expires": super::i18n::date(ctx.lang, c.row.expires_at.date()),
                   "state": c.state.as_str(), "state_label": ctx.t(&format!("share_state_{}", c.state.as_str())),
                   "checks": c.checks.len(), "active": c.state == crate::domain::share_code::CodeState::Active})
        })
        .collect();
    let mut checks: Vec<(chrono::NaiveDateTime, Value)> = codes
        .iter()
        .flat_map(|c| {
            c.checks.iter().map(move |check| {
                let row = json!({"at": at(ctx, check.at), "hint": c.row.code_hint,
                                 "purpose": purpose_label(ctx, c.purpose.as_str()),
                                 "outcome": check.outcome.as_str(),
                                 "outcome_label": ctx.t(&format!("share_outcome_{}", check.outcome.as_str()))});
                (check.at, row)
            })
        })
        .collect();
    checks.sort_by_key(|c| std::cmp::Reverse(c.0));
    (shown, checks.into_iter().map(|(_, row)| row).collect())
}

/// Renders the page, with the form as it was sent and its problems, if any.
async fn render(ctx: &Ctx, applicant: &Applicant, sent: Option<&Form>, problems: &[FieldError]) -> HttpResponse {
    let documents = attempt!(ctx, share_codes::shareable(&ctx.state.db, applicant).await);
    let codes = attempt!(ctx, share_codes::list(&ctx.state.db, applicant).await);
    let value = |name: &str| sent.and_then(|form| form.get(name)).cloned();
    let chosen_case = value("case_id");
    let documents: Vec<Value> = documents
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let checked = chosen_case.as_deref().map_or(i == 0, |c| c == d.document.case_id);
            json!({"case_id": d.document.case_id, "service": d.service.name_in(ctx.lang),
                   "number": d.document.number, "checked": checked})
        })
        .collect();
    let chosen_purpose = value("purpose");
    let purposes: Vec<Value> = Purpose::ALL
        .iter()
        .map(|p| {
            let name = p.as_str();
            json!({"value": name, "label": purpose_label(ctx, name), "hint": ctx.t(&format!("share_purpose_{name}_shows")),
                   "checked": chosen_purpose.as_deref() == Some(name)})
        })
        .collect();
    let error_of =
        |field: &str| problems.iter().find(|p| p.field == field).map(|p| super::i18n::problem(ctx.lang, p, None));
    let errors = plain_summary(ctx.lang, problems);
    let (codes, checks) = codes_view(ctx, &codes);
    let notice = web::Query::<std::collections::HashMap<String, String>>::from_query(ctx.req.query_string())
        .ok()
        .and_then(|q| q.get("notice").cloned())
        .filter(|n| n == "share_cancelled_notice")
        .map(|key| ctx.t(&key));
    ctx.render_status(
        status_for(problems.is_empty()),
        "share_codes.html",
        json!({"title": ctx.t("share_title"), "documents": documents, "purposes": purposes,
               "days": value("valid_days").unwrap_or_else(|| DEFAULT_DAYS.to_string()), "max_days": MAX_VALID_DAYS,
               "purpose_error": error_of("purpose"), "days_error": error_of("valid_days"),
               "errors": errors, "codes": codes, "checks": checks, "notice": notice}),
    )
}

/// `GET /account/share-codes`.
async fn codes_page(ctx: Ctx) -> HttpResponse {
    let user = signed_in!(ctx);
    let applicant = attempt!(ctx, Applicant::new(user));
    render(&ctx, &applicant, None, &[]).await
}

/// `POST /account/share-codes`: makes a code and shows it, this once.
async fn create_code(ctx: Ctx, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let user = signed_in!(ctx);
    let applicant = attempt!(ctx, Applicant::new(user));
    let mut problems = Vec::new();
    let purpose = form.get("purpose").cloned().unwrap_or_default();
    if purpose.is_empty() {
        problems.push(FieldError::required("purpose"));
    }
    let days = form.get("valid_days").map(|d| d.trim().parse::<i64>());
    let days = match days {
        Some(Ok(days)) => days,
        _ => {
            problems.push(FieldError::new("valid_days", "out_of_range", "from 1 to 90 days"));
            0
        }
    };
    if !problems.is_empty() {
        return render(&ctx, &applicant, Some(&form), &problems).await;
    }
    let new = NewCode { case_id: form.get("case_id").cloned().unwrap_or_default(), purpose, valid_days: days };
    let created = share_codes::create(&ctx.state.db, ctx.state.log_key.clone(), &applicant, new, Audit::default());
    let created = match created.await {
        Ok(created) => created,
        Err(crate::app::Error::Invalid(problems)) => return render(&ctx, &applicant, Some(&form), &problems).await,
        Err(err) => return ctx.fail(err),
    };
    let check_url = format!("{}/share-code", ctx.state.config.public_url.trim_end_matches('/'));
    ctx.render_status(
        StatusCode::CREATED,
        "share_code_created.html",
        json!({"title": ctx.t("share_created_title"), "code": created.code.grouped(),
               "purpose": purpose_label(&ctx, created.view.purpose.as_str()),
               "shows": ctx.t(&format!("share_purpose_{}_shows", created.view.purpose.as_str())),
               "expires": super::i18n::date(ctx.lang, created.view.row.expires_at.date()), "check_url": check_url}),
    )
}

/// `POST /account/share-codes/{id}/cancel`.
async fn cancel_code(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let user = signed_in!(ctx);
    let applicant = attempt!(ctx, Applicant::new(user));
    attempt!(ctx, share_codes::cancel(&ctx.state.db, &applicant, path.into_inner(), Audit::default()).await);
    ctx.redirect("/account/share-codes?notice=share_cancelled_notice")
}

/// The pages of the holder's share codes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/account/share-codes", web::get().to(codes_page))
        .route("/account/share-codes", web::post().to(create_code))
        .route("/account/share-codes/{id}/cancel", web::post().to(cancel_code));
}
