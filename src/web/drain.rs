//! Draining at shutdown: once the process is stopping, every answer closes its connection, so
//! that kept-alive clients move to another node instead of holding this one open until it is
//! forced to close them mid-request.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web;
use std::sync::atomic::Ordering;

use crate::web::state::AppState;

/// Marks the answer `Connection: close` when the process is stopping.
pub async fn close_connections_when_draining(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let mut response = next.call(request).await?;
    if state.is_some_and(|state| state.draining.load(Ordering::Acquire)) {
        response.response_mut().head_mut().set_connection_type(ConnectionType::Close);
    }
    Ok(response)
}
