//! Applying in the portal: the catalogue, a service's start page, its form one section per
//! page with a progress indicator (saved at each step), the documents with their rules and a
//! preview of the photo, and "check your answers" before submitting. Visa types and consular
//! services alike: every form is rendered from its service's JSON Schema.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::apply_documents::media_names;
use super::draft::{Draft, fee_text, in_form_order, load, words};
use super::schema_form;
use super::{Ctx, attempt, check_csrf, signed_in, summary};
use super::{apply_check, apply_documents};
use crate::app::applicant::{create, edit, submit};
use crate::app::engine::Audit;
use crate::app::{self, Applicant};
use crate::catalogue_cache::Catalogue;
use crate::db::catalog::ServiceRow;
use crate::domain::FieldError;
use crate::domain::service::{DocumentRequirement, OutputKind};
use std::sync::Arc;

use super::Form;

fn service_view(ctx: &Ctx, row: &ServiceRow) -> Value {
    let documents: Vec<DocumentRequirement> = serde_json::from_str(&row.documents).unwrap_or_default();
    let texts = row.texts();
    let words = words(ctx, &texts);
    json!({
        "code": row.code, "name": row.name_in(ctx.lang), "description": row.description_in(ctx.lang),
        "eligibility": row.eligibility,
        "fee": if row.fee_minor == 0 { "–".to_owned() } else { fee_text(row.fee_minor, &row.currency) },
        "prepaid": row.prepaid, "processing_days": row.processing_days, "output": row.output,
        "documents": documents.iter().map(|d| json!({
            "kind": d.kind, "name": words.document(&d.kind), "required": d.required, "formats": media_names(&d.media_types),
            "megabytes": d.max_bytes.div_ceil(1024 * 1024),
        })).collect::<Vec<_>>(),
    })
}

/// `GET /`: what can be applied for, and where.
async fn home(ctx: Ctx) -> HttpResponse {
    let catalogue = attempt!(ctx, ctx.state.catalogue.get(&ctx.state.db).await);
    ctx.render_prepared("home.html", home_view(&ctx, &catalogue))
}

