//! Supporting documents of a case, of the kinds its service asks for.

use crate::web::request_id::RequestId;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;

use super::views::DocumentView;
use crate::app::User;
use crate::app::applicant::{as_applicant, upload};
use crate::app::engine::{Audit, visible_case};
use crate::db::documents;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{declared_length, read_body};
use crate::web::state::AppState;

/// `PUT /api/v1/applications/{id}/documents/{kind}`: uploads or replaces a document of a kind the
/// case's service asks for. The body is the file itself, with its media type as `Content-Type`.
pub async fn upload(
    state: web::Data<AppState>,
    user: User,
    request_id: RequestId,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let (id, kind) = path.into_inner();
    let media_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let user = as_applicant(&state.db, user, &id).await?;
    // Access, kind and media type first, so nobody uploads megabytes to a case they cannot change.
    let admitted = upload::admit(&state.db, &user, id, kind, media_type).await?;
    let bytes: Bytes = read_body(&mut payload.into_inner(), declared_length(&req), admitted.max_bytes).await?;
    let audit = Audit::for_request(request_id);
    let row = upload::store(&state.db, &state.documents, &user, admitted, bytes, audit).await?;
    Ok(HttpResponse::Ok().json(DocumentView::from(row)))
}

/// `GET /api/v1/applications/{id}/documents/{kind}`: the document's bytes.
pub async fn download(
    state: web::Data<AppState>,
    user: User,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, kind) = path.into_inner();
    document(&state, user, id, kind).await
}

/// The bytes of a case's document of `kind`, for whoever may see the case (the API and the
/// pages serve it alike).
pub(crate) async fn document(state: &AppState, user: User, id: String, kind: String) -> AppResult<HttpResponse> {
    let row = crate::web::read(&state.db, move |conn| {
        let case = visible_case(conn, &id, &user)?;
        documents::find(conn, &case.id, &kind)?.ok_or(AppError::NotFound)
    })
    .await?;
    let bytes = state.documents.get(&row.storage_key).await.map_err(AppError::internal)?;
    let extension = match row.content_type.as_str() {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        _ => "bin",
    };
    // What an applicant uploaded is never a page of this site: saved, not rendered, and with no
    // script or sniffing should a browser render it anyway (a PDF that is also HTML, say).
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}.{extension}\"", row.kind)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'"))
        .content_type(row.content_type)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::ETAG, format!("\"{}\"", row.sha256)))
        .body(bytes))
}
