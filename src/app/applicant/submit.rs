//! Submit: the applicant hands in a complete draft; every rule is checked and every problem
//! listed at once.

use chrono::Duration;
use std::sync::Arc;

use super::create::check_eligibility;
use super::own_case;
use crate::app::engine::{self, Actor, Audit, Step};
use crate::app::forms::{self, Stage};
use crate::app::{Applicant, CaseFile, Error, Result};
use crate::config::Config;
use crate::db::cases::{CaseRow, TransitionChanges};
use crate::db::{self, AnyConnection, Db, catalog, users};
use crate::db::{documents, fees};
use crate::domain::FieldError;
use crate::domain::service::{Fee, OutputKind};
use crate::domain::status::{Action, CaseStatus};
use crate::issuance::{self, CheckedForm};

/// Everything that stands in the way of submitting `case`: its form against the version it was
/// written for (the typed rules of e-visas, the JSON Schema of every other service), the service's
/// documents and eligibility.
pub(crate) fn submission_problems(
    conn: &mut AnyConnection,
    config: &Config,
    case: &CaseRow,
) -> Result<Vec<FieldError>> {
    let Some(row) = catalog::find_service(conn, &case.service_code)?.filter(|s| s.active) else {
        return Ok(vec![FieldError::new("service", "unknown", "this service no longer takes applications")]);
    };
    let service = row.to_service()?;
    let mut problems = Vec::new();
    if service.output != OutputKind::EVisa {
        let schema = catalog::form_schema(conn, &case.service_code, case.form_version)?.ok_or_else(|| {
            Error::internal(anyhow::anyhow!("service {} has no form version {}", case.service_code, case.form_version))
        })?;
        let form: serde_json::Value = serde_json::from_str(&case.form)?;
        problems.extend(forms::problems(&schema, &form, Stage::Submission)?);
    }
    let documents = documents::for_case(conn, &case.id)?;
    let present: Vec<&str> = documents.iter().map(|d| d.kind.as_str()).collect();
    problems.extend(service.missing_documents(&present));
    let identity = CheckedForm {
        json: String::new(),
        surname: case.surname.clone(),
        given_names: case.given_names.clone(),
        nationality: case.nationality.clone(),
    };
    if let Err(Error::Invalid(refused)) = check_eligibility(&service, &identity, &config.issuing_state) {
        problems.extend(refused);
    }
    if service.prepaid
        && let Some(fee) = fees::for_case(conn, &case.id)?
        && fee.outstanding_minor() > 0
    {
        let due = Fee { amount_minor: fee.outstanding_minor(), currency: fee.currency.clone() };
        problems.push(FieldError::new(
            "payment",
            "unpaid",
            format!("the fee is paid before submission: {} {} is outstanding", due.decimal(), due.currency),
        ));
    }
    for problem in issuance::issuer(service.output).submission_problems(conn, case)? {
        if !problems.iter().any(|p| p.field == problem.field) {
            problems.push(problem);
        }
    }
    Ok(problems)
}

/// The problems of the answers named `fields` (dotted paths such as `applicant.surname`) that
/// would stand in the way of submitting the case `id`: the same rules as submission, asked when
/// the applicant finishes a step, so each mistake is shown on the page that holds it.
pub async fn step_problems(
    db: &Db,
    config: Arc<Config>,
    user: &Applicant,
    id: String,
    fields: Vec<String>,
) -> Result<Vec<FieldError>> {
    let user = user.clone();
    db.run(move |conn| {
        let case = own_case(conn, &id, &user)?;
        let problems = submission_problems(conn, &config, &case)?;
        let dotted = |field: &str| field.trim_start_matches('/').replace('/', ".");
        Ok(problems.into_iter().filter(|p| fields.contains(&dotted(&p.field))).collect())
    })
    .await
}

/// Submits the draft `id`: the decision deadline is set from the service's processing days.
pub async fn submit(db: &Db, config: Arc<Config>, user: &Applicant, id: String, audit: Audit) -> Result<CaseFile> {
    let user = user.clone();
    db.write(move |conn| {
        let case = own_case(conn, &id, &user)?;
        let account = users::find(conn, &user.id)?.ok_or(Error::NotFound)?;
        if account.email_verified_at.is_none() {
            return Err(Error::Forbidden(
                "confirm your e-mail address before submitting: follow the link we sent you".into(),
            ));
        }
        if case.status != CaseStatus::Draft {
            return Err(Error::Conflict(format!("an application that is {} cannot be submitted", case.status)));
        }
        let problems = submission_problems(conn, &config, &case)?;
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let processing_days = catalog::find_service(conn, &case.service_code)?.map_or(15, |s| s.processing_days);
        let now = db::now();
        let deadline = now
            .checked_add_signed(Duration::days(i64::from(processing_days)))
            .ok_or_else(|| Error::internal(anyhow::anyhow!("deadline out of range")))?;
        let changes = TransitionChanges {
            submitted_at: Some(now),
            decision_deadline: Some(deadline),
            ..TransitionChanges::default()
        };
        let email = serde_json::json!({ "deadline": deadline.format("%d %B %Y").to_string() });
        let step = Step::new(Action::Submit, audit).changes(changes).email(email);
        engine::transition(conn, &config, &case, &Actor::from(&*user), step)?;
        CaseFile::load(conn, &case.id)
    })
    .await
}
