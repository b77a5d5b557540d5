//! The visa application form: what an applicant fills in, how each field is checked when it is
//! written, and the rules a complete application must meet before it can be submitted.
//!
//! Drafts may be incomplete: every field is optional while editing, but a present field must be
//! well formed. [`VisaApplicationForm::submission_problems`] lists everything that stands in the
//! way of submission at once.

use chrono::{Months, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::country::CountryCode;
use crate::domain::email::Email;
use crate::domain::{FieldError, dates};

/// Sex as recorded in travel documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Sex {
    /// Male.
    M,
    /// Female.
    F,
    /// Unspecified.
    X,
}

/// The applicant's identity. A draft holds what its schema marks required before it is saved
/// at all; the rest waits for submission ([`REQUIRED`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "About you", extend("required" = ["surname", "given_names", "date_of_birth", "nationality"]))]
pub struct ApplicantDetails {
    /// Surname(s) in their original spelling.
    #[schemars(title = "Surname", length(max = NAME_MAX))]
    pub surname: Option<String>,
    /// Given name(s) in their original spelling.
    #[schemars(title = "Given names", length(max = NAME_MAX))]
    pub given_names: Option<String>,
    /// Sex as in the passport.
    #[schemars(title = "Sex")]
    pub sex: Option<Sex>,
    /// Date of birth.
    #[schemars(title = "Date of birth")]
    pub date_of_birth: Option<NaiveDate>,
    /// Place of birth.
    #[schemars(title = "Place of birth", length(max = PLACE_MAX))]
    pub place_of_birth: Option<String>,
    /// Nationality as an ICAO code.
    #[schemars(title = "Nationality")]
    pub nationality: Option<CountryCode>,
}

/// The travel document the visa will be attached to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Your passport")]
pub struct PassportDetails {
    /// Document number.
    #[schemars(title = "Passport number", length(max = PASSPORT_NUMBER_MAX))]
    pub number: Option<String>,
    /// Issuing state as an ICAO code.
    #[schemars(title = "Issuing state")]
    pub issuing_state: Option<CountryCode>,
    /// Date of issue.
    #[schemars(title = "Date of issue")]
    pub issue_date: Option<NaiveDate>,
    /// Date of expiry.
    #[schemars(title = "Date of expiry")]
    pub expiry_date: Option<NaiveDate>,
}

/// The planned journey.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Your journey")]
pub struct TravelDetails {
    /// Purpose of the journey in the applicant's words.
    #[schemars(title = "Purpose of the journey", length(max = PURPOSE_MAX))]
    pub purpose: Option<String>,
    /// Planned date of arrival.
    #[schemars(title = "Arrival date")]
    pub arrival_date: Option<NaiveDate>,
    /// Planned date of departure.
    #[schemars(title = "Departure date")]
    pub departure_date: Option<NaiveDate>,
    /// Address of stay in the country.
    #[schemars(title = "Address of stay", length(max = ADDRESS_MAX))]
    pub address: Option<String>,
}

/// How the consulate reaches the applicant about this case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Contact details")]
pub struct ContactDetails {
    /// E-mail address.
    #[schemars(title = "E-mail address")]
    pub email: Option<Email>,
    /// Telephone number in international format.
    #[schemars(title = "Telephone")]
    pub phone: Option<String>,
}

/// Every answer a visa application must have before it is submitted, by dotted path.
pub const REQUIRED: [&str; 16] = [
    "applicant.surname",
    "applicant.given_names",
    "applicant.sex",
    "applicant.date_of_birth",
    "applicant.place_of_birth",
    "applicant.nationality",
    "passport.number",
    "passport.issuing_state",
    "passport.issue_date",
    "passport.expiry_date",
    "travel.purpose",
    "travel.arrival_date",
    "travel.departure_date",
    "travel.address",
    "contact.email",
    "contact.phone",
];

/// The whole visa application form, as stored with the case: the one description of the e-visa's
/// form, from which its JSON Schema is made ([`schema`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Visa application", extend("required" = ["applicant"]))]
pub struct VisaApplicationForm {
    /// The applicant's identity.
    #[serde(default)]
    pub applicant: ApplicantDetails,
    /// The passport.
    #[serde(default)]
    pub passport: PassportDetails,
    /// The journey.
    #[serde(default)]
    pub travel: TravelDetails,
    /// Contact details.
    #[serde(default)]
    pub contact: ContactDetails,
}

