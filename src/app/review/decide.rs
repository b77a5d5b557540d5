//! Decide: the assignee approves (or, where four-eyes applies, recommends approval) or refuses
//! on coded grounds.

use std::sync::Arc;

use super::grounds::{self, Purpose};
use super::{act, decision_json, require_handler};
use crate::app::applicant::submit::submission_problems;
use crate::app::engine::{Audit, Step, output_of};
use crate::app::{CaseFile, Error, Result, Staff, text};
use crate::config::Config;
use crate::db::cases::TransitionChanges;
use crate::db::{self, Db, catalog};
use crate::domain::decision::Decision;
use crate::domain::status::Action;
use crate::issuance::{self, e_visa::grant::GrantRequest};

/// A decision as the officer takes it.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Approve on these terms (each left out takes its default).
    Approve {
        /// The grant asked for, where the output has one (e-visas).
        grant: GrantRequest,
    },
    /// Refuse on these coded grounds.
    Refuse {
        /// Codes of refusal grounds.
        grounds: Vec<String>,
    },
}

/// Decides the case `id`. An approval re-runs the submission checks, and needs a second person
/// when the service or the post requires four-eyes: it is then a recommendation.
pub async fn decide(
    db: &Db,
    config: Arc<Config>,
    user: &Staff,
    id: String,
    verdict: Verdict,
    note: Option<String>,
    audit: Audit,
) -> Result<CaseFile> {
    let audit = audit.with_staff_note(text("note", note, false, 2000)?);
    if let Verdict::Refuse { grounds } = &verdict
        && grounds.is_empty()
    {
        return Err(Error::invalid_field("grounds", "required", "at least one refusal ground is required"));
    }
    let appeal_information = config.appeal_information.clone();
    let checks = config.clone();
    act(db, config, user, id, move |conn, case, user| {
        require_handler(user, case)?;
        match verdict {
            Verdict::Approve { grant } => {
                let problems = submission_problems(conn, &checks, case)?;
                if !problems.is_empty() {
                    return Err(Error::Invalid(problems));
                }
                let output = output_of(conn, case)?;
                let terms = issuance::issuer(output).approval_terms(conn, case, &grant)?;
                let service = catalog::find_service(conn, &case.service_code)?;
                let post = catalog::find_post(conn, &case.post_code)?;
                let four_eyes = service.is_some_and(|s| s.four_eyes) || post.is_some_and(|p| p.four_eyes);
                let audit = audit.with_details(serde_json::json!({"grant": terms, "four_eyes": four_eyes}));
                let step = if four_eyes {
                    let changes = TransitionChanges {
                        decision: Some(Some(decision_json(&Decision::Recommended { grant: terms })?)),
                        recommended_by: Some(Some(user.id.clone())),
                        ..TransitionChanges::default()
                    };
                    Step::new(Action::Recommend, audit).changes(changes)
                } else {
                    let changes = TransitionChanges {
                        decision: Some(Some(decision_json(&Decision::Approved { grant: terms })?)),
                        decided_at: Some(Some(db::now())),
                        ..TransitionChanges::default()
                    };
                    Step::new(Action::Approve, audit).changes(changes)
                };
                Ok(step)
            }
            Verdict::Refuse { grounds: codes } => {
                let grounds = grounds::resolve(conn, &codes, Purpose::Refusal)?;
                let recorded: Vec<&str> = grounds.iter().map(|g| g.code.as_str()).collect();
                let audit = audit.with_details(serde_json::json!({ "grounds": recorded }));
                let email = serde_json::json!({"grounds": grounds, "appeal_information": appeal_information});
                let decision = Decision::Refused { grounds, appeal_information };
                let changes = TransitionChanges {
                    decision: Some(Some(decision_json(&decision)?)),
                    decided_at: Some(Some(db::now())),
                    ..TransitionChanges::default()
                };
                Ok(Step::new(Action::Refuse, audit).changes(changes).email(email))
            }
        }
    })
    .await
}
