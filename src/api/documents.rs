//! Supporting documents: the photo and the passport scan.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use tracing_actix_web::RequestId;

use crate::auth::AuthUser;
use crate::db::cases::{self, DocumentRow};
use crate::db::{self};
use crate::domain::document::{DocumentKind, MediaType};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::extract::{declared_length, read_body};
use crate::startup::AppState;
use crate::workflow::{self, Actor, Audit};

fn parse_path(path: (String, String)) -> AppResult<(String, DocumentKind)> {
    let (id, kind) = path;
    let kind = kind.parse::<DocumentKind>().map_err(|_| AppError::NotFound)?;
    Ok((id, kind))
}

/// Checks that the bytes really are what the media type says, by decoding them.
fn check_content(kind: DocumentKind, media_type: MediaType, bytes: &[u8]) -> AppResult<()> {
    let invalid = |detail: String| AppError::invalid_field("body", "invalid_document", detail);
    let format = match media_type {
        MediaType::Pdf => {
            let tail = &bytes[bytes.len().saturating_sub(1024)..];
            let has_eof = tail.windows(5).any(|w| w == b"%%EOF");
            return if bytes.starts_with(b"%PDF-") && has_eof {
                Ok(())
            } else {
                Err(invalid("the body is not a complete PDF document".into()))
            };
        }
        MediaType::Jpeg => image::ImageFormat::Jpeg,
        MediaType::Png => image::ImageFormat::Png,
    };
    let bounds = kind.image_bounds();
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(bounds.max_width);
    limits.max_image_height = Some(bounds.max_height);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| invalid(format!("the image cannot be read as {}: {e}", media_type.as_str())))?;
    if let Some(problem) = bounds.problem(width, height) {
        return Err(invalid(problem));
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    reader.decode().map_err(|e| invalid(format!("the image is damaged: {e}")))?;
    Ok(())
}

/// `PUT /api/v1/applications/{id}/documents/{kind}`: uploads or replaces a document. The body is
/// the file itself, with its media type as `Content-Type`.
pub async fn upload(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let (id, kind) = parse_path(path.into_inner())?;
    let media_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(MediaType::from_header)
        .filter(|media_type| kind.accepts(*media_type))
        .ok_or_else(|| {
            let accepted = if kind == DocumentKind::Photo {
                "image/jpeg or image/png"
            } else {
                "application/pdf, image/jpeg or image/png"
            };
            AppError::UnsupportedMediaType(format!("a {kind} must be sent as {accepted}"))
        })?;
    // Access and status first, so nobody uploads megabytes to a case they cannot change.
    let check_user = user.clone();
    let check_id = id.clone();
    let case = state.db.run(move |conn| editable_case(conn, &check_id, &check_user)).await?;
    let bytes: Bytes = read_body(&mut payload.into_inner(), declared_length(&req), kind.max_bytes()).await?;
    if bytes.is_empty() {
        return Err(AppError::invalid_field("body", "required", "the body must hold the document"));
    }
    let checked = bytes.clone();
    web::block(move || check_content(kind, media_type, &checked)).await??;

    let sha256 = hex::encode(Sha256::digest(&bytes));
    let document_id = uuid::Uuid::new_v4().to_string();
    let storage_key = format!("cases/{}/{}-{}", case.id, kind, document_id);
    let size = i64::try_from(bytes.len()).map_err(AppError::internal)?;
    state.documents.put(&storage_key, bytes).await.map_err(AppError::internal)?;

    let row = DocumentRow {
        id: document_id,
        case_id: case.id.clone(),
        kind: kind.to_string(),
        content_type: media_type.as_str().to_owned(),
        size_bytes: size,
        sha256: sha256.clone(),
        storage_key: storage_key.clone(),
        uploaded_at: db::now(),
    };
    let audit = Audit::for_request(request_id)
        .with_details(serde_json::json!({"kind": kind.as_str(), "sha256": sha256, "size_bytes": size}));
    let stored = state
        .db
        .write(move |conn| {
            let case = editable_case(conn, &id, &user)?;
            let status = case.status();
            // Bumps the version, guarded by the status, so a concurrent submission or edit is seen.
            if cases::touch(conn, &case.id, status, row.uploaded_at)? == 0 {
                return Err(AppError::Conflict("the application was changed meanwhile".into()));
            }
            let replaced = cases::replace_document(conn, &row)?;
            workflow::record(
                conn,
                &case.id,
                "upload_document",
                Some(status),
                status,
                &Actor::from(&user),
                &audit,
                row.uploaded_at,
            )?;
            Ok((row, replaced))
        })
        .await;
    match stored {
        Ok((row, replaced)) => {
            if let Some(old) = replaced
                && let Err(err) = state.documents.delete(&old.storage_key).await
            {
                tracing::warn!(error = %err, key = %old.storage_key, "could not delete a replaced document");
            }
            Ok(HttpResponse::Ok().json(crate::api::views::DocumentView::from(row)))
        }
        Err(err) => {
            // The metadata never landed: the stored bytes are an orphan.
            if let Err(cleanup) = state.documents.delete(&storage_key).await {
                tracing::warn!(error = %cleanup, key = %storage_key, "could not delete an orphaned upload");
            }
            Err(err)
        }
    }
}

fn editable_case(conn: &mut db::AnyConnection, id: &str, user: &AuthUser) -> AppResult<cases::CaseRow> {
    let case = workflow::visible_case(conn, id, user)?;
    if user.role != Role::Applicant {
        return Err(AppError::Forbidden("only the applicant may change the application's documents".into()));
    }
    let status = case.status();
    if !status.is_editable_by_applicant() {
        return Err(AppError::Conflict(format!(
            "documents of an application that is {status} can no longer be changed"
        )));
    }
    Ok(case)
}

/// `GET /api/v1/applications/{id}/documents/{kind}`: the document's bytes.
pub async fn download(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, kind) = parse_path(path.into_inner())?;
    let row = state
        .db
        .run(move |conn| {
            let case = workflow::visible_case(conn, &id, &user)?;
            cases::document(conn, &case.id, kind.as_str())?.ok_or(AppError::NotFound)
        })
        .await?;
    let bytes = state.documents.get(&row.storage_key).await.map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(row.content_type)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::ETAG, format!("\"{}\"", row.sha256)))
        .body(bytes))
}
