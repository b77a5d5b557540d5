//! Dates: how each language writes one, and the range of plausible dates. chrono accepts years such as `+262142`, and date arithmetic on
//! such a date overflows; every date the service accepts is first bounded to what a person, a
//! passport or a journey can have.

use chrono::{Months, NaiveDate};

use super::FieldError;

/// What a date is, which decides its plausible range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A date of birth: from 1900 to today.
    Birth,
    /// A date in a document's past or near future (issue, expiry): from 1900 to 30 years ahead.
    Document,
    /// A date of a journey or a validity: from a year ago to 5 years ahead.
    Travel,
}

/// Years ahead that a journey or a validity may be planned.
pub const TRAVEL_YEARS_AHEAD: u32 = 5;

fn earliest_record() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// The plausible range of `kind` on `today`, both ends included.
pub fn range(kind: Kind, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let ahead = |months: u32| today.checked_add_months(Months::new(months)).unwrap_or(today);
    match kind {
        Kind::Birth => (earliest_record(), today),
        Kind::Document => (earliest_record(), ahead(30 * 12)),
        Kind::Travel => (today.checked_sub_months(Months::new(12)).unwrap_or(today), ahead(TRAVEL_YEARS_AHEAD * 12)),
    }
}

/// A problem naming `field` if `date` is outside the plausible range of `kind`.
pub fn check(field: &str, date: Option<NaiveDate>, kind: Kind, today: NaiveDate) -> Option<FieldError> {
    let date = date?;
    let (from, to) = range(kind, today);
    (date < from || date > to)
        .then(|| FieldError::new(field, "out_of_range", format!("a date between {from} and {to}")))
}

/// A date as a language writes it: `12 April 1985` in English, `12.04.1985` in Russian and
/// Kazakh (and any other language).
pub fn written(lang: &str, day: chrono::NaiveDate) -> String {
    match lang {
        "en" => day.format("%-d %B %Y").to_string(),
        _ => day.format("%d.%m.%Y").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn births_run_from_1900_to_today() {
        let today = date("2026-11-27");
        assert!(check("b", Some(date("1900-01-01")), Kind::Birth, today).is_none());
        assert!(check("b", Some(today), Kind::Birth, today).is_none());
        assert_eq!(check("b", Some(date("1899-12-31")), Kind::Birth, today).unwrap().code, "out_of_range");
        assert!(check("b", Some(date("2026-11-28")), Kind::Birth, today).is_some());
    }

    #[test]
    fn absurd_years_are_out_of_range_not_a_panic() {
        let today = date("2026-11-27");
        let far: NaiveDate = "+262142-01-01".parse().unwrap();
        for kind in [Kind::Birth, Kind::Document, Kind::Travel] {
            assert_eq!(check("d", Some(far), kind, today).unwrap().field, "d");
            assert!(check("d", Some(NaiveDate::MIN), kind, today).is_some());
        }
        assert!(check("t", Some(date("2031-11-27")), Kind::Travel, today).is_none());
        assert!(check("t", Some(date("2031-11-28")), Kind::Travel, today).is_some());
        assert!(check("t", None, Kind::Travel, today).is_none());
    }
}
