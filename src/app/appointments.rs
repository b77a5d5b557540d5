//! Appointments: posts publish their schedule, for every appointment service or for one; once a
//! request whose service gives an appointment is approved, its applicant lists the free slots
//! and books one (or moves it while it is at least a day away). A slot's capacity is never
//! exceeded, however many book at once. The confirmation e-mail carries the appointment as an
//! iCalendar file. Staff of the post see the day's appointments and mark who came.

use bytes::Bytes;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, Component, Event, EventLike};
use std::collections::HashMap;
use std::sync::Arc;

use super::engine::{self, Actor, Audit, output_of, visible_case};
use super::{Admin, Applicant, CaseFile, Error, Result, Staff};
use crate::config::Config;
use crate::db::appointments::{self, AppointmentRow, ScheduleRow};
use crate::db::cases::{self, CaseRow};
use crate::db::catalog::{self, PostRow};
use crate::db::{self, AnyConnection, Db, admin_events};
use crate::domain::schedule::{Schedule, Slot};
use crate::domain::service::OutputKind;
use crate::domain::status::CaseStatus;
use crate::notify::{self, Attachment};
use crate::storage::DocumentStore;

/// How far ahead appointments may be booked.
pub const HORIZON_DAYS: i64 = 180;
/// How close to its start an appointment can still be moved.
pub const MOVE_NOTICE_HOURS: i64 = 24;
/// The longest range of dates one listing of slots covers.
pub const MAX_LISTING_DAYS: i64 = 62;

/// A slot with its free places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreeSlot {
    /// The slot.
    pub slot: Slot,
    /// Places left.
    pub free: i32,
}

fn time_zone(post: &PostRow) -> Tz {
    post.time_zone.parse().unwrap_or(Tz::UTC)
}

fn stored(row: &ScheduleRow) -> Result<Schedule> {
    Ok(Schedule {
        slot_minutes: row.slot_minutes,
        capacity_per_slot: row.capacity_per_slot,
        hours: serde_json::from_str(&row.hours)?,
        closed_dates: serde_json::from_str(&row.closed_dates)?,
    })
}

/// Publishes the schedule of post `code` for appointment service `service` (`None`: the post's
/// schedule for every appointment service without one), replacing the previous one.
/// Appointments already booked stay as they are.
pub async fn publish_schedule(
    db: &Db,
    admin: &Admin,
    code: String,
    service: Option<String>,
    schedule: Schedule,
    request_id: String,
) -> Result<Schedule> {
    let problems = schedule.problems();
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let actor = admin.id.clone();
    db.write(move |conn| {
        catalog::find_post(conn, &code)?.ok_or(Error::NotFound)?;
        if let Some(service) = &service {
            let found = catalog::find_service(conn, service)?.ok_or(Error::NotFound)?;
            if found.output()? != OutputKind::Appointment {
                return Err(Error::invalid_field("service", "not_appointment", "a service that gives an appointment"));
            }
        }
        let row = ScheduleRow {
            post_code: code.clone(),
            service_code: service.clone().unwrap_or_default(),
            slot_minutes: schedule.slot_minutes,
            capacity_per_slot: schedule.capacity_per_slot,
            hours: serde_json::to_string(&schedule.hours)?,
            closed_dates: serde_json::to_string(&schedule.closed_dates)?,
            updated_at: db::now(),
        };
        appointments::put_schedule(conn, &row)?;
        let mut details = serde_json::to_value(&schedule)?;
        details["service"] = serde_json::json!(service);
        admin_events::record(conn, "publish_schedule", &code, (Some(&actor), "admin"), details, Some(&request_id))?;
        Ok(schedule)
    })
    .await
}

/// A case that can be booked: the case, its post, the schedule that applies and that
/// schedule's key (its service code, empty for the post's own).
type Bookable = (CaseRow, PostRow, Schedule, String);

/// The applicant's approved case `id` whose service gives an appointment, with its post and the
/// schedule that applies.
fn bookable(conn: &mut AnyConnection, id: &str, user: &Applicant) -> Result<Bookable> {
    let case = visible_case(conn, id, user)?;
    if output_of(conn, &case)? != OutputKind::Appointment {
        return Err(Error::Conflict("this service gives no appointment".into()));
    }
    if case.status != CaseStatus::Approved {
        return Err(Error::Conflict(format!(
            "appointments are booked once the request is approved; it is {}",
            case.status
        )));
    }
    let post = catalog::find_post(conn, &case.post_code)?.ok_or(Error::NotFound)?;
    let row = appointments::schedule_for(conn, &post.code, &case.service_code)?
        .ok_or_else(|| Error::Conflict("the post has not published its appointment schedule yet".into()))?;
    Ok((case, post.clone(), stored(&row)?, row.service_code))
}

