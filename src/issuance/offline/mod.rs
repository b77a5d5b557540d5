//! The offline verification kit a border post downloads once a day: the trust list (every signer
//! of documents still valid, for QR tokens, PDF signatures and seals, with its certificate and
//! the CA's) and the revocation file. Each is a compact JWS signed by the active document signer,
//! its certificate chain in `x5c`, valid for two days. Nodes that hold the signing key publish
//! both into the document store at start, when a revocation or the active signer changes, and
//! every ten minutes; every node serves the latest. [`check`] verifies a document against them
//! with no network.

pub mod check;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use der::{DecodePem, Encode};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use std::sync::Weak;
use std::time::{Duration, Instant};

use super::driver::Issuance;
use super::e_visa::seal::SealSigner;
use super::kit::keys::Signer;
use crate::db::{AnyConnection, issued_documents, keys as key_rows};

/// Where the signed trust list is kept in the document store.
pub const TRUST_LIST: &str = "published/trust-list.jws";
/// Where the signed revocation file is kept in the document store.
pub const REVOCATIONS: &str = "published/revocations.jws";
/// How long a published file may be relied on: a day between downloads and a day of grace.
pub const LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(2);
/// How often the files are signed again even when nothing changed.
const REPUBLISH_EVERY: Duration = Duration::from_secs(600);
/// How long after a failed publication it is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(30);
/// How often the publisher reads which signer is active.
const READ_SIGNER_EVERY: Duration = Duration::from_secs(5);
/// How often the publisher looks for changes.
const LOOK_EVERY: Duration = Duration::from_millis(250);

/// The signers a verifier may trust, as published.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrustList {
    /// The issuing state.
    pub iss: String,
    /// When it was signed (seconds since the epoch).
    pub iat: i64,
    /// When it stops being relied on.
    pub exp: i64,
    /// Every signer of documents still valid, and the active signer.
    pub signers: Vec<TrustedSigner>,
}

/// One signer of the trust list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrustedSigner {
    /// The key id QR tokens name.
    pub kid: String,
    /// What it signs: `qr_token`, `pdf`, `seal`.
    pub uses: Vec<String>,
    /// How seals name it, its certificate, the CA's, and when the certificate is valid.
    #[serde(flatten)]
    pub signer: SealSigner,
}

/// The revoked e-visas, as published.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevocationFile {
    /// The issuing state.
    pub iss: String,
    /// When it was signed (seconds since the epoch).
    pub iat: i64,
    /// When it stops being relied on.
    pub exp: i64,
    /// Every revoked e-visa.
    pub revoked: Vec<Revoked>,
}

/// One revoked e-visa.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revoked {
    /// Its number.
    pub visa_number: String,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The signers of documents still valid and the active signer, once each.
pub fn signer_rows(conn: &mut AnyConnection) -> diesel::QueryResult<Vec<key_rows::KeyRow>> {
    let mut kids = issued_documents::kids_in_force(conn, Utc::now().date_naive())?;
    if let Some(active) = key_rows::active(conn)? {
        kids.push(active.kid);
    }
    kids.sort();
    kids.dedup();
    let mut rows = Vec::new();
    for kid in kids {
        rows.extend(key_rows::find(conn, &kid)?);
    }
    Ok(rows)
}

/// The trust list as it stands.
pub fn trust_list(conn: &mut AnyConnection, issuing_state: &str, now: DateTime<Utc>) -> anyhow::Result<TrustList> {
    let mut signers = Vec::new();
    for row in signer_rows(conn)? {
        if let (Some(certificate), Some(ca)) = (&row.certificate_pem, &row.ca_certificate_pem) {
            signers.push(TrustedSigner {
                kid: row.kid.clone(),
                uses: ["qr_token", "pdf", "seal"].map(str::to_owned).to_vec(),
                signer: SealSigner::new(issuing_state, certificate, ca)?,
            });
        }
    }
    Ok(TrustList { iss: issuing_state.to_owned(), iat: now.timestamp(), exp: (now + LIFETIME).timestamp(), signers })
}

