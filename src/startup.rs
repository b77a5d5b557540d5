//! Building the application: first-start bootstrap (data directory, migrations, seeds, secrets)
//! and the HTTP server, which tests start on port 0.

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use rand::Rng;
use rand::distr::Alphanumeric;
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing_actix_web::TracingLogger;

use crate::app::accounts::{self, AccountInput};
use crate::auth::failures::SignInThrottle;
use crate::auth::jwt::TokenService;
use crate::auth::password;
use crate::auth::throttle::LoginThrottle;
use crate::check_log::CheckLog;
use crate::config::Config;
use crate::db::catalog::{self, PostRow};
use crate::db::jobs::JobKind;
use crate::db::{self, Db, users};
use crate::domain::role::Role;
use crate::issuance::kit::keyring::{self, KeyRing};
use crate::jobs;
use crate::notify::mailer::Transport;
use crate::ratelimit::RateLimits;
use crate::storage::DocumentStore;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// Prepares everything the service needs on a fresh or existing data directory: creates the
/// directory, migrates the database, seeds the headquarters post and the first administrator,
/// and loads or creates the secrets.
pub fn bootstrap(config: Config) -> anyhow::Result<AppState> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    keep_private(&config.data_dir)?;
    let db = Db::connect(&config.database_url, config.db_pool_size)?;
    tracing::info!(database = %db::redact_url(&config.database_url), "database ready");
    seed(&db, &config)?;
    let secret = match &config.jwt_secret {
        Some(secret) => secret.as_bytes().to_vec(),
        None => load_or_create_secret(&config.data_dir.join("secrets").join("jwt-hs256.key"))?,
    };
    let log_key = match &config.log_hmac_secret {
        Some(secret) => secret.as_bytes().to_vec(),
        None => load_or_create_secret(&config.data_dir.join("secrets").join("log-hmac.key"))?,
    };
    let payment_key = match &config.payment_secret {
        Some(secret) => secret.as_bytes().to_vec(),
        // The file's hex text is the secret, as the provider is given it.
        None => {
            hex::encode(load_or_create_secret(&config.data_dir.join("secrets").join("payment-hmac.key"))?).into_bytes()
        }
    };
    let tokens = TokenService::new(&secret, &config.jwt_issuer, &config.jwt_audience, config.jwt_ttl_secs);
    let documents = DocumentStore::open(&config)?;
    let login_throttle = LoginThrottle::new(config.login_burst, Duration::from_secs(config.login_period_secs));
    let sign_ins = SignInThrottle::new(config.login_burst, Duration::from_secs(config.login_period_secs));
    let payments = crate::payment_providers::Provider::from_config(&config)?;
    let configured_signer = keyring::ensure_active(&db, &config)?;
    let keys = KeyRing::with_configured(config.data_dir.clone(), configured_signer);
    let mailer = Transport::from_config(&config)?;
    tracing::info!(transport = %mailer.describe(), "e-mail");
    Ok(AppState {
        mailer,
        limits: RateLimits::new(config.verify_rate_limit, config.ip_rate_limit),
        checks: CheckLog::start(db.clone())?,
        visa_cache: crate::visa_cache::VisaCache::start(db.clone())?,
        issued_numbers: crate::visa_cache::IssuedNumbers::start(db.clone())?,
        token_keys: Arc::default(),
        verified_tokens: Default::default(),
        catalogue: crate::catalogue_cache::CatalogueCache::start(db.clone())?,
        decision_pace: crate::decision_pace::PaceMemo::default(),
        share_checks: crate::app::share_codes::address_throttle(),
        log_key,
        payment_key,
        client_cache: std::sync::Mutex::new(std::collections::HashMap::new()),
        draining: std::sync::atomic::AtomicBool::new(false),
        sessions: crate::auth::sessions::Sessions::default(),
        config: Arc::new(config),
        db,
        tokens,
        documents,
        login_throttle,
        sign_ins,
        payments,
        keys,
    })
}

