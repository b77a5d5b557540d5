//! Create: an applicant opens a draft for a service at a post.

use serde_json::Value;
use std::sync::Arc;

use super::checked_form;
use crate::app::engine::{self, Actor, Audit};
use crate::app::{Applicant, CaseFile, Error, Result};
use crate::config::Config;
use crate::db::cases::{self, NewCase};
use crate::db::catalog::{self, ServiceRow};
use crate::db::fees::{self, CaseFeeRow};
use crate::db::{self, AnyConnection, Db};
use crate::domain::FieldError;
use crate::domain::reference::{counter_scope, format_reference};
use crate::domain::service::Service;
use crate::domain::status::CaseStatus;
use crate::issuance::CheckedForm;

/// What a new case is for.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The service's code.
    pub service: String,
    /// The post's code.
    pub post: String,
    /// The form, possibly incomplete.
    pub form: Value,
}

/// The service and post of a draft, checked against the catalogue: both exist and the service
/// takes cases. Problems name the fields `service` and `post`.
pub(crate) fn open_service(conn: &mut AnyConnection, service: &str, post: &str) -> Result<(ServiceRow, Service)> {
    let mut problems = Vec::new();
    let row = catalog::find_service(conn, service)?.filter(|s| s.active);
    if row.is_none() {
        problems.push(FieldError::new(
            "service",
            "unknown",
            format!("{service} is not a service open to applications"),
        ));
    }
    if catalog::find_post(conn, post)?.is_none() {
        problems.push(FieldError::new("post", "unknown", format!("no consular post has the code {post}")));
    }
    match row {
        Some(row) if problems.is_empty() => {
            let service = row.to_service()?;
            Ok((row, service))
        }
        _ => Err(Error::Invalid(problems)),
    }
}

/// Refuses an applicant whose nationality the service does not admit.
pub(crate) fn check_eligibility(service: &Service, form: &CheckedForm, issuing_state: &str) -> Result<()> {
    match &form.nationality {
        Some(nationality) if !service.eligibility.admits(nationality, issuing_state) => Err(Error::invalid_field(
            "applicant.nationality",
            "not_eligible",
            format!("{} is open to {} only", service.name, service.eligibility.as_str()),
        )),
        _ => Ok(()),
    }
}

/// Creates a draft, recording the form version it is written against.
pub async fn create(db: &Db, config: Arc<Config>, user: &Applicant, draft: Draft, audit: Audit) -> Result<CaseFile> {
    let user = user.clone();
    db.write(move |conn| {
        let (_, service) = open_service(conn, &draft.service, &draft.post)?;
        let form = checked_form(conn, &service, service.form_version, draft.form)?;
        check_eligibility(&service, &form, &config.issuing_state)?;
        let now = db::now();
        let year = chrono::Datelike::year(&now);
        let number = cases::next_reference_number(conn, &counter_scope(&config.issuing_state, year))?;
        let reference = format_reference(&config.issuing_state, year, number);
        let id = uuid::Uuid::new_v4().to_string();
        cases::insert(
            conn,
            &NewCase {
                id: &id,
                reference: &reference,
                applicant_id: &user.id,
                service: service.output.family(),
                service_code: &service.code,
                post_code: &draft.post,
                status: CaseStatus::Draft.as_str(),
                form: &form.json,
                surname: form.surname.as_deref(),
                given_names: form.given_names.as_deref(),
                nationality: form.nationality.as_deref(),
                created_at: now,
                updated_at: now,
                form_version: service.form_version,
            },
        )?;
        let fee = CaseFeeRow {
            case_id: id.clone(),
            amount_minor: service.fee.amount_minor,
            currency: service.fee.currency.clone(),
            paid_minor: 0,
        };
        fees::insert(conn, &fee)?;
        engine::record(conn, &id, "create", None, CaseStatus::Draft, &Actor::from(&*user), &audit, now)?;
        CaseFile::load(conn, &id)
    })
    .await
}
