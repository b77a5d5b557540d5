//! The grant of an e-visa: what an approval grants, with its defaults from the visa type and the
//! requested trip, and its bounds (never before today, never beyond the passport's expiry, never a
//! stay longer than the visa type allows).

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::{FieldError, dates};

/// How many times the holder may enter on one visa.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entries {
    /// One entry.
    Single,
    /// Two entries.
    Double,
    /// Any number of entries.
    Multiple,
}

impl Entries {
    /// The catalogue's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Entries::Single => "single",
            Entries::Double => "double",
            Entries::Multiple => "multiple",
        }
    }

    /// Parses the catalogue's name.
    pub fn parse(name: &str) -> Option<Entries> {
        [Entries::Single, Entries::Double, Entries::Multiple].into_iter().find(|e| e.as_str() == name)
    }
}

/// What an approval grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Entries allowed.
    pub entries: Entries,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// Longest stay allowed, in days.
    pub duration_of_stay_days: i32,
}

/// What the officer chose to grant; anything left out takes its default.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GrantRequest {
    /// Entries allowed.
    pub entries: Option<Entries>,
    /// First day of validity.
    pub valid_from: Option<NaiveDate>,
    /// Last day of validity.
    pub valid_until: Option<NaiveDate>,
    /// Longest stay allowed, in days.
    pub duration_of_stay_days: Option<i32>,
}

/// The facts a grant's defaults and bounds come from.
#[derive(Debug, Clone, Copy)]
pub struct GrantContext {
    /// Today at the post.
    pub today: NaiveDate,
    /// The visa type's entries.
    pub entries: Entries,
    /// The visa type's longest stay.
    pub max_stay_days: i32,
    /// The visa type's usual validity, in days.
    pub validity_days: i32,
    /// The requested arrival.
    pub arrival: Option<NaiveDate>,
    /// The requested departure.
    pub departure: Option<NaiveDate>,
    /// The passport's expiry, which no visa may outlast.
    pub passport_expiry: Option<NaiveDate>,
}

