//! The applicant's dashboard (`/account/cases`) and each case: its status in words, the decision
//! deadline, the full history, answering a request for information, withdrawing, downloading
//! what was issued, and (through `booking`) an appointment where the service gives one.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;

use super::apply::downloadable;
use super::booking;
use super::draft::{Draft, fee_text, load};
use super::{Ctx, attempt, check_csrf, signed_in};
use crate::app::applicant::{respond, withdraw};
use crate::app::engine::Audit;
use crate::app::{self, Applicant};
use crate::db::catalog::RefusalGroundRow;
use crate::db::{cases, catalog, events, fees, users};
use crate::domain::role::Role;
use crate::domain::service::OutputKind;
use crate::domain::status::{Action, CaseStatus, transition};
use crate::web::api::views::EventView;
use crate::web::api::visas::issued_pdf;

use super::Form;

fn date(lang: &str, at: Option<chrono::NaiveDateTime>) -> Option<String> {
    at.map(|a| super::i18n::date(lang, a.date()))
}

/// `GET /account/cases`: the applicant's cases, newest first.
async fn dashboard(ctx: Ctx) -> HttpResponse {
    let user = signed_in!(ctx);
    if user.role.handles_cases() {
        return ctx.redirect("/console");
    }
    let id = user.id.clone();
    let lang = ctx.lang;
    let (rows, verified) = attempt!(
        ctx,
        ctx.state
            .db
            .run::<_, crate::app::Error, _>(move |conn| {
                let mut rows = cases::list_for_applicant_of(conn, &id, "visa", 100, 0)?.0;
                rows.extend(cases::list_for_applicant_of(conn, &id, "consular", 100, 0)?.0);
                rows.sort_by_key(|c| std::cmp::Reverse(c.created_at));
                let mut shown = Vec::new();
                for case in rows {
                    let service = catalog::find_service(conn, &case.service_code)?
                        .map_or(case.service_code.clone(), |s| s.name_in(lang));
                    shown.push(json!({"id": case.id, "reference": case.reference, "service": service,
                                      "status": case.status.as_str(), "deadline": date(lang, case.decision_deadline)}));
                }
                let verified = users::find(conn, &id)?.is_some_and(|u| u.email_verified_at.is_some());
                Ok((shown, verified))
            })
            .await
    );
    ctx.render("dashboard.html", json!({"title": ctx.t("my_cases"), "cases": rows, "verified": verified}))
}

/// The steps of a case its applicant is told of, each in the applicant's words
/// (`history_<action>`); the officers' own steps (claims, recommendations, priorities, edits
/// and uploads already seen) are left out.
const APPLICANT_HISTORY: [&str; 14] = [
    "create",
    "submit",
    "request_info",
    "respond",
    "lapse",
    "approve",
    "refuse",
    "issue",
    "revoke",
    "withdraw",
    "payment",
    "book_appointment",
    "move_appointment",
    "extend_deadline",
];

