//! Issued visas: the e-visa PDF, the visa record, revocation, and the published keys.

use crate::web::request_id::RequestId;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::app::Supervisor;
use crate::app::engine::{Audit, visible_case};
use crate::app::review::revoke;
use crate::auth::AuthUser;
use crate::db::{self, issued_documents};
use crate::domain::issued::IssuedDocument;
use crate::domain::role::Role;
use crate::domain::service::OutputKind;
use crate::domain::status::CaseStatus;
use crate::issuance::e_visa::claims;
use crate::issuance::e_visa::seal::SealSigner;
use crate::issuance::{self, kit::keys};
use crate::web::error::{AppError, AppResult};
use crate::web::extract::JsonBody;
use crate::web::state::AppState;

/// The document issued for the case `id` (if it is of `kind`, when given) as `user` may see it:
/// its holder once issued, the post's staff also once revoked.
fn visible_document(
    conn: &mut db::AnyConnection,
    id: &str,
    user: &AuthUser,
    kind: Option<OutputKind>,
) -> AppResult<IssuedDocument> {
    let case = visible_case(conn, id, user)?;
    let visible =
        case.status == CaseStatus::Issued || (user.role.handles_cases() && case.status == CaseStatus::Revoked);
    issued_documents::for_case(conn, &case.id)?
        .filter(|d| visible && kind.is_none_or(|kind| d.kind == kind))
        .ok_or(AppError::NotFound)
}

/// The signed PDF issued for the case `id` (if it is of `kind`, when given), for its holder and
/// the post's staff (who still see a revoked one), served as `<label>-<number>.pdf`.
pub(crate) async fn issued_pdf(
    state: &AppState,
    user: AuthUser,
    id: String,
    kind: Option<OutputKind>,
) -> AppResult<HttpResponse> {
    let (number, kind, key) = crate::web::read(&state.db, move |conn| {
        let document = visible_document(conn, &id, &user, kind)?;
        Ok((document.number, document.kind, document.pdf.ok_or(AppError::NotFound)?.key))
    })
    .await?;
    let label = issuance::issuer(kind).document().map_or("document", |d| d.label());
    let bytes = state.documents.get(&key).await.map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::CONTENT_DISPOSITION, format!("inline; filename=\"{label}-{number}.pdf\"")))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// `GET /api/v1/applications/{id}/evisa.pdf`: the signed e-visa, for its holder and the post's staff.
pub async fn pdf(state: web::Data<AppState>, user: AuthUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    issued_pdf(&state, user, path.into_inner(), Some(OutputKind::EVisa)).await
}

/// `GET /api/v1/applications/{id}/evisa.seal`: the bytes of the visible digital seal printed on
/// the e-visa, for its holder and the post's staff.
pub async fn seal(state: web::Data<AppState>, user: AuthUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (number, seal) = crate::web::read(&state.db, move |conn| {
        let document = visible_document(conn, &id, &user, Some(OutputKind::EVisa))?;
        // Visas issued before seals have none.
        let seal = document.pdf.and_then(|pdf| pdf.seal).ok_or(AppError::NotFound)?;
        Ok((document.number, seal))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"e-visa-{number}.seal\"")))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(seal))
}