/// The landing page's view of `catalogue` in the page's language: made once per copy of the
/// catalogue and language, since every visitor sees the same.
fn home_view(ctx: &Ctx, catalogue: &Arc<Catalogue>) -> minijinja::Value {
    type Views = Vec<(Arc<Catalogue>, &'static str, minijinja::Value)>;
    static VIEWS: std::sync::RwLock<Views> = std::sync::RwLock::new(Vec::new());
    let made = |views: &Views| {
        views.iter().find(|(c, lang, _)| Arc::ptr_eq(c, catalogue) && *lang == ctx.lang).map(|(.., view)| view.clone())
    };
    if let Some(view) = VIEWS.read().ok().and_then(|views| made(&views)) {
        return view;
    }
    let (visas, consular): (Vec<_>, Vec<_>) =
        catalogue.services.iter().map(|(row, _)| row).partition(|row| row.output == "e_visa");
    let posts: Vec<Value> =
        catalogue.posts.iter().map(|p| json!({"code": p.code, "name": p.name_in(ctx.lang)})).collect();
    let view = minijinja::Value::from_serialize(json!({
        "visas": visas.into_iter().map(|s| service_view(ctx, s)).collect::<Vec<_>>(),
        "consular": consular.into_iter().map(|s| service_view(ctx, s)).collect::<Vec<_>>(),
        "posts": posts,
    }));
    if let Ok(mut views) = VIEWS.write() {
        // Views of older copies go; those of other services in the process (tests) stay.
        views.retain(|(c, ..)| Arc::strong_count(c) > 1);
        views.push((catalogue.clone(), ctx.lang, view.clone()));
    }
    view
}

async fn start_page(ctx: Ctx, path: web::Path<String>, post_error: Option<String>) -> HttpResponse {
    let code = path.into_inner();
    let catalogue = attempt!(ctx, ctx.state.catalogue.get(&ctx.state.db).await);
    let Some((service, _)) = catalogue.service(&code) else { return ctx.fail(app::Error::NotFound) };
    let posts: Vec<Value> =
        catalogue.posts.iter().map(|p| json!({"code": p.code, "name": p.name_in(ctx.lang)})).collect();
    ctx.render(
        "apply_start.html",
        json!({"title": service.name_in(ctx.lang), "service": service_view(&ctx, service), "posts": posts, "post_error": post_error}),
    )
}

/// `GET /apply/{code}`.
async fn start(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
    start_page(ctx, path, None).await
}

/// `POST /apply/{code}`: opens a draft at the chosen post.
async fn begin(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let user = signed_in!(ctx);
    let applicant = attempt!(ctx, Applicant::new(user));
    let service = path.into_inner();
    let draft = create::Draft {
        service: service.clone(),
        post: form.get("post").cloned().unwrap_or_default(),
        form: json!({}),
    };
    match create::create(&ctx.state.db, ctx.state.config.clone(), &applicant, draft, Audit::default()).await {
        Ok(file) => ctx.redirect(&format!("/cases/{}/step/1", file.case.id)),
        Err(app::Error::Invalid(problems)) => {
            let label = ctx.t("post");
            let detail =
                problems.iter().map(|p| super::i18n::problem(ctx.lang, p, Some(&label))).collect::<Vec<_>>().join("; ");
            start_page(ctx, web::Path::from(service), Some(detail)).await
        }
        Err(other) => ctx.fail(other),
    }
}

fn step_page(ctx: &Ctx, draft: &Draft, number: usize, problems: &[FieldError]) -> HttpResponse {
    let Some(step) = draft.steps.get(number - 1) else { return ctx.fail(app::Error::NotFound) };
    let problems = &in_form_order(draft, problems)[..];
    let mut step = step.clone();
    let mut steps = vec![step.clone()];
    schema_form::fill(&mut steps, &draft.form, problems, ctx.lang);
    step.fields = steps.remove(0).fields;
    let back =
        if number == 1 { "/account/cases".to_owned() } else { format!("/cases/{}/step/{}", draft.case.id, number - 1) };
    let status = super::status_for(problems.is_empty());
    ctx.render_status(
        status,
        "step.html",
        json!({"title": step.title, "step": step, "number": number, "total": draft.total(), "service_name": draft.service.name_in(ctx.lang),
               "action": format!("/cases/{}/step/{number}", draft.case.id), "back": back, "errors": summary(ctx.lang, problems, &step.fields)}),
    )
}

/// `GET /cases/{id}/step/{n}`.
async fn step(ctx: Ctx, path: web::Path<(String, usize)>) -> HttpResponse {
    let user = signed_in!(ctx);
    let (id, number) = path.into_inner();
    let draft = attempt!(ctx, load(&ctx, user, id).await);
    if number == 0 || number > draft.steps.len() {
        return ctx.fail(app::Error::NotFound);
    }
    step_page(&ctx, &draft, number, &[])
}

fn after_step(draft: &Draft, number: usize) -> String {
    let id = &draft.case.id;
    if number < draft.steps.len() {
        format!("/cases/{id}/step/{}", number + 1)
    } else if draft.document_page().is_some() {
        format!("/cases/{id}/documents")
    } else {
        format!("/cases/{id}/check")
    }
}

/// `POST /cases/{id}/step/{n}`: saves the step (a merge patch of its fields) and goes on.
async fn save_step(ctx: Ctx, path: web::Path<(String, usize)>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let user = signed_in!(ctx);
    let (id, number) = path.into_inner();
    let draft = attempt!(ctx, load(&ctx, user.clone(), id.clone()).await);
    let Some(step) = draft.steps.get(number.wrapping_sub(1)) else { return ctx.fail(app::Error::NotFound) };
    let patch = schema_form::patch(step, &form);
    let typed = patch.clone();
    if let Some(field) = crate::web::text::first_control_character(&patch) {
        let problem = FieldError::new(field, "control_character", "control characters are not allowed here");
        return step_page(&ctx, &draft, number, &[problem]);
    }
    let applicant = attempt!(ctx, Applicant::new(user));
    let fields = patch.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    let changes = edit::Changes { service: None, post: None, form_patch: patch, fields };
    match edit::edit(&ctx.state.db, ctx.state.config.clone(), &applicant, id.clone(), changes, Audit::default()).await {
        Ok(_) => {
            // Saved; the step is checked as submission will check it, and stays until it passes.
            let names = step.fields.iter().map(|f| f.name.clone()).collect();
            let problems = attempt!(
                ctx,
                submit::step_problems(&ctx.state.db, ctx.state.config.clone(), &applicant, id.clone(), names).await
            );
            // The steps as the answers now stand: an answer may bring a page in or take it out.
            let saved = attempt!(ctx, load(&ctx, (*applicant).clone(), id).await);
            if problems.is_empty() {
                return ctx.redirect(&after_step(&saved, number));
            }
            step_page(&ctx, &saved, number, &problems)
        }
        Err(app::Error::Invalid(problems)) => {
            // The answers stay as typed, with the problems beside them.
            let mut shown = draft;
            if let (Some(answers), Value::Object(patch)) = (shown.form.as_object_mut(), typed) {
                merge(answers, patch);
            }
            step_page(&ctx, &shown, number, &problems)
        }
        Err(other) => ctx.fail(other),
    }
}

fn merge(target: &mut serde_json::Map<String, Value>, patch: serde_json::Map<String, Value>) {
    for (key, value) in patch {
        match (target.get_mut(&key), value) {
            (Some(Value::Object(inner)), Value::Object(value)) => merge(inner, value),
            (_, value) => {
                target.insert(key, value);
            }
        }
    }
}

/// Whether a service's output is issued as a document the applicant downloads.
pub fn downloadable(output: &str) -> bool {
    output.parse::<OutputKind>().is_ok_and(OutputKind::is_issued)
}

/// The applying pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/apply/{code}", web::get().to(start))
        .route("/apply/{code}", web::post().to(begin))
        .route("/cases/{id}/step/{n}", web::get().to(step))
        .route("/cases/{id}/step/{n}", web::post().to(save_step))
        .route("/cases/{id}/documents", web::get().to(apply_documents::documents))
        .route("/cases/{id}/documents/{kind}", web::post().to(apply_documents::upload_document))
        .route("/cases/{id}/check", web::get().to(apply_check::check))
        .route("/cases/{id}/submit", web::post().to(apply_check::submit_case));
}
