//! Signed certificates, one per case at most.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::certificates;

/// A certificate, with the holder data printed on it.
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = certificates)]
pub struct CertificateRow {
    /// Document number.
    pub document_number: String,
    /// The case it was issued for.
    pub case_id: String,
    /// The service that issued it.
    pub service_code: String,
    /// Holder's surname.
    pub surname: String,
    /// Holder's given names.
    pub given_names: String,
    /// Holder's date of birth.
    pub date_of_birth: NaiveDate,
    /// Holder's nationality (ICAO code).
    pub nationality: String,
    /// Issuing state (ICAO code).
    pub issuing_state: String,
    /// Issuing post code.
    pub issuing_post: String,
    /// Date of issue.
    pub issue_date: NaiveDate,
    /// Key id of the signer.
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

/// Inserts a certificate; a taken number or a second certificate for the case is a unique
/// violation.
pub fn insert(conn: &mut AnyConnection, certificate: &CertificateRow) -> QueryResult<()> {
    diesel::insert_into(certificates::table).values(certificate).execute(conn).map(|_| ())
}

/// The certificate issued (or being issued) for a case.
pub fn for_case(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Option<CertificateRow>> {
    certificates::table.filter(certificates::case_id.eq(case_id)).first(conn).optional()
}

/// The certificate with this number.
pub fn find(conn: &mut AnyConnection, number: &str) -> QueryResult<Option<CertificateRow>> {
    certificates::table.find(number).first(conn).optional()
}

/// Records the stored PDF and makes the certificate valid.
pub fn mark_issued(conn: &mut AnyConnection, number: &str, pdf_key: &str, sha256: &str) -> QueryResult<usize> {
    diesel::update(certificates::table.find(number).filter(certificates::status.eq("issuing")))
        .set((certificates::status.eq("valid"), certificates::pdf_key.eq(pdf_key), certificates::pdf_sha256.eq(sha256)))
        .execute(conn)
}

/// Revokes a valid certificate.
pub fn revoke(conn: &mut AnyConnection, number: &str, grounds: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(certificates::table.find(number).filter(certificates::status.eq("valid")))
        .set((
            certificates::status.eq("revoked"),
            certificates::revoked_at.eq(at),
            certificates::revocation_grounds.eq(grounds),
        ))
        .execute(conn)
}

/// Key ids that signed a certificate still valid.
pub fn kids_of_valid_certificates(conn: &mut AnyConnection) -> QueryResult<Vec<String>> {
    certificates::table.filter(certificates::status.eq("valid")).select(certificates::kid).distinct().load(conn)
}
