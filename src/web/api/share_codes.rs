//! Share codes: the holder's routes (make, list with checks, cancel) and the public check that
//! an employer, a landlord or a university calls with a code and the holder's date of birth.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::app::Applicant;
use crate::app::engine::Audit;
use crate::app::share_codes::{self, CheckAnswer, CodeView, NewCode};
use crate::domain::verification::CheckResult;
use crate::web::error::AppResult;
use crate::web::extract::JsonBody;
use crate::web::request_id::RequestId;
use crate::web::state::AppState;

/// A check of one of the holder's codes.
#[derive(Serialize)]
struct CheckSeenView {
    at: DateTime<Utc>,
    outcome: &'static str,
}

/// A code as its holder reads it.
#[derive(Serialize)]
pub struct CodeJson {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    hint: String,
    case_id: String,
    document_kind: &'static str,
    purpose: &'static str,
    state: &'static str,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    cancelled_at: Option<DateTime<Utc>>,
    checks: Vec<CheckSeenView>,
}

impl CodeJson {
    fn new(view: CodeView, code: Option<String>) -> CodeJson {
        CodeJson {
            id: view.row.id,
            code,
            hint: view.row.code_hint,
            case_id: view.case_id,
            document_kind: view.kind.as_str(),
            purpose: view.purpose.as_str(),
            state: view.state.as_str(),
            created_at: view.row.created_at.and_utc(),
            expires_at: view.row.expires_at.and_utc(),
            cancelled_at: view.row.cancelled_at.map(|at| at.and_utc()),
            checks: view
                .checks
                .iter()
                .map(|c| CheckSeenView { at: c.at.and_utc(), outcome: c.outcome.as_str() })
                .collect(),
        }
    }
}

/// Body of `POST /api/v1/share-codes`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCodeBody {
    case_id: String,
    purpose: String,
    valid_days: i64,
}

/// `POST /api/v1/share-codes`: makes a code for the document issued on one of the holder's
/// cases; the code is in this answer only.
pub async fn create(
    state: web::Data<AppState>,
    user: Applicant,
    request_id: RequestId,
    body: JsonBody<NewCodeBody>,
) -> AppResult<HttpResponse> {
    let NewCodeBody { case_id, purpose, valid_days } = body.0;
    let new = NewCode { case_id, purpose, valid_days };
    let created =
        share_codes::create(&state.db, state.log_key.clone(), &user, new, Audit::for_request(request_id)).await?;
    let json = CodeJson::new(created.view, Some(created.code.grouped()));
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Location", format!("/api/v1/share-codes/{}", json.id)))
        .json(json))
}

/// `GET /api/v1/share-codes`: the holder's codes, newest first, each with its checks.
pub async fn list(state: web::Data<AppState>, user: Applicant) -> AppResult<HttpResponse> {
    let items: Vec<CodeJson> =
        share_codes::list(&state.db, &user).await?.into_iter().map(|view| CodeJson::new(view, None)).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// `POST /api/v1/share-codes/{id}/cancel`: the code answers no more.
pub async fn cancel(
    state: web::Data<AppState>,
    user: Applicant,
    request_id: RequestId,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let view = share_codes::cancel(&state.db, &user, path.into_inner(), Audit::for_request(request_id)).await?;
    Ok(HttpResponse::Ok().json(CodeJson::new(view, None)))
}

/// Body of `POST /api/v1/share-code-checks`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    code: String,
    date_of_birth: NaiveDate,
}

/// The document part of a check's answer.
#[derive(Serialize)]
struct DocumentJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_from: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_until: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issue_date: Option<NaiveDate>,
}

/// The answer of a check: alike for every failure, and for a match only what the purpose needs.
#[derive(Serialize)]
struct CheckJson {
    result: &'static str,
    check_id: String,
    checked_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purpose: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    holder_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<DocumentJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    holder_photo: Option<String>,
}

impl CheckJson {
    fn new(answer: CheckAnswer) -> CheckJson {
        let CheckAnswer { check_id, checked_at, shown } = answer;
        let Some(shown) = shown else {
            let result = CheckResult::NotFound.as_str();
            return CheckJson {
                result,
                check_id,
                checked_at,
                purpose: None,
                holder_name: None,
                document: None,
                holder_photo: None,
            };
        };
        let (kind, service) = shown.document.unzip();
        CheckJson {
            result: shown.status.as_str(),
            check_id,
            checked_at,
            purpose: Some(shown.purpose.as_str()),
            holder_name: shown.name,
            holder_photo: shown.photo.as_deref().map(photo_url),
            document: Some(DocumentJson {
                kind: kind.map(|k| k.as_str()),
                service_name: service.as_ref().map(|s| s.name.clone()),
                service: service.map(|s| s.code),
                valid_from: shown.valid_from,
                valid_until: shown.valid_until,
                issue_date: shown.issue_date,
            }),
        }
    }
}

/// A photo of a check's answer as a `data:` URL, for an API client and the public page alike.
pub(crate) fn photo_url(jpeg: &[u8]) -> String {
    use base64::Engine;
    format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(jpeg))
}

/// `POST /api/v1/share-code-checks`: checks a share code with its holder's date of birth; open
/// to anyone, limited per address and per code, logged before it is answered.
pub async fn check(state: web::Data<AppState>, req: HttpRequest, body: JsonBody<CheckBody>) -> AppResult<HttpResponse> {
    state.limits.ip(&req)?;
    let CheckBody { code, date_of_birth } = body.0;
    let answer = checked(&state, &req, &code, date_of_birth).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(CheckJson::new(answer)))
}

/// A check of `code` with `born` from the address of `req`, counted in the metrics: what the
/// API and the public page both answer from.
pub(crate) async fn checked(
    state: &AppState,
    req: &HttpRequest,
    code: &str,
    born: NaiveDate,
) -> crate::app::Result<CheckAnswer> {
    let ip = super::verify::peer(req);
    let answer =
        share_codes::check(&state.db, &state.documents, &state.log_key, &state.share_checks, code, born, ip).await?;
    crate::web::metrics::verification("share_code", if answer.shown.is_some() { "shown" } else { "not_found" });
    Ok(answer)
}
