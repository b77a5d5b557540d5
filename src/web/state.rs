//! What every request handler shares: the state of the web layer, built by
//! [`crate::startup`]. Nothing below the web layer sees it; use cases, issuers, the mailer and
//! the job runners take the narrow parts they use.

use std::sync::Arc;

use crate::auth::failures::SignInThrottle;
use crate::auth::jwt::TokenService;
use crate::auth::throttle::LoginThrottle;
use crate::check_log::CheckLog;
use crate::config::Config;
use crate::db::Db;
use crate::issuance::kit::keyring::KeyRing;
use crate::notify::mailer::Transport;
use crate::ratelimit::RateLimits;
use crate::storage::DocumentStore;

/// What every request handler shares.
pub struct AppState {
    /// The configuration.
    pub config: Arc<Config>,
    /// The database.
    pub db: Db,
    /// Access tokens.
    pub tokens: TokenService,
    /// Uploaded documents.
    pub documents: DocumentStore,
    /// Which sessions still hold.
    pub sessions: crate::auth::sessions::Sessions,
    /// Login attempts per account.
    pub login_throttle: LoginThrottle,
    /// Wrong passwords, per account and address and per account.
    pub sign_ins: SignInThrottle,
    /// The payment provider.
    pub payments: crate::payment_providers::Provider,
    /// Document signers.
    pub keys: KeyRing,
    /// Where e-mails go.
    pub mailer: Transport,
    /// Rate limits of clients and addresses.
    pub limits: RateLimits,
    /// The verification log writer.
    pub checks: CheckLog,
    /// Issued visas kept for verification.
    pub visa_cache: Arc<crate::visa_cache::VisaCache<crate::app::verification::KnownVisa>>,
    /// Every e-visa number recorded, for checks of numbers never issued.
    pub issued_numbers: Arc<crate::visa_cache::IssuedNumbers>,
    /// The keys that sign QR tokens, decoded once.
    pub token_keys: Arc<crate::app::verification::TokenKeys>,
    /// QR tokens whose signature verified.
    pub verified_tokens: crate::app::verification::VerifiedTokens,
    /// The catalogue the portal's busiest pages show.
    pub catalogue: Arc<crate::catalogue_cache::CatalogueCache>,
    /// The statistics' decision times, by post, kept while the post's counts stay the same.
    pub decision_pace: crate::decision_pace::PaceMemo,
    /// Failed share-code checks, per address.
    pub share_checks: crate::auth::failures::FailureThrottle,
    /// Key of the passport-number digests in the verification log.
    pub log_key: Vec<u8>,
    /// Key of the payment provider's callback signatures.
    pub payment_key: Vec<u8>,
    /// Set once the process is stopping: answers then close their connections.
    pub draining: std::sync::atomic::AtomicBool,
    /// API clients recently authenticated, by key prefix, with when they were loaded.
    pub client_cache:
        std::sync::Mutex<std::collections::HashMap<String, (Arc<crate::db::clients::ClientRow>, std::time::Instant)>>,
}

impl crate::issuance::offline::Publishes for AppState {
    fn issuance(&self) -> crate::issuance::driver::Issuance<'_> {
        crate::jobs::Resources::issuance(self)
    }
}

impl crate::jobs::Resources for AppState {
    fn db(&self) -> &Db {
        &self.db
    }

    fn config(&self) -> &Config {
        &self.config
    }

    fn issuance(&self) -> crate::issuance::driver::Issuance<'_> {
        crate::issuance::driver::Issuance {
            db: &self.db,
            keys: &self.keys,
            documents: &self.documents,
            config: &self.config,
        }
    }

    fn delivery(&self) -> crate::notify::mailer::Delivery<'_> {
        crate::notify::mailer::Delivery {
            db: &self.db,
            config: &self.config,
            documents: &self.documents,
            transport: &self.mailer,
        }
    }
}
