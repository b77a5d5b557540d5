//! Where uploaded documents live: a local directory by default, or S3-compatible storage, behind
//! `object_store`'s one interface so several servers can share it.

use anyhow::Context;
use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, PutPayload};
use std::sync::Arc;

use crate::config::Config;

/// The document store.
#[derive(Clone)]
pub struct DocumentStore {
    inner: Arc<dyn ObjectStore>,
}

impl DocumentStore {
    /// Opens the store named by the configuration.
    pub fn open(config: &Config) -> anyhow::Result<DocumentStore> {
        let inner: Arc<dyn ObjectStore> = match config.storage_url.as_deref() {
            Some(url) if url.starts_with("s3://") => {
                let rest = &url["s3://".len()..];
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                let s3 =
                    AmazonS3Builder::from_env().with_bucket_name(bucket).build().context("configuring S3 storage")?;
                let prefix = prefix.trim_matches('/');
                if prefix.is_empty() { Arc::new(s3) } else { Arc::new(PrefixStore::new(s3, prefix)) }
            }
            other => {
                let dir = match other {
                    Some(url) => std::path::PathBuf::from(url.strip_prefix("file://").unwrap_or(url)),
                    None => config.data_dir.join("documents"),
                };
                std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
                Arc::new(LocalFileSystem::new_with_prefix(&dir).with_context(|| format!("opening {}", dir.display()))?)
            }
        };
        Ok(DocumentStore { inner })
    }

    /// Stores `bytes` under `key`.
    pub async fn put(&self, key: &str, bytes: Bytes) -> anyhow::Result<()> {
        self.inner
            .put(&Path::from(key), PutPayload::from_bytes(bytes))
            .await
            .with_context(|| format!("storing {key}"))?;
        Ok(())
    }

    /// Reads the object under `key`.
    pub async fn get(&self, key: &str) -> anyhow::Result<Bytes> {
        let object = self.inner.get(&Path::from(key)).await.with_context(|| format!("reading {key}"))?;
        Ok(object.bytes().await?)
    }

    /// Deletes the object under `key`; a missing object is not an error.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.inner.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err).with_context(|| format!("deleting {key}")),
        }
    }
}
