//! The e-visa: the visa application form and its rules, the grant of an approval, what the visa
//! states for machines (token claims, MRZ) and its page; issued by the wing's driver.

pub mod claims;
pub mod form;
pub mod grant;
pub mod pdf;
pub mod rules;
pub mod seal;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::kit::keys::Signer;
use super::kit::{latin, numbers};
use super::{Announcement, CheckedForm, DocumentKind, Draft, Issuer, Marks, Rendering};
use crate::app;
use crate::db::AnyConnection;
use crate::db::cases::CaseRow;
use crate::db::catalog;
use crate::domain::FieldError;
use crate::domain::decision::Decision;
use crate::domain::issued::{Holder, IssuedDocument, Passport, VisaTerms};
use form::{Sex, VisaApplicationForm};
use grant::{Grant, GrantRequest};

/// The e-visa's issuer.
pub struct EVisa;

/// A fresh random visa number: 9 characters from A-Z and 0-9, unrelated to any other.
pub fn new_visa_number() -> String {
    numbers::random(9)
}

impl Issuer for EVisa {
    fn check_form(&self, form: Value) -> app::Result<CheckedForm> {
        rules::check_form(form)
    }

    fn own_form(&self) -> Option<Value> {
        Some(form::schema())
    }

    fn required_answers(&self) -> &'static [&'static str] {
        &form::REQUIRED
    }

    fn submission_problems(&self, conn: &mut AnyConnection, case: &CaseRow) -> app::Result<Vec<FieldError>> {
        rules::submission_problems(conn, case)
    }

    fn approval_terms(
        &self,
        conn: &mut AnyConnection,
        case: &CaseRow,
        request: &GrantRequest,
    ) -> app::Result<Option<Value>> {
        Ok(Some(serde_json::to_value(rules::grant(conn, case, request)?)?))
    }

    fn document(&self) -> Option<&dyn DocumentKind> {
        Some(self)
    }
}

impl DocumentKind for EVisa {
    fn new_number(&self) -> String {
        new_visa_number()
    }

    fn storage_prefix(&self) -> &'static str {
        "visas"
    }

    fn label(&self) -> &'static str {
        "e-visa"
    }

    fn draft(&self, conn: &mut AnyConnection, case: &CaseRow) -> anyhow::Result<Draft> {
        let form: VisaApplicationForm = serde_json::from_str(&case.form)?;
        let Some(Decision::Approved { grant: Some(grant) }) =
            case.decision.as_deref().map(serde_json::from_str).transpose()?
        else {
            bail!("the case has no approval to issue");
        };
        let grant: Grant = serde_json::from_value(grant)?;
        let visa_type = catalog::find_visa_type(conn, &case.service_code)?.context("visa type vanished")?;
        let (applicant, passport) = (form.applicant, form.passport);
        let missing = || anyhow::anyhow!("the application lacks data it was submitted with");
        let sex = match applicant.sex.ok_or_else(missing)? {
            Sex::M => "M",
            Sex::F => "F",
            Sex::X => "X",
        };
        Ok(Draft {
            service_code: visa_type.service.code.clone(),
            holder: Holder {
                surname: applicant.surname.ok_or_else(missing)?,
                given_names: applicant.given_names.unwrap_or_default(),
                sex: Some(sex.into()),
                date_of_birth: applicant.date_of_birth.ok_or_else(missing)?,
                place_of_birth: Some(applicant.place_of_birth.unwrap_or_default()),
                nationality: applicant.nationality.ok_or_else(missing)?.to_string(),
                passport: Some(Passport {
                    number: passport.number.ok_or_else(missing)?,
                    expiry: passport.expiry_date.ok_or_else(missing)?,
                }),
            },
            terms: Some(VisaTerms {
                type_letter: claims::type_letter(&visa_type.visa.category),
                entries: grant.entries.as_str().to_owned(),
                valid_from: grant.valid_from,
                valid_until: grant.valid_until,
                duration_of_stay_days: grant.duration_of_stay_days,
            }),
        })
    }

    fn prints_portrait(&self) -> bool {
        true
    }

    fn claims(&self, document: &IssuedDocument) -> anyhow::Result<Value> {
        Ok(serde_json::to_value(claims::claims(document)?)?)
    }

    fn seal(&self, visa: &IssuedDocument, signer: &Signer) -> anyhow::Result<Option<Vec<u8>>> {
        seal::seal(visa, signer).map(Some)
    }

    fn render(&self, rendering: &Rendering<'_>, marks: &Marks<'_>, specimen: bool) -> anyhow::Result<Vec<u8>> {
        let visa = rendering.document;
        pdf::render(&pdf::VisaDocument {
            visa,
            state_name: rendering.state_name,
            visa_type: rendering.service_name,
            issuing_post: format!("{} ({})", latin::latin_text(rendering.post_name), visa.issuing_post),
            photo: rendering.portrait.context("an e-visa prints its holder's portrait")?,
            qr_token: marks.token,
            seal: marks.seal.context("an e-visa prints its seal")?,
            specimen,
        })
    }

    fn announcement(&self, visa: &IssuedDocument, case: &CaseRow, public_url: &str) -> Announcement {
        let terms = visa.terms.as_ref();
        let day = |date: Option<chrono::NaiveDate>| date.map(|d| d.format("%d %B %Y").to_string());
        Announcement {
            context: json!({
                "visa_number": visa.number,
                "valid_from": day(terms.map(|t| t.valid_from)),
                "valid_until": day(terms.map(|t| t.valid_until)),
                "entries": terms.map(|t| t.entries.clone()),
                "duration": terms.map(|t| t.duration_of_stay_days),
                "link": format!("{public_url}/api/v1/applications/{}/evisa.pdf", case.id),
            }),
            file_name: format!("e-visa-{}.pdf", visa.number),
        }
    }

    fn audit_details(&self, visa: &IssuedDocument) -> Value {
        let terms = visa.terms.as_ref();
        json!({
            "visa_number": visa.number,
            "valid_from": terms.map(|t| t.valid_from),
            "valid_until": terms.map(|t| t.valid_until),
        })
    }
}
