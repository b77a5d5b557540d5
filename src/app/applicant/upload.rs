//! Upload: the applicant adds or replaces a document of a kind the case's service asks for. In
//! two steps, so that nobody sends megabytes to a case they cannot change: [`admit`] checks the
//! case, the uploader's verified address, the kind and the media type and tells the size limit; [`store`] checks the content by
//! decoding it, stores it and records it.

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::editable_case;
use crate::app::engine::{self, Actor, Audit};
use crate::app::{Applicant, Error, Result, decoding};
use crate::db::cases;
use crate::db::documents::{self, DocumentRow};
use crate::db::{self, Db, catalog, users};
use crate::domain::document::{DECODE_MEMORY_LIMIT, MediaType, image_bounds};
use crate::domain::service::DocumentRequirement;
use crate::storage::DocumentStore;

/// An upload the case may take.
#[derive(Debug, Clone)]
pub struct Admitted {
    case_id: String,
    kind: String,
    media_type: MediaType,
    /// Largest accepted body, in bytes.
    pub max_bytes: usize,
}

/// Checks that the applicant may upload a `kind` document as `media_type` (a `Content-Type`
/// value) to the case `id`. A kind the service does not ask for does not exist.
pub async fn admit(
    db: &Db,
    user: &Applicant,
    id: String,
    kind: String,
    media_type: Option<String>,
) -> Result<Admitted> {
    let user = user.clone();
    db.run(move |conn| {
        let case = editable_case(conn, &id, &user, "documents")?;
        let account = users::find(conn, &user.id)?.ok_or(Error::NotFound)?;
        if account.email_verified_at.is_none() {
            return Err(Error::Forbidden(
                "confirm your e-mail address before uploading documents: follow the link we sent you".into(),
            ));
        }
        let service = catalog::find_service(conn, &case.service_code)?
            .ok_or_else(|| Error::internal(anyhow::anyhow!("service {} vanished", case.service_code)))?
            .to_service()?;
        let requirement: &DocumentRequirement = service.document(&kind).ok_or(Error::NotFound)?;
        let media_type = media_type
            .as_deref()
            .and_then(MediaType::from_header)
            .filter(|m| requirement.accepts(m.as_str()))
            .ok_or_else(|| {
                Error::UnacceptedFormat(format!("a {kind} must be sent as {}", requirement.media_types.join(" or ")))
            })?;
        Ok(Admitted {
            case_id: case.id,
            kind,
            media_type,
            max_bytes: usize::try_from(requirement.max_bytes).unwrap_or(usize::MAX),
        })
    })
    .await
}

/// Checks that the bytes really are what the media type says, by decoding them.
fn check_content(kind: &str, media_type: MediaType, bytes: &[u8]) -> Result<()> {
    let invalid = |detail: String| Error::invalid_field("body", "invalid_document", detail);
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
    let bounds = image_bounds(kind);
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    // The header alone gives the dimensions, checked against the bounds before any decoding.
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(DECODE_MEMORY_LIMIT);
    reader.limits(limits);
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| invalid(format!("the image cannot be read as {}: {e}", media_type.as_str())))?;
    if let Some(problem) = bounds.problem(width, height) {
        return Err(invalid(problem));
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(bounds.max_width);
    limits.max_image_height = Some(bounds.max_height);
    limits.max_alloc = Some(DECODE_MEMORY_LIMIT);
    reader.limits(limits);
    reader.decode().map_err(|e| invalid(format!("the image is damaged: {e}")))?;
    Ok(())
}

/// Checks the content off the request threads ([`decoding::bounded`]).
async fn checked_content(kind: String, media_type: MediaType, bytes: Bytes) -> Result<()> {
    decoding::bounded(move || check_content(&kind, media_type, &bytes))
        .await
        .map_err(|e| Error::internal(anyhow::anyhow!("checking an upload failed: {e}")))?
}

/// Checks, stores and records an admitted upload, replacing any earlier document of its kind.
pub async fn store(
    db: &Db,
    documents: &DocumentStore,
    user: &Applicant,
    admitted: Admitted,
    bytes: Bytes,
    audit: Audit,
) -> Result<DocumentRow> {
    if bytes.is_empty() {
        return Err(Error::invalid_field("body", "required", "the body must hold the document"));
    }
    checked_content(admitted.kind.clone(), admitted.media_type, bytes.clone()).await?;

    let sha256 = hex::encode(Sha256::digest(&bytes));
    let document_id = uuid::Uuid::new_v4().to_string();
    let storage_key = format!("cases/{}/{}-{}", admitted.case_id, admitted.kind, document_id);
    let size = i64::try_from(bytes.len()).map_err(Error::internal)?;
    documents.put(&storage_key, bytes).await.map_err(Error::internal)?;

    let row = DocumentRow {
        id: document_id,
        case_id: admitted.case_id.clone(),
        kind: admitted.kind.clone(),
        content_type: admitted.media_type.as_str().to_owned(),
        size_bytes: size,
        sha256: sha256.clone(),
        storage_key: storage_key.clone(),
        uploaded_at: db::now(),
    };
    let audit = audit.with_details(serde_json::json!({"kind": admitted.kind, "sha256": sha256, "size_bytes": size}));
    let user = user.clone();
    let stored = db
        .write(move |conn| {
            let case = editable_case(conn, &admitted.case_id, &user, "documents")?;
            // Bumps the version, guarded by the status, so a concurrent submission or edit is seen.
            if cases::touch(conn, &case.id, case.status, row.uploaded_at)? == 0 {
                return Err(Error::Conflict("the application was changed meanwhile".into()));
            }
            let replaced = documents::replace(conn, &row)?;
            let status = case.status;
            engine::record(
                conn,
                &case.id,
                "upload_document",
                Some(status),
                status,
                &Actor::from(&*user),
                &audit,
                row.uploaded_at,
            )?;
            Ok((row, replaced))
        })
        .await;
    match stored {
        Ok((row, replaced)) => {
            if let Some(old) = replaced
                && let Err(err) = documents.delete(&old.storage_key).await
            {
                tracing::warn!(error = %err, key = %old.storage_key, "could not delete a replaced document");
            }
            Ok(row)
        }
        Err(err) => {
            // The metadata never landed: the stored bytes are an orphan.
            if let Err(cleanup) = documents.delete(&storage_key).await {
                tracing::warn!(error = %cleanup, key = %storage_key, "could not delete an orphaned upload");
            }
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn decodes_wait_for_a_permit_when_all_are_taken() {
        let held = decoding::DECODING.acquire_many(decoding::CONCURRENT_DECODES as u32).await.unwrap();
        let pdf = Bytes::from_static(b"%PDF-1.4\n%%EOF\n");
        let waiting = tokio::spawn(checked_content("passport".into(), MediaType::Pdf, pdf));
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(!waiting.is_finished(), "no decode starts while every permit is held");
        drop(held);
        let checked = tokio::time::timeout(std::time::Duration::from_secs(10), waiting).await.unwrap().unwrap();
        assert!(checked.is_ok());
    }
}
