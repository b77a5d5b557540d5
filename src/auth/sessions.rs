//! Which sessions still hold: each account's token epoch (and whether it is disabled), read from
//! the database at most every few seconds per account. A token of an older epoch is refused.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an account's session state is trusted before it is read again: a session ended by
/// another process is refused here within this time.
pub const SESSION_CHECK_INTERVAL: Duration = Duration::from_secs(2);

/// An account's token epoch and whether it is disabled; `None` for an account that does not exist.
pub type SessionState = Option<(i32, bool)>;

/// Recently read session states, by account id.
#[derive(Default)]
pub struct Sessions {
    seen: Mutex<HashMap<String, (SessionState, Instant)>>,
}

impl Sessions {
    /// The account's (epoch, disabled) if read less than [`SESSION_CHECK_INTERVAL`] ago; the
    /// outer `None` when it must be read again, the inner one when the account does not exist.
    pub fn cached(&self, account: &str) -> Option<SessionState> {
        let seen = self.seen.lock().ok()?;
        seen.get(account).filter(|(_, at)| at.elapsed() < SESSION_CHECK_INTERVAL).map(|(state, _)| *state)
    }

    /// Remembers what was just read.
    pub fn remember(&self, account: &str, state: SessionState) {
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() > 100_000 {
                seen.retain(|_, (_, at)| at.elapsed() < SESSION_CHECK_INTERVAL);
            }
            seen.insert(account.to_owned(), (state, Instant::now()));
        }
    }

    /// Forgets an account whose sessions this process just ended, so it is read again at once.
    pub fn forget(&self, account: &str) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.remove(account);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_trusted_briefly_and_forgotten_on_demand() {
        let sessions = Sessions::default();
        assert_eq!(sessions.cached("a"), None);
        sessions.remember("a", Some((3, false)));
        assert_eq!(sessions.cached("a"), Some(Some((3, false))));
        sessions.remember("gone", None);
        assert_eq!(sessions.cached("gone"), Some(None));
        sessions.forget("a");
        assert_eq!(sessions.cached("a"), None);
    }
}
