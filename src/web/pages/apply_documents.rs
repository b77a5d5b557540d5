//! The documents step of applying: each document the service asks for, with its rules, what was
//! uploaded and a preview of the photo, and the upload itself, refused in the page's language.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use bytes::BytesMut;
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::{Ctx, attempt, signed_in};
use crate::app::applicant::upload;
use crate::app::engine::Audit;
use crate::app::{self, Applicant};
use crate::db::documents::DocumentRow;
use crate::domain::service::DocumentRequirement;

use super::draft::{Draft, load, words};

pub(super) fn media_names(types: &[String]) -> String {
    types.iter().map(|t| t.rsplit('/').next().unwrap_or(t).to_uppercase()).collect::<Vec<_>>().join(", ")
}

pub(super) fn document_view(
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

pub(super) fn documents_page(ctx: &Ctx, draft: &Draft, problem: Option<(&str, String)>) -> HttpResponse {
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
pub(super) async fn documents(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
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
pub(super) async fn upload_document(ctx: Ctx, path: web::Path<(String, String)>, multipart: Multipart) -> HttpResponse {
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
