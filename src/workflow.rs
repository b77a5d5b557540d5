//! Applies the state machine to stored cases: who may see a case, and how an action becomes a
//! guarded status update plus its audit event, in the caller's transaction.

use crate::auth::AuthUser;
use crate::db::cases::{CaseRow, TransitionChanges};
use crate::db::events::{self, NewEvent};
use crate::db::{self, AnyConnection};
use crate::domain::role::Role;
use crate::domain::status::{self, Action, CaseStatus, TransitionError};
use crate::error::{AppError, AppResult};

/// Who performs an action, for the state machine and the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The account; none for the service itself.
    pub user_id: Option<String>,
    /// The role acted in.
    pub role: Role,
}

impl From<&AuthUser> for Actor {
    fn from(user: &AuthUser) -> Self {
        Actor { user_id: Some(user.id.clone()), role: user.role }
    }
}

/// What the audit event of an action records besides who and what.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// The HTTP request that caused the action.
    pub request_id: Option<String>,
    /// Free-text note, shown to whoever may see the event.
    pub note: Option<String>,
    /// A note for staff only.
    pub staff_note: Option<String>,
    /// Whether the event is for staff only.
    pub internal: bool,
    /// Structured details.
    pub details: Option<serde_json::Value>,
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
    pub fn with_details(mut self, details: serde_json::Value) -> Audit {
        self.details = Some(details);
        self
    }
}

/// The case `id` if `user` may see it. Applicants see their own cases; officers and supervisors
/// see their post's cases once submitted; a case the caller may not see does not exist for them.
pub fn visible_case(conn: &mut AnyConnection, id: &str, user: &AuthUser) -> AppResult<CaseRow> {
    let case = db::cases::find(conn, id)?.ok_or(AppError::NotFound)?;
    let visible = match user.role {
        Role::Applicant => case.applicant_id == user.id,
        Role::Officer | Role::Supervisor => {
            user.post.as_deref() == Some(case.post_code.as_str()) && case.status() != CaseStatus::Draft
        }
        Role::Admin | Role::System => {
            return Err(AppError::Forbidden("administrators do not handle case files".into()));
        }
    };
    if visible { Ok(case) } else { Err(AppError::NotFound) }
}

/// Performs `action` on `case`: decides the new status, writes it guarded by the status and
/// version the case was read in (a lost race is a 409), and records the audit event. Call inside a write
/// transaction so both land together or not at all.
pub fn transition(
    conn: &mut AnyConnection,
    case: &CaseRow,
    action: Action,
    actor: &Actor,
    audit: &Audit,
    changes: TransitionChanges,
) -> AppResult<CaseStatus> {
    let from = case.status();
    let to = status::transition(from, action, actor.role).map_err(|err| match err {
        TransitionError::Forbidden { .. } => AppError::Forbidden(err.to_string()),
        TransitionError::IllegalFromStatus { .. } => AppError::Conflict(err.to_string()),
    })?;
    let at = db::now();
    if db::cases::change_status(conn, &case.id, from, case.version, to, changes, at)? == 0 {
        return Err(AppError::Conflict("the case was changed meanwhile; reload it and try again".into()));
    }
    record(conn, &case.id, action.as_str(), Some(from), to, actor, audit, at)?;
    Ok(to)
}

/// Records an audit event. Used directly for changes that keep the status (creation, edits,
/// uploads).
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
) -> AppResult<()> {
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
            details: audit.details.as_ref().map(serde_json::Value::to_string),
            request_id: audit.request_id.as_deref(),
            created_at: at,
            staff_note: audit.staff_note.as_deref(),
        },
    )?;
    Ok(())
}
