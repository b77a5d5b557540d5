//! A document the service issued, whatever its kind: who holds it (one [`Holder`] that the PDF,
//! the QR token, the seal and the verification answer all read), the terms of a visa, and a
//! status that only moves forward.

use chrono::{NaiveDate, NaiveDateTime};

use super::service::OutputKind;

/// Where an issued document stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentStatus {
    /// Recorded with its number; its PDF is being drawn, signed and stored.
    Issuing,
    /// Issued and in force (a visa's validity window still applies).
    Valid,
    /// Revoked; stays revoked.
    Revoked,
}

impl DocumentStatus {
    /// The stable name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentStatus::Issuing => "issuing",
            DocumentStatus::Valid => "valid",
            DocumentStatus::Revoked => "revoked",
        }
    }

    /// The status of a stored name.
    pub fn parse(name: &str) -> Option<DocumentStatus> {
        [DocumentStatus::Issuing, DocumentStatus::Valid, DocumentStatus::Revoked]
            .into_iter()
            .find(|s| s.as_str() == name)
    }

    /// Whether the document was issued (valid or revoked since), as opposed to still being made.
    pub fn is_issued(self) -> bool {
        self != DocumentStatus::Issuing
    }
}

impl std::fmt::Display for DocumentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The passport a visa is issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passport {
    /// Passport number.
    pub number: String,
    /// Last day of the passport's validity.
    pub expiry: NaiveDate,
}

/// The holder of an issued document, as printed on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Surname as applied for.
    pub surname: String,
    /// Given names as applied for (may be empty).
    pub given_names: String,
    /// `M`, `F` or `X`, where the document states it (visas).
    pub sex: Option<String>,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// Place of birth, where the document states it (visas).
    pub place_of_birth: Option<String>,
    /// Nationality (ICAO code).
    pub nationality: String,
    /// The passport, for documents tied to one (visas).
    pub passport: Option<Passport>,
}

/// What a visa allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisaTerms {
    /// MRZ type letter (`A`, `C`, `D`).
    pub type_letter: char,
    /// `single`, `double` or `multiple`.
    pub entries: String,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// Longest stay in days.
    pub duration_of_stay_days: i32,
}

/// A document recorded by the issuance protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedDocument {
    /// The number printed on it (a visa number, a certificate number).
    pub number: String,
    /// What kind of document it is.
    pub kind: OutputKind,
    /// The case it was issued for.
    pub case_id: String,
    /// The service (for a visa, its visa type) that issued it.
    pub service_code: String,
    /// Its holder.
    pub holder: Holder,
    /// A visa's terms; `None` for other kinds.
    pub terms: Option<VisaTerms>,
    /// Issuing state (ICAO code).
    pub issuing_state: String,
    /// Issuing post code.
    pub issuing_post: String,
    /// Date of issue.
    pub issue_date: NaiveDate,
    /// Key id of the signer.
    pub kid: String,
    /// Where it stands.
    pub status: DocumentStatus,
    /// Object-store key and SHA-256 of the signed PDF, once stored.
    pub pdf: Option<StoredPdf>,
    /// When it was revoked and on which grounds (JSON list of codes).
    pub revocation: Option<Revocation>,
    /// When it was recorded.
    pub created_at: NaiveDateTime,
}

/// Where an issued document's signed PDF is, and the visible digital seal printed on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPdf {
    /// Object-store key.
    pub key: String,
    /// SHA-256 of the PDF, hex.
    pub sha256: String,
    /// The seal's bytes, for kinds that print one (none on documents issued before seals).
    pub seal: Option<Vec<u8>>,
}

/// A revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// When.
    pub at: NaiveDateTime,
    /// The grounds' codes as a JSON list.
    pub grounds: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_their_stored_names_and_only_those() {
        for status in [DocumentStatus::Issuing, DocumentStatus::Valid, DocumentStatus::Revoked] {
            assert_eq!(DocumentStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(DocumentStatus::parse("VALID"), None);
        assert!(!DocumentStatus::Issuing.is_issued());
        assert!(DocumentStatus::Revoked.is_issued());
    }
}
