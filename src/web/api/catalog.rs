//! The public catalogues: services (visa types among them), consular posts, refusal grounds.

use actix_web::{HttpResponse, web};

use super::views::{GroundView, PostView, ServiceView, VisaTypeView};
use crate::db::catalog;
use crate::web::error::AppResult;
use crate::web::state::AppState;

/// `GET /api/v1/visa-types`.
pub async fn visa_types(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let rows = crate::web::read(&state.db, |conn| Ok(catalog::list_visa_types(conn)?)).await?;
    let items: Vec<VisaTypeView> = rows.iter().map(VisaTypeView::from).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// `GET /api/v1/services`: every active service of the catalogue, visas included.
pub async fn services(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let rows = crate::web::read(&state.db, |conn| Ok(catalog::list_services(conn)?)).await?;
    let items: Vec<ServiceView> = rows.into_iter().map(|(row, schema)| ServiceView::new(row, &schema)).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// `GET /api/v1/posts`.
pub async fn posts(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let rows = crate::web::read(&state.db, |conn| Ok(catalog::list_posts(conn)?)).await?;
    let items: Vec<PostView> = rows.into_iter().map(PostView::from).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// `GET /api/v1/refusal-grounds`: the coded grounds of refusals and revocations.
pub async fn refusal_grounds(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let rows = crate::web::read(&state.db, |conn| Ok(catalog::list_refusal_grounds(conn)?)).await?;
    let items: Vec<GroundView> = rows.into_iter().map(GroundView::from).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}