/// The history of a case: for its applicant, only what concerns them, in their words (the
/// API's filter of details, then [`APPLICANT_HISTORY`]); for staff, every step.
pub(super) fn history(
    ctx: &Ctx,
    rows: Vec<crate::db::events::EventRow>,
    viewer: crate::domain::role::Role,
    grounds: &[RefusalGroundRow],
    labels: &HashMap<String, String>,
) -> Vec<Value> {
    let label = |key: String| labels.get(&key).cloned().unwrap_or(key);
    // Grounds are recorded by code and told by their title in the page's language.
    let ground = |code: Value| match grounds.iter().find(|g| code.as_str() == Some(g.code.as_str())) {
        Some(found) => json!(found.words_in(ctx.lang).0),
        None => code,
    };
    let applicant = viewer == Role::Applicant;
    rows.into_iter()
        .filter(|row| !applicant || APPLICANT_HISTORY.contains(&row.action.as_str()))
        .filter_map(|row| EventView::for_viewer(row, viewer))
        .filter_map(|view| serde_json::to_value(view).ok())
        .map(|e| {
            let action = e["action"].as_str().unwrap_or_default();
            let declined = action == "payment" && e["details"]["status"] == "failed";
            let key = match (applicant, declined) {
                (true, true) => "history_payment_declined".to_owned(),
                (true, false) => format!("history_{action}"),
                (false, _) => format!("action_{action}"),
            };
            let label_text = ctx.t(&key);
            let label_text = if label_text == key { action.to_owned() } else { label_text };
            let at = e["created_at"].as_str().and_then(|t| t.parse::<DateTime<Utc>>().ok());
            let items: Vec<Value> = e["details"]["items"].as_array().cloned().unwrap_or_default();
            let grounds: Vec<Value> = e["details"]["grounds"].as_array().cloned().unwrap_or_default();
            let items: Vec<Value> = items.into_iter().chain(grounds.into_iter().map(ground)).collect();
            let who = match e["actor_role"].as_str() {
                Some("applicant") => ctx.t("applicant"),
                Some(role) => ctx.t(&format!("role_{role}")),
                None => String::new(),
            };
            // What an answer to a request changed, for staff: each answer before and after,
            // and the documents new or replaced.
            let changes: Vec<Value> = e["details"]["changes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| json!({"field": label(c["field"].as_str().unwrap_or_default().to_owned()),
                                "before": written(ctx.lang, &c["before"]), "after": written(ctx.lang, &c["after"])}))
                .collect();
            let documents: Vec<String> = e["details"]["documents"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|kind| label(format!("documents.{kind}")))
                .collect();
            // A request names the documents it asks for; an answer, those it brought.
            let documents_label =
                if e["action"] == Action::RequestInfo.as_str() { "request_documents" } else { "new_documents" };
            json!({"action": e["action"], "label": label_text, "at": at.map(|a| a.format("%d.%m.%Y %H:%M UTC").to_string()),
                   "changes": changes, "new_documents": documents, "documents_label": documents_label,
                   "note": e["note"], "staff_note": e["staff_note"], "internal": e["internal"], "items": items, "who": who})
        })
        .collect()
}

/// An answer as shown to staff: a date as the page's language writes it, anything else as given.
fn written(lang: &str, answer: &Value) -> Value {
    match answer.as_str().and_then(|a| a.parse::<chrono::NaiveDate>().ok()) {
        Some(day) => super::i18n::date(lang, day).into(),
        None => answer.clone(),
    }
}

/// What the latest request for information asks of the applicant, in their words: the
/// officer's message and items, the documents (linked to where they are uploaded), the answers
/// to correct (linked to their fields) and the date to answer by.
fn request_view(ctx: &Ctx, draft: &Draft, rows: &[crate::db::events::EventRow]) -> Option<Value> {
    if draft.case.status != CaseStatus::InfoRequested {
        return None;
    }
    let asked = rows.iter().rev().find(|e| e.action == Action::RequestInfo.as_str())?;
    let details: Value = asked.details.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
    let strings = |key: &str| -> Vec<String> {
        details[key].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
    };
    let id = &draft.case.id;
    let texts = draft.service.texts();
    let words = super::draft::words(ctx, &texts);
    let documents: Vec<Value> = strings("documents")
        .iter()
        .map(|kind| json!({"name": words.document(kind), "href": format!("/cases/{id}/documents#file-{kind}")}))
        .collect();
    let fields: Vec<Value> = strings("fields")
        .iter()
        .filter_map(|name| {
            let (step, field) = draft
                .steps
                .iter()
                .enumerate()
                .find_map(|(index, s)| s.fields.iter().find(|f| f.name == *name).map(|f| (index + 1, f)))?;
            Some(json!({"label": field.label, "href": format!("/cases/{id}/step/{step}#{}", field.id)}))
        })
        .collect();
    let due = details["due_date"].as_str().and_then(|d| d.parse().ok()).map(|d| super::i18n::date(ctx.lang, d));
    Some(
        json!({"message": asked.note, "items": strings("items"), "documents": documents, "fields": fields, "due": due}),
    )
}