/// The slots of the dates `from..=to` (the post's calendar; by default the next two weeks) for
/// the applicant's case `id`, with the places left, and the post's time zone; past slots are
/// left out.
pub async fn slots(
    db: &Db,
    user: &Applicant,
    id: String,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(Vec<FreeSlot>, Tz)> {
    let user = user.clone();
    db.run(move |conn| {
        let (_, post, schedule, key) = bookable(conn, &id, &user)?;
        let tz = time_zone(&post);
        let today = Utc::now().with_timezone(&tz).date_naive();
        let from = from.unwrap_or(today);
        let to = to.unwrap_or(from + Duration::days(13));
        if to < from || (to - from).num_days() >= MAX_LISTING_DAYS {
            return Err(Error::invalid_field(
                "to",
                "out_of_range",
                format!("on or after from, at most {MAX_LISTING_DAYS} days"),
            ));
        }
        let now = Utc::now();
        let slots: Vec<Slot> = schedule.slots(tz, from, to).into_iter().filter(|s| s.start > now).collect();
        let (Some(first), Some(last)) = (slots.first(), slots.last()) else { return Ok((Vec::new(), tz)) };
        let booked: HashMap<_, _> =
            appointments::booked_between(conn, (&post.code, &key), first.start.naive_utc(), last.end.naive_utc())?
                .into_iter()
                .collect();
        let slots = slots
            .into_iter()
            .map(|slot| {
                let taken = booked.get(&slot.start.naive_utc()).copied().unwrap_or(0);
                FreeSlot { slot, free: (schedule.capacity_per_slot - taken).max(0) }
            })
            .collect();
        Ok((slots, tz))
    })
    .await
}

/// The appointment as an iCalendar file.
fn calendar(case: &CaseRow, post: &PostRow, slot: Slot, service: &str, domain: &str) -> String {
    let event = Event::new()
        .uid(&format!("{}@{domain}", case.id))
        .summary(&format!("{service}: appointment ({})", case.reference))
        .location(&format!("{} ({})", post.name, post.code))
        .description(&format!(
            "Your appointment for request {}. Please bring your passport and the original documents.",
            case.reference
        ))
        .starts(slot.start)
        .ends(slot.end)
        .done();
    let mut calendar = Calendar::new();
    calendar.push(event);
    calendar.to_string()
}

/// Books the slot starting at `start` for the applicant's case `id`, or moves its appointment
/// there while the current one is at least [`MOVE_NOTICE_HOURS`] away. Repeating a booking of
/// the same slot changes nothing.
pub async fn book(
    db: &Db,
    documents: &DocumentStore,
    config: Arc<Config>,
    user: &Applicant,
    id: String,
    start: DateTime<Utc>,
    audit: Audit,
) -> Result<CaseFile> {
    let check_user = user.clone();
    let check_id = id.clone();
    let ((case, post, schedule, schedule_key), current, service) = db
        .run::<_, crate::app::Error, _>(move |conn| {
            let bookable = bookable(conn, &check_id, &check_user)?;
            let case = &bookable.0;
            let current = appointments::for_case(conn, &case.id)?;
            let service =
                catalog::find_service(conn, &case.service_code)?.map_or_else(|| case.service_code.clone(), |s| s.name);
            Ok((bookable, current, service))
        })
        .await?;
    if current.as_ref().is_some_and(|c| c.starts_at == start.naive_utc()) {
        return db.run(move |conn| CaseFile::load(conn, &id)).await;
    }
    let tz = time_zone(&post);
    let slot = schedule
        .slot_at(tz, start)
        .ok_or_else(|| Error::invalid_field("start", "not_a_slot", "not the start of a slot of the post's schedule"))?;
    let now = Utc::now();
    if slot.start <= now || slot.start > now + Duration::days(HORIZON_DAYS) {
        return Err(Error::invalid_field("start", "out_of_range", format!("a slot in the next {HORIZON_DAYS} days")));
    }
    let domain = config.mail_from.rsplit('@').next().unwrap_or("evisa.local").trim_end_matches('>').to_owned();
    let ics = calendar(&case, &post, slot, &service, &domain);
    let key = format!("appointments/{}/{}.ics", case.id, slot.start.timestamp());
    documents.put(&key, Bytes::from(ics)).await.map_err(Error::internal)?;

    let user = user.clone();
    db.write(move |conn| {
        // Bookings of one case in parallel take turns: each sees the appointment the last made.
        cases::lock(conn, &id)?;
        let case = visible_case(conn, &id, &user)?;
        let previous = appointments::for_case(conn, &case.id)?;
        if let Some(previous) = &previous {
            if previous.starts_at.and_utc() - Utc::now() < Duration::hours(MOVE_NOTICE_HOURS) {
                return Err(Error::Conflict(format!(
                    "the appointment is less than {MOVE_NOTICE_HOURS} hours away and can no longer be moved"
                )));
            }
            appointments::free_place(conn, (&previous.post_code, &previous.schedule_service), previous.starts_at)?;
        }
        if !appointments::take_place(
            conn,
            (&post.code, &schedule_key),
            slot.start.naive_utc(),
            schedule.capacity_per_slot,
        )? {
            return Err(Error::Conflict("this slot is full; pick another".into()));
        }
        let at = db::now();
        appointments::put(
            conn,
            &AppointmentRow {
                case_id: case.id.clone(),
                post_code: post.code.clone(),
                starts_at: slot.start.naive_utc(),
                ends_at: slot.end.naive_utc(),
                created_at: previous.as_ref().map_or(at, |p| p.created_at),
                updated_at: at,
                schedule_service: schedule_key.clone(),
                attendance: None,
                attendance_by: None,
                attendance_at: None,
            },
        )?;
        let action = if previous.is_some() { "move_appointment" } else { "book_appointment" };
        let local = slot.start.with_timezone(&tz);
        let audit = audit.with_details(serde_json::json!({"start": slot.start, "end": slot.end}));
        engine::record(conn, &case.id, action, Some(case.status), case.status, &Actor::from(&*user), &audit, at)?;
        let context = serde_json::json!({
            "moved": previous.is_some(),
            "start": local.format("%Y-%m-%d %H:%M").to_string(),
            "time_zone": post.time_zone,
            "post_name": post.name,
        });
        let attachment = Attachment { key, name: format!("appointment-{}.ics", case.reference) };
        notify::case_event(conn, &config, &case, "appointment_booked", context, Some(attachment))?;
        CaseFile::load(conn, &case.id)
    })
    .await
}

/// A schedule of a post as published: the service it is for (`None`: the post's own) and the
/// schedule.
pub type PublishedSchedule = (Option<String>, Schedule);

/// Every schedule of post `code`, the post's own first.
pub async fn schedules(db: &Db, code: String) -> Result<Vec<PublishedSchedule>> {
    db.run(move |conn| {
        catalog::find_post(conn, &code)?.ok_or(Error::NotFound)?;
        appointments::schedules_of(conn, &code)?
            .iter()
            .map(|row| Ok(((!row.service_code.is_empty()).then(|| row.service_code.clone()), stored(row)?)))
            .collect()
    })
    .await
}

/// One appointment of the day as staff see it.
#[derive(Debug, Clone)]
pub struct Booking {
    /// The appointment.
    pub appointment: AppointmentRow,
    /// Its case.
    pub case: CaseRow,
}

/// The appointments at the post of `staff` on `day` (the post's calendar; by default today),
/// in order of time, with the post's time zone.
pub async fn day(db: &Db, staff: &Staff, day: Option<NaiveDate>) -> Result<(Vec<Booking>, NaiveDate, Tz)> {
    let post_code = staff.post.clone().ok_or_else(|| Error::Forbidden("the account belongs to no post".into()))?;
    db.run(move |conn| {
        let post = catalog::find_post(conn, &post_code)?.ok_or(Error::NotFound)?;
        let tz = time_zone(&post);
        let day = day.unwrap_or_else(|| Utc::now().with_timezone(&tz).date_naive());
        let (from, to) = day_bounds(day, tz);
        let mut bookings = Vec::new();
        for appointment in appointments::at_post_between(conn, &post.code, from, to)? {
            if let Some(case) = cases::find(conn, &appointment.case_id)? {
                bookings.push(Booking { appointment, case });
            }
        }
        Ok((bookings, day, tz))
    })
    .await
}

/// The start and end (UTC) of `day` in time zone `tz`.
fn day_bounds(day: NaiveDate, tz: Tz) -> (NaiveDateTime, NaiveDateTime) {
    let start = |d: NaiveDate| {
        let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        midnight.and_local_timezone(tz).earliest().map_or(midnight, |t| t.naive_utc())
    };
    (start(day), start(day + Duration::days(1)))
}

/// Whether the applicant came to their appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attendance {
    /// They came.
    Attended,
    /// They did not.
    NoShow,
}

