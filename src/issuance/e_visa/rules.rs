//! The rules only visa services have: the typed application form checked before submission
//! (trip dates, stay, passport validity), and the grant of an approval.

use super::form::{SubmissionContext, VisaApplicationForm};
use super::grant::{Entries, Grant, GrantContext, GrantRequest, decide_grant};
use crate::app::{self, Error};
use crate::db::cases::CaseRow;
use crate::db::{AnyConnection, catalog};
use crate::domain::FieldError;
use crate::issuance::CheckedForm;

/// Checks a visa application form as written: the shape, then every present field.
pub fn check_form(form: serde_json::Value) -> app::Result<CheckedForm> {
    let mut form: VisaApplicationForm = app::decode(form)?;
    form.normalise();
    let problems = form.field_problems(chrono::Utc::now().date_naive());
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    Ok(CheckedForm {
        json: serde_json::to_string(&form)?,
        surname: form.applicant.surname.clone(),
        given_names: form.applicant.given_names.clone(),
        nationality: form.applicant.nationality.as_ref().map(ToString::to_string),
    })
}

/// The stored form of a visa case.
pub fn form_of(case: &CaseRow) -> app::Result<VisaApplicationForm> {
    Ok(serde_json::from_str(&case.form)?)
}

/// Everything that stands in the way of submitting a visa application.
pub fn submission_problems(conn: &mut AnyConnection, case: &CaseRow) -> app::Result<Vec<FieldError>> {
    let form = form_of(case)?;
    let visa_type = catalog::find_visa_type(conn, &case.service_code)?.filter(|t| t.service.active);
    let post = catalog::find_post(conn, &case.post_code)?;
    let mut problems = form.submission_problems(&SubmissionContext {
        today: catalog::today_at(post.as_ref()),
        max_stay_days: visa_type.as_ref().map_or(i32::MAX, |t| t.visa.max_stay_days),
    });
    if visa_type.is_none() {
        problems.push(FieldError::new("visa_type", "unknown", "this visa type no longer takes applications"));
    }
    Ok(problems)
}

/// The grant of an approval: the officer's choices where given, defaults from the visa type and
/// the requested trip otherwise, bounded by today at the post and the passport's expiry.
pub fn grant(conn: &mut AnyConnection, case: &CaseRow, request: &GrantRequest) -> app::Result<Grant> {
    let form = form_of(case)?;
    let visa_type = catalog::find_visa_type(conn, &case.service_code)?
        .ok_or_else(|| Error::internal(anyhow::anyhow!("visa type {} vanished", case.service_code)))?;
    let post = catalog::find_post(conn, &case.post_code)?;
    let ctx = GrantContext {
        today: catalog::today_at(post.as_ref()),
        entries: Entries::parse(&visa_type.visa.entries).unwrap_or(Entries::Single),
        max_stay_days: visa_type.visa.max_stay_days,
        validity_days: visa_type.visa.validity_days,
        arrival: form.travel.arrival_date,
        departure: form.travel.departure_date,
        passport_expiry: form.passport.expiry_date,
    };
    decide_grant(request, &ctx).map_err(Error::Invalid)
}