/// `GET /cases/{id}`.
async fn case_page(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
    let user = signed_in!(ctx);
    let id = path.into_inner();
    if user.role.handles_cases() {
        return ctx.redirect(&format!("/console/cases/{id}"));
    }
    let draft = attempt!(ctx, load(&ctx, user.clone(), id.clone()).await);
    let case_id = id.clone();
    let (rows, file, grounds) = attempt!(
        ctx,
        ctx.state
            .db
            .run::<_, crate::app::Error, _>(move |conn| {
                Ok((
                    events::list_for_case(conn, &case_id)?,
                    app::CaseFile::load(conn, &case_id)?,
                    catalog::list_refusal_grounds(conn)?,
                ))
            })
            .await
    );
    let request = request_view(&ctx, &draft, &rows);
    let events = history(&ctx, rows, user.role, &grounds, &HashMap::new());
    let applicant = attempt!(ctx, Applicant::new(user));
    let status = draft.case.status;
    let booking = booking::offered(&ctx, &applicant, &draft).await;
    let appointment = attempt!(ctx, booking::booked(&ctx, &draft, file.appointment.as_ref()).await);
    let download = (status == CaseStatus::Issued && downloadable(&draft.service.output)).then(|| {
        if draft.service.output == "e_visa" {
            format!("/cases/{id}/evisa.pdf")
        } else {
            format!("/cases/{id}/document.pdf")
        }
    });
    let notice_key = web::Query::<HashMap<String, String>>::from_query(ctx.req.query_string())
        .ok()
        .and_then(|q| q.get("notice").cloned())
        .filter(|n| n.ends_with("_notice"));
    // Just submitted: a confirmation with the reference and what happens next, not a notice.
    let confirmation = match notice_key.as_deref() {
        Some("submitted_notice") if status != CaseStatus::Draft => {
            let post_code = draft.case.post_code.clone();
            let post = attempt!(
                ctx,
                ctx.state
                    .db
                    .run::<_, crate::app::Error, _>(move |conn| Ok(catalog::find_post(conn, &post_code)?))
                    .await
            );
            Some(json!({"post": post.map_or(draft.case.post_code.clone(), |p| p.name_in(ctx.lang)),
                        "deadline": date(ctx.lang, draft.case.decision_deadline)}))
        }
        _ => None,
    };
    let notice = notice_key.filter(|_| confirmation.is_none()).map(|n| ctx.t(&n));
    let fee = file.fee.as_ref().filter(|f| f.amount_minor > 0).map(|f| {
        json!({"text": fee_text(f.amount_minor, &f.currency), "paid": fee_text(f.paid_minor, &f.currency),
               "outstanding": fee_text(f.outstanding_minor(), &f.currency),
               "payable": f.outstanding_minor() > 0 && status.takes_payment() && status != CaseStatus::Draft})
    });
    let receipt_case = id.clone();
    let receipts = attempt!(
        ctx,
        ctx.state.db.run::<_, crate::app::Error, _>(move |conn| Ok(fees::receipts(conn, &receipt_case)?)).await
    );
    let receipts: Vec<Value> = receipts
        .iter()
        .map(|r| {
            json!({"amount": fee_text(r.amount_minor, &r.currency), "at": r.received_at.format("%d.%m.%Y").to_string(),
                   "provider_reference": r.transaction_id})
        })
        .collect();
    let view = json!({
        "id": id, "reference": draft.case.reference, "service": draft.service.name_in(ctx.lang), "status": status.as_str(),
        "deadline": date(ctx.lang, draft.case.decision_deadline), "fee": fee, "document_number": file.issued_number,
        "appointment": appointment, "download": download,
        "editable": status == CaseStatus::Draft, "info_requested": status == CaseStatus::InfoRequested,
        "withdrawable": withdrawable(status),
    });
    ctx.render(
        "case.html",
        json!({"title": draft.case.reference, "case": view, "events": events, "booking": booking, "notice": notice, "request": request,
               "receipts": receipts, "confirmation": confirmation}),
    )
}

