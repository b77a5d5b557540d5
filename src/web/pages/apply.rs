//! Applying in the portal: the catalogue, a service's start page, its form one section per
//! page with a progress indicator (saved at each step), the documents with their rules and a
//! preview of the photo, and "check your answers" before submitting. Visa types and consular
//! services alike: every form is rendered from its service's JSON Schema.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use bytes::BytesMut;
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::schema_form::{self, Step, Words};
use super::{Ctx, attempt, check_csrf, signed_in, summary};
use crate::app::applicant::{create, edit, submit, upload};
use crate::app::engine::{Audit, visible_case};
use crate::app::{self, Applicant, User};
use crate::catalogue_cache::Catalogue;
use crate::db::cases::CaseRow;
use crate::db::catalog::{self, ServiceRow};
use crate::db::documents::{self, DocumentRow};
use crate::db::fees;
use crate::domain::FieldError;
use crate::domain::service::{DocumentRequirement, Fee, OutputKind};
use crate::domain::texts::Texts;
use std::sync::Arc;

use super::Form;

/// A fee as shown: `80.00 EUR`.
pub fn fee_text(amount_minor: i64, currency: &str) -> String {
    Fee { amount_minor, currency: currency.to_owned() }.decimal() + " " + currency
}

fn media_names(types: &[String]) -> String {
    types.iter().map(|t| t.rsplit('/').next().unwrap_or(t).to_uppercase()).collect::<Vec<_>>().join(", ")
}

/// The words of a service with `texts` in the page's language.
pub fn words<'a>(ctx: &'a Ctx, texts: &'a Texts) -> Words<'a> {
    let config = &ctx.state.config;
    Words::new(ctx.lang, texts, (&config.issuing_state, config.state_name(ctx.lang)))
}

fn document_view(
    requirement: &DocumentRequirement,
    uploaded: Option<&DocumentRow>,
    case_id: &str,
    name: String,
) -> Value {
    json!({
        "kind": requirement.kind,
        "name": name,
        "required": requirement.required,
        "formats": media_names(&requirement.media_types),
        "accept": requirement.media_types.join(","),
        "megabytes": requirement.max_bytes.div_ceil(1024 * 1024),
        "uploaded": uploaded.is_some(),
        "size_kb": uploaded.map_or(0, |d| d.size_bytes.div_euclid(1024).max(1)),
        "image": uploaded.is_some_and(|d| d.content_type.starts_with("image/")),
        "url": format!("/cases/{case_id}/files/{}", requirement.kind),
        "action": format!("/cases/{case_id}/documents/{}", requirement.kind),
    })
}

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

/// A case as the applicant's form pages need it.
pub struct Draft {
    /// The case.
    pub case: CaseRow,
    /// Its service.
    pub service: ServiceRow,
    /// The steps of its form version, filled with its answers.
    pub steps: Vec<Step>,
    /// Its form as JSON.
    pub form: Value,
    /// Its documents.
    pub documents: Vec<DocumentRow>,
}

impl Draft {
    /// The documents the service asks for.
    pub fn requirements(&self) -> Vec<DocumentRequirement> {
        serde_json::from_str(&self.service.documents).unwrap_or_default()
    }

    /// Number of pages: the steps, the documents (if any), and the check.
    fn total(&self) -> usize {
        self.steps.len() + usize::from(!self.requirements().is_empty()) + 1
    }

    fn document_page(&self) -> Option<usize> {
        (!self.requirements().is_empty()).then_some(self.steps.len() + 1)
    }
}

/// Loads the case `id` that `user` may see, with its service, form steps and documents.
pub async fn load(ctx: &Ctx, user: User, id: String) -> app::Result<Draft> {
    let lang = ctx.lang;
    let config = ctx.state.config.clone();
    ctx.state
        .db
        .run(move |conn| {
            let case = visible_case(conn, &id, &user)?;
            let service = catalog::find_service(conn, &case.service_code)?.ok_or(app::Error::NotFound)?;
            let schema = catalog::form_schema(conn, &case.service_code, case.form_version)?.unwrap_or_default();
            let schema: Value = serde_json::from_str(&schema).unwrap_or(Value::Null);
            let form: Value = serde_json::from_str(&case.form).unwrap_or(Value::Null);
            let texts = service.texts();
            let words = Words::new(lang, &texts, (&config.issuing_state, config.state_name(lang)));
            let mut steps = schema_form::shown_steps(&schema, &words, &form);
            // Required as the submission's rules say, which may ask more than the schema.
            let required =
                service.output().map_or(&[][..], |output| crate::issuance::issuer(output).required_answers());
            for field in steps.iter_mut().flat_map(|s| s.fields.iter_mut()) {
                field.required |= required.contains(&field.name.as_str());
            }
            schema_form::fill(&mut steps, &form, &[], lang);
            let documents = documents::for_case(conn, &case.id)?;
            Ok(Draft { case, service, steps, form, documents })
        })
        .await
}

