//! Image decoding off the request threads: on the blocking pool and a bounded number at once,
//! so uploads and share checks together cannot take every core or the memory.

use tokio::sync::Semaphore;

/// Image decodes that may run at once, each bounded by
/// [`crate::domain::document::DECODE_MEMORY_LIMIT`].
pub const CONCURRENT_DECODES: usize = 2;

/// The permits of [`CONCURRENT_DECODES`].
pub(crate) static DECODING: Semaphore = Semaphore::const_new(CONCURRENT_DECODES);

/// Runs `decode` on the blocking pool once one of the permits is free.
pub async fn bounded<T: Send + 'static>(decode: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
    let _permit = DECODING.acquire().await?;
    Ok(tokio::task::spawn_blocking(decode).await?)
}