/// The revocation file as it stands.
pub fn revocation_file(
    conn: &mut AnyConnection,
    issuing_state: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<RevocationFile> {
    let revoked = issued_documents::revoked_visas(conn, None, i64::MAX)?
        .into_iter()
        .map(|(visa_number, at, _)| Revoked { visa_number, revoked_at: at.map(|at| at.and_utc()) })
        .collect();
    Ok(RevocationFile {
        iss: issuing_state.to_owned(),
        iat: now.timestamp(),
        exp: (now + LIFETIME).timestamp(),
        revoked,
    })
}

/// `payload` as a compact JWS signed by `signer`, whose certificate and CA certificate are in
/// `x5c`.
pub fn sign<T: Serialize>(payload: &T, typ: &str, signer: &Signer) -> anyhow::Result<String> {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(signer.kid.clone());
    header.typ = Some(typ.to_owned());
    header.x5c =
        Some(vec![STANDARD.encode(signer.certificate.to_der()?), STANDARD.encode(signer.ca_certificate.to_der()?)]);
    let key = EncodingKey::from_ec_pem(signer.pkcs8_pem()?.as_bytes())?;
    Ok(jsonwebtoken::encode(&header, payload, &key)?)
}

/// Signs both files with the active signer and stores them.
pub async fn publish(issuance: &Issuance<'_>) -> anyhow::Result<()> {
    let state = &issuance.config.issuing_state;
    let now = Utc::now();
    let mut conn = issuance.db.conn()?;
    let signer = issuance.keys.active(&mut conn)?;
    let trust = sign(&trust_list(&mut conn, state, now)?, "evisa-trust-list+jwt", &signer)?;
    let revocations = sign(&revocation_file(&mut conn, state, now)?, "evisa-revocations+jwt", &signer)?;
    drop(conn);
    issuance.documents.put(TRUST_LIST, Bytes::from(trust)).await?;
    issuance.documents.put(REVOCATIONS, Bytes::from(revocations)).await
}

/// What the publisher needs of the running service.
pub trait Publishes: Send + Sync + 'static {
    /// The database, the signers, the document store and the configuration.
    fn issuance(&self) -> Issuance<'_>;
}

/// Starts the thread that publishes the files while `state` lives: at once, then when a
/// revocation is seen or the active signer changes, and every ten minutes.
pub fn start_publisher<S: Publishes>(state: Weak<S>) -> std::io::Result<()> {
    std::thread::Builder::new().name("publisher".into()).spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        let mut published: Option<(u64, Option<String>)> = None;
        // The next publication whatever changes, and none before `held` (after a failure).
        let (mut due, mut held) = (Instant::now(), Instant::now());
        // The active signer, read every few seconds: it changes by an administrator's hand.
        let (mut active, mut read_at): (Option<String>, Option<Instant>) = (None, None);
        while let Some(state) = state.upgrade() {
            let issuance = state.issuance();
            let now = Instant::now();
            if read_at.is_none_or(|at| now.duration_since(at) >= READ_SIGNER_EVERY) {
                let row = issuance.db.conn().ok().and_then(|mut conn| key_rows::active(&mut conn).ok()).flatten();
                (active, read_at) = (row.map(|k| k.kid), Some(now));
            }
            let stamp = (issuance.db.revocations().seen(), active.clone());
            if (published.as_ref() != Some(&stamp) && now >= held) || now >= due {
                match runtime.block_on(publish(&issuance)) {
                    Ok(()) => {
                        published = Some(stamp);
                        due = now + REPUBLISH_EVERY;
                    }
                    Err(err) => {
                        tracing::warn!(error = %format!("{err:#}"), "could not publish the offline kit");
                        (due, held) = (now + RETRY_AFTER, now + RETRY_AFTER);
                    }
                }
            }
            drop(state);
            std::thread::sleep(LOOK_EVERY);
        }
    })?;
    Ok(())
}

/// A certificate (PEM) as DER, for comparing a pinned CA with the one a file carries.
pub fn pem_to_der(pem: &str) -> anyhow::Result<Vec<u8>> {
    Ok(x509_cert::Certificate::from_pem(pem).context("not a PEM certificate")?.to_der()?)
}
