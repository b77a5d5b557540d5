//! The document signers the service knows: their records in the database, their private keys
//! in files, loaded once and cached. A key file under the data directory is recorded relative to
//! it, so a data directory restored on another path (a new host, a container volume) still signs.

use anyhow::{Context, bail};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::keys::{self, Signer};
use crate::config::Config;
use crate::db::keys::{self as key_rows, KeyRow};
use crate::db::{self, AnyConnection, Db};

/// Loads signers by key id.
pub struct KeyRing {
    data_dir: PathBuf,
    cache: Mutex<HashMap<String, Arc<Signer>>>,
}

impl KeyRing {
    /// A key ring over the data directory `data_dir` that knows `configured` (the signer this
    /// process was given in files) without reading the key file path recorded in the database:
    /// on several nodes, each worker node keeps the key where it likes, and nodes that do not
    /// sign keep none.
    pub fn with_configured(data_dir: PathBuf, configured: Option<Signer>) -> KeyRing {
        let mut cache = HashMap::new();
        if let Some(signer) = configured {
            cache.insert(signer.kid.clone(), Arc::new(signer));
        }
        KeyRing { data_dir, cache: Mutex::new(cache) }
    }

    /// The signer with this key id.
    pub fn signer(&self, conn: &mut AnyConnection, kid: &str) -> anyhow::Result<Arc<Signer>> {
        if let Some(signer) = self.cache.lock().map_err(|_| anyhow::anyhow!("key cache poisoned"))?.get(kid) {
            return Ok(signer.clone());
        }
        let row = key_rows::find(conn, kid)?.with_context(|| format!("no signing key {kid}"))?;
        let signer = Arc::new(load(&self.data_dir, &row)?);
        self.cache.lock().map_err(|_| anyhow::anyhow!("key cache poisoned"))?.insert(kid.to_owned(), signer.clone());
        Ok(signer)
    }

    /// The signer of new visas.
    pub fn active(&self, conn: &mut AnyConnection) -> anyhow::Result<Arc<Signer>> {
        let row = key_rows::active(conn)?.context("no active signing key: activate one with `evisa keys activate`")?;
        self.signer(conn, &row.kid)
    }
}

/// Loads the signer of `row`, its key file found under `data_dir` when recorded relative to it.
pub fn load(data_dir: &Path, row: &KeyRow) -> anyhow::Result<Signer> {
    let (Some(cert), Some(ca)) = (&row.certificate_pem, &row.ca_certificate_pem) else {
        bail!("signing key {} has no certificate yet", row.kid);
    };
    keys::load_signer(&key_path(data_dir, &row.key_file), cert, ca, row.development)
}

/// Where a recorded key file is: relative paths are under the data directory.
pub fn key_path(data_dir: &Path, recorded: &str) -> PathBuf {
    data_dir.join(recorded)
}

/// How a key file is recorded: relative to the data directory when under it, else as given.
pub fn recorded_path(data_dir: &Path, key_file: &Path) -> String {
    key_file.strip_prefix(data_dir).unwrap_or(key_file).to_string_lossy().into_owned()
}

/// Records key files that earlier releases kept with the data directory's path in front
/// relative to the data directory: those under it, and those of another data directory (this
/// one restored or moved) whose file this one holds at the same place, which is the copy this
/// node signs with. Returns how many were rewritten.
pub fn relocate_key_files(conn: &mut AnyConnection, data_dir: &Path) -> anyhow::Result<usize> {
    let mut moved = 0;
    for row in key_rows::list(conn)? {
        let recorded = Path::new(&row.key_file);
        let relative = match recorded.strip_prefix(data_dir) {
            Ok(inside) => Some(inside.to_path_buf()),
            Err(_) if !recorded.is_absolute() => None,
            // keys/<file> of the old data directory, if this one holds it.
            Err(_) => recorded
                .parent()
                .and_then(Path::file_name)
                .zip(recorded.file_name())
                .map(|(dir, file)| Path::new(dir).join(file))
                .filter(|candidate| data_dir.join(candidate).is_file()),
        };
        if let Some(relative) = relative {
            key_rows::set_key_file(conn, &row.kid, &relative.to_string_lossy())?;
            tracing::info!(kid = %row.kid, file = %relative.display(), "key file recorded relative to the data directory");
            moved += 1;
        }
    }
    Ok(moved)
}

/// Records a signer whose private key is in `key_file`; `status` is `active` or `pending`.
pub fn record(
    conn: &mut AnyConnection,
    data_dir: &Path,
    signer: &Signer,
    key_file: &Path,
    status: &str,
) -> anyhow::Result<()> {
    let now = db::now();
    key_rows::insert(
        conn,
        &KeyRow {
            kid: signer.kid.clone(),
            certificate_pem: Some(signer.certificate_pem()?),
            ca_certificate_pem: Some(signer.ca_certificate_pem()?),
            key_file: recorded_path(data_dir, key_file),
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
    relocate_key_files(&mut conn, &config.data_dir)?;
    if let Some((key_file, cert_file, ca_file)) = &config.signing_files {
        let cert = std::fs::read_to_string(cert_file).with_context(|| format!("reading {}", cert_file.display()))?;
        let ca = std::fs::read_to_string(ca_file).with_context(|| format!("reading {}", ca_file.display()))?;
        let signer = keys::load_signer(key_file, &cert, &ca, false)?;
        match key_rows::find(&mut conn, &signer.kid)? {
            None => {
                record(&mut conn, &config.data_dir, &signer, key_file, "active")?;
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
    record(&mut conn, &config.data_dir, &signer, &key_file, "active")?;
    tracing::warn!(
        kid = %signer.kid,
        dir = %keys::dev_dir(&config.data_dir).display(),
        "NO SIGNING KEYS CONFIGURED: generated a DEVELOPMENT country signing CA and document signer. \
         E-visas signed with it say SPECIMEN and are not valid for travel. Set EVISA_SIGNING_KEY_FILE, \
         EVISA_SIGNING_CERT_FILE and EVISA_SIGNING_CA_FILE for production."
    );
    Ok(None)
}