/// What the submission rules need to know besides the form itself.
#[derive(Debug, Clone, Copy)]
pub struct SubmissionContext {
    /// Today's date at the post.
    pub today: NaiveDate,
    /// The longest stay the chosen visa type allows, in days.
    pub max_stay_days: i32,
}

/// Months a passport must remain valid after the planned departure.
pub const PASSPORT_VALIDITY_AFTER_DEPARTURE_MONTHS: u32 = 3;

const NAME_MAX: usize = 100;
const PLACE_MAX: usize = 100;
const PURPOSE_MAX: usize = 500;
const ADDRESS_MAX: usize = 300;
const PASSPORT_NUMBER_MAX: usize = 20;

impl VisaApplicationForm {
    /// Normalises free text (trims surrounding white space, drops empty strings) so that what is
    /// stored is what is checked.
    pub fn normalise(&mut self) {
        for text in [
            &mut self.applicant.surname,
            &mut self.applicant.given_names,
            &mut self.applicant.place_of_birth,
            &mut self.passport.number,
            &mut self.travel.purpose,
            &mut self.travel.address,
            &mut self.contact.phone,
        ] {
            if let Some(value) = text.as_mut() {
                let trimmed = value.trim();
                if trimmed.is_empty() {
                    *text = None;
                } else if trimmed.len() != value.len() {
                    *value = trimmed.to_owned();
                }
            }
        }
        if let Some(number) = self.passport.number.as_mut() {
            *number = number.to_uppercase();
        }
    }

