//! What applicants do to their own cases: create, edit, upload, submit, withdraw, respond.

pub mod create;
pub mod edit;
pub mod respond;
pub mod submit;
pub mod upload;
pub mod withdraw;

use serde_json::Value;

use super::engine::visible_case;
use super::forms::{self, Stage};
use super::{Applicant, Error, Result, User};
use crate::db::cases::CaseRow;
use crate::db::{AnyConnection, Db, catalog};
use crate::domain::form_design;
use crate::domain::role::Role;
use crate::domain::service::{OutputKind, Service};
use crate::issuance::{self, CheckedForm};

/// The case `id` if it is the applicant's own (anyone else's does not exist for them).
pub(crate) fn own_case(conn: &mut AnyConnection, id: &str, user: &Applicant) -> Result<CaseRow> {
    visible_case(conn, id, user)
}

/// The applicant's case `id`, provided its form and documents may still change.
pub(crate) fn editable_case(conn: &mut AnyConnection, id: &str, user: &Applicant, what: &str) -> Result<CaseRow> {
    let case = own_case(conn, id, user)?;
    if !case.status.is_editable_by_applicant() {
        return Err(Error::Conflict(format!(
            "{what} of an application that is {} can no longer be changed",
            case.status
        )));
    }
    Ok(case)
}

/// A draft's form checked as its service requires: e-visas by their typed rules, every other
/// service against the JSON Schema of the form version, missing answers allowed, answers to
/// questions an earlier answer no longer shows dropped.
pub(crate) fn checked_form(
    conn: &mut AnyConnection,
    service: &Service,
    version: i32,
    mut form: Value,
) -> Result<CheckedForm> {
    if service.output != OutputKind::EVisa {
        if !form.is_object() {
            return Err(Error::invalid_field("/", "type", "the form must be a JSON object"));
        }
        let schema = catalog::form_schema(conn, &service.code, version)?.ok_or_else(|| {
            Error::internal(anyhow::anyhow!("service {} has no form version {version}", service.code))
        })?;
        // Answers to questions an earlier answer no longer shows are not kept.
        form_design::drop_hidden(&serde_json::from_str(&schema)?, &mut form);
        let problems = forms::problems(&schema, &form, Stage::Draft)?;
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
    }
    issuance::issuer(service.output).check_form(form)
}

/// The caller as the applicant acting on case `id`. Whoever else can see the case (its post's
/// staff) is refused; to anyone who cannot, the case does not exist.
pub async fn as_applicant(db: &Db, user: User, id: &str) -> Result<Applicant> {
    if user.role == Role::Applicant {
        return Applicant::new(user);
    }
    let id = id.to_owned();
    db.run(move |conn| visible_case(conn, &id, &user).map(drop)).await?;
    Err(Error::Forbidden("only the applicant may change the application".into()))
}
