//! The case engine: who may see a case, and the one transition function through which every
//! status change goes. A transition decides the new status from the state machine, writes it
//! guarded by the status and version the case was read in (a lost race is a conflict), records
//! the audit event, and emits the effects declared for the service's output (e-mails, issuing),
//! all in the caller's transaction.

use serde_json::Value;

use super::{Error, Result, User};
use crate::config::Config;
use crate::db::cases::{CaseRow, TransitionChanges};
use crate::db::events::{self, NewEvent};
use crate::db::jobs::{self, JobKind};
use crate::db::{self, AnyConnection, catalog};
use crate::domain::effects::{self, Effect};
use crate::domain::role::Role;
use crate::domain::service::OutputKind;
use crate::domain::status::{self, Action, CaseStatus, TransitionError};
use crate::notify::{self, Attachment};

/// Who performs an action, for the state machine and the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The account; none for the service itself.
    pub user_id: Option<String>,
    /// The role acted in.
    pub role: Role,
}

impl Actor {
    /// The service itself (issuing, expiry).
    pub fn system() -> Actor {
        Actor { user_id: None, role: Role::System }
    }
}

impl From<&User> for Actor {
    fn from(user: &User) -> Self {
        Actor { user_id: Some(user.id.clone()), role: user.role }
    }
}

/// What the audit event of an action records besides who and what.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// The request that caused the action.
    pub request_id: Option<String>,
    /// Free-text note, shown to whoever may see the event.
    pub note: Option<String>,
    /// A note for staff only.
    pub staff_note: Option<String>,
    /// Whether the event is for staff only.
    pub internal: bool,
    /// Structured details.
    pub details: Option<Value>,
}

impl Audit {
    /// An audit record for a request.
    pub fn for_request(request_id: impl ToString) -> Audit {
        Audit { request_id: Some(request_id.to_string()), ..Audit::default() }
    }

    /// Adds a note.
    pub fn with_note(mut self, note: Option<String>) -> Audit {
        self.note = note;
        self
    }

    /// Adds a note for staff only.
    pub fn with_staff_note(mut self, note: Option<String>) -> Audit {
        self.staff_note = note;
        self
    }

    /// Marks the whole event as staff-only.
    pub fn internal(mut self) -> Audit {
        self.internal = true;
        self
    }

    /// Adds structured details.
    pub fn with_details(mut self, details: Value) -> Audit {
        self.details = Some(details);
        self
    }
}

/// One transition to perform: the action, what it writes besides the status, its audit record,
/// and what its e-mail (if the service declares one) says.
pub struct Step {
    action: Action,
    changes: TransitionChanges,
    audit: Audit,
    email: Value,
    attachment: Option<Attachment>,
}

impl Step {
    /// The action, with no other change, a bare audit record and an e-mail with the defaults.
    pub fn new(action: Action, audit: Audit) -> Step {
        Step {
            action,
            changes: TransitionChanges::default(),
            audit,
            email: Value::Object(Default::default()),
            attachment: None,
        }
    }

    /// Columns the transition writes besides the status.
    pub fn changes(mut self, changes: TransitionChanges) -> Step {
        self.changes = changes;
        self
    }

    /// What the e-mail of this transition says beyond the defaults (reference, service, link).
    pub fn email(mut self, context: Value) -> Step {
        self.email = context;
        self
    }

    /// A stored document attached to the e-mail of this transition.
    pub fn attachment(mut self, attachment: Attachment) -> Step {
        self.attachment = Some(attachment);
        self
    }
}

/// The case `id` if `user` may see it. Applicants see their own cases; officers and supervisors
/// see their post's cases once submitted; a case the caller may not see does not exist for them.
pub fn visible_case(conn: &mut AnyConnection, id: &str, user: &User) -> Result<CaseRow> {
    let case = db::cases::find(conn, id)?.ok_or(Error::NotFound)?;
    let visible = match user.role {
        Role::Applicant => case.applicant_id == user.id,
        Role::Officer | Role::Supervisor => {
            user.post.as_deref() == Some(case.post_code.as_str()) && case.status != CaseStatus::Draft
        }
        Role::Admin | Role::System => {
            return Err(Error::Forbidden("administrators do not handle case files".into()));
        }
    };
    if visible { Ok(case) } else { Err(Error::NotFound) }
}

/// What a case's service produces.
pub fn output_of(conn: &mut AnyConnection, case: &CaseRow) -> Result<OutputKind> {
    let service = catalog::find_service(conn, &case.service_code)?.ok_or_else(|| {
        Error::internal(anyhow::anyhow!("service {} of case {} vanished", case.service_code, case.id))
    })?;
    Ok(service.output()?)
}

/// Performs `step` on `case` as `actor`: the new status, guarded; the audit event; and the
/// declared effects. Call inside a write transaction so all of it lands together or not at all.
pub fn transition(
    conn: &mut AnyConnection,
    config: &Config,
    case: &CaseRow,
    actor: &Actor,
    step: Step,
) -> Result<CaseStatus> {
    let from = case.status;
    let to = status::transition(from, step.action, actor.role).map_err(|err| match err {
        TransitionError::Forbidden { .. } => Error::Forbidden(err.to_string()),
        TransitionError::IllegalFromStatus { .. } => Error::Conflict(err.to_string()),
    })?;
    let at = db::now();
    if db::cases::change_status(conn, &case.id, from, case.version, to, step.changes, at)? == 0 {
        return Err(Error::Conflict("the case was changed meanwhile; reload it and try again".into()));
    }
    record(conn, &case.id, step.action.as_str(), Some(from), to, actor, &step.audit, at)?;
    let output = output_of(conn, case)?;
    let mut email = step.email;
    if let Some(fields) = email.as_object_mut() {
        fields.entry("output").or_insert_with(|| Value::from(output.as_str()));
    }
    for effect in effects::of(output, step.action) {
        match effect {
            Effect::Email(event) => {
                notify::case_event(conn, config, case, event, email.clone(), step.attachment.clone())?
            }
            Effect::IssueOutput => jobs::enqueue(conn, JobKind::IssueOutput, &case.id, at)?,
        }
    }
    // Last, so that the shared count rows stay locked for as short a time as possible.
    let (post, service) = (case.post_code.as_str(), case.service_code.as_str());
    db::case_counts::shift(conn, Some((post, service, from)), Some((post, service, to)))?;
    Ok(to)
}

/// Records an audit event of a change that keeps the status (creation, edits, uploads, notes).
#[allow(clippy::too_many_arguments)]
pub fn record(
    conn: &mut AnyConnection,
    case_id: &str,
    action: &str,
    from: Option<CaseStatus>,
    to: CaseStatus,
    actor: &Actor,
    audit: &Audit,
    at: chrono::NaiveDateTime,
) -> Result<()> {
    events::insert(
        conn,
        &NewEvent {
            id: uuid::Uuid::now_v7().to_string(),
            case_id,
            action,
            from_status: from.map(CaseStatus::as_str),
            to_status: to.as_str(),
            actor_id: actor.user_id.as_deref(),
            actor_role: actor.role.as_str(),
            note: audit.note.as_deref(),
            internal: audit.internal,
            details: audit.details.as_ref().map(Value::to_string),
            request_id: audit.request_id.as_deref(),
            created_at: at,
            staff_note: audit.staff_note.as_deref(),
        },
    )?;
    Ok(())
}
