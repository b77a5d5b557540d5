//! The certificate: a signed PDF stating what the consulate certifies for the holder (a record
//! of no convictions, a legalisation, ...), with a document number, a QR token signed by the same
//! document signers as e-visas (so it verifies against the same JWKS) and the same PAdES
//! signature. Issued exactly once per approved case, verified by number and date of birth.

pub mod issue;
pub mod pdf;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::app;
use crate::db::cases::CaseRow;
use crate::db::{self, AnyConnection, certificates};

/// The claims of a certificate's QR token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateClaims {
    /// Issuing state (ICAO code).
    pub iss: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// What the token is for: always `certificate`.
    pub typ: String,
    /// Document number.
    pub document_number: String,
    /// Code of the service that issued it.
    pub service: String,
    /// Holder's name (`SURNAME, Given Names`).
    pub name: String,
    /// Holder's date of birth.
    pub date_of_birth: NaiveDate,
    /// Date of issue.
    pub issue_date: NaiveDate,
}

/// Revokes the valid certificate of `case`; its number, or `None` when it has none.
pub fn revoke(conn: &mut AnyConnection, case: &CaseRow, grounds: &[&str]) -> app::Result<Option<String>> {
    let Some(certificate) = certificates::for_case(conn, &case.id)?.filter(|c| c.status == "valid") else {
        return Ok(None);
    };
    let codes = serde_json::to_string(grounds)?;
    if certificates::revoke(conn, &certificate.document_number, &codes, db::now())? == 0 {
        return Ok(None);
    }
    Ok(Some(certificate.document_number))
}
