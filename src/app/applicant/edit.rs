//! Edit: the applicant changes a draft (or answers a request for information) with a JSON merge
//! patch (RFC 7396) of the form, and may move it to another service or post.

use serde_json::Value;
use std::sync::Arc;

use super::create::{check_eligibility, open_service};
use super::editable_case;
use crate::app::engine::{self, Actor, Audit};
use crate::app::{Applicant, CaseFile, Error, Result};
use crate::config::Config;
use crate::db::cases::{self, FormChanges};
use crate::db::{self, Db};
use crate::outputs;

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
        json_patch::merge(&mut document, &changes.form_patch);
        let form = outputs::check_form(service.output, document)?;
        check_eligibility(&service, &form, &config.issuing_state)?;
        let form_version = if service.code == case.service_code { case.form_version } else { service.form_version };
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
