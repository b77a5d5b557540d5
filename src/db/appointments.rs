//! Appointment schedules of posts, the count of bookings per slot, and each case's appointment.

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
}

/// The schedule of a post.
pub fn schedule(conn: &mut AnyConnection, post: &str) -> QueryResult<Option<ScheduleRow>> {
    post_schedules::table.find(post).first(conn).optional()
}

/// Publishes (replaces) the schedule of a post.
pub fn put_schedule(conn: &mut AnyConnection, row: &ScheduleRow) -> QueryResult<()> {
    diesel::delete(post_schedules::table.find(&row.post_code)).execute(conn)?;
    diesel::insert_into(post_schedules::table).values(row).execute(conn).map(|_| ())
}

/// Bookings per slot start of a post between two instants (UTC, end excluded).
pub fn booked_between(
    conn: &mut AnyConnection,
    post: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(NaiveDateTime, i32)>> {
    appointment_slots::table
        .filter(appointment_slots::post_code.eq(post))
        .filter(appointment_slots::starts_at.ge(from))
        .filter(appointment_slots::starts_at.lt(to))
        .select((appointment_slots::starts_at, appointment_slots::booked))
        .load(conn)
}

/// Takes a place in a slot if fewer than `capacity` are booked; `false` when the slot is full.
/// The count only rises through this guarded update, which PostgreSQL re-checks after waiting
/// for a concurrent booking's row lock and SQLite runs inside a serial write transaction.
pub fn take_place(conn: &mut AnyConnection, post: &str, start: NaiveDateTime, capacity: i32) -> QueryResult<bool> {
    let slot = (
        appointment_slots::post_code.eq(post),
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
    let taken =
        diesel::update(appointment_slots::table.find((post, start)).filter(appointment_slots::booked.lt(capacity)))
            .set(appointment_slots::booked.eq(appointment_slots::booked + 1))
            .execute(conn)?;
    Ok(taken == 1)
}

/// Gives a place in a slot back.
pub fn free_place(conn: &mut AnyConnection, post: &str, start: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(appointment_slots::table.find((post, start)).filter(appointment_slots::booked.gt(0)))
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