/// `GET /cases/{id}/withdraw`: are you sure, and why (if you like)?
async fn withdraw_page(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
    let user = signed_in!(ctx);
    let draft = attempt!(ctx, load(&ctx, user, path.into_inner()).await);
    if !withdrawable(draft.case.status) {
        return ctx.redirect(&format!("/cases/{}", draft.case.id));
    }
    ctx.render(
        "withdraw.html",
        json!({"title": ctx.t("withdraw_confirm_title"), "id": draft.case.id, "reference": draft.case.reference,
               "service": draft.service.name_in(ctx.lang)}),
    )
}

/// Whether the applicant may withdraw a case that is `status`, as the state machine says.
fn withdrawable(status: CaseStatus) -> bool {
    transition(status, Action::Withdraw, Role::Applicant).is_ok()
}

/// `POST /cases/{id}/withdraw`: withdraws once confirmed, with the reason given.
async fn withdraw_case(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let user = signed_in!(ctx);
    let applicant = attempt!(ctx, Applicant::new(user));
    let id = path.into_inner();
    if form.get("confirm").map(String::as_str) != Some("yes") {
        return ctx.redirect(&format!("/cases/{id}/withdraw"));
    }
    let reason = form.get("reason").map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    attempt!(
        ctx,
        withdraw::withdraw(&ctx.state.db, ctx.state.config.clone(), &applicant, id.clone(), reason, Audit::default())
            .await
    );
    ctx.redirect(&format!("/cases/{id}?notice=withdrawn_notice"))
}

/// `POST /cases/{id}/respond`.
async fn respond_case(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let user = signed_in!(ctx);
    let applicant = attempt!(ctx, Applicant::new(user));
    let id = path.into_inner();
    let note = form.get("note").cloned();
    attempt!(
        ctx,
        respond::respond(&ctx.state.db, ctx.state.config.clone(), &applicant, id.clone(), note, Audit::default()).await
    );
    ctx.redirect(&format!("/cases/{id}?notice=answer_sent_notice"))
}

async fn served(ctx: &Ctx, answer: crate::web::error::AppResult<HttpResponse>) -> HttpResponse {
    answer.unwrap_or_else(|_| ctx.fail(app::Error::NotFound))
}

/// `GET /cases/{id}/files/{kind}`: a document of the case (its applicant or the post's staff).
async fn file(ctx: Ctx, path: web::Path<(String, String)>) -> HttpResponse {
    let user = signed_in!(ctx);
    let (id, kind) = path.into_inner();
    served(&ctx, crate::web::api::documents::document(&ctx.state, user, id, kind).await).await
}

/// `GET /cases/{id}/evisa.pdf` and `/cases/{id}/document.pdf`: what was issued.
async fn issued(ctx: Ctx, path: web::Path<(String, String)>) -> HttpResponse {
    let user = signed_in!(ctx);
    let (id, which) = path.into_inner();
    let answer = match which.as_str() {
        "evisa.pdf" => issued_pdf(&ctx.state, user, id, Some(OutputKind::EVisa)).await,
        "document.pdf" => issued_pdf(&ctx.state, user, id, None).await,
        _ => return ctx.fail(app::Error::NotFound),
    };
    served(&ctx, answer).await
}

/// The pages of the applicant's cases.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/account/cases", web::get().to(dashboard))
        .route("/cases/{id}", web::get().to(case_page))
        .route("/cases/{id}/withdraw", web::get().to(withdraw_page))
        .route("/cases/{id}/withdraw", web::post().to(withdraw_case))
        .route("/cases/{id}/respond", web::post().to(respond_case))
        .route("/cases/{id}/files/{kind}", web::get().to(file))
        .route("/cases/{id}/{which}", web::get().to(issued));
}
