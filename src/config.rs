//! Configuration, read from environment variables with sensible defaults.

use anyhow::{Context, bail};
use std::path::PathBuf;

/// Everything the service can be configured with. See `docs/configuration.md` for each variable.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on (`EVISA_BIND`).
    pub bind: String,
    /// Directory for the SQLite database, documents, keys and mail (`EVISA_DATA_DIR`).
    pub data_dir: PathBuf,
    /// `postgres://...` or a SQLite path (`DATABASE_URL`); defaults to `<data dir>/evisa.db`.
    pub database_url: String,
    /// Maximum pooled database connections (`EVISA_DB_POOL_SIZE`).
    pub db_pool_size: u32,
    /// Base URL under which clients reach the service (`EVISA_PUBLIC_URL`).
    pub public_url: String,
    /// ICAO code of the issuing state (`EVISA_ISSUING_STATE`).
    pub issuing_state: String,
    /// Name of the issuing state (`EVISA_ISSUING_STATE_NAME`).
    pub issuing_state_name: String,
    /// Its name in Russian and Kazakh (`EVISA_ISSUING_STATE_NAME_RU`, `_KK`; CLDR's name of the
    /// state otherwise).
    pub issuing_state_names: std::collections::BTreeMap<String, String>,
    /// Code of the headquarters post seeded on first start (`EVISA_HQ_POST`).
    pub hq_post: String,
    /// Shared secret for access tokens, at least 32 bytes (`EVISA_JWT_SECRET`); generated under
    /// the data directory when absent.
    pub jwt_secret: Option<String>,
    /// Key of the verification log's passport-number digests, at least 32 bytes
    /// (`EVISA_LOG_HMAC_SECRET`); generated under the data directory when absent.
    pub log_hmac_secret: Option<String>,
    /// Secret shared with the payment provider, whose callbacks carry an HMAC-SHA256 of their
    /// body under it (`EVISA_PAYMENT_SECRET`); generated under the data directory when absent.
    pub payment_secret: Option<String>,
    /// `iss` of access tokens (`EVISA_JWT_ISSUER`, default the public URL).
    pub jwt_issuer: String,
    /// `aud` of access tokens (`EVISA_JWT_AUDIENCE`).
    pub jwt_audience: String,
    /// Lifetime of access tokens in seconds (`EVISA_JWT_TTL_SECONDS`).
    pub jwt_ttl_secs: u64,
    /// E-mail of the first administrator (`EVISA_ADMIN_EMAIL`).
    pub admin_email: String,
    /// Password of the first administrator (`EVISA_ADMIN_PASSWORD`); generated and printed once
    /// when absent.
    pub admin_password: Option<String>,
    /// Where documents are stored (`EVISA_STORAGE_URL`): `s3://bucket/prefix` (credentials and
    /// endpoint from the usual `AWS_*` variables) or a local directory, by default
    /// `<data dir>/documents`.
    pub storage_url: Option<String>,
    /// Wrong passwords allowed per account and address in 15 minutes before throttling, and a
    /// four times as many per account from every address (`EVISA_LOGIN_BURST`); also the burst
    /// of reset and verification e-mail requests.
    pub login_burst: u32,
    /// Seconds between attempts on a throttled account (`EVISA_LOGIN_PERIOD_SECONDS`).
    pub login_period_secs: u64,
    /// How applicants may appeal a refusal, recorded with every refusal
    /// (`EVISA_APPEAL_INFORMATION`).
    pub appeal_information: String,
    /// PEM files of the document signer: private key, certificate and the CA certificate
    /// (`EVISA_SIGNING_KEY_FILE`, `EVISA_SIGNING_CERT_FILE`, `EVISA_SIGNING_CA_FILE`). When absent,
    /// development keys are generated under the data directory.
    pub signing_files: Option<(std::path::PathBuf, std::path::PathBuf, std::path::PathBuf)>,
    /// Seconds an issuance worker holds a job before another may take it over
    /// (`EVISA_ISSUANCE_LEASE_SECONDS`).
    pub issuance_lease_secs: u64,
    /// Milliseconds between polls of the issuance queue (`EVISA_ISSUANCE_POLL_MS`).
    pub issuance_poll_ms: u64,
    /// Whether this process runs an issuance worker (`EVISA_ISSUANCE_WORKER`, `on` or `off`).
    pub issuance_worker: bool,
    /// SMTP server (`EVISA_SMTP_URL`: `smtp://host:port`, `smtp://host:587?tls=required` for
    /// STARTTLS, `smtps://user:pass@host`); without it e-mails are written as `.eml` files under
    /// `<data dir>/mail`.
    pub smtp_url: Option<String>,
    /// Sender of e-mails (`EVISA_MAIL_FROM`).
    pub mail_from: String,
    /// Where applicants' links point (`EVISA_PORTAL_URL`, default the public URL).
    pub portal_url: String,
    /// First retry delay of a failed e-mail, in seconds; doubles with each attempt
    /// (`EVISA_MAIL_RETRY_SECONDS`).
    pub mail_retry_secs: f64,
    /// Attempts before an e-mail is marked failed (`EVISA_MAIL_MAX_ATTEMPTS`).
    pub mail_max_attempts: i32,
    /// Milliseconds between polls of the outbox (`EVISA_MAIL_POLL_MS`).
    pub mail_poll_ms: u64,
    /// Minutes a staff member's browser session survives without a request
    /// (`EVISA_STAFF_IDLE_MINUTES`, default 30).
    pub staff_idle_minutes: u64,
    /// Bearer token that opens `/metrics` to any address (`EVISA_METRICS_TOKEN`); without one,
    /// only the loopback address may read it.
    pub metrics_token: Option<String>,
    /// Seconds a stopping process gives the requests and jobs in flight
    /// (`EVISA_SHUTDOWN_SECONDS`, default 20).
    pub shutdown_secs: u64,
    /// Whether this process sends e-mails (`EVISA_MAIL_WORKER`, `on` or `off`).
    pub mail_worker: bool,
    /// Verification requests per second per API client, bursts of twice that
    /// (`EVISA_VERIFY_RATE_LIMIT`, 0: no limit).
    pub verify_rate_limit: u32,
    /// Requests per second per IP address on unauthenticated, login and verification routes
    /// (`EVISA_IP_RATE_LIMIT`, 0: no limit).
    pub ip_rate_limit: u32,
    /// Load balancers and reverse proxies whose `Forwarded` or `X-Forwarded-For` headers name
    /// the client (`EVISA_TRUSTED_PROXIES`: addresses and CIDR networks, separated by commas).
    /// Rate limits and sign-in throttling count the client so named; without this setting they
    /// count the connecting address and ignore those headers.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Stripe, when payments go through it (`EVISA_PAYMENT_PROVIDER=stripe` with the
    /// `EVISA_STRIPE_*` settings); without it, the built-in test provider.
    pub stripe: Option<crate::payment_providers::stripe::Settings>,
    /// Test-only: exit the process at a named point of issuance (`EVISA_FAULT_INJECTION`), to
    /// prove that a restart recovers.
    pub fault_injection: Option<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets are deliberately left out.
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database", &crate::db::redact_url(&self.database_url))
            .field("public_url", &self.public_url)
            .field("issuing_state", &self.issuing_state)
            .field("hq_post", &self.hq_post)
            .finish_non_exhaustive()
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        Some(raw) => raw.trim().parse().map_err(|e| anyhow::anyhow!("{name}: {e}")),
        None => Ok(default),
    }
}

