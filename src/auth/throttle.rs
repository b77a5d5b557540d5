//! Throttling of login attempts per account, against password guessing.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// Allows each account a burst of attempts, then one per period.
pub struct LoginThrottle {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl LoginThrottle {
    /// `burst` attempts at once, one more each `period`.
    pub fn new(burst: u32, period: Duration) -> LoginThrottle {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period).unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN)).allow_burst(burst);
        LoginThrottle { limiter: RateLimiter::keyed(quota), clock: DefaultClock::default() }
    }

    /// Counts an attempt for `account`; `Err(seconds)` when it must wait that long.
    pub fn attempt(&self, account: &str) -> Result<(), u64> {
        self.limiter.check_key(&account.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })?;
        // Keeps the map from growing with every address ever tried.
        if self.limiter.len() > 100_000 {
            self.limiter.retain_recent();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_throttled_after_its_burst_and_others_are_not() {
        let throttle = LoginThrottle::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(throttle.attempt("a@example.org").is_ok());
        }
        let wait = throttle.attempt("a@example.org").unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(throttle.attempt("b@example.org").is_ok());
    }
}
