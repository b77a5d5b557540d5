//! Appointments: posts publish their schedule; once a request whose service gives an appointment
//! is approved, its applicant lists the free slots and books one (or moves it while it is at
//! least a day away). A slot's capacity is never exceeded, however many book at once. The
//! confirmation e-mail carries the appointment as an iCalendar file.

use bytes::Bytes;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, Component, Event, EventLike};
use std::collections::HashMap;
use std::sync::Arc;

use super::engine::{self, Actor, Audit, output_of, visible_case};
use super::{Admin, Applicant, CaseFile, Error, Result};
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

/// Publishes the schedule of post `code`, replacing the previous one. Appointments already
/// booked stay as they are.
pub async fn publish_schedule(
    db: &Db,
    admin: &Admin,
    code: String,
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
        let row = ScheduleRow {
            post_code: code.clone(),
            slot_minutes: schedule.slot_minutes,
            capacity_per_slot: schedule.capacity_per_slot,
            hours: serde_json::to_string(&schedule.hours)?,
            closed_dates: serde_json::to_string(&schedule.closed_dates)?,
            updated_at: db::now(),
        };
        appointments::put_schedule(conn, &row)?;
        let details = serde_json::to_value(&schedule)?;
        admin_events::record(conn, "publish_schedule", &code, (Some(&actor), "admin"), details, Some(&request_id))?;
        Ok(schedule)
    })
    .await
}

/// The applicant's approved case `id` whose service gives an appointment, with its post and the
/// post's schedule.
fn bookable(conn: &mut AnyConnection, id: &str, user: &Applicant) -> Result<(CaseRow, PostRow, Schedule)> {
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
    let row = appointments::schedule(conn, &post.code)?
        .ok_or_else(|| Error::Conflict("the post has not published its appointment schedule yet".into()))?;
    Ok((case, post.clone(), stored(&row)?))
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
        let (_, post, schedule) = bookable(conn, &id, &user)?;
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
            appointments::booked_between(conn, &post.code, first.start.naive_utc(), last.end.naive_utc())?
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
    let (case, post, schedule, current, service) = db
        .run(move |conn| {
            let (case, post, schedule) = bookable(conn, &check_id, &check_user)?;
            let current = appointments::for_case(conn, &case.id)?;
            let service =
                catalog::find_service(conn, &case.service_code)?.map_or_else(|| case.service_code.clone(), |s| s.name);
            Ok((case, post, schedule, current, service))
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
            appointments::free_place(conn, &previous.post_code, previous.starts_at)?;
        }
        if !appointments::take_place(conn, &post.code, slot.start.naive_utc(), schedule.capacity_per_slot)? {
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
