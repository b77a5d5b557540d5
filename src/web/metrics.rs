//! `GET /metrics` in the Prometheus text format: requests by route and status with latency
//! histograms, verification results, and, read from the database when scraped, the queues by
//! post and status, the outbox (pending and failed e-mails), background job failures and the
//! issuance lag. The figures reveal volumes: the route answers the loopback address only, or
//! anyone presenting `EVISA_METRICS_TOKEN` as a bearer token when one is set.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;
use subtle::ConstantTimeEq;

use crate::db::jobs::JobKind;
use crate::db::{self, jobs};
use crate::web::state::AppState;

/// Latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// The process's recorder, installed once (several servers in one process share it).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".into()), &BUCKETS)
                .ok()?;
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            start_upkeep(handle.clone());
            Some(handle)
        })
        .as_ref()
}

/// How often the recorder folds recorded histogram samples into its buckets.
const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Name of the thread that keeps the recorder's histograms bounded.
pub const UPKEEP_THREAD: &str = "metrics-upkeep";

/// Starts the thread that folds histogram samples into their buckets every few seconds. The
/// recorder keeps every sample recorded since the last fold; without this thread only a scrape
/// would fold them, so a node nobody scraped grew by every request it served (about 18 bytes a
/// request, 7 MB for each 10 seconds of the verification load).
fn start_upkeep(handle: PrometheusHandle) {
    let started = std::thread::Builder::new().name(UPKEEP_THREAD.into()).spawn(move || {
        loop {
            std::thread::sleep(UPKEEP_INTERVAL);
            handle.run_upkeep();
        }
    });
    if let Err(err) = started {
        tracing::error!(error = %err, "metrics: the upkeep thread could not be started");
    }
}

/// Installs the recorder; call once at start.
pub fn install() {
    if handle().is_none() {
        tracing::warn!("another metrics recorder is installed: /metrics shows nothing of this service");
    }
}

type Handles = (metrics::Counter, metrics::Histogram);

thread_local! {
    /// The counter and histogram of each (method, route, status) this worker has served: looked
    /// up once, then updated without building labels on the hot path.
    static HANDLES: RefCell<HashMap<(Method, String, u16), Handles>> = RefCell::new(HashMap::new());
}

fn handles(method: &Method, route: &str, status: u16) -> Handles {
    HANDLES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(found) = cache.get(&(method.clone(), route.to_owned(), status)) {
            return found.clone();
        }
        let counter = metrics::counter!("http_requests_total", "method" => method.to_string(),
            "route" => route.to_owned(), "status" => status.to_string());
        let histogram = metrics::histogram!("http_request_duration_seconds", "route" => route.to_owned());
        cache.insert((method.clone(), route.to_owned(), status), (counter.clone(), histogram.clone()));
        (counter, histogram)
    })
}

/// Middleware: counts each request by method, route template and status, and times it.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req.match_pattern();
    let response = next.call(req).await?;
    let (counter, histogram) = handles(&method, route.as_deref().unwrap_or("unmatched"), response.status().as_u16());
    counter.increment(1);
    histogram.record(started.elapsed().as_secs_f64());
    Ok(response)
}

/// Counts a verification by how it was asked and what it answered.
pub fn verification(method: &'static str, result: &'static str) {
    metrics::counter!("verification_checks_total", "method" => method, "result" => result).increment(1);
}

fn allowed(req: &HttpRequest, token: Option<&str>) -> bool {
    match token {
        Some(token) => req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| given.as_bytes().ct_eq(token.as_bytes()).into()),
        None => crate::web::client_addr::client_addr(req).is_some_and(|client| client.is_loopback()),
    }
}

/// `GET /metrics`.
pub async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if !allowed(&req, state.config.metrics_token.as_deref()) {
        return HttpResponse::NotFound().finish();
    }
    let figures = state
        .db
        .run::<_, crate::web::error::AppError, _>(|conn| {
            Ok((
                crate::db::case_queue::count_by_post_and_status(conn)?,
                jobs::count_by_kind_and_status(conn)?,
                jobs::oldest_pending(conn, JobKind::IssueOutput)?,
            ))
        })
        .await;
    match figures {
        Ok((queues, jobs, oldest)) => {
            for (post, status, count) in queues {
                metrics::gauge!("cases", "post" => post, "status" => status).set(count as f64);
            }
            for (kind, status, count) in jobs {
                metrics::gauge!("jobs", "kind" => kind, "status" => status).set(count as f64);
            }
            let lag = oldest.map_or(0.0, |at| (db::now() - at).num_milliseconds() as f64 / 1000.0);
            metrics::gauge!("issuance_lag_seconds").set(lag.max(0.0));
        }
        Err(err) => tracing::error!(error = %err, "metrics: the database could not be read"),
    }
    let body = handle().map(PrometheusHandle::render).unwrap_or_default();
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(body)
}