fn switch(name: &str) -> anyhow::Result<bool> {
    match var(name).as_deref() {
        None | Some("on") => Ok(true),
        Some("off") => Ok(false),
        Some(other) => bail!("{name}: {other:?} is neither on nor off"),
    }
}

/// Parses `EVISA_TRUSTED_PROXIES`: addresses and networks (CIDR), separated by commas.
pub fn parse_trusted(list: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{item:?} is neither an IP address nor a network such as 10.0.0.0/8"))
        })
        .collect()
}

impl Config {
    /// The issuing state's name in `lang`.
    pub fn state_name(&self, lang: &str) -> &str {
        self.issuing_state_names.get(lang).map_or(&self.issuing_state_name, String::as_str)
    }

    /// The defaults for a given data directory, as used by `cargo run` and the tests.
    pub fn with_data_dir(data_dir: PathBuf) -> Config {
        let public_url = "http://127.0.0.1:8080".to_owned();
        Config {
            bind: "127.0.0.1:8080".into(),
            database_url: data_dir.join("evisa.db").to_string_lossy().into_owned(),
            data_dir,
            db_pool_size: 10,
            jwt_issuer: public_url.clone(),
            public_url,
            issuing_state: "UTO".into(),
            issuing_state_name: "Republic of Utopia".into(),
            issuing_state_names: [("ru", "Республика Утопия"), ("kk", "Утопия Республикасы")]
                .into_iter()
                .map(|(lang, name)| (lang.to_owned(), name.to_owned()))
                .collect(),
            hq_post: "UTO-HQ".into(),
            jwt_secret: None,
            log_hmac_secret: None,
            payment_secret: None,
            staff_idle_minutes: 30,
            metrics_token: None,
            jwt_audience: "evisa-api".into(),
            jwt_ttl_secs: 1800,
            admin_email: "admin@evisa.local".into(),
            admin_password: None,
            storage_url: None,
            login_burst: 5,
            login_period_secs: 60,
            appeal_information:
                "You may appeal against this decision within 30 days of receiving it, in writing to the \
                consular post that decided it, quoting the case reference. The appeal is examined by the Ministry of \
                Foreign Affairs, which answers within 60 days."
                    .into(),
            signing_files: None,
            issuance_lease_secs: 120,
            issuance_poll_ms: 500,
            issuance_worker: true,
            smtp_url: None,
            mail_from: "e-Visa service <noreply@evisa.local>".into(),
            portal_url: "http://127.0.0.1:8080".into(),
            mail_retry_secs: 5.0,
            mail_max_attempts: 10,
            mail_poll_ms: 500,
            mail_worker: true,
            shutdown_secs: 20,
            verify_rate_limit: 50,
            ip_rate_limit: 100,
            trusted_proxies: Vec::new(),
            stripe: None,
            fault_injection: None,
        }
    }

