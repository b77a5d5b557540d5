//! The certificate: a signed PDF stating what the consulate certifies for the holder (a record
//! of no convictions, a legalisation, ...), with a document number, a QR token signed by the same
//! document signers as e-visas (so it verifies against the same JWKS) and the same PAdES
//! signature. Issued by the wing's driver, verified by number and date of birth.

pub mod pdf;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::kit::latin::{latin, latin_text};
use super::kit::numbers;
use super::{Announcement, DocumentKind, Draft, Issuer, Marks, Rendering};
use crate::db::AnyConnection;
use crate::db::cases::CaseRow;
use crate::domain::issued::{Holder, IssuedDocument};

/// The certificate's issuer.
pub struct Certificate;

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

impl Issuer for Certificate {
    fn document(&self) -> Option<&dyn DocumentKind> {
        Some(self)
    }
}

impl DocumentKind for Certificate {
    /// `CRT` and 9 random characters of A-Z and 0-9.
    fn new_number(&self) -> String {
        format!("CRT{}", numbers::random(9))
    }

    fn storage_prefix(&self) -> &'static str {
        "certificates"
    }

    fn label(&self) -> &'static str {
        "certificate"
    }

    fn draft(&self, _conn: &mut AnyConnection, case: &CaseRow) -> anyhow::Result<Draft> {
        let form: Value = serde_json::from_str(&case.form)?;
        let applicant = &form["applicant"];
        let field = |name: &str| {
            applicant[name].as_str().map(str::to_owned).with_context(|| format!("the form lacks applicant.{name}"))
        };
        Ok(Draft {
            service_code: case.service_code.clone(),
            holder: Holder {
                surname: field("surname")?,
                given_names: field("given_names").unwrap_or_default(),
                sex: None,
                date_of_birth: field("date_of_birth")?.parse().context("applicant.date_of_birth")?,
                place_of_birth: None,
                nationality: field("nationality")?,
                passport: None,
            },
            terms: None,
        })
    }

    fn claims(&self, certificate: &IssuedDocument) -> anyhow::Result<Value> {
        let holder = &certificate.holder;
        Ok(serde_json::to_value(CertificateClaims {
            iss: certificate.issuing_state.clone(),
            iat: Utc::now().timestamp(),
            typ: "certificate".into(),
            document_number: certificate.number.clone(),
            service: certificate.service_code.clone(),
            name: format!("{}, {}", latin(&holder.surname), latin(&holder.given_names)),
            date_of_birth: holder.date_of_birth,
            issue_date: certificate.issue_date,
        })?)
    }

    fn render(&self, rendering: &Rendering<'_>, marks: &Marks<'_>, specimen: bool) -> anyhow::Result<Vec<u8>> {
        let certificate = rendering.document;
        pdf::render(&pdf::CertificateDocument {
            certificate,
            state_name: rendering.state_name,
            title: latin(rendering.service_name),
            statement: format!(
                "{} Issued in answer to request {} of the person named above.",
                latin_text(rendering.service_description),
                rendering.case_reference
            ),
            issuing_post: format!("{} ({})", latin_text(rendering.post_name), certificate.issuing_post),
            qr_token: marks.token,
            specimen,
        })
    }

    fn announcement(&self, certificate: &IssuedDocument, case: &CaseRow, public_url: &str) -> Announcement {
        Announcement {
            context: json!({
                "document_number": certificate.number,
                "link": format!("{public_url}/api/v1/requests/{}/document.pdf", case.id),
            }),
            file_name: format!("certificate-{}.pdf", certificate.number),
        }
    }
}
