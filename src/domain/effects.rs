//! What follows a transition, declared once: the e-mails and the issuing each edge of the state
//! machine causes, by the service's output. The engine emits them in the same transaction as the
//! status change, so a change and its consequences land together or not at all.

use super::service::OutputKind;
use super::status::Action;

/// A consequence of a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// E-mail the applicant with the template of this event.
    Email(&'static str),
    /// Queue the issuing of the service's output.
    IssueOutput,
}

use Effect::{Email, IssueOutput};

/// Outputs that approval issues as a signed document.
const ISSUED: &[OutputKind] = &[OutputKind::EVisa, OutputKind::Certificate];
/// Every output.
const ANY: &[OutputKind] = &[OutputKind::EVisa, OutputKind::Certificate, OutputKind::Appointment, OutputKind::Decision];
/// Outputs whose approval is the end of the case, or leads to something other than issuing.
const NOT_ISSUED: &[OutputKind] = &[OutputKind::Appointment, OutputKind::Decision];

/// The declared effects: for these outputs, this action causes these effects, in order.
pub const EFFECTS: &[(&[OutputKind], Action, &[Effect])] = &[
    (ANY, Action::Submit, &[Email("submitted")]),
    (ANY, Action::RequestInfo, &[Email("info_requested")]),
    (ANY, Action::Respond, &[Email("answer_received")]),
    (ANY, Action::Lapse, &[Email("information_lapsed")]),
    (ANY, Action::Withdraw, &[Email("withdrawn")]),
    (ANY, Action::Refuse, &[Email("refused")]),
    (ISSUED, Action::Approve, &[Email("approved"), IssueOutput]),
    (ISSUED, Action::Confirm, &[Email("approved"), IssueOutput]),
    (NOT_ISSUED, Action::Approve, &[Email("approved")]),
    (NOT_ISSUED, Action::Confirm, &[Email("approved")]),
    (ISSUED, Action::Issue, &[Email("issued")]),
    (ISSUED, Action::Revoke, &[Email("revoked")]),
];

/// The effects of `action` on a case whose service produces `output`.
pub fn of(output: OutputKind, action: Action) -> &'static [Effect] {
    EFFECTS
        .iter()
        .find(|(outputs, edge, _)| *edge == action && outputs.contains(&output))
        .map_or(&[], |(_, _, effects)| effects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approving_an_e_visa_mails_and_issues() {
        assert_eq!(of(OutputKind::EVisa, Action::Approve), &[Email("approved"), IssueOutput]);
        assert_eq!(of(OutputKind::EVisa, Action::Confirm), &[Email("approved"), IssueOutput]);
        assert_eq!(of(OutputKind::EVisa, Action::Issue), &[Email("issued")]);
    }

    #[test]
    fn approving_a_plain_decision_only_mails() {
        assert_eq!(of(OutputKind::Decision, Action::Approve), &[Email("approved")]);
        assert!(of(OutputKind::Decision, Action::Issue).is_empty());
    }

    #[test]
    fn staff_housekeeping_has_no_effect() {
        for action in [Action::Claim, Action::Release, Action::Assign, Action::Recommend, Action::Return] {
            assert!(of(OutputKind::EVisa, action).is_empty(), "{action}");
        }
    }

    #[test]
    fn every_output_and_action_pair_is_declared_at_most_once() {
        for output in ANY {
            for action in Action::ALL {
                let matches = EFFECTS.iter().filter(|(o, a, _)| *a == action && o.contains(output)).count();
                assert!(matches <= 1, "{output} {action}");
            }
        }
    }
}
