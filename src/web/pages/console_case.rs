//! The console's case page (`/console/cases/{id}`): the form beside the photo and documents,
//! the history and internal notes, the recommendation awaiting four-eyes in full, and the actions
//! the state machine allows this officer, with a refused form shown again as it was posted.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use std::collections::HashMap;

use super::cases::history;
use super::draft::{fee_text, load};
use super::schema_form;
use super::{Ctx, attempt, signed_in};
use crate::app::{self, User};
use crate::db::cases::CaseRow;
use crate::db::events::EventRow;
use crate::db::{self, catalog, events, users};
use crate::domain::FieldError;
use crate::domain::decision::Decision;
use crate::domain::role::Role;
use crate::domain::status::{self, Action, CaseStatus};

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

/// A form of the case page that was refused: what it said and what was wrong, to show the page
/// again with the answers kept and the problems summed up.
#[derive(Default)]
pub(super) struct Refused {
    /// The form's name (`decision`, `return`, ...).
    pub(super) form: String,
    /// What was posted.
    pub(super) posted: HashMap<String, String>,
    /// What was wrong.
    pub(super) problems: Vec<FieldError>,
}

/// `GET /console/cases/{id}`.
pub(super) async fn case_view(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
    case_page(ctx, path.into_inner(), Refused::default()).await
}

/// The recommendation awaiting a second person, in full: the terms, who made it and when, and
/// their note.
fn recommendation(ctx: &Ctx, case: &CaseRow, rows: &[EventRow], recommender: Option<String>) -> Option<Value> {
    if case.status != CaseStatus::PendingApproval {
        return None;
    }
    let Ok(Decision::Recommended { grant }) = serde_json::from_str(case.decision.as_deref()?) else { return None };
    let made = rows.iter().rev().find(|e| e.action == Action::Recommend.as_str())?;
    let day = |key: &str| {
        grant
            .as_ref()
            .and_then(|g| g[key].as_str())
            .and_then(|d| d.parse().ok())
            .map(|d| super::i18n::date(ctx.lang, d))
    };
    Some(json!({
        "by": recommender.unwrap_or_default(),
        "at": made.created_at.format("%d.%m.%Y %H:%M UTC").to_string(),
        "note": made.note.clone().or_else(|| made.staff_note.clone()),
        "valid_from": day("valid_from"), "valid_until": day("valid_until"),
        "entries": grant.as_ref().and_then(|g| g["entries"].as_str()).map(|e| ctx.t(&format!("entries_{e}"))),
        "stay": grant.as_ref().and_then(|g| g["duration_of_stay_days"].as_i64()),
    }))
}

/// The catalogue's key for the label of a field of the case page's forms.
fn label_key(field: &str) -> &'static str {
    match field {
        "valid_from" => "valid_from",
        "valid_until" => "valid_until",
        "duration_of_stay_days" => "duration_of_stay",
        "message" => "message_to_applicant",
        "receipt_number" => "receipt_number",
        "grounds" => "grounds_title",
        "text" => "internal_note",
        "due_date" => "due_date",
        "documents" => "request_name_documents",
        "fields" => "request_name_fields",
        _ => "note",
    }
}

/// The case page, with a refused form's answers and problems if there was one.
pub(super) async fn case_page(ctx: Ctx, id: String, refused: Refused) -> HttpResponse {
    let user = signed_in!(ctx);
    if !user.role.handles_cases() {
        return ctx.fail(app::Error::NotFound);
    }
    let draft = attempt!(ctx, load(&ctx, user.clone(), id.clone()).await);
    let case_id = id.clone();
    let recommended_by = draft.case.recommended_by.clone();
    let (rows, grounds, fee, recommender) = attempt!(
        ctx,
        ctx.state
            .db
            .run::<_, crate::app::Error, _>(move |conn| {
                let recommender = match recommended_by {
                    Some(officer) => users::find(conn, &officer)?.map(|u| u.full_name),
                    None => None,
                };
                Ok((
                    events::list_for_case(conn, &case_id)?,
                    catalog::list_refusal_grounds(conn)?,
                    crate::db::fees::for_case(conn, &case_id)?,
                    recommender,
                ))
            })
            .await
    );
    let recommended = recommendation(&ctx, &draft.case, &rows, recommender);
    let texts = draft.service.texts();
    let words = super::draft::words(&ctx, &texts);
    let mut labels: HashMap<String, String> =
        draft.steps.iter().flat_map(|s| &s.fields).map(|f| (f.name.clone(), f.label.clone())).collect();
    labels.extend(draft.requirements().iter().map(|r| (format!("documents.{}", r.kind), words.document(&r.kind))));
    let events = history(&ctx, rows, user.role, &grounds, &labels);
    // What a request for information may name: the service's documents and the form's answers.
    let requestable = json!({
        "documents": draft.requirements().iter().map(|r| json!({"kind": r.kind, "name": words.document(&r.kind)})).collect::<Vec<_>>(),
        "fields": draft.steps.iter().flat_map(|s| &s.fields).map(|f| json!({"name": f.name, "label": f.label, "id": f.id})).collect::<Vec<_>>(),
    });
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
    let errors: Vec<Value> = refused
        .problems
        .iter()
        .map(|p| {
            let field = schema_form::dotted(&p.field);
            let anchor = format!("#f-{}-{}", refused.form, field.split(['.', '[']).next().unwrap_or_default());
            json!({"text": super::i18n::problem(ctx.lang, p, Some(&ctx.t(label_key(&field)))), "link": anchor})
        })
        .collect();
    ctx.render_status(
        super::status_for(errors.is_empty()),
        "console_case.html",
        json!({"title": case.reference, "case": view, "steps": draft.steps, "documents": documents, "events": events,
               "actions": actions(case, &user), "grounds": refusal, "revocation_grounds": revocation,
               "recommendation": recommended, "errors": errors, "refused": refused.form, "posted": refused.posted,
               "requestable": requestable}),
    )
}
