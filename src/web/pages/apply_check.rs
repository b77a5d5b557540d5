//! Checking and submitting in the portal: "check your answers" with every problem linked to the
//! step that fixes it, the fee, and the submission.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::schema_form::{self};
use super::{Ctx, attempt, check_csrf, signed_in};
use crate::app::applicant::submit;
use crate::app::engine::Audit;
use crate::app::{self, Applicant};
use crate::db::fees;
use crate::domain::FieldError;

use super::Form;
use super::draft::{Draft, fee_text, in_form_order, load, words};

/// Where a problem of the check page is put right: the step holding the field, or the documents.
fn problem_link(draft: &Draft, problem: &FieldError) -> String {
    let name = schema_form::dotted(&problem.field);
    if name.starts_with("documents.") {
        return format!("/cases/{}/documents", draft.case.id);
    }
    for (index, step) in draft.steps.iter().enumerate() {
        if let Some(field) = step.fields.iter().find(|f| f.name == name) {
            return format!("/cases/{}/step/{}#{}", draft.case.id, index + 1, field.id);
        }
    }
    String::new()
}

pub(super) fn check_page(ctx: &Ctx, draft: &Draft, problems: &[FieldError], fee: Option<Value>) -> HttpResponse {
    let problems = &in_form_order(draft, problems)[..];
    let texts = draft.service.texts();
    let words = words(ctx, &texts);
    let mut steps = draft.steps.clone();
    schema_form::fill(&mut steps, &draft.form, problems, ctx.lang);
    let steps: Vec<Value> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| json!({"title": s.title, "fields": s.fields, "href": format!("/cases/{}/step/{}", draft.case.id, i + 1)}))
        .collect();
    let documents: Vec<Value> = draft
        .requirements()
        .iter()
        .map(|r| {
            json!({"kind": r.kind, "name": words.document(&r.kind),
                   "uploaded": draft.documents.iter().any(|d| d.kind == r.kind)})
        })
        .collect();
    // The summary names each field and links to the page that puts the problem right.
    let label = |p: &FieldError| {
        let name = schema_form::dotted(&p.field);
        let field = draft.steps.iter().flat_map(|s| &s.fields).find(|f| f.name == name);
        let document = name.strip_prefix("documents.").map(|kind| words.document(kind));
        field.map(|f| f.label.clone()).or(document)
    };
    let errors: Vec<Value> = problems
        .iter()
        .map(|p| {
            let text = super::i18n::problem(ctx.lang, p, label(p).as_deref());
            json!({"text": text, "link": problem_link(draft, p)})
        })
        .collect();
    let back = match draft.document_page() {
        Some(_) => format!("/cases/{}/documents", draft.case.id),
        None => format!("/cases/{}/step/{}", draft.case.id, draft.steps.len().max(1)),
    };
    let status = super::status_for(problems.is_empty());
    ctx.render_status(
        status,
        "check.html",
        json!({"title": ctx.t("check_your_answers"), "steps": steps, "documents": documents, "total": draft.total(),
               "service_name": draft.service.name_in(ctx.lang), "errors": errors, "fee": fee, "back": back,
               "documents_href": format!("/cases/{}/documents", draft.case.id),
               "action": format!("/cases/{}/submit", draft.case.id), "case_id": draft.case.id}),
    )
}

async fn fee_view(ctx: &Ctx, draft: &Draft) -> app::Result<Option<Value>> {
    let id = draft.case.id.clone();
    let prepaid = draft.service.prepaid;
    let fee = ctx.state.db.run::<_, crate::app::Error, _>(move |conn| Ok(fees::for_case(conn, &id)?)).await?;
    Ok(fee.filter(|f| f.amount_minor > 0).map(|f| {
        json!({"text": fee_text(f.amount_minor, &f.currency), "paid": fee_text(f.paid_minor, &f.currency), "prepaid": prepaid,
               "outstanding": fee_text(f.outstanding_minor(), &f.currency), "due_now": prepaid && f.outstanding_minor() > 0})
    }))
}

/// `GET /cases/{id}/check`.
pub(super) async fn check(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
    let user = signed_in!(ctx);
    let draft = attempt!(ctx, load(&ctx, user, path.into_inner()).await);
    let fee = attempt!(ctx, fee_view(&ctx, &draft).await);
    check_page(&ctx, &draft, &[], fee)
}

/// `POST /cases/{id}/submit`.
pub(super) async fn submit_case(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let user = signed_in!(ctx);
    let id = path.into_inner();
    let applicant = attempt!(ctx, Applicant::new(user.clone()));
    match submit::submit(&ctx.state.db, ctx.state.config.clone(), &applicant, id.clone(), Audit::default()).await {
        Ok(_) => ctx.redirect(&format!("/cases/{id}?notice=submitted_notice")),
        Err(app::Error::Invalid(problems)) => {
            let draft = attempt!(ctx, load(&ctx, user, id).await);
            let fee = attempt!(ctx, fee_view(&ctx, &draft).await);
            check_page(&ctx, &draft, &problems, fee)
        }
        Err(other) => ctx.fail(other),
    }
}
