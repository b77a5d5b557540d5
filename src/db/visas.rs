//! Issued visas.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::visas;

/// A visa record.
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = visas)]
pub struct VisaRow {
    /// Visa number (9 characters A-Z 0-9).
    pub visa_number: String,
    /// The case it was issued for.
    pub case_id: String,
    /// Visa type code.
    pub visa_type: String,
    /// MRZ type letter.
    pub type_letter: String,
    /// `single`, `double` or `multiple`.
    pub entries: String,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// Longest stay in days.
    pub duration_of_stay_days: i32,
    /// Holder's surname as applied for.
    pub surname: String,
    /// Holder's given names as applied for.
    pub given_names: String,
    /// `M`, `F` or `X`.
    pub sex: String,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// Place of birth.
    pub place_of_birth: String,
    /// Nationality (ICAO code).
    pub nationality: String,
    /// Passport number.
    pub passport_number: String,
    /// Passport expiry.
    pub passport_expiry: NaiveDate,
    /// Issuing state (ICAO code).
    pub issuing_state: String,
    /// Issuing post.
    pub issuing_post: String,
    /// Date of issue.
    pub issue_date: NaiveDate,
    /// The signing key.
    pub kid: String,
    /// `issuing`, `valid` or `revoked`.
    pub status: String,
    /// Object-store key of the signed PDF.
    pub pdf_key: Option<String>,
    /// SHA-256 of the signed PDF.
    pub pdf_sha256: Option<String>,
    /// When it was revoked.
    pub revoked_at: Option<NaiveDateTime>,
    /// Revocation grounds (JSON list of codes).
    pub revocation_grounds: Option<String>,
    /// When the record was created.
    pub created_at: NaiveDateTime,
}

/// Inserts a visa; a taken number or a second visa for the case is a unique violation.
pub fn insert(conn: &mut AnyConnection, visa: &VisaRow) -> QueryResult<()> {
    diesel::insert_into(visas::table).values(visa).execute(conn).map(|_| ())
}

/// The visa issued (or being issued) for a case.
pub fn for_case(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Option<VisaRow>> {
    visas::table.filter(visas::case_id.eq(case_id)).first(conn).optional()
}

/// The visa with this number.
pub fn find(conn: &mut AnyConnection, number: &str) -> QueryResult<Option<VisaRow>> {
    visas::table.find(number).first(conn).optional()
}

/// Records the stored PDF and makes the visa valid.
pub fn mark_issued(conn: &mut AnyConnection, number: &str, pdf_key: &str, sha256: &str) -> QueryResult<usize> {
    diesel::update(visas::table.find(number).filter(visas::status.eq("issuing")))
        .set((visas::status.eq("valid"), visas::pdf_key.eq(pdf_key), visas::pdf_sha256.eq(sha256)))
        .execute(conn)
}

thread_local! {
    /// Whether the open transaction of this thread revoked a visa.
    static REVOKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// After a commit: a revocation it held makes every cached copy of a visa stale.
pub(super) fn committed() {
    if REVOKED.with(|revoked| revoked.replace(false)) {
        crate::visa_cache::invalidate();
    }
}

/// After a rollback: nothing was revoked.
pub(super) fn forget() {
    REVOKED.with(|revoked| revoked.set(false));
}

/// The time of the latest revocation, which other processes watch to know their copies stale.
pub fn latest_revocation(conn: &mut AnyConnection) -> QueryResult<Option<NaiveDateTime>> {
    visas::table.select(diesel::dsl::max(visas::revoked_at)).first(conn)
}

/// Revokes a valid visa.
pub fn revoke(conn: &mut AnyConnection, number: &str, grounds: &str, at: NaiveDateTime) -> QueryResult<usize> {
    REVOKED.with(|revoked| revoked.set(true));
    diesel::update(visas::table.find(number).filter(visas::status.eq("valid")))
        .set((visas::status.eq("revoked"), visas::revoked_at.eq(at), visas::revocation_grounds.eq(grounds)))
        .execute(conn)
}

/// Key ids that signed a visa still valid on `today`.
pub fn kids_of_valid_visas(conn: &mut AnyConnection, today: NaiveDate) -> QueryResult<Vec<String>> {
    visas::table
        .filter(visas::status.eq("valid"))
        .filter(visas::valid_until.ge(today))
        .select(visas::kid)
        .distinct()
        .load(conn)
}
