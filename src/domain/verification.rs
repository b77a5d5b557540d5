//! What a verification check answers about a visa on a given day.

use chrono::NaiveDate;
use serde::Serialize;

/// The answer of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    /// The visa is valid today.
    Valid,
    /// The visa's validity has not begun.
    NotYetValid,
    /// The visa's validity has ended.
    Expired,
    /// The visa was revoked.
    Revoked,
    /// No visa matches (also the answer for a real visa number with another passport number).
    NotFound,
}

impl CheckResult {
    /// The stable name used in answers and the log.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckResult::Valid => "valid",
            CheckResult::NotYetValid => "not_yet_valid",
            CheckResult::Expired => "expired",
            CheckResult::Revoked => "revoked",
            CheckResult::NotFound => "not_found",
        }
    }
}

/// The answer for a matching visa: revocation first, then the validity window (both ends included).
pub fn check(valid_from: NaiveDate, valid_until: NaiveDate, revoked: bool, today: NaiveDate) -> CheckResult {
    if revoked {
        CheckResult::Revoked
    } else if today < valid_from {
        CheckResult::NotYetValid
    } else if today > valid_until {
        CheckResult::Expired
    } else {
        CheckResult::Valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revocation_wins_then_the_window_counts_both_ends() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let (from, until) = (d("2027-03-01"), d("2027-05-29"));
        assert_eq!(check(from, until, false, d("2027-02-28")), CheckResult::NotYetValid);
        assert_eq!(check(from, until, false, d("2027-03-01")), CheckResult::Valid);
        assert_eq!(check(from, until, false, d("2027-05-29")), CheckResult::Valid);
        assert_eq!(check(from, until, false, d("2027-05-30")), CheckResult::Expired);
        assert_eq!(check(from, until, true, d("2027-04-01")), CheckResult::Revoked);
    }
}
