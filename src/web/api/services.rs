//! Administration of the service catalogue. Each handler extracts, calls a use case of
//! [`crate::app::catalogue`] and renders.

use crate::web::request_id::RequestId;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::views::ServiceView;
use crate::app::Admin;
use crate::app::catalogue::{self, ServiceInput};
use crate::db::catalog::{self, ServiceRow};
use crate::domain::service::{DocumentRequirement, Eligibility, Fee, InformationLapse, OutputKind};
use crate::domain::texts::Texts;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::JsonBody;
use crate::web::state::AppState;

/// Body of `POST /api/v1/admin/services` and `PATCH /api/v1/admin/services/{code}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    eligibility: Option<Eligibility>,
    #[serde(default)]
    form_schema: Option<serde_json::Value>,
    #[serde(default)]
    documents: Option<Vec<DocumentRequirement>>,
    #[serde(default)]
    fee: Option<Fee>,
    #[serde(default)]
    prepaid: Option<bool>,
    #[serde(default)]
    paid_before_issue: Option<bool>,
    #[serde(default)]
    processing_days: Option<i32>,
    #[serde(default)]
    four_eyes: Option<bool>,
    #[serde(default)]
    output: Option<OutputKind>,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    texts: Option<Texts>,
    #[serde(default)]
    information_lapse: Option<InformationLapse>,
    #[serde(default)]
    information_pauses_clock: Option<bool>,
}

impl ServiceBody {
    fn split(self) -> (Option<String>, ServiceInput) {
        let input = ServiceInput {
            name: self.name,
            description: self.description,
            eligibility: self.eligibility,
            form_schema: self.form_schema,
            documents: self.documents,
            fee: self.fee,
            prepaid: self.prepaid,
            paid_before_issue: self.paid_before_issue,
            processing_days: self.processing_days,
            four_eyes: self.four_eyes,
            output: self.output,
            active: self.active,
            texts: self.texts,
            information_lapse: self.information_lapse,
            information_pauses_clock: self.information_pauses_clock,
        };
        (self.code, input)
    }
}

async fn view(state: &AppState, row: ServiceRow) -> AppResult<ServiceView> {
    let (code, version) = (row.code.clone(), row.form_version);
    let schema = crate::web::read(&state.db, move |conn| Ok(catalog::form_schema(conn, &code, version)?)).await?;
    Ok(ServiceView::new(row, schema.as_deref().unwrap_or("{}")))
}

/// `POST /api/v1/admin/services`: adds a service to the catalogue.
pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    request_id: RequestId,
    body: JsonBody<ServiceBody>,
) -> AppResult<HttpResponse> {
    let (code, input) = body.0.split();
    let code = code.ok_or_else(|| AppError::Validation(vec![crate::domain::FieldError::required("code")]))?;
    let row = catalogue::create_service(&state.db, &admin, code, input, request_id.to_string()).await?;
    Ok(HttpResponse::Created().json(view(&state, row).await?))
}

/// `PATCH /api/v1/admin/services/{code}`: changes a service; a new schema is a new form version.
pub async fn update(
    state: web::Data<AppState>,
    admin: Admin,
    request_id: RequestId,
    path: web::Path<String>,
    body: JsonBody<ServiceBody>,
) -> AppResult<HttpResponse> {
    let (code, input) = body.0.split();
    if code.is_some() {
        return Err(AppError::invalid_field("code", "immutable", "a service keeps its code"));
    }
    let row = catalogue::update_service(&state.db, &admin, path.into_inner(), input, request_id.to_string()).await?;
    Ok(HttpResponse::Ok().json(view(&state, row).await?))
}
