//! The public page where an employer, a landlord or a university checks a share code with the
//! holder's date of birth (`/share-code`): the same use case as the API, in the checker's
//! language, showing only what the code's purpose needs.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::{Ctx, Form, check_csrf, plain_summary, status_for};
use crate::app::share_codes::CheckAnswer;
use crate::domain::FieldError;

/// The form's fields, as the `field` macro of the templates draws them.
fn fields(ctx: &Ctx, sent: Option<&Form>, problems: &[FieldError]) -> Vec<Value> {
    [
        ("share_code", "text", "share_check_code", "share_check_code_hint"),
        ("date_of_birth", "date", "share_check_birth", ""),
    ]
    .iter()
    .map(|(name, kind, label, hint)| {
        let error = problems.iter().find(|p| p.field == *name).map(|p| super::i18n::problem(ctx.lang, p, None));
        json!({"id": format!("f-{}", name.replace('_', "-")), "name": name, "label": ctx.t(label),
                   "hint": if hint.is_empty() { Value::Null } else { json!(ctx.t(hint)) },
                   "required": true, "input": {"type": kind},
                   "value": sent.and_then(|f| f.get(*name)).cloned().unwrap_or_default(), "error": error})
    })
    .collect()
}

fn render(ctx: &Ctx, sent: Option<&Form>, problems: &[FieldError], answer: Option<Value>) -> HttpResponse {
    let fields = fields(ctx, sent, problems);
    let errors = plain_summary(ctx.lang, problems);
    ctx.render_status(
        status_for(problems.is_empty()),
        "share_check.html",
        json!({"title": ctx.t("share_check_title"), "fields": fields, "errors": errors, "answer": answer}),
    )
}

/// What the page shows of an answer: the status and the facts the purpose discloses.
fn answer_view(ctx: &Ctx, answer: CheckAnswer) -> Value {
    let checked = answer.checked_at.naive_utc();
    let checked = format!("{} {}", super::i18n::date(ctx.lang, checked.date()), checked.format("%H:%M:%S UTC"));
    let Some(shown) = answer.shown else {
        return json!({"found": false, "checked": checked, "reference": answer.check_id});
    };
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| super::i18n::date(ctx.lang, d));
    let document = shown.document.map(|(kind, service)| {
        json!({"kind": ctx.t(&format!("share_kind_{}", kind.as_str())), "service": service.name_in(ctx.lang)})
    });
    json!({"found": true, "checked": checked, "reference": answer.check_id,
           "purpose": ctx.t(&format!("share_purpose_{}", shown.purpose.as_str())),
           "status": shown.status.as_str(), "status_label": ctx.t(&format!("share_status_{}", shown.status.as_str())),
           "name": shown.name, "photo": shown.photo.as_deref().map(crate::web::api::share_codes::photo_url),
           "document": document, "valid_from": date(shown.valid_from),
           "valid_until": date(shown.valid_until), "issue_date": date(shown.issue_date)})
}

/// `GET /share-code`.
async fn check_page(ctx: Ctx) -> HttpResponse {
    render(&ctx, None, &[], None)
}

/// `POST /share-code`: the answer, or the form with its problems.
async fn check_code(ctx: Ctx, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let code = form.get("share_code").map(|c| c.trim().to_owned()).unwrap_or_default();
    let born = form.get("date_of_birth").map(|d| d.trim().to_owned()).unwrap_or_default();
    let mut problems = Vec::new();
    if code.is_empty() {
        problems.push(FieldError::required("share_code"));
    }
    let born = match born.parse::<chrono::NaiveDate>() {
        Ok(born) => Some(born),
        Err(_) if born.is_empty() => {
            problems.push(FieldError::required("date_of_birth"));
            None
        }
        Err(_) => {
            problems.push(FieldError::new("date_of_birth", "invalid", "a date such as 1990-02-15"));
            None
        }
    };
    let (Some(born), true) = (born, problems.is_empty()) else {
        return render(&ctx, Some(&form), &problems, None);
    };
    match crate::web::api::share_codes::checked(&ctx.state, &ctx.req, &code, born).await {
        Ok(answer) => {
            let view = answer_view(&ctx, answer);
            render(&ctx, None, &[], Some(view))
        }
        Err(crate::app::Error::Invalid(mut problems)) => {
            // The use case names the code as the API does.
            for problem in &mut problems {
                if problem.field == "code" {
                    problem.field = "share_code".into();
                }
            }
            render(&ctx, Some(&form), &problems, None)
        }
        Err(err) => ctx.fail(err),
    }
}

/// The public check page.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/share-code", web::get().to(check_page)).route("/share-code", web::post().to(check_code));
}
