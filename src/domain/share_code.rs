//! Share codes: a holder of an issued document lets a third party (an employer, a landlord, a
//! university) check their status without handing over the document. A code is made for one
//! purpose and a validity of at most [`MAX_VALID_DAYS`]; a checker gives it with the holder's date
//! of birth and sees only what that purpose needs ([`Fact`]s), never the document's number, the
//! passport or the nationality.

use chrono::{NaiveDate, NaiveDateTime};
use rand::Rng;

use super::issued::{DocumentStatus, IssuedDocument};
use super::verification::{CheckResult, check};
use super::{FieldError, UnknownName};

/// The longest a code may be valid, in days.
pub const MAX_VALID_DAYS: i64 = 90;
/// Wrong dates of birth a code takes before it answers no more.
pub const MAX_WRONG_BIRTH_DATES: i32 = 5;
/// Characters of a code: digits and capitals, without those read alike (0/O, 1/I/L).
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters in a code (9 of 31: about 44 bits).
const LENGTH: usize = 9;

/// What a checker says they check for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An employer checks the right to work.
    Work,
    /// A landlord checks the right to rent.
    Renting,
    /// A university or school checks the right to study.
    Study,
    /// Anything else: the least is shown.
    Other,
}

/// A fact a check may disclose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    /// The holder's name.
    Name,
    /// The kind of document and the service that issued it (for a visa, its type).
    Document,
    /// The first day of a visa's validity.
    ValidFrom,
    /// The last day of a visa's validity.
    ValidUntil,
    /// The day the document was issued.
    IssueDate,
    /// The photo the case was decided on, so the checker can tell that the person in front of
    /// them is the holder (where the case has one).
    Photo,
}

impl Purpose {
    /// Every purpose, in the order offered.
    pub const ALL: [Purpose; 4] = [Purpose::Work, Purpose::Renting, Purpose::Study, Purpose::Other];

    /// The stable name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Work => "work",
            Purpose::Renting => "renting",
            Purpose::Study => "study",
            Purpose::Other => "other",
        }
    }

    /// What a check for this purpose discloses besides the status, which every check shows. A
    /// landlord needs to know until when the holder may stay, not on which visa; an employer and
    /// a university need the kind of visa too. Every checker meets the holder, so every purpose
    /// shows the name and the photo that go with the status.
    pub fn facts(self) -> &'static [Fact] {
        match self {
            Purpose::Work | Purpose::Study => {
                &[Fact::Name, Fact::Photo, Fact::Document, Fact::ValidFrom, Fact::ValidUntil, Fact::IssueDate]
            }
            Purpose::Renting => &[Fact::Name, Fact::Photo, Fact::ValidUntil],
            Purpose::Other => &[Fact::Name, Fact::Photo, Fact::ValidUntil, Fact::IssueDate],
        }
    }

    /// Whether a check for this purpose discloses `fact`.
    pub fn discloses(self, fact: Fact) -> bool {
        self.facts().contains(&fact)
    }
}

impl std::str::FromStr for Purpose {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Purpose, UnknownName> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == name).ok_or(UnknownName)
    }
}

/// A code as a checker types it, read back to its characters: case, spaces and dashes do not
/// count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareCode(String);

impl ShareCode {
    /// A fresh random code.
    pub fn generate() -> ShareCode {
        let mut rng = rand::rng();
        ShareCode((0..LENGTH).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect())
    }

    /// The code typed as `text`, or the problem with `field`.
    pub fn parse(field: &str, text: &str) -> Result<ShareCode, FieldError> {
        let code: String =
            text.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
        if code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b)) {
            Ok(ShareCode(code))
        } else {
            Err(FieldError::new(field, "invalid", "a share code is 9 letters and digits, such as W7K-4PX-9QM"))
        }
    }

    /// The characters, as digested.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code in three groups, as shown to its holder.
    pub fn grouped(&self) -> String {
        format!("{}-{}-{}", &self.0[..3], &self.0[3..6], &self.0[6..])
    }

    /// The last three characters, by which the holder tells their codes apart later (the code
    /// itself is shown once, and kept only as a digest).
    pub fn hint(&self) -> String {
        self.0[LENGTH - 3..].to_owned()
    }
}

/// How many days a code is valid for, or the problem with `field`.
pub fn valid_days(field: &str, days: i64) -> Result<i64, FieldError> {
    if (1..=MAX_VALID_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(FieldError::new(field, "out_of_range", "from 1 to 90 days"))
    }
}

/// Where a code stands for its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeState {
    /// It answers checks.
    Active,
    /// Its validity ended.
    Expired,
    /// Its holder cancelled it.
    Cancelled,
    /// It took too many wrong dates of birth.
    Locked,
}

impl CodeState {
    /// Where a code created with these facts stands at `now`: cancelled first, then locked, then
    /// expired.
    pub fn of(cancelled: bool, wrong_birth_dates: i32, expires_at: NaiveDateTime, now: NaiveDateTime) -> CodeState {
        if cancelled {
            CodeState::Cancelled
        } else if wrong_birth_dates >= MAX_WRONG_BIRTH_DATES {
            CodeState::Locked
        } else if now >= expires_at {
            CodeState::Expired
        } else {
            CodeState::Active
        }
    }

