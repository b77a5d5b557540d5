//! The catalogue of services as data: who may apply, what the form and documents are, what it
//! costs, how it is reviewed, and what approval produces. Adding a service is adding a row; the
//! engine reads every rule of a case from its service.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::FieldError;
use super::UnknownName;

/// Who may apply for a service, by the applicant's nationality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Eligibility {
    /// Nationals of the issuing state only.
    Citizens,
    /// Anyone but nationals of the issuing state.
    Foreigners,
    /// Anyone.
    Both,
}

impl Eligibility {
    /// Whether a person of `nationality` may apply, `issuing_state` being the service's own state.
    pub fn admits(self, nationality: &str, issuing_state: &str) -> bool {
        let citizen = nationality == issuing_state;
        match self {
            Eligibility::Citizens => citizen,
            Eligibility::Foreigners => !citizen,
            Eligibility::Both => true,
        }
    }

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Eligibility::Citizens => "citizens",
            Eligibility::Foreigners => "foreigners",
            Eligibility::Both => "both",
        }
    }
}

/// What a service does when a request for information is not answered by its date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InformationLapse {
    /// The case comes back to the officer, who decides.
    #[default]
    Officer,
    /// The request is refused for lack of information.
    Refuse,
}

impl InformationLapse {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            InformationLapse::Officer => "officer",
            InformationLapse::Refuse => "refuse",
        }
    }

    /// The lapse stored as `name`; the officer decides when the name is unknown.
    pub fn parse(name: &str) -> InformationLapse {
        if name == "refuse" { InformationLapse::Refuse } else { InformationLapse::Officer }
    }
}

impl FromStr for Eligibility {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Eligibility::Citizens, Eligibility::Foreigners, Eligibility::Both]
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or(UnknownName)
    }
}

/// What approving a case of a service produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// A signed e-visa.
    EVisa,
    /// A signed certificate.
    Certificate,
    /// An appointment at the post.
    Appointment,
    /// The decision itself; nothing is issued.
    Decision,
}

impl OutputKind {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputKind::EVisa => "e_visa",
            OutputKind::Certificate => "certificate",
            OutputKind::Appointment => "appointment",
            OutputKind::Decision => "decision",
        }
    }

    /// Whether approval starts an issuance job that ends in `issued`.
    pub fn is_issued(self) -> bool {
        matches!(self, OutputKind::EVisa | OutputKind::Certificate)
    }

    /// The case family shown as `service` in case views: `visa` for e-visas, `consular` for the
    /// rest.
    pub fn family(self) -> &'static str {
        match self {
            OutputKind::EVisa => "visa",
            _ => "consular",
        }
    }
}

impl fmt::Display for OutputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OutputKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [OutputKind::EVisa, OutputKind::Certificate, OutputKind::Appointment, OutputKind::Decision]
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or(UnknownName)
    }
}

/// A document a service asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentRequirement {
    /// The kind, as used in upload paths (`photo`, `passport`, `birth_certificate`, ...).
    pub kind: String,
    /// Whether the case cannot be submitted without it.
    pub required: bool,
    /// Accepted media types.
    pub media_types: Vec<String>,
    /// Largest accepted upload, in bytes.
    pub max_bytes: u64,
}

impl DocumentRequirement {
    /// Whether a document may be uploaded as `media_type`.
    pub fn accepts(&self, media_type: &str) -> bool {
        self.media_types.iter().any(|m| m == media_type)
    }
}

/// A fee in minor units of its currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    /// Amount in minor units (cents).
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl Fee {
    /// The amount as a decimal string in major units, with no float rounding: `"80.00"`.
    pub fn decimal(&self) -> String {
        format!("{}.{:02}", self.amount_minor / 100, self.amount_minor % 100)
    }
}