/// `problems` in the order of the form's fields (the documents and the rest after them), as
/// the applicant meets them.
fn in_form_order(draft: &Draft, problems: &[FieldError]) -> Vec<FieldError> {
    let names: Vec<&str> = draft.steps.iter().flat_map(|s| &s.fields).map(|f| f.name.as_str()).collect();
    let mut ordered = problems.to_vec();
    ordered.sort_by_key(|p| names.iter().position(|n| *n == schema_form::dotted(&p.field)).unwrap_or(names.len()));
    ordered
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

fn documents_page(ctx: &Ctx, draft: &Draft, problem: Option<(&str, String)>) -> HttpResponse {
    let Some(number) = draft.document_page() else { return ctx.redirect(&format!("/cases/{}/check", draft.case.id)) };
    let texts = draft.service.texts();
    let words = words(ctx, &texts);
    let documents: Vec<Value> = draft
        .requirements()
        .iter()
        .map(|r| {
            let uploaded = draft.documents.iter().find(|d| d.kind == r.kind);
            let mut view = document_view(r, uploaded, &draft.case.id, words.document(&r.kind));
            if let Some((kind, detail)) = &problem
                && *kind == r.kind
            {
                view["error"] = Value::String(detail.clone());
            }
            view
        })
        .collect();
    let errors: Vec<Value> =
        problem.iter().map(|(kind, detail)| json!({"text": detail, "id": format!("file-{kind}")})).collect();
    let status = super::status_for(errors.is_empty());
    ctx.render_status(
        status,
        "documents.html",
        json!({"title": ctx.t("upload_documents"), "documents": documents, "number": number, "total": draft.total(),
               "service_name": draft.service.name_in(ctx.lang), "errors": errors,
               "back": format!("/cases/{}/step/{}", draft.case.id, draft.steps.len().max(1)),
               "next": format!("/cases/{}/check", draft.case.id)}),
    )
}

/// `GET /cases/{id}/documents`.
async fn documents(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
    let user = signed_in!(ctx);
    let draft = attempt!(ctx, load(&ctx, user, path.into_inner()).await);
    documents_page(&ctx, &draft, None)
}

/// The CSRF field and the file of a multipart upload (the file's bytes at most `limit`).
async fn read_upload(
    mut multipart: Multipart,
    limit: usize,
) -> Result<(Option<String>, Option<(String, bytes::Bytes)>), app::Error> {
    let mut csrf = None;
    let mut file = None;
    while let Some(part) = multipart.next().await {
        let mut part = part.map_err(|e| app::Error::invalid_field("file", "invalid", e.to_string()))?;
        let name = part.content_disposition().and_then(|d| d.get_name()).unwrap_or_default().to_owned();
        let media_type = part.content_type().map(|m| m.essence_str().to_owned()).unwrap_or_default();
        let mut bytes = BytesMut::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| app::Error::invalid_field("file", "invalid", e.to_string()))?;
            if bytes.len() + chunk.len() > limit {
                return Err(app::Error::TooLarge(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "csrf" => csrf = String::from_utf8(bytes.to_vec()).ok(),
            "file" if !bytes.is_empty() => file = Some((media_type, bytes.freeze())),
            _ => {}
        }
    }
    Ok((csrf, file))
}

/// `POST /cases/{id}/documents/{kind}`: uploads through the same use case as the API.
async fn upload_document(ctx: Ctx, path: web::Path<(String, String)>, multipart: Multipart) -> HttpResponse {
    let user = signed_in!(ctx);
    let (id, kind) = path.into_inner();
    let draft = attempt!(ctx, load(&ctx, user.clone(), id.clone()).await);
    let limit = draft.requirements().iter().find(|r| r.kind == kind).map_or(0, |r| r.max_bytes as usize);
    if limit == 0 {
        return ctx.fail(app::Error::NotFound);
    }
    let refused = |detail: String| documents_page(&ctx, &draft, Some((kind.as_str(), detail)));
    let texts = draft.service.texts();
    let name = words(&ctx, &texts).document(&kind);
    let (csrf, file) = match read_upload(multipart, limit).await {
        Ok(read) => read,
        Err(app::Error::TooLarge(limit)) => {
            return refused(format!("{} ({} {})", ctx.t("largest_file"), limit / (1024 * 1024), ctx.t("unit_mb")));
        }
        Err(_) => return refused(ctx.t("error_upload_failed")),
    };
    if !super::session::csrf_matches(&ctx.state, &ctx.req, csrf.as_deref()) {
        return ctx.csrf_refused();
    }
    let Some((media_type, bytes)) = file else { return refused(ctx.t("choose_file")) };
    let applicant = attempt!(ctx, Applicant::new(user));
    let stored = async {
        let admitted = upload::admit(&ctx.state.db, &applicant, id.clone(), kind.clone(), Some(media_type)).await?;
        upload::store(&ctx.state.db, &ctx.state.documents, &applicant, admitted, bytes, Audit::default()).await
    };
    match stored.await {
        Ok(_) => ctx.redirect(&format!("/cases/{id}/documents")),
        Err(app::Error::Invalid(problems)) => refused(
            problems.iter().map(|p| super::i18n::problem(ctx.lang, p, Some(&name))).collect::<Vec<_>>().join("; "),
        ),
        Err(app::Error::UnacceptedFormat(_)) => {
            let formats = draft.requirements().iter().find(|r| r.kind == kind).map(|r| media_names(&r.media_types));
            refused(
                ctx.t("error_file_format").replace("{label}", &name).replace("{formats}", &formats.unwrap_or_default()),
            )
        }
        Err(other) => ctx.fail(other),
    }
}

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

fn check_page(ctx: &Ctx, draft: &Draft, problems: &[FieldError], fee: Option<Value>) -> HttpResponse {
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
async fn check(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
    let user = signed_in!(ctx);
    let draft = attempt!(ctx, load(&ctx, user, path.into_inner()).await);
    let fee = attempt!(ctx, fee_view(&ctx, &draft).await);
    check_page(&ctx, &draft, &[], fee)
}

/// `POST /cases/{id}/submit`.
async fn submit_case(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
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
        .route("/cases/{id}/documents", web::get().to(documents))
        .route("/cases/{id}/documents/{kind}", web::post().to(upload_document))
        .route("/cases/{id}/check", web::get().to(check))
        .route("/cases/{id}/submit", web::post().to(submit_case));
}