    /// The stable name shown.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeState::Active => "active",
            CodeState::Expired => "expired",
            CodeState::Cancelled => "cancelled",
            CodeState::Locked => "locked",
        }
    }
}

/// What a check came to, as logged and shown to the holder. Every outcome but `Shown` answers
/// the checker alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The details were shown.
    Shown,
    /// The date of birth was wrong.
    WrongBirthDate,
    /// No code has these characters.
    UnknownCode,
    /// The code no longer answers (expired, cancelled or locked).
    Inactive,
}

impl CheckOutcome {
    /// The stable name stored.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckOutcome::Shown => "shown",
            CheckOutcome::WrongBirthDate => "wrong_birth_date",
            CheckOutcome::UnknownCode => "unknown_code",
            CheckOutcome::Inactive => "inactive",
        }
    }

    /// The outcome of a stored name.
    pub fn parse(name: &str) -> Option<CheckOutcome> {
        [CheckOutcome::Shown, CheckOutcome::WrongBirthDate, CheckOutcome::UnknownCode, CheckOutcome::Inactive]
            .into_iter()
            .find(|o| o.as_str() == name)
    }
}

/// The status a check shows for a document on `today`: a visa's window counts, a certificate is
/// valid until revoked.
pub fn status_of(document: &IssuedDocument, today: NaiveDate) -> CheckResult {
    let revoked = document.status == DocumentStatus::Revoked;
    match &document.terms {
        Some(terms) => check(terms.valid_from, terms.valid_until, revoked, today),
        None if revoked => CheckResult::Revoked,
        None => CheckResult::Valid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_back_whatever_their_case_spaces_and_dashes() {
        let code = ShareCode::generate();
        assert_eq!(code.as_str().len(), 9);
        let typed = format!(" {} ", code.grouped().to_lowercase().replace('-', " - "));
        assert_eq!(ShareCode::parse("code", &typed).unwrap(), code);
        assert_eq!(code.hint(), &code.as_str()[6..]);
        assert!(ShareCode::parse("code", "W7K-4PX-9Q").is_err(), "too short");
        assert!(ShareCode::parse("code", "W7K-4PX-9QO").is_err(), "O is not used");
        assert!(ShareCode::parse("code", "W7K-4PX-9Q1").is_err(), "1 is not used");
        assert_eq!(ShareCode::parse("code", "ж7K-4PX-9QM").unwrap_err().field, "code");
    }

    #[test]
    fn generated_codes_use_the_whole_alphabet_and_differ() {
        let codes: Vec<ShareCode> = (0..2000).map(|_| ShareCode::generate()).collect();
        let mut seen: Vec<u8> = codes.iter().flat_map(|c| c.as_str().bytes()).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, ALPHABET.to_vec());
        let mut texts: Vec<&str> = codes.iter().map(ShareCode::as_str).collect();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), 2000);
    }

    #[test]
    fn validity_is_one_to_ninety_days() {
        assert_eq!(valid_days("valid_days", 1), Ok(1));
        assert_eq!(valid_days("valid_days", 90), Ok(90));
        assert_eq!(valid_days("valid_days", 91).unwrap_err().field, "valid_days");
        assert!(valid_days("valid_days", 0).is_err());
    }

    #[test]
    fn a_landlord_learns_less_than_an_employer_and_no_one_the_document_number() {
        assert!(Purpose::Work.discloses(Fact::Document));
        assert!(!Purpose::Renting.discloses(Fact::Document));
        assert!(Purpose::Renting.discloses(Fact::ValidUntil));
        assert!(!Purpose::Other.discloses(Fact::Document));
        for purpose in Purpose::ALL {
            assert!(purpose.discloses(Fact::Name) && purpose.discloses(Fact::Photo));
            assert_eq!(purpose.as_str().parse::<Purpose>(), Ok(purpose));
        }
        assert!("landlord".parse::<Purpose>().is_err());
    }

    #[test]
    fn a_cancelled_code_is_cancelled_then_a_locked_one_locked_then_expiry_counts() {
        let at = |h: u32| chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap().and_hms_opt(h, 0, 0).unwrap();
        assert_eq!(CodeState::of(false, 0, at(10), at(9)), CodeState::Active);
        assert_eq!(CodeState::of(false, 4, at(10), at(9)), CodeState::Active);
        assert_eq!(CodeState::of(false, 5, at(10), at(9)), CodeState::Locked);
        assert_eq!(CodeState::of(false, 0, at(10), at(10)), CodeState::Expired);
        assert_eq!(CodeState::of(true, 5, at(10), at(11)), CodeState::Cancelled);
        for outcome in
            [CheckOutcome::Shown, CheckOutcome::WrongBirthDate, CheckOutcome::UnknownCode, CheckOutcome::Inactive]
        {
            assert_eq!(CheckOutcome::parse(outcome.as_str()), Some(outcome));
        }
    }
}
