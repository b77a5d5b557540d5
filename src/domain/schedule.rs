//! A post's appointment schedule: weekly opening hours cut into slots, closed dates, and the
//! slots it offers between two dates, in the post's time zone.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::FieldError;

/// The days of the week as schedules name them.
pub const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// A schedule as published: `hours` maps `mon`..`sun` to intervals such as `"09:00-12:30"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Length of a slot in minutes.
    pub slot_minutes: i32,
    /// Appointments one slot takes.
    pub capacity_per_slot: i32,
    /// Opening hours per day of the week.
    #[serde(default)]
    pub hours: BTreeMap<String, Vec<String>>,
    /// Dates on which the post is closed.
    #[serde(default)]
    pub closed_dates: Vec<NaiveDate>,
}

/// One slot: its start and end in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
}

fn interval(text: &str) -> Option<(NaiveTime, NaiveTime)> {
    let (from, to) = text.split_once('-')?;
    let from = NaiveTime::parse_from_str(from.trim(), "%H:%M").ok()?;
    let to = NaiveTime::parse_from_str(to.trim(), "%H:%M").ok()?;
    (from < to).then_some((from, to))
}

impl Schedule {
    /// Every problem of the schedule, by field.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        if !(5..=480).contains(&self.slot_minutes) {
            problems.push(FieldError::new("slot_minutes", "out_of_range", "between 5 and 480 minutes"));
        }
        if !(1..=1000).contains(&self.capacity_per_slot) {
            problems.push(FieldError::new("capacity_per_slot", "out_of_range", "between 1 and 1000"));
        }
        for (day, intervals) in &self.hours {
            if !DAYS.iter().any(|(name, _)| name == day) {
                problems.push(FieldError::new(format!("hours.{day}"), "unknown", "days are mon, tue, ..., sun"));
                continue;
            }
            let mut parsed = Vec::new();
            for (index, text) in intervals.iter().enumerate() {
                match interval(text) {
                    Some(found) => parsed.push(found),
                    None => problems.push(FieldError::new(
                        format!("hours.{day}[{index}]"),
                        "invalid",
                        "an interval such as 09:00-12:30, its start before its end",
                    )),
                }
            }
            parsed.sort();
            if parsed.windows(2).any(|w| w[1].0 < w[0].1) {
                problems.push(FieldError::new(format!("hours.{day}"), "overlap", "intervals must not overlap"));
            }
        }
        if self.closed_dates.len() > 366 {
            problems.push(FieldError::new("closed_dates", "too_many", "at most 366 dates"));
        }
        problems
    }

    fn intervals(&self, weekday: Weekday) -> Vec<(NaiveTime, NaiveTime)> {
        let name = DAYS.iter().find(|(_, d)| *d == weekday).map_or("", |(n, _)| n);
        self.hours.get(name).into_iter().flatten().filter_map(|t| interval(t)).collect()
    }

    /// The slots of the dates `from..=to` in the time zone `tz`, in order. Local times that do
    /// not exist or are ambiguous (daylight-saving changes) offer no slot.
    pub fn slots(&self, tz: Tz, from: NaiveDate, to: NaiveDate) -> Vec<Slot> {
        let minutes = chrono::Duration::minutes(i64::from(self.slot_minutes.max(1)));
        let mut slots = Vec::new();
        for date in from.iter_days().take_while(|d| *d <= to) {
            if self.closed_dates.contains(&date) {
                continue;
            }
            for (open, close) in self.intervals(date.weekday()) {
                let mut at = date.and_time(open);
                let close = date.and_time(close);
                while at + minutes <= close {
                    if let (Some(start), Some(end)) =
                        (tz.from_local_datetime(&at).single(), tz.from_local_datetime(&(at + minutes)).single())
                    {
                        slots.push(Slot { start: start.with_timezone(&Utc), end: end.with_timezone(&Utc) });
                    }
                    at += minutes;
                }
            }
        }
        slots.sort_by_key(|s| s.start);
        slots
    }

    /// The slot that starts at `start`, if the schedule offers one.
    pub fn slot_at(&self, tz: Tz, start: DateTime<Utc>) -> Option<Slot> {
        let date = start.with_timezone(&tz).date_naive();
        self.slots(tz, date, date).into_iter().find(|s| s.start == start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Schedule {
        Schedule {
            slot_minutes: 30,
            capacity_per_slot: 2,
            hours: BTreeMap::from([
                ("mon".into(), vec!["09:00-10:30".into()]),
                ("tue".into(), vec!["14:00-15:00".into()]),
            ]),
            closed_dates: vec!["2027-01-05".parse().unwrap()],
        }
    }

    #[test]
    fn opening_hours_are_cut_into_slots_in_the_post_time_zone() {
        let tz: Tz = "Europe/London".parse().unwrap();
        // Monday 4 January 2027 (GMT, UTC+0) and Monday 5 July 2027 (BST, UTC+1).
        let winter = schedule().slots(tz, "2027-01-04".parse().unwrap(), "2027-01-04".parse().unwrap());
        let starts: Vec<String> = winter.iter().map(|s| s.start.format("%H:%M").to_string()).collect();
        assert_eq!(starts, ["09:00", "09:30", "10:00"]);
        let summer = schedule().slots(tz, "2027-07-05".parse().unwrap(), "2027-07-05".parse().unwrap());
        assert_eq!(summer[0].start.format("%H:%M").to_string(), "08:00");
        assert_eq!(summer[0].end - summer[0].start, chrono::Duration::minutes(30));
    }

    #[test]
    fn closed_dates_and_unlisted_days_offer_nothing() {
        let tz: Tz = "UTC".parse().unwrap();
        // Tuesday 5 January 2027 is closed; Wednesday to Sunday have no hours.
        let week = schedule().slots(tz, "2027-01-05".parse().unwrap(), "2027-01-10".parse().unwrap());
        assert!(week.is_empty());
        let next = schedule().slots(tz, "2027-01-12".parse().unwrap(), "2027-01-12".parse().unwrap());
        assert_eq!(next.len(), 2);
        assert!(schedule().slot_at(tz, next[1].start).is_some());
        assert!(schedule().slot_at(tz, next[1].start + chrono::Duration::minutes(10)).is_none());
    }

    #[test]
    fn bad_schedules_are_refused_by_field() {
        let mut bad = schedule();
        bad.slot_minutes = 0;
        bad.hours.insert("mon".into(), vec!["09:00-11:00".into(), "10:00-12:00".into()]);
        bad.hours.insert("fri".into(), vec!["17:00-09:00".into()]);
        bad.hours.insert("funday".into(), vec![]);
        let fields: Vec<String> = bad.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["slot_minutes", "hours.fri[0]", "hours.funday", "hours.mon"]);
        assert!(schedule().problems().is_empty());
    }
}
