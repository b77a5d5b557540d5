//! The fee each case owes, and the payments the payment provider reports for it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{case_fees, payments};
use crate::domain::service::Fee;

/// The fee of a case: what is due (fixed at creation) and what has been paid.
#[derive(Queryable, Insertable, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = case_fees)]
pub struct CaseFeeRow {
    /// The case.
    pub case_id: String,
    /// Amount due, in minor units.
    pub amount_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// Amount paid so far, in minor units.
    pub paid_minor: i64,
}

impl CaseFeeRow {
    /// What remains to be paid.
    pub fn outstanding_minor(&self) -> i64 {
        (self.amount_minor - self.paid_minor).max(0)
    }
}

/// A payment as reported, with the answer given to the report.
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = payments)]
pub struct PaymentRow {
    /// The provider's transaction id.
    pub transaction_id: String,
    /// The case paid for.
    pub case_id: String,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// `succeeded` or `failed`.
    pub status: String,
    /// SHA-256 of the report's body, to tell a replay from a different report reusing the id.
    pub body_sha256: String,
    /// The answer given to the first report (JSON).
    pub answer: String,
    /// When it arrived.
    pub received_at: NaiveDateTime,
    /// Who reported it: `callback`, `test`, `stripe` or `counter`.
    pub provider: String,
    /// How it was paid, where known (at the counter: `cash`, `card`, `transfer`).
    pub method: Option<String>,
}

/// Records the fee a new case owes.
pub fn insert(conn: &mut AnyConnection, fee: &CaseFeeRow) -> QueryResult<()> {
    diesel::insert_into(case_fees::table).values(fee).execute(conn).map(|_| ())
}

/// The fee of a case.
pub fn for_case(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Option<CaseFeeRow>> {
    case_fees::table.find(case_id).first(conn).optional()
}

/// The fee of a case, locked until the transaction ends (PostgreSQL; SQLite's write transactions
/// are serial already), so that payments for one case are recorded one at a time.
pub fn lock(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Option<CaseFeeRow>> {
    let query = case_fees::table.find(case_id);
    match conn {
        AnyConnection::Postgresql(pg) => query.for_update().first(pg).optional(),
        AnyConnection::Sqlite(lite) => query.first(lite).optional(),
    }
}

/// Makes a case owe `fee` instead, provided nothing has been paid towards it; the rows changed.
pub fn set_due(conn: &mut AnyConnection, case_id: &str, fee: &Fee) -> QueryResult<usize> {
    diesel::update(case_fees::table.find(case_id).filter(case_fees::paid_minor.eq(0)))
        .set((case_fees::amount_minor.eq(fee.amount_minor), case_fees::currency.eq(&fee.currency)))
        .execute(conn)
}

/// Adds a payment to what a case has paid.
pub fn add_paid(conn: &mut AnyConnection, case_id: &str, amount_minor: i64) -> QueryResult<usize> {
    diesel::update(case_fees::table.find(case_id))
        .set(case_fees::paid_minor.eq(case_fees::paid_minor + amount_minor))
        .execute(conn)
}

/// The payment recorded under a transaction id.
pub fn find_payment(conn: &mut AnyConnection, transaction_id: &str) -> QueryResult<Option<PaymentRow>> {
    payments::table.find(transaction_id).first(conn).optional()
}

/// Records a payment; a transaction id seen before is a unique violation.
pub fn insert_payment(conn: &mut AnyConnection, payment: &PaymentRow) -> QueryResult<()> {
    diesel::insert_into(payments::table).values(payment).execute(conn).map(|_| ())
}

/// The succeeded payments of a case, oldest first: its receipts.
pub fn receipts(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Vec<PaymentRow>> {
    payments::table
        .filter(payments::case_id.eq(case_id))
        .filter(payments::status.eq("succeeded"))
        .order(payments::received_at.asc())
        .load(conn)
}