fn seed(db: &Db, config: &Config) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    let hq_name = format!("{} headquarters", config.issuing_state_name);
    match catalog::find_post(&mut conn, &config.hq_post)? {
        // Seeded before posts had names in other languages, and not renamed since.
        Some(post) if post.name == hq_name && crate::domain::texts::Texts::parse(&post.texts).is_empty() => {
            let changes = catalog::PostChanges { texts: Some(hq_names(config)), ..Default::default() };
            catalog::update_post(&mut conn, &config.hq_post, &changes)?;
        }
        Some(_) => {}
        None => seed_hq(&mut conn, config, hq_name)?,
    }
    let added = crate::app::catalogue::seed(db, &mut conn)
        .map_err(|e| anyhow::anyhow!("seeding the catalogue: {}", describe(&e)))?;
    if !added.is_empty() {
        tracing::info!(services = ?added, "seeded consular services");
    }
    let renewed = crate::app::catalogue::keep_own_forms(db, &mut conn)
        .map_err(|e| anyhow::anyhow!("keeping the e-visa's form: {}", describe(&e)))?;
    if !renewed.is_empty() {
        tracing::info!(services = ?renewed, "gave services the form their issuer describes");
    }
    let translated = crate::app::catalogue::seed_texts(&mut conn)
        .map_err(|e| anyhow::anyhow!("seeding the catalogue's texts: {}", describe(&e)))?;
    if translated > 0 {
        tracing::info!(rows = translated, "gave built-in services and grounds their Russian and Kazakh texts");
    }
    if users::admin_exists(&mut conn)? {
        return Ok(());
    }
    let (password, generated) = match &config.admin_password {
        Some(password) => (password.clone(), false),
        None => (rand::rng().sample_iter(Alphanumeric).take(24).map(char::from).collect::<String>(), true),
    };
    let account = accounts::validate(AccountInput {
        email: config.admin_email.clone(),
        password: password.clone(),
        full_name: "Administrator".into(),
        role: Role::Admin,
        post: Some(config.hq_post.clone()),
        preferred_language: None,
    })
    .map_err(|e| anyhow::anyhow!("EVISA_ADMIN_EMAIL / EVISA_ADMIN_PASSWORD: {}", describe(&e)))?;
    let hash = password::hash(account.password())?;
    accounts::insert(&mut conn, &account, &hash)
        .map_err(|e| anyhow::anyhow!("creating the administrator: {}", describe(&e)))?;
    if generated {
        // Printed, not logged: logs are collected and kept; this is shown once to whoever starts
        // the service for the first time.
        println!(
            "\n  evisa: created the administrator {} with the generated password\n\n      {password}\n\n  It is shown only this once. Set EVISA_ADMIN_PASSWORD to choose it instead.\n",
            config.admin_email
        );
    } else {
        tracing::info!(email = %config.admin_email, "created the administrator from EVISA_ADMIN_EMAIL/EVISA_ADMIN_PASSWORD");
    }
    Ok(())
}

/// Adds the headquarters post, named `name`.
fn seed_hq(conn: &mut db::AnyConnection, config: &Config, name: String) -> anyhow::Result<()> {
    let post = PostRow {
        code: config.hq_post.clone(),
        name,
        country: config.issuing_state.clone(),
        time_zone: "UTC".into(),
        created_at: db::now(),
        four_eyes: false,
        texts: hq_names(config),
    };
    catalog::insert_post(conn, &post)?;
    tracing::info!(post = %config.hq_post, "seeded the headquarters post");
    Ok(())
}

/// The headquarters post's name in Russian and Kazakh.
fn hq_names(config: &Config) -> String {
    let mut texts = crate::domain::texts::Texts::default();
    texts.insert("ru", "name", &format!("{}: центральное учреждение", config.state_name("ru")));
    texts.insert("kk", "name", &format!("{}: орталық мекеме", config.state_name("kk")));
    texts.to_json()
}

