//! A case as the applicant's form pages read it (its service, form steps filled with its answers,
//! documents), and the words and amounts those pages write; shared by the form's steps, its
//! documents and check pages, the case page and the console.

use serde_json::Value;

use super::Ctx;
use super::schema_form::{self, Step, Words};
use crate::app::engine::visible_case;
use crate::app::{self, User};
use crate::db::cases::CaseRow;
use crate::db::catalog::{self, ServiceRow};
use crate::db::documents::{self, DocumentRow};
use crate::domain::FieldError;
use crate::domain::service::{DocumentRequirement, Fee};
use crate::domain::texts::Texts;

/// A fee as shown: `80.00 EUR`.
pub fn fee_text(amount_minor: i64, currency: &str) -> String {
    Fee { amount_minor, currency: currency.to_owned() }.decimal() + " " + currency
}

/// The words of a service with `texts` in the page's language.
pub fn words<'a>(ctx: &'a Ctx, texts: &'a Texts) -> Words<'a> {
    let config = &ctx.state.config;
    Words::new(ctx.lang, texts, (&config.issuing_state, config.state_name(ctx.lang)))
}

/// A case as the applicant's form pages need it.
pub struct Draft {
    /// The case.
    pub case: CaseRow,
    /// Its service.
    pub service: ServiceRow,
    /// The steps of its form version, filled with its answers.
    pub steps: Vec<Step>,
    /// Its form as JSON.
    pub form: Value,
    /// Its documents.
    pub documents: Vec<DocumentRow>,
}

impl Draft {
    /// The documents the service asks for.
    pub fn requirements(&self) -> Vec<DocumentRequirement> {
        serde_json::from_str(&self.service.documents).unwrap_or_default()
    }

    /// Number of pages: the steps, the documents (if any), and the check.
    pub(super) fn total(&self) -> usize {
        self.steps.len() + usize::from(!self.requirements().is_empty()) + 1
    }

    pub(super) fn document_page(&self) -> Option<usize> {
        (!self.requirements().is_empty()).then_some(self.steps.len() + 1)
    }
}

/// Loads the case `id` that `user` may see, with its service, form steps and documents.
pub async fn load(ctx: &Ctx, user: User, id: String) -> app::Result<Draft> {
    let lang = ctx.lang;
    let config = ctx.state.config.clone();
    ctx.state
        .db
        .run(move |conn| {
            let case = visible_case(conn, &id, &user)?;
            let service = catalog::find_service(conn, &case.service_code)?.ok_or(app::Error::NotFound)?;
            let schema = catalog::form_schema(conn, &case.service_code, case.form_version)?.unwrap_or_default();
            let schema: Value = serde_json::from_str(&schema).unwrap_or(Value::Null);
            let form: Value = serde_json::from_str(&case.form).unwrap_or(Value::Null);
            let texts = service.texts();
            let words = Words::new(lang, &texts, (&config.issuing_state, config.state_name(lang)));
            let mut steps = schema_form::shown_steps(&schema, &words, &form);
            // Required as the submission's rules say, which may ask more than the schema.
            let required =
                service.output().map_or(&[][..], |output| crate::issuance::issuer(output).required_answers());
            for field in steps.iter_mut().flat_map(|s| s.fields.iter_mut()) {
                field.required |= required.contains(&field.name.as_str());
            }
            schema_form::fill(&mut steps, &form, &[], lang);
            let documents = documents::for_case(conn, &case.id)?;
            Ok(Draft { case, service, steps, form, documents })
        })
        .await
}

/// `problems` in the order of the form's fields (the documents and the rest after them), as
/// the applicant meets them.
pub(super) fn in_form_order(draft: &Draft, problems: &[FieldError]) -> Vec<FieldError> {
    let names: Vec<&str> = draft.steps.iter().flat_map(|s| &s.fields).map(|f| f.name.as_str()).collect();
    let mut ordered = problems.to_vec();
    ordered.sort_by_key(|p| names.iter().position(|n| *n == schema_form::dotted(&p.field)).unwrap_or(names.len()));
    ordered
}
