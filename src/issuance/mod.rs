//! The issuance wing: what approving a case produces. One [`Issuer`] per output kind states the
//! rules only that kind knows (its form check, what else stands in the way of submission, the
//! terms of an approval) and, for kinds that issue a document, a [`DocumentKind`] (its number,
//! its holder and terms, its token's claims, its page). The [`driver`] runs the one issuance
//! protocol for every kind; [`kit`] holds what every document shares (keys, token, PDF
//! signature, Latin text). A new output kind is a module implementing these traits and one line
//! in [`issuer`].

pub mod certificate;
pub mod driver;
pub mod e_visa;
pub mod kit;
pub mod offline;
mod plain_form;

use serde_json::Value;

use crate::app;
use crate::db::cases::CaseRow;
use crate::db::{self, AnyConnection, issued_documents};
use crate::domain::FieldError;
use crate::domain::issued::{DocumentStatus, Holder, IssuedDocument, VisaTerms};
use crate::domain::service::OutputKind;
use e_visa::grant::GrantRequest;
use kit::keys::Signer;

/// A form checked for storage, with the applicant's identity that queues and eligibility use.
#[derive(Debug, Clone)]
pub struct CheckedForm {
    /// The form as stored (JSON text).
    pub json: String,
    /// `applicant.surname`.
    pub surname: Option<String>,
    /// `applicant.given_names`.
    pub given_names: Option<String>,
    /// `applicant.nationality`.
    pub nationality: Option<String>,
}

/// The rules of one output kind.
pub trait Issuer: Sync {
    /// Checks a draft's form as the kind requires, field by field. By default the form is kept
    /// as given (its service's JSON Schema is checked on submission) and gives the applicant's
    /// identity.
    fn check_form(&self, form: Value) -> app::Result<CheckedForm> {
        plain_form::check(form)
    }

    /// The form's JSON Schema when the kind describes its form itself (its rules read the answers
    /// as a type); `None` when the service's administrators write it.
    fn own_form(&self) -> Option<Value> {
        None
    }

    /// The answers the kind's own rules require at submission beyond its form schema's
    /// `required`, by dotted path.
    fn required_answers(&self) -> &'static [&'static str] {
        &[]
    }

    /// What stands in the way of submitting `case` beyond its service's required documents and
    /// the applicant's identity, listed all at once.
    fn submission_problems(&self, _conn: &mut AnyConnection, _case: &CaseRow) -> app::Result<Vec<FieldError>> {
        Ok(Vec::new())
    }

    /// The terms an approval of `case` grants (for an e-visa, its grant: the officer's choices,
    /// defaulted and bounded); `None` for kinds without terms.
    fn approval_terms(
        &self,
        _conn: &mut AnyConnection,
        _case: &CaseRow,
        _request: &GrantRequest,
    ) -> app::Result<Option<Value>> {
        Ok(None)
    }

    /// The document the kind issues once a case is approved; `None` when nothing is issued.
    fn document(&self) -> Option<&dyn DocumentKind> {
        None
    }
}

/// What an issuer records of an approved case: the document but for its number, signer and
/// status, which the driver gives it.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The service (for a visa, its visa type) issuing it.
    pub service_code: String,
    /// The holder, as printed.
    pub holder: Holder,
    /// A visa's terms.
    pub terms: Option<VisaTerms>,
}

/// What drawing a document needs besides its record, the token and the signer.
pub struct Rendering<'a> {
    /// The document, recorded.
    pub document: &'a IssuedDocument,
    /// The reference of its case.
    pub case_reference: &'a str,
    /// The service's name (the visa type's, for an e-visa).
    pub service_name: &'a str,
    /// The service's description.
    pub service_description: &'a str,
    /// The issuing post's name.
    pub post_name: &'a str,
    /// Name of the issuing state.
    pub state_name: &'a str,
    /// The holder's portrait, for kinds that print it.
    pub portrait: Option<&'a [u8]>,
}

/// How the applicant is told their document is issued.
pub struct Announcement {
    /// The e-mail template's context.
    pub context: Value,
    /// The attached PDF's file name.
    pub file_name: String,
}

/// What machines read on a document's page.
#[derive(Debug, Clone, Copy)]
pub struct Marks<'a> {
    /// The QR code's signed token.
    pub token: &'a str,
    /// The visible digital seal, for kinds that print one.
    pub seal: Option<&'a [u8]>,
}

/// A kind of document: what it records, how it is drawn and announced.
pub trait DocumentKind: Sync {
    /// A fresh number for a document of this kind.
    fn new_number(&self) -> String;

    /// Where documents of this kind are stored (`visas`, `certificates`).
    fn storage_prefix(&self) -> &'static str;

    /// What the document is called in its signature's reason and the log (`e-visa`).
    fn label(&self) -> &'static str;

    /// The holder and terms of the approved `case`.
    fn draft(&self, conn: &mut AnyConnection, case: &CaseRow) -> anyhow::Result<Draft>;

    /// Whether the document prints the holder's portrait.
    fn prints_portrait(&self) -> bool {
        false
    }

    /// The claims of the document's QR token.
    fn claims(&self, document: &IssuedDocument) -> anyhow::Result<Value>;

    /// The document's visible digital seal signed by `signer`, for kinds that print one.
    fn seal(&self, _document: &IssuedDocument, _signer: &Signer) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(None)
    }

    /// Draws the document as an unsigned PDF with its `marks`, overprinted SPECIMEN when
    /// `specimen` (signed with development keys).
    fn render(&self, rendering: &Rendering<'_>, marks: &Marks<'_>, specimen: bool) -> anyhow::Result<Vec<u8>>;

    /// The e-mail announcing the issued document.
    fn announcement(&self, document: &IssuedDocument, case: &CaseRow, public_url: &str) -> Announcement;

    /// What the audit event of issue records besides the number, signer and PDF digest.
    fn audit_details(&self, _document: &IssuedDocument) -> Value {
        Value::Object(serde_json::Map::new())
    }
}

/// Kinds that issue nothing: an appointment is booked by the applicant, a decision is its own
/// output.
struct NothingIssued;

impl Issuer for NothingIssued {}

/// The issuer of an output kind: the one place kinds are registered.
pub fn issuer(kind: OutputKind) -> &'static dyn Issuer {
    match kind {
        OutputKind::EVisa => &e_visa::EVisa,
        OutputKind::Certificate => &certificate::Certificate,
        OutputKind::Appointment | OutputKind::Decision => &NothingIssued,
    }
}

/// Revokes the document issued for `case`, recording the grounds' codes; the revoked document's
/// number, or `None` when nothing valid was issued.
pub fn revoke(conn: &mut AnyConnection, case: &CaseRow, grounds: &[&str]) -> app::Result<Option<String>> {
    let valid = issued_documents::for_case(conn, &case.id)?.filter(|d| d.status == DocumentStatus::Valid);
    let Some(document) = valid else { return Ok(None) };
    let codes = serde_json::to_string(grounds)?;
    if issued_documents::revoke(conn, &document.number, &codes, db::now())? == 0 {
        return Ok(None);
    }
    Ok(Some(document.number))
}
