//! Throttling of wrong passwords: only failures count. Each key (an account from an address, or
//! an account from anywhere) has some free failures in a window; past them, each further attempt
//! waits a spacing after the last failure. An account guessed at from many addresses is slowed
//! for all of them, never locked: its owner can still sign in, one attempt per spacing.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures per key in a sliding window.
pub struct FailureThrottle {
    free: usize,
    window: Duration,
    spacing: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Keys kept at most; past this, keys whose failures all left the window are dropped.
const MAX_KEYS: usize = 100_000;

impl FailureThrottle {
    /// `free` failures per `window`; past them, one attempt per `spacing` after the last failure.
    pub fn new(free: usize, window: Duration, spacing: Duration) -> FailureThrottle {
        FailureThrottle { free: free.max(1), window, spacing, failures: Mutex::new(HashMap::new()) }
    }

    /// Whether `key` may try now; `Err(seconds)` to wait.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), u64> {
        let Ok(failures) = self.failures.lock() else { return Ok(()) };
        let Some(recent) = failures.get(key) else { return Ok(()) };
        let in_window: Vec<&Instant> = recent.iter().filter(|at| now.duration_since(**at) < self.window).collect();
        if in_window.len() < self.free {
            return Ok(());
        }
        let last = in_window.last().map_or(now, |at| **at);
        let ready = last + self.spacing;
        if ready <= now {
            return Ok(());
        }
        let wait = ready - now;
        Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
    }

    /// Counts a failure of `key`.
    pub fn failed(&self, key: &str) {
        self.failed_at(key, Instant::now());
    }

    fn failed_at(&self, key: &str, now: Instant) {
        let Ok(mut failures) = self.failures.lock() else { return };
        if failures.len() > MAX_KEYS {
            let window = self.window;
            failures.retain(|_, recent| recent.back().is_some_and(|at| now.duration_since(*at) < window));
        }
        let recent = failures.entry(key.to_owned()).or_default();
        while recent.front().is_some_and(|at| now.duration_since(*at) >= self.window) || recent.len() > self.free {
            recent.pop_front();
        }
        recent.push_back(now);
    }

    /// Forgets the failures of `key` (its owner signed in).
    pub fn succeeded(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(key);
        }
    }
}

/// Wrong passwords of accounts, counted per account and address and per account.
pub struct SignInThrottle {
    by_address: FailureThrottle,
    by_account: FailureThrottle,
}

/// The window failures are counted in.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Spacing of attempts on an account past its free failures from all addresses together.
const ACCOUNT_SPACING: Duration = Duration::from_secs(10);

impl SignInThrottle {
    /// `burst` free failures per account and address, then one attempt per `period`; four
    /// times as many per account from every address, then one attempt per 10 seconds.
    pub fn new(burst: u32, period: Duration) -> SignInThrottle {
        let burst = usize::try_from(burst).unwrap_or(usize::MAX);
        SignInThrottle {
            by_address: FailureThrottle::new(burst, WINDOW, period),
            by_account: FailureThrottle::new(burst.saturating_mul(4), WINDOW, ACCOUNT_SPACING),
        }
    }

    fn address_key(account: &str, address: &str) -> String {
        format!("{account}|{address}")
    }

    /// Whether `account` may be tried from `address` now; `Err(seconds)` to wait.
    pub fn check(&self, account: &str, address: &str) -> Result<(), u64> {
        let here = self.by_address.check(&Self::address_key(account, address));
        let anywhere = self.by_account.check(account);
        match (here, anywhere) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(a), Err(b)) => Err(a.max(b)),
            (Err(wait), _) | (_, Err(wait)) => Err(wait),
        }
    }

    /// Counts a wrong password for `account` from `address`.
    pub fn failed(&self, account: &str, address: &str) {
        self.by_address.failed(&Self::address_key(account, address));
        self.by_account.failed(account);
    }

    /// The owner signed in from `address`: their failures there are forgotten (those from
    /// elsewhere still count towards the account).
    pub fn succeeded(&self, account: &str, address: &str) {
        self.by_address.succeeded(&Self::address_key(account, address));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_failures_then_one_attempt_per_spacing_and_success_forgets() {
        let throttle = FailureThrottle::new(3, Duration::from_secs(900), Duration::from_secs(10));
        let start = Instant::now();
        for i in 0..3 {
            assert!(throttle.check_at("a", start + Duration::from_millis(i)).is_ok());
            throttle.failed_at("a", start + Duration::from_millis(i));
        }
        let wait = throttle.check_at("a", start + Duration::from_secs(1)).unwrap_err();
        assert!((9..=10).contains(&wait), "{wait}");
        assert!(throttle.check_at("b", start).is_ok(), "other keys are not slowed");
        assert!(throttle.check_at("a", start + Duration::from_secs(11)).is_ok(), "slowed, never locked");
        throttle.failed_at("a", start + Duration::from_secs(11));
        assert!(throttle.check_at("a", start + Duration::from_secs(12)).is_err());
        assert!(throttle.check_at("a", start + Duration::from_secs(2000)).is_ok(), "the window passes");
        throttle.succeeded("a");
        assert!(throttle.check_at("a", start + Duration::from_secs(12)).is_ok());
    }

    #[test]
    fn guesses_spread_over_addresses_slow_the_account_everywhere() {
        let throttle = SignInThrottle::new(5, Duration::from_secs(60));
        for address in ["1", "2", "3", "4"] {
            for _ in 0..5 {
                assert!(throttle.check("a@x", address).is_ok());
                throttle.failed("a@x", address);
            }
        }
        assert!(throttle.check("a@x", "5").is_err(), "a fifth address is slowed too");
        assert!(throttle.check("b@x", "5").is_ok());
    }
}
