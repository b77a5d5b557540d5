//! What approving a case produces, one module per output kind: the e-visa and the certificate
//! (appointments are booked by the applicant, see [`crate::app::appointments`]). The engine asks
//! the case's output for the rules only it knows (extra submission checks, the terms of an
//! approval) and hands approved cases to its issuer.

pub mod certificate;
pub mod e_visa;
pub mod images;

use serde_json::Value;

use crate::app::{self, Error};
use crate::db::AnyConnection;
use crate::db::cases::CaseRow;
use crate::domain::FieldError;
use crate::domain::service::OutputKind;
use e_visa::grant::GrantRequest;

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

/// Checks a draft's form as the output's rules require, field by field. E-visas use their typed
/// form; other services store the form as given (their JSON Schema is checked on submission
/// once consular services arrive) and contribute the applicant's identity.
pub fn check_form(output: OutputKind, form: Value) -> app::Result<CheckedForm> {
    match output {
        OutputKind::EVisa => e_visa::rules::check_form(form),
        OutputKind::Certificate | OutputKind::Appointment | OutputKind::Decision => {
            if !form.is_object() {
                return Err(Error::invalid_field("form", "invalid", "the form must be a JSON object"));
            }
            let text =
                |name: &str| form["applicant"][name].as_str().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
            let unwritable: Vec<FieldError> = ["surname", "given_names"]
                .into_iter()
                .filter(|name| text(name).is_some_and(|value| !crate::domain::mrz::has_latin_form(&value)))
                .map(|name| {
                    FieldError::new(
                        format!("applicant.{name}"),
                        "not_transliterable",
                        "write the name in Latin or Cyrillic letters, as in the passport's machine-readable zone",
                    )
                })
                .collect();
            if !unwritable.is_empty() {
                return Err(Error::Invalid(unwritable));
            }
            Ok(CheckedForm {
                surname: text("surname"),
                given_names: text("given_names"),
                nationality: text("nationality"),
                json: form.to_string(),
            })
        }
    }
}

/// What stands in the way of submitting `case` beyond its service's required documents and the
/// applicant's identity, listed all at once.
pub fn submission_problems(
    conn: &mut AnyConnection,
    case: &CaseRow,
    output: OutputKind,
) -> app::Result<Vec<FieldError>> {
    match output {
        OutputKind::EVisa => e_visa::rules::submission_problems(conn, case),
        OutputKind::Certificate | OutputKind::Appointment | OutputKind::Decision => Ok(Vec::new()),
    }
}

/// The answers an output's own rules require at submission beyond its form schema's `required`
/// (the typed rules of e-visas), by dotted path.
pub fn required_answers(output: OutputKind) -> &'static [&'static str] {
    match output {
        OutputKind::EVisa => &e_visa::form::REQUIRED,
        OutputKind::Certificate | OutputKind::Appointment | OutputKind::Decision => &[],
    }
}

/// The terms an approval of `case` grants (for an e-visa, its grant: the officer's choices,
/// defaulted and bounded); `None` for outputs without terms.
pub fn approval_terms(
    conn: &mut AnyConnection,
    case: &CaseRow,
    output: OutputKind,
    request: &GrantRequest,
) -> app::Result<Option<Value>> {
    match output {
        OutputKind::EVisa => {
            let grant = e_visa::rules::grant(conn, case, request)?;
            Ok(Some(serde_json::to_value(grant)?))
        }
        OutputKind::Certificate | OutputKind::Appointment | OutputKind::Decision => Ok(None),
    }
}

/// Revokes what was issued for `case`, recording the grounds' codes; the number of the revoked
/// document, or `None` when nothing valid was issued.
pub fn revoke(
    conn: &mut AnyConnection,
    case: &CaseRow,
    output: OutputKind,
    grounds: &[&str],
) -> app::Result<Option<String>> {
    match output {
        OutputKind::EVisa => e_visa::rules::revoke(conn, case, grounds),
        OutputKind::Certificate => certificate::revoke(conn, case, grounds),
        OutputKind::Appointment | OutputKind::Decision => Ok(None),
    }
}

/// The approved case `case_id` whose output is yet to be issued, read inside an issuer's
/// transaction; `None` when it is already issued (a repeated job has nothing left to do).
pub fn case_to_issue(conn: &mut AnyConnection, case_id: &str) -> anyhow::Result<Option<CaseRow>> {
    use crate::domain::status::CaseStatus;
    let case = crate::db::cases::find(conn, case_id)?.ok_or_else(|| anyhow::anyhow!("case vanished"))?;
    match case.status {
        CaseStatus::Approved => Ok(Some(case)),
        CaseStatus::Issued => Ok(None),
        other => anyhow::bail!("the case is {other}, not approved"),
    }
}

/// The number of the document issued for `case`, once issued (the visa number of an e-visa, the
/// certificate's number).
pub fn issued_number(conn: &mut AnyConnection, case: &CaseRow) -> app::Result<Option<String>> {
    if case.service == OutputKind::EVisa.family() {
        return Ok(crate::db::visas::for_case(conn, &case.id)?
            .filter(|v| v.status != "issuing")
            .map(|v| v.visa_number));
    }
    let certificate = crate::db::certificates::for_case(conn, &case.id)?;
    Ok(certificate.filter(|c| c.status != "issuing").map(|c| c.document_number))
}
