//! Backups of a node: the database and what the data directory keeps (keys, secrets, documents
//! stored locally). A backup is laid out as a data directory, so restoring is starting the
//! service on it, on any path: key files are recorded relative to the data directory.
//!
//! SQLite is copied online and consistently with `VACUUM INTO` (writers go on meanwhile).
//! PostgreSQL is backed up with `pg_dump` and documents in S3 by the object store's own means;
//! this command then copies the files only, and says so.

use anyhow::{Context, bail};
use diesel::connection::SimpleConnection;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::db::{Backend, Db};

/// The parts of the data directory a backup copies (the mail directory holds only copies of
/// sent e-mails, some with codes in them, and is left out).
const COPIED: [&str; 3] = ["keys", "secrets", "documents"];

/// What a backup holds.
#[derive(Debug, Default)]
pub struct Summary {
    /// Whether the database is in the backup (SQLite) or must be dumped apart (PostgreSQL).
    pub database_copied: bool,
    /// Files copied from the data directory.
    pub files: usize,
    /// Whether the documents live in an object store the backup does not hold.
    pub documents_elsewhere: bool,
}

/// Copies `from` into `to` (created readable by its owner only); the number of files.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<usize> {
    create_private_dir(to)?;
    let mut files = 0;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            files += copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).with_context(|| format!("copying {}", entry.path().display()))?;
            restrict(&target, 0o600)?;
            files += 1;
        }
    }
    Ok(files)
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    restrict(dir, 0o700)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?)
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> anyhow::Result<()> {
    Ok(())
}

/// Backs up the node of `config` into `dest`, a directory that must be new or empty.
pub fn backup(config: &Config, dest: &Path) -> anyhow::Result<Summary> {
    if dest.exists() && std::fs::read_dir(dest)?.next().is_some() {
        bail!("{} is not empty: back up into a new directory", dest.display());
    }
    create_private_dir(dest)?;
    let mut summary = Summary::default();
    if Backend::of_url(&config.database_url) == Backend::Sqlite {
        let db = Db::connect(&config.database_url, 1)?;
        let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
        let target: PathBuf = dest.join("evisa.db");
        let quoted = target.to_string_lossy().replace('\'', "''");
        conn.batch_execute(&format!("VACUUM INTO '{quoted}'"))?;
        restrict(&target, 0o600)?;
        summary.database_copied = true;
    }
    let local_documents = config.storage_url.is_none();
    summary.documents_elsewhere = !local_documents;
    for part in COPIED {
        let from = config.data_dir.join(part);
        if (part != "documents" || local_documents) && from.is_dir() {
            summary.files += copy_tree(&from, &dest.join(part))?;
        }
    }
    Ok(summary)
}