/// Decides the grant: the officer's choices where given, defaults from the visa type and the
/// requested trip otherwise, and every bound checked (each violation named by its field).
pub fn decide_grant(request: &GrantRequest, ctx: &GrantContext) -> Result<Grant, Vec<FieldError>> {
    let duration_out_of_range = || {
        FieldError::new(
            "duration_of_stay_days",
            "out_of_range",
            format!("between 1 and the visa type's maximum of {} days", ctx.max_stay_days),
        )
    };
    // Dates out of range end the checks before any arithmetic on them; the stay is still checked.
    let mut problems: Vec<FieldError> = [("valid_from", request.valid_from), ("valid_until", request.valid_until)]
        .into_iter()
        .filter_map(|(field, date)| dates::check(field, date, dates::Kind::Travel, ctx.today))
        .collect();
    if !problems.is_empty() {
        if request.duration_of_stay_days.is_some_and(|d| d < 1 || d > ctx.max_stay_days) {
            problems.push(duration_out_of_range());
        }
        return Err(problems);
    }
    let entries = request.entries.unwrap_or(ctx.entries);
    let valid_from = request.valid_from.unwrap_or_else(|| ctx.arrival.map_or(ctx.today, |a| a.max(ctx.today)));
    let usual_end = valid_from
        .checked_add_days(Days::new(u64::try_from(ctx.validity_days.max(1)).unwrap_or(1) - 1))
        .unwrap_or(valid_from);
    let valid_until =
        request.valid_until.unwrap_or_else(|| ctx.passport_expiry.map_or(usual_end, |expiry| usual_end.min(expiry)));
    let window_days = (valid_until - valid_from).num_days() + 1;
    let trip_days = match (ctx.arrival, ctx.departure) {
        (Some(a), Some(d)) if d >= a => Some((d - a).num_days() + 1),
        _ => None,
    };
    let default_stay =
        trip_days.unwrap_or(i64::from(ctx.max_stay_days)).min(i64::from(ctx.max_stay_days)).min(window_days.max(1));
    let duration = request.duration_of_stay_days.map_or(default_stay, i64::from);

    if valid_from < ctx.today {
        problems.push(FieldError::new("valid_from", "in_past", "the validity cannot start in the past"));
    }
    if valid_until < valid_from {
        problems.push(FieldError::new("valid_until", "before_valid_from", "the validity ends before it starts"));
    }
    if let Some(expiry) = ctx.passport_expiry
        && valid_until > expiry
    {
        problems.push(FieldError::new(
            "valid_until",
            "beyond_passport_expiry",
            format!("the visa cannot outlast the passport, which expires on {expiry}"),
        ));
    }
    if duration < 1 || duration > i64::from(ctx.max_stay_days) {
        problems.push(duration_out_of_range());
    } else if valid_until >= valid_from && duration > window_days {
        problems.push(FieldError::new(
            "duration_of_stay_days",
            "exceeds_validity",
            format!("a stay of {duration} days does not fit in a validity of {window_days} days"),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let duration_of_stay_days = i32::try_from(duration).unwrap_or(ctx.max_stay_days);
    Ok(Grant { entries, valid_from, valid_until, duration_of_stay_days })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn ctx() -> GrantContext {
        GrantContext {
            today: date("2026-11-26"),
            entries: Entries::Single,
            max_stay_days: 30,
            validity_days: 90,
            arrival: Some(date("2027-03-01")),
            departure: Some(date("2027-03-14")),
            passport_expiry: Some(date("2030-01-09")),
        }
    }

    #[test]
    fn defaults_come_from_the_trip_and_the_visa_type() {
        let grant = decide_grant(&GrantRequest::default(), &ctx()).unwrap();
        assert_eq!(
            grant,
            Grant {
                entries: Entries::Single,
                valid_from: date("2027-03-01"),
                valid_until: date("2027-05-29"),
                duration_of_stay_days: 14
            }
        );
    }

    #[test]
    fn the_default_validity_stops_at_the_passport_expiry() {
        let grant = decide_grant(
            &GrantRequest::default(),
            &GrantContext { passport_expiry: Some(date("2027-04-01")), ..ctx() },
        )
        .unwrap();
        assert_eq!(grant.valid_until, date("2027-04-01"));
    }

    #[test]
    fn dates_far_from_today_are_out_of_range_not_a_panic() {
        let far: NaiveDate = "+262142-01-01".parse().unwrap();
        let request =
            GrantRequest { valid_from: Some(far), valid_until: Some(NaiveDate::MAX), ..GrantRequest::default() };
        let fields: Vec<(String, String)> =
            decide_grant(&request, &ctx()).unwrap_err().into_iter().map(|p| (p.field, p.code)).collect();
        assert_eq!(
            fields,
            vec![("valid_from".into(), "out_of_range".into()), ("valid_until".into(), "out_of_range".into())]
        );
        let huge = GrantContext { validity_days: i32::MAX, passport_expiry: None, ..ctx() };
        let grant = decide_grant(&GrantRequest::default(), &huge).unwrap();
        assert_eq!(grant.valid_from, date("2027-03-01"));
        assert!(grant.valid_until >= grant.valid_from);
    }

    #[test]
    fn explicit_choices_are_bounded() {
        let request = GrantRequest {
            entries: Some(Entries::Multiple),
            valid_from: Some(date("2026-11-01")),
            valid_until: Some(date("2031-01-01")),
            duration_of_stay_days: Some(31),
        };
        let fields: Vec<(String, String)> =
            decide_grant(&request, &ctx()).unwrap_err().into_iter().map(|p| (p.field, p.code)).collect();
        assert_eq!(
            fields,
            vec![
                ("valid_from".into(), "in_past".into()),
                ("valid_until".into(), "beyond_passport_expiry".into()),
                ("duration_of_stay_days".into(), "out_of_range".into()),
            ]
        );
        let short = GrantRequest {
            valid_until: Some(date("2027-03-05")),
            duration_of_stay_days: Some(10),
            ..GrantRequest::default()
        };
        assert_eq!(decide_grant(&short, &ctx()).unwrap_err()[0].code, "exceeds_validity");
    }
}
