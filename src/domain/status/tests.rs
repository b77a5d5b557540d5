//! The state machine checked triple by triple: every (status, action, role) is an edge or refused.

use super::*;
use std::collections::HashMap;

/// The legal edges written out one by one, independently of [`EDGES`].
fn expected() -> HashMap<(CaseStatus, Action, Role), CaseStatus> {
    let rows = [
        (S::Draft, A::Submit, R::Applicant, S::Submitted),
        (S::Draft, A::Withdraw, R::Applicant, S::Withdrawn),
        (S::Submitted, A::Withdraw, R::Applicant, S::Withdrawn),
        (S::InReview, A::Withdraw, R::Applicant, S::Withdrawn),
        (S::InfoRequested, A::Withdraw, R::Applicant, S::Withdrawn),
        (S::PendingApproval, A::Withdraw, R::Applicant, S::Withdrawn),
        (S::Submitted, A::Claim, R::Officer, S::InReview),
        (S::Submitted, A::Claim, R::Supervisor, S::InReview),
        (S::InReview, A::Release, R::Officer, S::Submitted),
        (S::InReview, A::Release, R::Supervisor, S::Submitted),
        (S::InReview, A::Release, R::System, S::Submitted),
        (S::Submitted, A::Assign, R::Supervisor, S::InReview),
        (S::InReview, A::Assign, R::Supervisor, S::InReview),
        (S::InReview, A::RequestInfo, R::Officer, S::InfoRequested),
        (S::InReview, A::RequestInfo, R::Supervisor, S::InfoRequested),
        (S::InfoRequested, A::Respond, R::Applicant, S::InReview),
        (S::InfoRequested, A::Lapse, R::System, S::InReview),
        (S::InfoRequested, A::Refuse, R::System, S::Rejected),
        (S::InReview, A::Recommend, R::Officer, S::PendingApproval),
        (S::InReview, A::Recommend, R::Supervisor, S::PendingApproval),
        (S::InReview, A::Approve, R::Officer, S::Approved),
        (S::InReview, A::Approve, R::Supervisor, S::Approved),
        (S::InReview, A::Refuse, R::Officer, S::Rejected),
        (S::InReview, A::Refuse, R::Supervisor, S::Rejected),
        (S::PendingApproval, A::Confirm, R::Supervisor, S::Approved),
        (S::PendingApproval, A::Return, R::Supervisor, S::InReview),
        (S::Approved, A::Issue, R::System, S::Issued),
        (S::Issued, A::Revoke, R::Supervisor, S::Revoked),
        (S::Submitted, A::ExtendDeadline, R::Supervisor, S::Submitted),
        (S::InReview, A::ExtendDeadline, R::Supervisor, S::InReview),
        (S::InfoRequested, A::ExtendDeadline, R::Supervisor, S::InfoRequested),
        (S::PendingApproval, A::ExtendDeadline, R::Supervisor, S::PendingApproval),
        (S::Submitted, A::SetPriority, R::Supervisor, S::Submitted),
        (S::InReview, A::SetPriority, R::Supervisor, S::InReview),
        (S::InfoRequested, A::SetPriority, R::Supervisor, S::InfoRequested),
        (S::PendingApproval, A::SetPriority, R::Supervisor, S::PendingApproval),
    ];
    rows.into_iter().map(|(f, a, r, t)| ((f, a, r), t)).collect()
}

#[test]
fn every_legal_edge_is_accepted() {
    for ((from, action, role), to) in expected() {
        assert_eq!(transition(from, action, role), Ok(to), "{from} --{action}/{role}-->");
    }
}

#[test]
fn every_other_combination_is_refused() {
    let legal = expected();
    let mut refused = 0;
    for from in CaseStatus::ALL {
        for action in Action::ALL {
            for role in Role::ALL {
                if legal.contains_key(&(from, action, role)) {
                    continue;
                }
                assert!(transition(from, action, role).is_err(), "{from} --{action}/{role}--> must be refused");
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 10 * Action::ALL.len() * 5 - legal.len());
}

#[test]
fn a_role_that_never_may_act_is_forbidden_not_conflicting() {
    assert_eq!(
        transition(S::InReview, A::Approve, R::Applicant),
        Err(TransitionError::Forbidden { role: R::Applicant, action: A::Approve })
    );
    assert_eq!(
        transition(S::PendingApproval, A::Confirm, R::Officer),
        Err(TransitionError::Forbidden { role: R::Officer, action: A::Confirm })
    );
    assert_eq!(
        transition(S::Approved, A::Approve, R::Admin),
        Err(TransitionError::Forbidden { role: R::Admin, action: A::Approve })
    );
}

#[test]
fn a_legal_action_from_the_wrong_status_is_illegal_from_status() {
    assert_eq!(
        transition(S::Approved, A::Withdraw, R::Applicant),
        Err(TransitionError::IllegalFromStatus { from: S::Approved, action: A::Withdraw })
    );
    assert_eq!(
        transition(S::Submitted, A::Submit, R::Applicant),
        Err(TransitionError::IllegalFromStatus { from: S::Submitted, action: A::Submit })
    );
}

#[test]
fn terminal_statuses_have_no_way_out_but_revocation_of_issued() {
    for from in [S::Rejected, S::Withdrawn, S::Revoked] {
        for action in Action::ALL {
            for role in Role::ALL {
                assert!(transition(from, action, role).is_err());
            }
        }
    }
}

#[test]
fn status_names_round_trip() {
    for status in CaseStatus::ALL {
        assert_eq!(status.as_str().parse::<CaseStatus>(), Ok(status));
        assert_eq!(serde_json::to_value(status).unwrap(), serde_json::Value::String(status.as_str().to_owned()));
    }
    assert!("approved ".parse::<CaseStatus>().is_err());
    assert_eq!(CaseStatus::try_from("closed".to_owned()), Err(UnknownStatus("closed".into())));
}