/// `GET /api/v1/seal-signers`: the signers of the seals of visas still valid, and the active
/// signer, each as a seal's header names it, with its certificate and the CA's.
pub async fn seal_signers(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let issuing_state = state.config.issuing_state.clone();
    let signers = crate::web::read(&state.db, move |conn| {
        let mut signers = Vec::new();
        for row in crate::issuance::offline::signer_rows(conn)? {
            if let (Some(cert), Some(ca)) = (&row.certificate_pem, &row.ca_certificate_pem) {
                signers.push(SealSigner::new(&issuing_state, cert, ca).map_err(AppError::internal)?);
            }
        }
        Ok(signers)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(serde_json::json!({ "signers": signers })))
}

/// A visa record as staff see it.
#[derive(Serialize)]
pub struct VisaView {
    visa_number: String,
    case_id: String,
    status: String,
    visa_type: String,
    entries: String,
    valid_from: chrono::NaiveDate,
    valid_until: chrono::NaiveDate,
    duration_of_stay_days: i32,
    surname: String,
    given_names: String,
    sex: String,
    date_of_birth: chrono::NaiveDate,
    place_of_birth: String,
    nationality: String,
    passport_number: String,
    passport_expiry: chrono::NaiveDate,
    issuing_state: String,
    issuing_post: String,
    issue_date: chrono::NaiveDate,
    kid: String,
    mrz: [String; 2],
    pdf_sha256: Option<String>,
    revoked_at: Option<chrono::DateTime<Utc>>,
    revocation_grounds: Option<serde_json::Value>,
}

impl TryFrom<IssuedDocument> for VisaView {
    type Error = AppError;

    fn try_from(visa: IssuedDocument) -> AppResult<VisaView> {
        let mrz = claims::mrz_lines(&visa).map_err(AppError::internal)?;
        let terms = claims::terms(&visa).map_err(AppError::internal)?.clone();
        let holder = visa.holder;
        let passport = holder.passport.ok_or_else(|| AppError::internal(anyhow::anyhow!("a visa without passport")))?;
        Ok(VisaView {
            mrz,
            visa_number: visa.number,
            case_id: visa.case_id,
            status: visa.status.as_str().to_owned(),
            visa_type: visa.service_code,
            entries: terms.entries,
            valid_from: terms.valid_from,
            valid_until: terms.valid_until,
            duration_of_stay_days: terms.duration_of_stay_days,
            surname: holder.surname,
            given_names: holder.given_names,
            sex: holder.sex.unwrap_or_default(),
            date_of_birth: holder.date_of_birth,
            place_of_birth: holder.place_of_birth.unwrap_or_default(),
            nationality: holder.nationality,
            passport_number: passport.number,
            passport_expiry: passport.expiry,
            issuing_state: visa.issuing_state,
            issuing_post: visa.issuing_post,
            issue_date: visa.issue_date,
            kid: visa.kid,
            pdf_sha256: visa.pdf.map(|p| p.sha256),
            revoked_at: visa.revocation.as_ref().map(|r| r.at.and_utc()),
            revocation_grounds: visa.revocation.and_then(|r| r.grounds).and_then(|g| serde_json::from_str(&g).ok()),
        })
    }
}

/// The visa `number` if the caller is staff of its issuing post.
fn staff_visa(conn: &mut db::AnyConnection, number: &str, user: &AuthUser) -> AppResult<IssuedDocument> {
    user.require(&[Role::Officer, Role::Supervisor])?;
    issued_documents::find(conn, OutputKind::EVisa, number)?
        .filter(|v| v.status.is_issued() && user.post.as_deref() == Some(v.issuing_post.as_str()))
        .ok_or(AppError::NotFound)
}

/// `GET /api/v1/visas/{visa_number}`: the visa record (staff of the issuing post).
pub async fn get(state: web::Data<AppState>, user: AuthUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let number = path.into_inner();
    let visa = crate::web::read(&state.db, move |conn| staff_visa(conn, &number, &user)).await?;
    Ok(HttpResponse::Ok().json(VisaView::try_from(visa)?))
}

/// Body of `POST /api/v1/visas/{visa_number}/revoke` and `POST /api/v1/cases/{id}/revoke`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    #[serde(default)]
    pub(super) grounds: Vec<String>,
    #[serde(default)]
    pub(super) note: Option<String>,
}

/// `POST /api/v1/visas/{visa_number}/revoke`: a supervisor of the issuing post revokes a visa on
/// coded grounds; its case becomes `revoked`.
pub async fn revoke(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<RevokeRequest>,
) -> AppResult<HttpResponse> {
    let number = path.into_inner();
    let RevokeRequest { grounds, note } = body.0;
    let lookup = number.clone();
    let staff = user.clone();
    let visa = crate::web::read(&state.db, move |conn| staff_visa(conn, &lookup, &staff)).await?;
    let user = Supervisor::new(user)?;
    let audit = Audit::for_request(request_id);
    revoke::revoke(&state.db, state.config.clone(), &user, visa.case_id, grounds, note, audit).await?;
    let visa = crate::web::read(&state.db, move |conn| {
        issued_documents::find(conn, OutputKind::EVisa, &number)?.ok_or(AppError::NotFound)
    })
    .await?;
    Ok(HttpResponse::Ok().json(VisaView::try_from(visa)?))
}

/// `GET /.well-known/jwks.json`: the public keys of every signer of a visa or certificate still
/// valid, and of the active signer, each with its certificate chain in `x5c`.
pub async fn jwks(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let keys = crate::web::read(&state.db, |conn| {
        let mut jwks = Vec::new();
        for row in crate::issuance::offline::signer_rows(conn)? {
            if let (Some(cert), Some(ca)) = (&row.certificate_pem, &row.ca_certificate_pem) {
                jwks.push(keys::jwk(&row.kid, cert, ca).map_err(AppError::internal)?);
            }
        }
        Ok(jwks)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(serde_json::json!({ "keys": keys })))
}
