//! Appointment schedules of posts (one per appointment service, or the post's own for every
//! service without one), the count of bookings per schedule and slot, and each case's
//! appointment with the applicant's attendance.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{appointment_slots, appointments, post_schedules};

/// A post's schedule as stored.
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = post_schedules)]
pub struct ScheduleRow {
    /// The post.
    pub post_code: String,
    /// The appointment service it is for; empty for the post's schedule of every other service.
    pub service_code: String,
    /// Length of a slot in minutes.
    pub slot_minutes: i32,
    /// Appointments a slot takes.
    pub capacity_per_slot: i32,
    /// Weekly opening hours (JSON).
    pub hours: String,
    /// Closed dates (JSON list).
    pub closed_dates: String,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

/// An appointment (UTC times).
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = appointments)]
pub struct AppointmentRow {
    /// The case.
    pub case_id: String,
    /// The post.
    pub post_code: String,
    /// Start (UTC).
    pub starts_at: NaiveDateTime,
    /// End (UTC).
    pub ends_at: NaiveDateTime,
    /// First booked.
    pub created_at: NaiveDateTime,
    /// Last moved.
    pub updated_at: NaiveDateTime,
    /// The schedule whose place it holds (its service code; empty for the post's schedule).
    pub schedule_service: String,
    /// `attended` or `no_show`, once marked.
    pub attendance: Option<String>,
    /// Who marked the attendance.
    pub attendance_by: Option<String>,
    /// When it was marked.
    pub attendance_at: Option<NaiveDateTime>,
}

/// The schedule of a post for `service` exactly (empty: the post's own).
pub fn schedule(conn: &mut AnyConnection, post: &str, service: &str) -> QueryResult<Option<ScheduleRow>> {
    post_schedules::table.find((post, service)).first(conn).optional()
}

/// The schedule that applies to `service` at a post: its own, or else the post's.
pub fn schedule_for(conn: &mut AnyConnection, post: &str, service: &str) -> QueryResult<Option<ScheduleRow>> {
    post_schedules::table
        .filter(post_schedules::post_code.eq(post))
        .filter(post_schedules::service_code.eq_any([service, ""]))
        .order(post_schedules::service_code.desc())
        .first(conn)
        .optional()
}

/// Every schedule of a post, the post's own first.
pub fn schedules_of(conn: &mut AnyConnection, post: &str) -> QueryResult<Vec<ScheduleRow>> {
    post_schedules::table.filter(post_schedules::post_code.eq(post)).order(post_schedules::service_code).load(conn)
}

/// Publishes (replaces) a schedule of a post.
pub fn put_schedule(conn: &mut AnyConnection, row: &ScheduleRow) -> QueryResult<()> {
    diesel::delete(post_schedules::table.find((&row.post_code, &row.service_code))).execute(conn)?;
    diesel::insert_into(post_schedules::table).values(row).execute(conn).map(|_| ())
}

/// Bookings per slot start of a schedule (post and service key) between two instants (UTC, end
/// excluded).
pub fn booked_between(
    conn: &mut AnyConnection,
    (post, service): (&str, &str),
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(NaiveDateTime, i32)>> {
    appointment_slots::table
        .filter(appointment_slots::post_code.eq(post))
        .filter(appointment_slots::service_code.eq(service))
        .filter(appointment_slots::starts_at.ge(from))
        .filter(appointment_slots::starts_at.lt(to))
        .select((appointment_slots::starts_at, appointment_slots::booked))
        .load(conn)
}

/// Takes a place in a slot if fewer than `capacity` are booked; `false` when the slot is full.
/// The count only rises through this guarded update, which PostgreSQL re-checks after waiting
/// for a concurrent booking's row lock and SQLite runs inside a serial write transaction.
pub fn take_place(
    conn: &mut AnyConnection,
    (post, service): (&str, &str),
    start: NaiveDateTime,
    capacity: i32,
) -> QueryResult<bool> {
    let slot = (
        appointment_slots::post_code.eq(post),
        appointment_slots::service_code.eq(service),
        appointment_slots::starts_at.eq(start),
        appointment_slots::booked.eq(0),
    );
    match conn {
        AnyConnection::Postgresql(pg) => {
            diesel::insert_into(appointment_slots::table).values(slot).on_conflict_do_nothing().execute(pg)?
        }
        AnyConnection::Sqlite(lite) => {
            diesel::insert_or_ignore_into(appointment_slots::table).values(slot).execute(lite)?
        }
    };
    let taken = diesel::update(
        appointment_slots::table.find((post, service, start)).filter(appointment_slots::booked.lt(capacity)),
    )
    .set(appointment_slots::booked.eq(appointment_slots::booked + 1))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Gives a place in a slot of a schedule back.
pub fn free_place(conn: &mut AnyConnection, (post, service): (&str, &str), start: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(appointment_slots::table.find((post, service, start)).filter(appointment_slots::booked.gt(0)))
        .set(appointment_slots::booked.eq(appointment_slots::booked - 1))
        .execute(conn)
}

/// The appointment of a case.
pub fn for_case(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Option<AppointmentRow>> {
    appointments::table.find(case_id).first(conn).optional()
}

/// Records a case's appointment, replacing any earlier one.
pub fn put(conn: &mut AnyConnection, row: &AppointmentRow) -> QueryResult<()> {
    diesel::delete(appointments::table.find(&row.case_id)).execute(conn)?;
    diesel::insert_into(appointments::table).values(row).execute(conn).map(|_| ())
}

/// The appointments at a post starting between two instants (UTC, end excluded), in order.
pub fn at_post_between(
    conn: &mut AnyConnection,
    post: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<AppointmentRow>> {
    appointments::table
        .filter(appointments::post_code.eq(post))
        .filter(appointments::starts_at.ge(from))
        .filter(appointments::starts_at.lt(to))
        .order((appointments::starts_at, appointments::case_id))
        .load(conn)
}

/// Marks whether the applicant of case `case_id` came to the appointment.
pub fn set_attendance(
    conn: &mut AnyConnection,
    case_id: &str,
    attendance: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(appointments::table.find(case_id))
        .set((
            appointments::attendance.eq(attendance),
            appointments::attendance_by.eq(by),
            appointments::attendance_at.eq(at),
        ))
        .execute(conn)
}