/// A one-line description of an error for the command line.
pub fn describe(err: &crate::app::Error) -> String {
    match err {
        crate::app::Error::Invalid(problems) => {
            problems.iter().map(|p| format!("{}: {}", p.field, p.detail)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

/// Makes the data directory (database, WAL, passport scans, e-mails with reset codes, keys)
/// the service account's alone: the directory itself is closed to others, which covers what an
/// earlier release left readable inside it, and everything this process creates from now on is
/// made readable by its owner only (a umask of 077), so a copy or a move keeps it so.
#[cfg(unix)]
fn keep_private(data_dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: umask only swaps the process's file-creation mask; it cannot fail.
    unsafe { libc::umask(0o077) };
    std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("closing data directory {} to other users", data_dir.display()))
}

#[cfg(not(unix))]
fn keep_private(_data_dir: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Reads a secret from `path`, or creates one there (readable by the owner only).
fn load_or_create_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        return hex::decode(existing.trim()).with_context(|| format!("{} is not a hex secret", path.display()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let secret: [u8; 48] = rand::rng().random();
    crate::issuance::kit::keys::write_private(path, hex::encode(secret).as_bytes())?;
    tracing::info!(path = %path.display(), "generated a new secret");
    Ok(secret.to_vec())
}

/// The running service.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    runners: jobs::Runners,
}

/// Threads each HTTP worker may run blocking work on: the database pool's connections, and a
/// few more for work that holds none (password hashing, image decoding). Blocking work is mostly
/// a database call holding one of the pool's connections: more threads than connections only
/// wait for one, each keeping a stack and an allocator heap of its own (64 verification checks
/// missing the cache at once started about ninety).
fn blocking_threads(db_pool_size: u32) -> usize {
    db_pool_size as usize + 4
}

impl Application {
    /// Bootstraps and binds the server (port 0 picks a free port).
    pub fn build(config: Config) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&config.bind).with_context(|| format!("binding {}", config.bind))?;
        let port = listener.local_addr()?.port();
        crate::web::metrics::install();
        let state = web::Data::new(bootstrap(config)?);
        let mut runners = jobs::Runners::default();
        if state.config.mail_worker {
            let poll = Duration::from_millis(state.config.mail_poll_ms);
            let kinds = &[JobKind::SendEmail, JobKind::RemindInformation];
            runners.spawn("mailer", kinds, &state.clone().into_inner(), poll)?;
        }
        if state.config.issuance_worker {
            // Nodes that issue hold the signing key: they publish the offline kit.
            crate::issuance::offline::start_publisher(Arc::downgrade(&state.clone().into_inner()))?;
            let poll = Duration::from_millis(state.config.issuance_poll_ms);
            runners.spawn("issuance", &[JobKind::IssueOutput], &state.clone().into_inner(), poll)?;
        }
        let serving = state.clone();
        let proxies = crate::web::client_addr::TrustedProxies(state.config.trusted_proxies.clone());
        let server = HttpServer::new(move || {
            let state = serving.clone();
            let trusted = proxies.clone();
            App::new()
                .wrap(actix_web::middleware::from_fn(crate::web::drain::close_connections_when_draining))
                // Browsers that reached the service over https once never try plain http again.
                .wrap(actix_web::middleware::Condition::new(
                    state.config.public_url.starts_with("https://"),
                    actix_web::middleware::DefaultHeaders::new()
                        .add((actix_web::http::header::STRICT_TRANSPORT_SECURITY, "max-age=31536000")),
                ))
                .wrap(actix_web::middleware::from_fn(crate::web::text::refuse_control_characters))
                .wrap(actix_web::middleware::from_fn(crate::web::pages::errors::as_pages))
                .wrap(actix_web::middleware::from_fn(crate::web::metrics::record))
                .wrap(TracingLogger::<crate::web::request_id::RootSpan>::new())
                .wrap(actix_web::middleware::from_fn(crate::web::request_id::assign))
                .app_data(state.clone())
                .app_data(trusted.clone())
                .app_data(
                    web::QueryConfig::default()
                        .error_handler(|err, _| AppError::BadRequest(format!("invalid query: {err}")).into()),
                )
                .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
                // The API first: its routes, the verification checks foremost, are the busiest.
                .configure(crate::web::api::configure)
                .configure(crate::web::pages::configure)
                .default_service(web::to(crate::web::api::not_found))
        })
        .shutdown_timeout(state.config.shutdown_secs)
        .worker_max_blocking_threads(blocking_threads(state.config.db_pool_size))
        .disable_signals()
        .listen(listener)?
        .run();
        Ok(Application { port, server, state, runners })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server from elsewhere (tests stop their servers so).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the process is told to stop (SIGTERM or SIGINT), then stops gracefully:
    /// accepts no new connection, finishes the requests in flight (each answer closing its
    /// connection), and lets the job runners finish their jobs or give their leases back, all
    /// within `EVISA_SHUTDOWN_SECONDS`.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application { server, state, runners, .. } = self;
        let handle = server.handle();
        let runners = Arc::new(Mutex::new(Some(runners)));
        let stopping = runners.clone();
        let draining = state.clone();
        actix_web::rt::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutdown requested: finishing the requests and jobs in flight");
            draining.draining.store(true, std::sync::atomic::Ordering::Release);
            if let Some(runners) = stopping.lock().ok().as_ref().and_then(|r| r.as_ref()) {
                runners.stop_leasing();
            }
            handle.stop(true).await;
        });
        let served = server.await;
        let deadline = std::time::Instant::now() + Duration::from_secs(state.config.shutdown_secs);
        let runners = runners.lock().ok().and_then(|mut r| r.take());
        if let Some(runners) = runners {
            let db = state.db.clone();
            let _ = web::block(move || runners.stop(&db, deadline)).await;
        }
        tracing::info!("stopped");
        served
    }
}

/// Resolves when the process is asked to stop: SIGTERM (from a service manager or an
/// orchestrator) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = actix_web::rt::signal::ctrl_c().await;
    }
}
