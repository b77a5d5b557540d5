//! The document signers the service knows: their records in the database, their private keys
//! in files, loaded once and cached.

use anyhow::{Context, bail};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::keys::{self, Signer};
use crate::config::Config;
use crate::db::keys::{self as key_rows, KeyRow};
use crate::db::{self, AnyConnection, Db};

/// Loads signers by key id.
pub struct KeyRing {
    cache: Mutex<HashMap<String, Arc<Signer>>>,
}

impl Default for KeyRing {
    fn default() -> Self {
        KeyRing { cache: Mutex::new(HashMap::new()) }
    }
}

impl KeyRing {
    /// A key ring that knows `configured` (the signer this process was given in files) without
    /// reading the key file path recorded in the database: on several nodes, each worker node
    /// keeps the key where it likes, and nodes that do not sign keep none.
    pub fn with_configured(configured: Option<Signer>) -> KeyRing {
        let ring = KeyRing::default();
        if let (Some(signer), Ok(mut cache)) = (configured, ring.cache.lock()) {
            cache.insert(signer.kid.clone(), Arc::new(signer));
        }
        ring
    }

    /// The signer with this key id.
    pub fn signer(&self, conn: &mut AnyConnection, kid: &str) -> anyhow::Result<Arc<Signer>> {
        if let Some(signer) = self.cache.lock().map_err(|_| anyhow::anyhow!("key cache poisoned"))?.get(kid) {
            return Ok(signer.clone());
        }
        let row = key_rows::find(conn, kid)?.with_context(|| format!("no signing key {kid}"))?;
        let signer = Arc::new(load(&row)?);
        self.cache.lock().map_err(|_| anyhow::anyhow!("key cache poisoned"))?.insert(kid.to_owned(), signer.clone());
        Ok(signer)
    }

    /// The signer of new visas.
    pub fn active(&self, conn: &mut AnyConnection) -> anyhow::Result<Arc<Signer>> {
        let row = key_rows::active(conn)?.context("no active signing key: activate one with `evisa keys activate`")?;
        self.signer(conn, &row.kid)
    }
}

fn load(row: &KeyRow) -> anyhow::Result<Signer> {
    let (Some(cert), Some(ca)) = (&row.certificate_pem, &row.ca_certificate_pem) else {
        bail!("signing key {} has no certificate yet", row.kid);
    };
    keys::load_signer(&PathBuf::from(&row.key_file), cert, ca, row.development)
}

/// Records a signer; `status` is `active` or `pending`.
pub fn record(
    conn: &mut AnyConnection,
    signer: &Signer,
    key_file: &std::path::Path,
    status: &str,
) -> anyhow::Result<()> {
    let now = db::now();
    key_rows::insert(
        conn,
        &KeyRow {
            kid: signer.kid.clone(),
            certificate_pem: Some(signer.certificate_pem()?),
            ca_certificate_pem: Some(signer.ca_certificate_pem()?),
            key_file: key_file.to_string_lossy().into_owned(),
            status: status.into(),
            development: signer.development,
            created_at: now,
            activated_at: (status == "active").then_some(now),
            retired_at: None,
        },
    )?;
    Ok(())
}

/// Makes sure a signer is active: the configured PEM files if given (imported on first sight),
/// otherwise a development signer generated under the data directory, said loudly. Returns the
/// configured signer.
pub fn ensure_active(db: &Db, config: &Config) -> anyhow::Result<Option<Signer>> {
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some((key_file, cert_file, ca_file)) = &config.signing_files {
        let cert = std::fs::read_to_string(cert_file).with_context(|| format!("reading {}", cert_file.display()))?;
        let ca = std::fs::read_to_string(ca_file).with_context(|| format!("reading {}", ca_file.display()))?;
        let signer = keys::load_signer(key_file, &cert, &ca, false)?;
        match key_rows::find(&mut conn, &signer.kid)? {
            None => {
                record(&mut conn, &signer, key_file, "active")?;
                tracing::info!(kid = %signer.kid, "imported and activated the configured document signer");
            }
            Some(row) if row.status != "active" => {
                key_rows::set_status(&mut conn, &signer.kid, "active", None, db::now())?;
            }
            Some(_) => {}
        }
        return Ok(Some(signer));
    }
    if key_rows::active(&mut conn)?.is_some() {
        return Ok(None);
    }
    let (signer, key_file) = keys::new_dev_signer(&config.data_dir, &config.issuing_state, &config.issuing_state_name)?;
    record(&mut conn, &signer, &key_file, "active")?;
    tracing::warn!(
        kid = %signer.kid,
        dir = %keys::dev_dir(&config.data_dir).display(),
        "NO SIGNING KEYS CONFIGURED: generated a DEVELOPMENT country signing CA and document signer. \
         E-visas signed with it say SPECIMEN and are not valid for travel. Set EVISA_SIGNING_KEY_FILE, \
         EVISA_SIGNING_CERT_FILE and EVISA_SIGNING_CA_FILE for production."
    );
    Ok(None)
}
