//! Password hashing with Argon2id.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

/// Argon2 computations that may run at once. Each takes 19 MiB and tens of milliseconds of a
/// core; bounding them keeps a flood of logins or resets from starving the blocking pool that
/// every database call shares.
pub const CONCURRENT_HASHES: usize = 2;

/// Argon2 computations that may wait for their turn; more are shed at once rather than queued
/// behind seconds of work (a flood under the rate limits must not slow everyone's sign-in).
pub const QUEUED_HASHES: usize = 16;

/// How long a computation waits for its turn before it is shed.
pub const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

static HASHING: Semaphore = Semaphore::const_new(CONCURRENT_HASHES);
static WAITING: AtomicUsize = AtomicUsize::new(0);

/// Why a bounded computation did not run.
#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    /// Too many are waiting already: try again in a moment.
    #[error("too many passwords are being checked at once")]
    Busy,
    /// The computation itself failed.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Counts a waiter while it lives.
struct Waiting;

impl Waiting {
    fn join() -> Option<Waiting> {
        let before = WAITING.fetch_add(1, Ordering::AcqRel);
        if before >= QUEUED_HASHES {
            WAITING.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Waiting)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs an Argon2 computation on the blocking pool, at most [`CONCURRENT_HASHES`] at a time,
/// with at most [`QUEUED_HASHES`] waiting, each at most [`MAX_WAIT`]; beyond that it is shed
/// ([`HashingError::Busy`]).
pub async fn bounded<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashingError> {
    let waiting = Waiting::join().ok_or(HashingError::Busy)?;
    let permit = tokio::time::timeout(MAX_WAIT, HASHING.acquire()).await.map_err(|_| HashingError::Busy)?;
    drop(waiting);
    let _permit = permit.map_err(anyhow::Error::from)?;
    Ok(tokio::task::spawn_blocking(work).await.map_err(anyhow::Error::from)?)
}

fn hasher() -> Argon2<'static> {
    // OWASP's recommended Argon2id settings: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string with a fresh random salt.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Whether `password` matches the stored PHC string. A malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, computed once: verified against when an account does not exist
/// so that unknown and known e-mails take the same time to refuse.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash(&uuid::Uuid::new_v4().to_string()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test for the process-wide semaphore, so no other test takes its permits meanwhile.
    #[tokio::test]
    async fn hashing_waits_for_a_permit_and_is_shed_beyond_the_queue() {
        let held = HASHING.acquire_many(CONCURRENT_HASHES as u32).await.unwrap();
        // The queued work is trivial, so nothing here depends on how fast this machine hashes.
        let waiting: Vec<_> = (0..QUEUED_HASHES).map(|_| tokio::spawn(bounded(|| 7))).collect();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(waiting.iter().all(|w| !w.is_finished()), "no hash starts while every permit is held");
        let shed = tokio::time::timeout(std::time::Duration::from_millis(100), bounded(|| ())).await.unwrap();
        assert!(matches!(shed, Err(HashingError::Busy)), "one more than the queue holds is shed at once");
        drop(held);
        for waiter in waiting {
            let done = tokio::time::timeout(std::time::Duration::from_secs(30), waiter).await.unwrap().unwrap();
            assert_eq!(done.unwrap(), 7, "a waiter runs once a permit is free");
        }
        // A waiter that does not get its turn in time is shed too.
        let held = HASHING.acquire_many(CONCURRENT_HASHES as u32).await.unwrap();
        let started = std::time::Instant::now();
        assert!(matches!(bounded(|| ()).await, Err(HashingError::Busy)));
        assert!(started.elapsed() >= MAX_WAIT);
        drop(held);
        assert!(bounded(|| ()).await.is_ok());
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verifiable() {
        let first = hash("correct horse battery").unwrap();
        let second = hash("correct horse battery").unwrap();
        assert!(first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(first, second);
        assert!(verify("correct horse battery", &first));
        assert!(!verify("correct horse batterY", &first));
        assert!(!verify("anything", "not a phc string"));
    }
}