    /// Reads the configuration from the environment.
    pub fn from_env() -> anyhow::Result<Config> {
        let data_dir = PathBuf::from(var("EVISA_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let mut config = Config::with_data_dir(data_dir);
        if let Some(url) = var("DATABASE_URL") {
            config.database_url = url;
        }
        if let Some(bind) = var("EVISA_BIND") {
            config.bind = bind;
        }
        if let Some(url) = var("EVISA_PUBLIC_URL") {
            config.public_url = url.trim_end_matches('/').to_owned();
        } else {
            config.public_url = format!("http://{}", config.bind);
        }
        config.jwt_issuer = var("EVISA_JWT_ISSUER").unwrap_or_else(|| config.public_url.clone());
        config.portal_url =
            var("EVISA_PORTAL_URL").unwrap_or_else(|| config.public_url.clone()).trim_end_matches('/').to_owned();
        config.smtp_url = var("EVISA_SMTP_URL");
        if let Some(from) = var("EVISA_MAIL_FROM") {
            config.mail_from = from;
        }
        config.mail_retry_secs = parsed("EVISA_MAIL_RETRY_SECONDS", config.mail_retry_secs)?;
        config.mail_max_attempts = parsed("EVISA_MAIL_MAX_ATTEMPTS", config.mail_max_attempts)?;
        config.mail_poll_ms = parsed("EVISA_MAIL_POLL_MS", config.mail_poll_ms)?;
        if let Some(state) = var("EVISA_ISSUING_STATE") {
            if state.parse::<crate::domain::country::CountryCode>().is_err() {
                bail!("EVISA_ISSUING_STATE: {state:?} is not an ICAO state code");
            }
            config.hq_post = format!("{state}-HQ");
            config.issuing_state = state;
        }
        if let Some(name) = var("EVISA_ISSUING_STATE_NAME") {
            config.issuing_state_name = name;
        }
        for lang in ["ru", "kk"] {
            let cldr = crate::domain::countries::name(&config.issuing_state, lang).map(str::to_owned);
            if let Some(name) = var(&format!("EVISA_ISSUING_STATE_NAME_{}", lang.to_uppercase())).or(cldr) {
                config.issuing_state_names.insert(lang.to_owned(), name);
            }
        }
        if let Some(post) = var("EVISA_HQ_POST") {
            config.hq_post = post;
        }
        config.jwt_secret = var("EVISA_JWT_SECRET");
        config.log_hmac_secret = var("EVISA_LOG_HMAC_SECRET");
        config.payment_secret = var("EVISA_PAYMENT_SECRET");
        config.metrics_token = var("EVISA_METRICS_TOKEN");
        config.staff_idle_minutes = parsed("EVISA_STAFF_IDLE_MINUTES", config.staff_idle_minutes)?;
        if let Some(audience) = var("EVISA_JWT_AUDIENCE") {
            config.jwt_audience = audience;
        }
        config.jwt_ttl_secs = parsed("EVISA_JWT_TTL_SECONDS", config.jwt_ttl_secs)?;
        config.db_pool_size = parsed("EVISA_DB_POOL_SIZE", config.db_pool_size)?;
        if let Some(email) = var("EVISA_ADMIN_EMAIL") {
            config.admin_email = email;
        }
        config.admin_password = var("EVISA_ADMIN_PASSWORD");
        config.storage_url = var("EVISA_STORAGE_URL");
        config.login_burst = parsed("EVISA_LOGIN_BURST", config.login_burst)?;
        config.login_period_secs = parsed("EVISA_LOGIN_PERIOD_SECONDS", config.login_period_secs)?;
        match (var("EVISA_SIGNING_KEY_FILE"), var("EVISA_SIGNING_CERT_FILE"), var("EVISA_SIGNING_CA_FILE")) {
            (Some(key), Some(cert), Some(ca)) => config.signing_files = Some((key.into(), cert.into(), ca.into())),
            (None, None, None) => {}
            _ => bail!("EVISA_SIGNING_KEY_FILE, EVISA_SIGNING_CERT_FILE and EVISA_SIGNING_CA_FILE go together"),
        }
        config.issuance_lease_secs = parsed("EVISA_ISSUANCE_LEASE_SECONDS", config.issuance_lease_secs)?;
        config.issuance_poll_ms = parsed("EVISA_ISSUANCE_POLL_MS", config.issuance_poll_ms)?;
        config.fault_injection = var("EVISA_FAULT_INJECTION");
        config.verify_rate_limit = parsed("EVISA_VERIFY_RATE_LIMIT", config.verify_rate_limit)?;
        config.ip_rate_limit = parsed("EVISA_IP_RATE_LIMIT", config.ip_rate_limit)?;
        if let Some(list) = var("EVISA_TRUSTED_PROXIES") {
            config.trusted_proxies = parse_trusted(&list).map_err(|e| anyhow::anyhow!("EVISA_TRUSTED_PROXIES: {e}"))?;
        }
        match var("EVISA_PAYMENT_PROVIDER").as_deref() {
            None | Some("test") => {}
            Some("stripe") => {
                let required = |name: &str| var(name).with_context(|| format!("{name} is required with Stripe"));
                config.stripe = Some(crate::payment_providers::stripe::Settings {
                    secret_key: required("EVISA_STRIPE_SECRET_KEY")?,
                    publishable_key: required("EVISA_STRIPE_PUBLISHABLE_KEY")?,
                    webhook_secret: required("EVISA_STRIPE_WEBHOOK_SECRET")?,
                    api_url: var("EVISA_STRIPE_API_URL")
                        .unwrap_or_else(|| "https://api.stripe.com".into())
                        .trim_end_matches('/')
                        .to_owned(),
                    js_url: var("EVISA_STRIPE_JS_URL").unwrap_or_else(|| "https://js.stripe.com/v3/".into()),
                });
            }
            Some(other) => bail!("EVISA_PAYMENT_PROVIDER: {other:?} is neither test nor stripe"),
        }
        config.issuance_worker = switch("EVISA_ISSUANCE_WORKER")?;
        config.mail_worker = switch("EVISA_MAIL_WORKER")?;
        config.shutdown_secs = parsed("EVISA_SHUTDOWN_SECONDS", config.shutdown_secs)?;
        if let Some(text) = var("EVISA_APPEAL_INFORMATION") {
            config.appeal_information = text;
        }
        config.validate()?;
        Ok(config)
    }

    /// Refuses settings the service cannot work with.
    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(secret) = &self.jwt_secret
            && secret.len() < 32
        {
            bail!("EVISA_JWT_SECRET must be at least 32 bytes long");
        }
        if let Some(secret) = &self.log_hmac_secret
            && secret.len() < 32
        {
            bail!("EVISA_LOG_HMAC_SECRET must be at least 32 bytes long");
        }
        if let Some(secret) = &self.payment_secret
            && secret.len() < 32
        {
            bail!("EVISA_PAYMENT_SECRET must be at least 32 bytes long");
        }
        if self.jwt_ttl_secs == 0 || self.db_pool_size == 0 || self.login_burst == 0 || self.login_period_secs == 0 {
            bail!(
                "EVISA_JWT_TTL_SECONDS, EVISA_DB_POOL_SIZE, EVISA_LOGIN_BURST and EVISA_LOGIN_PERIOD_SECONDS must be positive"
            );
        }
        self.admin_email.parse::<crate::domain::email::Email>().context("EVISA_ADMIN_EMAIL")?;
        self.mail_from.parse::<lettre::message::Mailbox>().context("EVISA_MAIL_FROM")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_addresses_and_networks_and_a_wrong_one_is_named() {
        assert_eq!(parse_trusted("").unwrap(), Vec::<ipnet::IpNet>::new());
        assert_eq!(parse_trusted("::1, 172.16.0.0/12").unwrap().len(), 2);
        assert!(parse_trusted("10.0.0.0/8, proxy.local").unwrap_err().contains("proxy.local"));
    }
}
