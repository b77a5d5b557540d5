//! The machine client calling, authenticated by its API key (see [`crate::auth::api_keys`]),
//! remembered briefly so that the verification hot path does not read the database each time.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use std::sync::Arc;
use subtle::ConstantTimeEq;

use crate::auth::api_keys::{hash, prefix_of};
use crate::db::clients::{self, ClientRow};
use crate::web::error::AppError;
use crate::web::state::AppState;

/// How long an authenticated client is remembered. A key rotated or a client disabled in this
/// process takes effect at once (the cache is cleared); in another process, within this time.
pub const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// The machine client calling, authenticated by its API key.
#[derive(Debug, Clone)]
pub struct ApiClient(pub Arc<ClientRow>);

impl FromRequest for ApiClient {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<ApiClient, AppError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let key = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|k| k.trim().to_owned());
        Box::pin(async move {
            let unauthorized = || AppError::Unauthorized("a valid API key is required".into());
            let state = state.ok_or_else(|| AppError::internal(anyhow::anyhow!("application state missing")))?;
            let key = key.ok_or_else(unauthorized)?;
            let prefix = prefix_of(&key).ok_or_else(unauthorized)?.to_owned();
            let cached = state.client_cache.lock().ok().and_then(|cache| {
                cache.get(&prefix).filter(|(_, at)| at.elapsed() < CACHE_TTL).map(|(client, _)| client.clone())
            });
            let client = match cached {
                Some(client) => Some(client),
                None => {
                    let lookup = prefix.clone();
                    let client = crate::web::read(&state.db, move |conn| Ok(clients::by_prefix(conn, &lookup)?))
                        .await?
                        .map(Arc::new);
                    if let (Some(client), Ok(mut cache)) = (&client, state.client_cache.lock()) {
                        if cache.len() > 10_000 {
                            cache.clear();
                        }
                        cache.insert(prefix, (client.clone(), std::time::Instant::now()));
                    }
                    client
                }
            };
            let client = client.filter(|c| !c.disabled).ok_or_else(unauthorized)?;
            let matches: bool = hash(&key).as_bytes().ct_eq(client.key_hash.as_bytes()).into();
            if matches { Ok(ApiClient(client)) } else { Err(unauthorized()) }
        })
    }
}
