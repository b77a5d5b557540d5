//! Edit: the applicant changes a draft (or answers a request for information) with a JSON merge
//! patch (RFC 7396) of the form, and may move a draft to another service or post. While
//! information is requested, identity, passport, service and post stay as submitted.

use serde_json::Value;
use std::sync::Arc;

use super::create::{check_eligibility, open_service};
use super::{checked_form, editable_case};
use crate::app::engine::{self, Actor, Audit};
use crate::app::{Applicant, CaseFile, Error, Result};
use crate::config::Config;
use crate::db::cases::{self, CaseRow, FormChanges};
use crate::db::{self, AnyConnection, Db, fees};
use crate::domain::FieldError;
use crate::domain::service::Service;
use crate::domain::status::CaseStatus;

/// What an edit changes.
#[derive(Debug, Clone)]
pub struct Changes {
    /// Another service, if it changes.
    pub service: Option<String>,
    /// Another post, if it changes.
    pub post: Option<String>,
    /// A merge patch of the form.
    pub form_patch: Value,
    /// The names of the changed fields, for the audit trail.
    pub fields: Vec<String>,
}

/// Sections of a submitted form that stay as submitted while the applicant answers a request for
/// information: who they are and which passport the decision is about.
const FROZEN_SECTIONS: [&str; 2] = ["applicant", "passport"];

/// A submitted case's service and post never change: the problems of a change that moves it.
fn moved(case: &CaseRow, service: &str, post: &str, detail: &str) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if service != case.service_code {
        problems.push(FieldError::new("service", "frozen", detail));
    }
    if post != case.post_code {
        problems.push(FieldError::new("post", "frozen", detail));
    }
    problems
}

/// Refuses, naming each field, any change of identity, passport, service or post to a submitted
/// case: answering a request for information adds documents and corrects the rest.
fn frozen_while_answering(case: &CaseRow, service: &str, post: &str, before: &Value, after: &Value) -> Result<()> {
    let detail = "cannot change once submitted; tell the officer in your answer instead";
    let mut problems = moved(case, service, post, detail);
    for section in FROZEN_SECTIONS {
        let keys: std::collections::BTreeSet<&String> = [&before[section], &after[section]]
            .into_iter()
            .filter_map(Value::as_object)
            .flat_map(|fields| fields.keys())
            .collect();
        for key in keys {
            if before[section][key] != after[section][key] {
                problems.push(FieldError::new(format!("{section}.{key}"), "frozen", detail));
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(Error::Invalid(problems)) }
}

/// Refuses, naming each field, any change but to the answers a request for information named
/// (and any change of service or post).
fn only_requested(
    case: &CaseRow,
    service: &str,
    post: &str,
    before: &Value,
    after: &Value,
    requested: &[String],
) -> Result<()> {
    let detail = "not asked for: only the answers the officer named may change";
    let mut problems = moved(case, service, post, detail);
    for change in crate::domain::changes::answers(before, after) {
        if !requested.contains(&change.field) {
            problems.push(FieldError::new(change.field, "not_requested", detail));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(Error::Invalid(problems)) }
}

/// Makes a draft moved to another service owe that service's fee (and stay in its family of
/// cases): a fee is fixed when the draft is opened and whenever its service changes, never at
/// the applicant's choosing. A draft with a payment recorded stays with its service.
fn follow_fee(conn: &mut AnyConnection, case: &CaseRow, service: &Service) -> Result<()> {
    if service.output.family() != case.service {
        return Err(Error::invalid_field(
            "service",
            "other_family",
            "a visa application and a consular request cannot become one another; start a new one",
        ));
    }
    let fee =
        fees::lock(conn, &case.id)?.ok_or_else(|| Error::internal(anyhow::anyhow!("case {} has no fee", case.id)))?;
    if fee.amount_minor == service.fee.amount_minor && fee.currency == service.fee.currency {
        return Ok(());
    }
    if fee.paid_minor > 0 || fees::set_due(conn, &case.id, &service.fee)? == 0 {
        return Err(Error::invalid_field(
            "service",
            "paid",
            "a payment was made for this service; withdraw the application and start a new one to change it",
        ));
    }
    Ok(())
}

/// Applies `changes` to the case `id`, re-checking the whole form; guarded by the version read.
pub async fn edit(
    db: &Db,
    config: Arc<Config>,
    user: &Applicant,
    id: String,
    changes: Changes,
    audit: Audit,
) -> Result<CaseFile> {
    if !changes.form_patch.is_object() {
        return Err(Error::invalid_field("", "invalid", "a merge patch must be a JSON object"));
    }
    let user = user.clone();
    db.write(move |conn| {
        let case = editable_case(conn, &id, &user, "the answers")?;
        let service_code = changes.service.unwrap_or_else(|| case.service_code.clone());
        let post = changes.post.unwrap_or_else(|| case.post_code.clone());
        let (_, service) = open_service(conn, &service_code, &post)?;
        let mut document: Value = serde_json::from_str(&case.form)?;
        let before = document.clone();
        json_patch::merge(&mut document, &changes.form_patch);
        if case.status == CaseStatus::InfoRequested {
            match crate::app::review::request_info::requested_fields(conn, &case.id)? {
                // The officer named the answers to correct: those, and only those, may change.
                Some(requested) => only_requested(&case, &service_code, &post, &before, &document, &requested)?,
                None => frozen_while_answering(&case, &service_code, &post, &before, &document)?,
            }
        }
        let moved = service.code != case.service_code;
        if moved {
            follow_fee(conn, &case, &service)?;
        }
        let form_version = if moved { service.form_version } else { case.form_version };
        let form = checked_form(conn, &service, form_version, document)?;
        check_eligibility(&service, &form, &config.issuing_state)?;
        let update = FormChanges {
            service_code: &service.code,
            post_code: &post,
            form: &form.json,
            surname: form.surname.as_deref(),
            given_names: form.given_names.as_deref(),
            nationality: form.nationality.as_deref(),
            updated_at: db::now(),
            form_version,
        };
        if cases::update_form(conn, &case.id, case.status, case.version, &update)? == 0 {
            return Err(Error::Conflict("the application was changed meanwhile; reload it and try again".into()));
        }
        let audit = audit.with_details(serde_json::json!({ "changed": changes.fields }));
        let status = case.status;
        engine::record(conn, &case.id, "edit", Some(status), status, &Actor::from(&*user), &audit, update.updated_at)?;
        CaseFile::load(conn, &case.id)
    })
    .await
}
