//! Rate limits: per API client and per IP address, with `0` switching either off. A keyed GCRA
//! limiter (governor) costs one atomic compare-and-swap per request.

use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;

use crate::web::error::AppError;

/// The service's rate limiters.
pub struct RateLimits {
    per_client: Option<DefaultKeyedRateLimiter<String>>,
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
}

fn limiter<K: std::hash::Hash + Eq + Clone>(per_second: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    let rate = NonZeroU32::new(per_second)?;
    // Bursts of twice the rate absorb a queue of requests arriving at once.
    let burst = NonZeroU32::new(per_second.saturating_mul(2)).unwrap_or(rate);
    Some(RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)))
}

impl RateLimits {
    /// Limits of `per_client` and `per_ip` requests a second (0: no limit).
    pub fn new(per_client: u32, per_ip: u32) -> RateLimits {
        RateLimits { per_client: limiter(per_client), per_ip: limiter(per_ip), clock: DefaultClock::default() }
    }

    fn refuse(&self, not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> AppError {
        let wait = not_until.wait_time_from(self.clock.now());
        AppError::TooManyRequests { retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0) }
    }

    /// Counts a request of an API client.
    pub fn client(&self, client_id: &str) -> Result<(), AppError> {
        match &self.per_client {
            Some(limiter) => limiter.check_key(&client_id.to_owned()).map_err(|n| self.refuse(n)),
            None => Ok(()),
        }
    }

    /// Counts a request from the client's address (behind a trusted proxy, the one it names).
    pub fn ip(&self, req: &HttpRequest) -> Result<(), AppError> {
        match (&self.per_ip, crate::web::client_addr::client_addr(req)) {
            (Some(limiter), Some(client)) => limiter.check_key(&client).map_err(|n| self.refuse(n)),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_429_with_a_wait_and_zero_means_no_limit() {
        let limits = RateLimits::new(5, 0);
        for _ in 0..10 {
            assert!(limits.client("a").is_ok());
        }
        match limits.client("a") {
            Err(AppError::TooManyRequests { retry_after_secs }) => assert!(retry_after_secs >= 1),
            other => panic!("{other:?}"),
        }
        assert!(limits.client("b").is_ok());
        let open = RateLimits::new(0, 0);
        for _ in 0..1000 {
            assert!(open.client("a").is_ok());
        }
    }
}