/// A service of the catalogue, as the engine uses it.
#[derive(Debug, Clone)]
pub struct Service {
    /// Code, such as `TOURIST` or `PASSPORT_RENEWAL`.
    pub code: String,
    /// Display name.
    pub name: String,
    /// What it is.
    pub description: String,
    /// Who may apply.
    pub eligibility: Eligibility,
    /// The current version of its form.
    pub form_version: i32,
    /// The documents it asks for.
    pub documents: Vec<DocumentRequirement>,
    /// Its fee.
    pub fee: Fee,
    /// Whether the fee must be paid before submission.
    pub prepaid: bool,
    /// Whether the document is issued only once the fee is paid (approval comes first).
    pub paid_before_issue: bool,
    /// Calendar days within which a decision is due.
    pub processing_days: i32,
    /// Whether approvals need a second person.
    pub four_eyes: bool,
    /// What approval produces.
    pub output: OutputKind,
    /// Whether new cases may be opened.
    pub active: bool,
    /// What an unanswered request for information leads to.
    pub information_lapse: InformationLapse,
    /// Whether the decision deadline moves by the time an applicant takes to answer a request
    /// for information (the legal clock stops while the administration waits).
    pub information_pauses_clock: bool,
}

impl Service {
    /// The requirement for documents of `kind`, if the service asks for such documents.
    pub fn document(&self, kind: &str) -> Option<&DocumentRequirement> {
        self.documents.iter().find(|d| d.kind == kind)
    }

    /// One problem per required document that is not among `present`.
    pub fn missing_documents(&self, present: &[&str]) -> Vec<FieldError> {
        self.documents
            .iter()
            .filter(|d| d.required && !present.contains(&d.kind.as_str()))
            .map(|d| {
                let name = d.kind.replace('_', " ");
                FieldError::new(format!("documents.{}", d.kind), "required", format!("a {name} must be uploaded"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(documents: Vec<DocumentRequirement>) -> Service {
        Service {
            code: "X".into(),
            name: "X".into(),
            description: String::new(),
            eligibility: Eligibility::Both,
            form_version: 1,
            documents,
            fee: Fee { amount_minor: 8000, currency: "EUR".into() },
            prepaid: false,
            paid_before_issue: false,
            processing_days: 10,
            four_eyes: false,
            output: OutputKind::Decision,
            active: true,
            information_lapse: InformationLapse::Officer,
            information_pauses_clock: true,
        }
    }

    fn requirement(kind: &str, required: bool) -> DocumentRequirement {
        DocumentRequirement { kind: kind.into(), required, media_types: vec!["image/png".into()], max_bytes: 10 }
    }

    #[test]
    fn eligibility_is_decided_by_nationality_against_the_issuing_state() {
        assert!(Eligibility::Citizens.admits("UTO", "UTO"));
        assert!(!Eligibility::Citizens.admits("GBR", "UTO"));
        assert!(Eligibility::Foreigners.admits("GBR", "UTO"));
        assert!(!Eligibility::Foreigners.admits("UTO", "UTO"));
        assert!(Eligibility::Both.admits("UTO", "UTO") && Eligibility::Both.admits("GBR", "UTO"));
    }

    #[test]
    fn only_required_documents_that_are_absent_are_missing() {
        let service =
            service(vec![requirement("photo", true), requirement("letter", false), requirement("scan", true)]);
        let missing = service.missing_documents(&["photo"]);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].field, "documents.scan");
        assert!(service.missing_documents(&["photo", "scan"]).is_empty());
    }

    #[test]
    fn names_round_trip() {
        for output in ["e_visa", "certificate", "appointment", "decision"] {
            assert_eq!(output.parse::<OutputKind>().unwrap().as_str(), output);
        }
        assert!("visa".parse::<OutputKind>().is_err());
        assert_eq!("both".parse::<Eligibility>().unwrap(), Eligibility::Both);
        assert_eq!(Fee { amount_minor: 4005, currency: "EUR".into() }.decimal(), "40.05");
    }
}
