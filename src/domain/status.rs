//! The case state machine: every status, every action, and the one function that decides which
//! action may move a case from which status to which, for whom.
//!
//! The legal edges are data ([`EDGES`]); [`transition`] only looks them up. Persisting a
//! transition is the database layer's job, guarded by the expected current status.

use super::UnknownName;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::role::Role;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Being filled in by the applicant; invisible to staff.
    Draft,
    /// Complete and waiting in the post's queue.
    Submitted,
    /// Claimed by an officer who is examining it.
    InReview,
    /// The officer asked the applicant for more information.
    InfoRequested,
    /// An officer recommended approval; a second person must confirm (four-eyes).
    PendingApproval,
    /// Granted; issuance takes over from here.
    Approved,
    /// The document was issued.
    Issued,
    /// Refused with coded grounds.
    Rejected,
    /// Withdrawn by the applicant before a decision.
    Withdrawn,
    /// An issued document was revoked.
    Revoked,
}

impl CaseStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [CaseStatus; 10] = [
        CaseStatus::Draft,
        CaseStatus::Submitted,
        CaseStatus::InReview,
        CaseStatus::InfoRequested,
        CaseStatus::PendingApproval,
        CaseStatus::Approved,
        CaseStatus::Issued,
        CaseStatus::Rejected,
        CaseStatus::Withdrawn,
        CaseStatus::Revoked,
    ];

    /// Whether the case is before staff or was decided by them: every status from submission on
    /// but a withdrawal, which is the applicant's own act before any decision.
    pub fn concerns_staff(self) -> bool {
        !matches!(self, CaseStatus::Draft | CaseStatus::Withdrawn)
    }

    /// The stable name used in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Draft => "draft",
            CaseStatus::Submitted => "submitted",
            CaseStatus::InReview => "in_review",
            CaseStatus::InfoRequested => "info_requested",
            CaseStatus::PendingApproval => "pending_approval",
            CaseStatus::Approved => "approved",
            CaseStatus::Issued => "issued",
            CaseStatus::Rejected => "rejected",
            CaseStatus::Withdrawn => "withdrawn",
            CaseStatus::Revoked => "revoked",
        }
    }

    /// Whether a payment towards the case's fee may still be recorded: not once it was closed
    /// without a document (refused, withdrawn) or its document was revoked.
    pub fn takes_payment(self) -> bool {
        !matches!(self, CaseStatus::Rejected | CaseStatus::Withdrawn | CaseStatus::Revoked)
    }

    /// Whether the applicant may still edit the case's form and documents.
    pub fn is_editable_by_applicant(self) -> bool {
        matches!(self, CaseStatus::Draft | CaseStatus::InfoRequested)
    }
}

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CaseStatus {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CaseStatus::ALL.into_iter().find(|status| status.as_str() == s).ok_or(UnknownName)
    }
}

impl TryFrom<String> for CaseStatus {
    type Error = UnknownStatus;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        name.parse().map_err(|_| UnknownStatus(name))
    }
}

/// A stored status this code does not know: an error, never read as some other status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown case status {0:?}")]
pub struct UnknownStatus(pub String);

/// Something an actor does to a case that may change its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The applicant hands in a complete draft.
    Submit,
    /// The applicant withdraws before a decision.
    Withdraw,
    /// An officer takes a submitted case.
    Claim,
    /// The assignee puts the case back in the queue.
    Release,
    /// A supervisor gives the case to an officer of the post.
    Assign,
    /// The assignee asks the applicant for more information.
    RequestInfo,
    /// The applicant answers a request for information.
    Respond,
    /// The assignee recommends approval where four-eyes applies.
    Recommend,
    /// The assignee approves where no second person is needed.
    Approve,
    /// The assignee refuses with coded grounds.
    Refuse,
    /// A second person confirms a recommended approval.
    Confirm,
    /// A second person sends a recommendation back for review.
    Return,
    /// The service issues the document of an approved case.
    Issue,
    /// A supervisor revokes an issued document.
    Revoke,
    /// A supervisor moves the decision deadline of an open case.
    ExtendDeadline,
    /// A supervisor marks an open case urgent or normal.
    SetPriority,
    /// A request for information passes its date unanswered and the case goes back to the
    /// officer, who decides.
    Lapse,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 17] = [
        Action::Submit,
        Action::Withdraw,
        Action::Claim,
        Action::Release,
        Action::Assign,
        Action::RequestInfo,
        Action::Respond,
        Action::Recommend,
        Action::Approve,
        Action::Refuse,
        Action::Confirm,
        Action::Return,
        Action::Issue,
        Action::Revoke,
        Action::ExtendDeadline,
        Action::SetPriority,
        Action::Lapse,
    ];

    /// The stable name used in audit events.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Withdraw => "withdraw",
            Action::Claim => "claim",
            Action::Release => "release",
            Action::Assign => "assign",
            Action::RequestInfo => "request_info",
            Action::Respond => "respond",
            Action::Recommend => "recommend",
            Action::Approve => "approve",
            Action::Refuse => "refuse",
            Action::Confirm => "confirm",
            Action::Return => "return",
            Action::Issue => "issue",
            Action::Revoke => "revoke",
            Action::ExtendDeadline => "extend_deadline",
            Action::SetPriority => "set_priority",
            Action::Lapse => "lapse",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