    /// Problems with fields that are present but malformed. Applies to drafts as well as to
    /// submissions.
    pub fn field_problems(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut problems = Vec::new();
        let dates = [
            ("applicant.date_of_birth", self.applicant.date_of_birth, dates::Kind::Birth),
            ("passport.issue_date", self.passport.issue_date, dates::Kind::Document),
            ("passport.expiry_date", self.passport.expiry_date, dates::Kind::Document),
            ("travel.arrival_date", self.travel.arrival_date, dates::Kind::Travel),
            ("travel.departure_date", self.travel.departure_date, dates::Kind::Travel),
        ];
        problems.extend(dates.into_iter().filter_map(|(field, date, kind)| dates::check(field, date, kind, today)));
        let texts = [
            ("applicant.surname", &self.applicant.surname, NAME_MAX),
            ("applicant.given_names", &self.applicant.given_names, NAME_MAX),
            ("applicant.place_of_birth", &self.applicant.place_of_birth, PLACE_MAX),
            ("travel.purpose", &self.travel.purpose, PURPOSE_MAX),
            ("travel.address", &self.travel.address, ADDRESS_MAX),
        ];
        for (field, value, max) in texts {
            if let Some(value) = value {
                if value.chars().count() > max {
                    problems.push(FieldError::new(field, "too_long", format!("at most {max} characters")));
                }
                if value.chars().any(char::is_control) {
                    problems.push(FieldError::new(field, "invalid", "control characters are not allowed"));
                }
            }
        }
        for (field, value) in
            [("applicant.surname", &self.applicant.surname), ("applicant.given_names", &self.applicant.given_names)]
        {
            if let Some(name) = value
                && !name.chars().all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.'))
            {
                problems.push(FieldError::new(
                    field,
                    "invalid",
                    "names may hold letters, spaces, hyphens, apostrophes and full stops only",
                ));
            } else if let Some(name) = value
                && !crate::domain::mrz::has_latin_form(name)
            {
                problems.push(FieldError::new(
                    field,
                    "not_transliterable",
                    "write the name in Latin or Cyrillic letters, as in the passport's machine-readable zone",
                ));
            }
        }
        if let Some(number) = &self.passport.number
            && (number.len() > PASSPORT_NUMBER_MAX || !number.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            problems.push(FieldError::new(
                "passport.number",
                "invalid",
                format!("letters A-Z and digits only, at most {PASSPORT_NUMBER_MAX}"),
            ));
        }
        if let Some(phone) = &self.contact.phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let allowed = phone.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'));
            if !allowed || !(6..=15).contains(&digits) || !phone.starts_with('+') {
                problems.push(FieldError::new(
                    "contact.phone",
                    "invalid",
                    "an international number starting with + and holding 6 to 15 digits",
                ));
            }
        }
        problems
    }

    /// Everything that prevents submission: missing fields, malformed fields, and the business
    /// rules on dates (the service's documents are checked by the engine). Empty when the application may be submitted.
    pub fn submission_problems(&self, ctx: &SubmissionContext) -> Vec<FieldError> {
        let mut problems = self.missing_fields();
        problems.extend(self.field_problems(ctx.today));
        problems.extend(self.date_problems(ctx));
        problems
    }

    fn missing_fields(&self) -> Vec<FieldError> {
        let a = &self.applicant;
        let p = &self.passport;
        let t = &self.travel;
        let c = &self.contact;
        let presence = [
            a.surname.is_some(),
            a.given_names.is_some(),
            a.sex.is_some(),
            a.date_of_birth.is_some(),
            a.place_of_birth.is_some(),
            a.nationality.is_some(),
            p.number.is_some(),
            p.issuing_state.is_some(),
            p.issue_date.is_some(),
            p.expiry_date.is_some(),
            t.purpose.is_some(),
            t.arrival_date.is_some(),
            t.departure_date.is_some(),
            t.address.is_some(),
            c.email.is_some(),
            c.phone.is_some(),
        ];
        REQUIRED
            .into_iter()
            .zip(presence)
            .filter(|(_, present)| !present)
            .map(|(field, _)| FieldError::required(field))
            .collect()
    }

    fn date_problems(&self, ctx: &SubmissionContext) -> Vec<FieldError> {
        let mut problems = Vec::new();
        let today = ctx.today;
        let birth = self.applicant.date_of_birth;
        let issued = self.passport.issue_date;
        let expires = self.passport.expiry_date;
        let arrival = self.travel.arrival_date;
        let departure = self.travel.departure_date;

        if let Some(birth) = birth
            && birth >= today
        {
            problems.push(FieldError::new(
                "applicant.date_of_birth",
                "in_future",
                "the date of birth must be in the past",
            ));
        }
        if let Some(issued) = issued {
            if issued > today {
                problems.push(FieldError::new(
                    "passport.issue_date",
                    "in_future",
                    "the passport's issue date is in the future",
                ));
            }
            if let Some(birth) = birth
                && issued < birth
            {
                problems.push(FieldError::new(
                    "passport.issue_date",
                    "before_birth",
                    "the passport was issued before the holder's birth",
                ));
            }
        }
        if let (Some(issued), Some(expires)) = (issued, expires)
            && expires <= issued
        {
            problems.push(FieldError::new(
                "passport.expiry_date",
                "before_issue",
                "the passport expires before it was issued",
            ));
        }
        if let Some(arrival) = arrival
            && arrival <= today
        {
            problems.push(FieldError::new(
                "travel.arrival_date",
                "not_in_future",
                "the arrival date must be in the future",
            ));
        }
        if let (Some(arrival), Some(departure)) = (arrival, departure) {
            if departure < arrival {
                problems.push(FieldError::new(
                    "travel.departure_date",
                    "before_arrival",
                    "the departure date is before the arrival date",
                ));
            } else {
                let stay_days = (departure - arrival).num_days() + 1;
                if stay_days > i64::from(ctx.max_stay_days) {
                    problems.push(FieldError::new(
                        "travel.departure_date",
                        "stay_too_long",
                        format!(
                            "a stay of {stay_days} days exceeds this visa type's maximum of {} days",
                            ctx.max_stay_days
                        ),
                    ));
                }
            }
        }
        if let (Some(expires), Some(departure)) = (expires, departure) {
            let needed = departure.checked_add_months(Months::new(PASSPORT_VALIDITY_AFTER_DEPARTURE_MONTHS));
            if needed.is_none_or(|needed| expires < needed) {
                problems.push(FieldError::new(
                    "passport.expiry_date",
                    "expires_too_soon",
                    format!("the passport must remain valid at least {PASSPORT_VALIDITY_AFTER_DEPARTURE_MONTHS} months after departure"),
                ));
            }
        }
        problems
    }
}

mod schema;
pub use schema::schema;

#[cfg(test)]
mod tests;
