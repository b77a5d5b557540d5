//! Decisions on cases: approval (with the terms of the service's output, such as an e-visa's
//! grant), recommendation for four-eyes confirmation, and refusal on coded grounds.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A refusal ground as recorded with the decision, in the words shown to the applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedGround {
    /// Catalogue code.
    pub code: String,
    /// Short title.
    pub title: String,
    /// The ground in plain words.
    pub description: String,
}

/// The decision recorded on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Decision {
    /// An officer recommends approval; a second person must confirm.
    Recommended {
        /// The proposed terms of the output (for an e-visa, its grant); none for outputs that
        /// have no terms.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        grant: Option<Value>,
    },
    /// Approved on these terms.
    Approved {
        /// The terms of the output (for an e-visa, its grant).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        grant: Option<Value>,
    },
    /// Refused on these grounds.
    Refused {
        /// The grounds.
        grounds: Vec<RecordedGround>,
        /// How the applicant may appeal.
        appeal_information: String,
    },
}

impl Decision {
    /// Whether the decision is final (and therefore shown to the applicant).
    pub fn is_final(&self) -> bool {
        !matches!(self, Decision::Recommended { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_serialise_with_their_outcome() {
        let decision = Decision::Refused { grounds: vec![], appeal_information: "Appeal within 30 days.".into() };
        let json = serde_json::to_value(&decision).unwrap();
        assert_eq!(json["outcome"], "refused");
        assert_eq!(serde_json::from_value::<Decision>(json).unwrap(), decision);
        assert!(!Decision::Recommended { grant: None }.is_final());
    }

    #[test]
    fn approvals_without_terms_omit_the_grant_and_old_approvals_still_read() {
        assert_eq!(
            serde_json::to_value(Decision::Approved { grant: None }).unwrap(),
            serde_json::json!({"outcome": "approved"})
        );
        let stored = r#"{"outcome":"approved","grant":{"entries":"single","valid_from":"2027-03-01","valid_until":"2027-05-29","duration_of_stay_days":14}}"#;
        let Decision::Approved { grant: Some(grant) } = serde_json::from_str(stored).unwrap() else {
            panic!("approved")
        };
        assert_eq!(grant["duration_of_stay_days"], 14);
    }
}