use Action as A;
use CaseStatus as S;
use Role as R;

const APPLICANT: &[Role] = &[R::Applicant];
const STAFF: &[Role] = &[R::Officer, R::Supervisor];
const SUPERVISOR: &[Role] = &[R::Supervisor];
const SERVICE: &[Role] = &[R::System];
/// Staff, or the service itself on their behalf (an answer for an officer who is away).
const STAFF_OR_SERVICE: &[Role] = &[R::Officer, R::Supervisor, R::System];

/// Every legal edge of the state machine: from, action, who may do it, to.
pub const EDGES: &[(CaseStatus, Action, &[Role], CaseStatus)] = &[
    (S::Draft, A::Submit, APPLICANT, S::Submitted),
    (S::Draft, A::Withdraw, APPLICANT, S::Withdrawn),
    (S::Submitted, A::Withdraw, APPLICANT, S::Withdrawn),
    (S::InReview, A::Withdraw, APPLICANT, S::Withdrawn),
    (S::InfoRequested, A::Withdraw, APPLICANT, S::Withdrawn),
    (S::PendingApproval, A::Withdraw, APPLICANT, S::Withdrawn),
    (S::Submitted, A::Claim, STAFF, S::InReview),
    (S::InReview, A::Release, STAFF_OR_SERVICE, S::Submitted),
    (S::Submitted, A::Assign, SUPERVISOR, S::InReview),
    (S::InReview, A::Assign, SUPERVISOR, S::InReview),
    (S::InReview, A::RequestInfo, STAFF, S::InfoRequested),
    (S::InfoRequested, A::Respond, APPLICANT, S::InReview),
    (S::InfoRequested, A::Lapse, SERVICE, S::InReview),
    (S::InfoRequested, A::Refuse, SERVICE, S::Rejected),
    (S::InReview, A::Recommend, STAFF, S::PendingApproval),
    (S::InReview, A::Approve, STAFF, S::Approved),
    (S::InReview, A::Refuse, STAFF, S::Rejected),
    (S::PendingApproval, A::Confirm, SUPERVISOR, S::Approved),
    (S::PendingApproval, A::Return, SUPERVISOR, S::InReview),
    (S::Approved, A::Issue, SERVICE, S::Issued),
    (S::Issued, A::Revoke, SUPERVISOR, S::Revoked),
    (S::Submitted, A::ExtendDeadline, SUPERVISOR, S::Submitted),
    (S::InReview, A::ExtendDeadline, SUPERVISOR, S::InReview),
    (S::InfoRequested, A::ExtendDeadline, SUPERVISOR, S::InfoRequested),
    (S::PendingApproval, A::ExtendDeadline, SUPERVISOR, S::PendingApproval),
    (S::Submitted, A::SetPriority, SUPERVISOR, S::Submitted),
    (S::InReview, A::SetPriority, SUPERVISOR, S::InReview),
    (S::InfoRequested, A::SetPriority, SUPERVISOR, S::InfoRequested),
    (S::PendingApproval, A::SetPriority, SUPERVISOR, S::PendingApproval),
];

/// Why a transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The role may never perform this action, whatever the status.
    #[error("a {role} may not {action} a case")]
    Forbidden {
        /// The actor's role.
        role: Role,
        /// The refused action.
        action: Action,
    },
    /// The action exists for this role, but not from the case's current status.
    #[error("cannot {action} a case that is {from}")]
    IllegalFromStatus {
        /// The case's current status.
        from: CaseStatus,
        /// The refused action.
        action: Action,
    },
}

/// Decides a transition: the new status when `role` performs `action` on a case in `from`.
pub fn transition(from: CaseStatus, action: Action, role: Role) -> Result<CaseStatus, TransitionError> {
    let mut role_may_act = false;
    for &(edge_from, edge_action, roles, to) in EDGES {
        if edge_action != action || !roles.contains(&role) {
            continue;
        }
        role_may_act = true;
        if edge_from == from {
            return Ok(to);
        }
    }
    if role_may_act {
        Err(TransitionError::IllegalFromStatus { from, action })
    } else {
        Err(TransitionError::Forbidden { role, action })
    }
}

#[cfg(test)]
mod tests;