impl Attendance {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Attendance::Attended => "attended",
            Attendance::NoShow => "no_show",
        }
    }
}

/// Marks whether the applicant of case `id` came to their appointment; staff of the post, once
/// the appointment has begun. Marking again corrects the mark; each mark is audited.
pub async fn mark_attendance(
    db: &Db,
    staff: &Staff,
    id: String,
    attendance: Attendance,
    audit: Audit,
) -> Result<CaseFile> {
    let staff = staff.clone();
    db.write(move |conn| {
        let case = visible_case(conn, &id, &staff)?;
        let appointment = appointments::for_case(conn, &case.id)?
            .ok_or_else(|| Error::Conflict("the case has no appointment".into()))?;
        let at = db::now();
        if appointment.starts_at > at {
            return Err(Error::Conflict("attendance is marked once the appointment has begun".into()));
        }
        appointments::set_attendance(conn, &case.id, attendance.as_str(), &staff.id, at)?;
        let audit = audit.internal().with_details(serde_json::json!({
            "attendance": attendance.as_str(), "start": appointment.starts_at.and_utc(),
        }));
        engine::record(
            conn,
            &case.id,
            "attendance",
            Some(case.status),
            case.status,
            &Actor::from(&*staff),
            &audit,
            at,
        )?;
        CaseFile::load(conn, &case.id)
    })
    .await
}
