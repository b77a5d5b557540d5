//! Checkouts: attempts to pay a case's fee through a payment provider, and the provider events
//! already handled.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{payment_checkouts, payment_events};

/// A checkout as stored.
#[derive(Queryable, Insertable, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = payment_checkouts)]
pub struct CheckoutRow {
    /// Our reference of the attempt.
    pub id: String,
    /// The case paid for.
    pub case_id: String,
    /// `test` or `stripe`.
    pub provider: String,
    /// The provider's id of the payment (a PaymentIntent's id, say).
    pub provider_ref: String,
    /// Amount asked, in minor units.
    pub amount_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// `open`, `succeeded`, `declined` or `cancelled`.
    pub status: String,
    /// Started at.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

/// Records a new checkout; a second open one for the same case is a unique violation.
pub fn insert(conn: &mut AnyConnection, row: &CheckoutRow) -> QueryResult<()> {
    diesel::insert_into(payment_checkouts::table).values(row).execute(conn).map(|_| ())
}

/// The checkout `id`.
pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<CheckoutRow>> {
    payment_checkouts::table.find(id).first(conn).optional()
}

/// The open checkout of a case, if any.
pub fn open_for_case(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Option<CheckoutRow>> {
    payment_checkouts::table
        .filter(payment_checkouts::case_id.eq(case_id))
        .filter(payment_checkouts::status.eq("open"))
        .first(conn)
        .optional()
}

/// Records the provider's id of a checkout's payment, once the provider has made it.
pub fn set_provider_ref(conn: &mut AnyConnection, id: &str, provider_ref: &str) -> QueryResult<usize> {
    diesel::update(payment_checkouts::table.find(id))
        .set(payment_checkouts::provider_ref.eq(provider_ref))
        .execute(conn)
}

/// Closes an open checkout with its outcome; the rows changed (0 when it was closed already).
pub fn close(conn: &mut AnyConnection, id: &str, status: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(payment_checkouts::table.find(id).filter(payment_checkouts::status.eq("open")))
        .set((payment_checkouts::status.eq(status), payment_checkouts::updated_at.eq(at)))
        .execute(conn)
}

/// Notes a provider event as handled; `false` when it was handled before.
pub fn first_sight_of_event(
    conn: &mut AnyConnection,
    provider: &str,
    event_id: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let seen = payment_events::table.find((provider, event_id)).count().get_result::<i64>(conn)? > 0;
    if seen {
        return Ok(false);
    }
    diesel::insert_into(payment_events::table)
        .values((
            payment_events::provider.eq(provider),
            payment_events::event_id.eq(event_id),
            payment_events::received_at.eq(at),
        ))
        .execute(conn)?;
    Ok(true)
}
