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
use crate::db::certificates;
use crate::db::visas::{self, VisaRow};
use crate::db::{self, keys};
use crate::domain::role::Role;
use crate::domain::status::CaseStatus;
use crate::outputs::e_visa;
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::JsonBody;

/// Finds what was issued for a case: its number and the object-store key of its PDF.
pub(crate) type FindIssued = fn(&mut db::AnyConnection, &str) -> diesel::QueryResult<Option<(String, Option<String>)>>;

/// The signed PDF issued for the case `id`, for its holder and the post's staff (who still see a
/// revoked one): `find` gives the document's number and object-store key, and the file is served
/// as `<prefix>-<number>.pdf`.
pub(crate) async fn issued_pdf(
    state: &AppState,
    user: AuthUser,
    id: String,
    prefix: &'static str,
    find: FindIssued,
) -> AppResult<HttpResponse> {
    let (number, key) = crate::web::read(&state.db, move |conn| {
        let case = visible_case(conn, &id, &user)?;
        let visible =
            case.status == CaseStatus::Issued || (user.role.handles_cases() && case.status == CaseStatus::Revoked);
        let (number, key) = find(conn, &case.id)?.filter(|_| visible).ok_or(AppError::NotFound)?;
        Ok((number, key.ok_or(AppError::NotFound)?))
    })
    .await?;
    let bytes = state.documents.get(&key).await.map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::CONTENT_DISPOSITION, format!("inline; filename=\"{prefix}-{number}.pdf\"")))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// The number and PDF of the e-visa issued for a case.
pub(crate) fn visa_pdf(
    conn: &mut db::AnyConnection,
    case_id: &str,
) -> diesel::QueryResult<Option<(String, Option<String>)>> {
    Ok(visas::for_case(conn, case_id)?.map(|v| (v.visa_number, v.pdf_key)))
}

/// `GET /api/v1/applications/{id}/evisa.pdf`: the signed e-visa, for its holder and the post's staff.
pub async fn pdf(state: web::Data<AppState>, user: AuthUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    issued_pdf(&state, user, path.into_inner(), "e-visa", visa_pdf).await
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

impl From<VisaRow> for VisaView {
    fn from(row: VisaRow) -> Self {
        let mrz = e_visa::issue::mrz_lines(&row);
        VisaView {
            mrz,
            visa_number: row.visa_number,
            case_id: row.case_id,
            status: row.status,
            visa_type: row.visa_type,
            entries: row.entries,
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            duration_of_stay_days: row.duration_of_stay_days,
            surname: row.surname,
            given_names: row.given_names,
            sex: row.sex,
            date_of_birth: row.date_of_birth,
            place_of_birth: row.place_of_birth,
            nationality: row.nationality,
            passport_number: row.passport_number,
            passport_expiry: row.passport_expiry,
            issuing_state: row.issuing_state,
            issuing_post: row.issuing_post,
            issue_date: row.issue_date,
            kid: row.kid,
            pdf_sha256: row.pdf_sha256,
            revoked_at: row.revoked_at.map(|at| at.and_utc()),
            revocation_grounds: row.revocation_grounds.and_then(|g| serde_json::from_str(&g).ok()),
        }
    }
}

/// The visa `number` if the caller is staff of its issuing post.
fn staff_visa(conn: &mut db::AnyConnection, number: &str, user: &AuthUser) -> AppResult<VisaRow> {
    user.require(&[Role::Officer, Role::Supervisor])?;
    visas::find(conn, number)?
        .filter(|v| v.status != "issuing" && user.post.as_deref() == Some(v.issuing_post.as_str()))
        .ok_or(AppError::NotFound)
}

/// `GET /api/v1/visas/{visa_number}`: the visa record (staff of the issuing post).
pub async fn get(state: web::Data<AppState>, user: AuthUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let number = path.into_inner();
    let visa = crate::web::read(&state.db, move |conn| staff_visa(conn, &number, &user)).await?;
    Ok(HttpResponse::Ok().json(VisaView::from(visa)))
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
    let visa = crate::web::read(&state.db, move |conn| visas::find(conn, &number)?.ok_or(AppError::NotFound)).await?;
    Ok(HttpResponse::Ok().json(VisaView::from(visa)))
}

/// `GET /.well-known/jwks.json`: the public keys of every signer of a visa or certificate still
/// valid, and of the active signer, each with its certificate chain in `x5c`.
pub async fn jwks(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let keys = crate::web::read(&state.db, |conn| {
        let mut kids = visas::kids_of_valid_visas(conn, Utc::now().date_naive())?;
        kids.extend(certificates::kids_of_valid_certificates(conn)?);
        if let Some(active) = keys::active(conn)? {
            kids.push(active.kid);
        }
        kids.sort();
        kids.dedup();
        let mut jwks = Vec::new();
        for kid in kids {
            let Some(row) = keys::find(conn, &kid)? else { continue };
            if let (Some(cert), Some(ca)) = (&row.certificate_pem, &row.ca_certificate_pem) {
                jwks.push(e_visa::keys::jwk(&row.kid, cert, ca).map_err(AppError::internal)?);
            }
        }
        Ok(jwks)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(serde_json::json!({ "keys": keys })))
}
