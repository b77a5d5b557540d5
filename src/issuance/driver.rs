//! Issuing one approved case, in three steps that can each be repeated safely:
//!
//! 1. record the visa (number, holder data copied from the case, grant, signing key) in a
//!    transaction; a case has at most one visa (unique), and a repeat finds the one recorded;
//! 2. draw, sign and store the PDF under a key derived from the visa number (a repeat
//!    overwrites the same object);
//! 3. in one transaction, mark the visa valid, move the case `approved` -> `issued` and finish
//!    the job.
//!
//! A case is therefore never `issued` without its stored PDF and never gets two visas; a worker
//! that dies between steps leaves a job whose lease expires, and the next worker completes it.

use anyhow::{Context, bail};
use bytes::Bytes;
use chrono::{Datelike, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};

use super::form::{Sex, VisaApplicationForm};
use super::grant::Grant;
use super::keys::Signer;
use super::pdf::{self, VisaDocument, latin};
use super::token::{self, VisaClaims};
use crate::app::engine::{self, Actor, Audit, Step};
use crate::db::cases::{self, CaseRow};
use crate::db::documents;
use crate::db::visas::{self, VisaRow};
use crate::db::{self, AnyConnection, catalog};
use crate::domain::country;
use crate::domain::decision::Decision;
use crate::domain::document::PORTRAIT;
use crate::domain::mrz::{self, MrvA};
use crate::domain::status::{Action, CaseStatus};
use crate::notify;
use crate::startup::AppState;

/// Alphabet of visa numbers.
const VISA_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A fresh random visa number: 9 characters from A-Z and 0-9, unrelated to any other.
pub fn new_visa_number() -> String {
    let mut rng = rand::rng();
    (0..9).map(|_| VISA_ALPHABET[rng.random_range(0..VISA_ALPHABET.len())] as char).collect()
}

/// The MRZ type letter of a visa category (Schengen practice: A transit, C short stay, D long stay).
pub fn type_letter(category: &str) -> char {
    match category {
        "transit" => 'A',
        "long_stay" => 'D',
        _ => 'C',
    }
}

fn fault(state: &AppState, point: &str) {
    if state.config.fault_injection.as_deref() == Some(point) {
        tracing::error!(point, "EVISA_FAULT_INJECTION: exiting the process as asked");
        std::process::exit(70);
    }
}

/// Step 1: the visa of the case, recorded now if it was not yet. `None` when the case is already
/// issued (nothing left to do).
fn record_visa(
    state: &AppState,
    conn: &mut AnyConnection,
    case_id: &str,
) -> anyhow::Result<Option<(CaseRow, VisaRow)>> {
    db::write_transaction(conn, |conn| {
        let Some(case) = crate::outputs::case_to_issue(conn, case_id)? else { return Ok(None) };
        if let Some(visa) = visas::for_case(conn, case_id)? {
            return Ok(Some((case, visa)));
        }
        let form: VisaApplicationForm = serde_json::from_str(&case.form)?;
        let Some(Decision::Approved { grant: Some(grant) }) =
            case.decision.as_deref().map(serde_json::from_str).transpose()?
        else {
            bail!("the case has no approval to issue");
        };
        let grant: Grant = serde_json::from_value(grant)?;
        let visa_type = catalog::find_visa_type(conn, &case.service_code)?.context("visa type vanished")?;
        let post = catalog::find_post(conn, &case.post_code)?.context("post vanished")?;
        let kid = state.keys.active(conn)?.kid.clone();
        let mut number = new_visa_number();
        while visas::find(conn, &number)?.is_some() {
            number = new_visa_number();
        }
        let applicant = form.applicant;
        let passport = form.passport;
        let missing = || anyhow::anyhow!("the application lacks data it was submitted with");
        let visa = VisaRow {
            visa_number: number,
            case_id: case.id.clone(),
            visa_type: visa_type.service.code.clone(),
            type_letter: type_letter(&visa_type.visa.category).to_string(),
            entries: serde_json::to_value(grant.entries)?.as_str().unwrap_or("single").to_owned(),
            valid_from: grant.valid_from,
            valid_until: grant.valid_until,
            duration_of_stay_days: grant.duration_of_stay_days,
            surname: applicant.surname.ok_or_else(missing)?,
            given_names: applicant.given_names.unwrap_or_default(),
            sex: match applicant.sex.ok_or_else(missing)? {
                Sex::M => "M",
                Sex::F => "F",
                Sex::X => "X",
            }
            .into(),
            date_of_birth: applicant.date_of_birth.ok_or_else(missing)?,
            place_of_birth: applicant.place_of_birth.unwrap_or_default(),
            nationality: applicant.nationality.ok_or_else(missing)?.to_string(),
            passport_number: passport.number.ok_or_else(missing)?,
            passport_expiry: passport.expiry_date.ok_or_else(missing)?,
            issuing_state: state.config.issuing_state.clone(),
            issuing_post: post.code,
            issue_date: Utc::now().date_naive(),
            kid,
            status: "issuing".into(),
            pdf_key: None,
            pdf_sha256: None,
            revoked_at: None,
            revocation_grounds: None,
            created_at: db::now(),
        };
        visas::insert(conn, &visa)?;
        Ok(Some((case, visa)))
    })
}

/// The MRZ of a visa.
pub fn mrz_lines(visa: &VisaRow) -> [String; 2] {
    MrvA {
        type_letter: visa.type_letter.chars().next().unwrap_or('<'),
        issuing_state: country::mrz_code(&visa.issuing_state),
        surname: &visa.surname,
        given_names: &visa.given_names,
        document_number: &visa.visa_number,
        nationality: country::mrz_code(&visa.nationality),
        date_of_birth: visa.date_of_birth,
        sex: visa.sex.chars().next().unwrap_or('<'),
        valid_until: visa.valid_until,
        optional_data: &visa.passport_number,
    }
    .lines()
}

/// The claims of a visa's QR token.
pub fn claims(visa: &VisaRow) -> VisaClaims {
    let (nbf, exp) = token::validity_window(visa.valid_from, visa.valid_until);
    VisaClaims {
        iss: visa.issuing_state.clone(),
        iat: Utc::now().timestamp(),
        nbf: Some(nbf),
        exp: Some(exp),
        visa_number: visa.visa_number.clone(),
        passport_number: visa.passport_number.clone(),
        name: mrz::name_field(&visa.surname, &visa.given_names).trim_end_matches('<').to_owned(),
        nationality: visa.nationality.clone(),
        date_of_birth: visa.date_of_birth,
        visa_type: visa.visa_type.clone(),
        entries: visa.entries.clone(),
        valid_from: visa.valid_from,
        valid_until: visa.valid_until,
        duration_of_stay_days: visa.duration_of_stay_days,
    }
}

/// Draws and signs the e-visa PDF of a visa.
pub fn signed_pdf(
    visa: &VisaRow,
    visa_type_name: &str,
    post_name: &str,
    state_name: &str,
    photo: &[u8],
    signer: &Signer,
) -> anyhow::Result<Vec<u8>> {
    let token = token::sign(&claims(visa), signer)?;
    let document = VisaDocument {
        state_name: state_name.to_owned(),
        state_code: visa.issuing_state.clone(),
        visa_number: visa.visa_number.clone(),
        visa_type: visa_type_name.to_owned(),
        entries: visa.entries.clone(),
        valid_from: visa.valid_from,
        valid_until: visa.valid_until,
        duration_of_stay_days: visa.duration_of_stay_days,
        issuing_post: format!("{post_name} ({})", visa.issuing_post),
        issue_date: visa.issue_date,
        surname: latin(&visa.surname),
        given_names: latin(&visa.given_names),
        sex: visa.sex.clone(),
        date_of_birth: visa.date_of_birth,
        place_of_birth: latin(&visa.place_of_birth),
        nationality: visa.nationality.clone(),
        passport_number: visa.passport_number.clone(),
        passport_expiry: visa.passport_expiry,
        mrz: mrz_lines(visa),
        photo: photo.to_vec(),
        qr_token: token,
        specimen: signer.development,
    };
    let unsigned = pdf::render(&document)?;
    super::pdf_signature::sign_pdf(
        &unsigned,
        signer,
        Utc::now(),
        &format!("e-visa {} issued by the {state_name}", visa.visa_number),
    )
}

/// The object-store key of a visa's PDF.
pub fn pdf_key(visa_number: &str) -> String {
    format!("visas/{visa_number}.pdf")
}

/// Issues the case `case_id` (all three steps; each may be a repeat).
pub async fn issue(state: &AppState, case_id: &str) -> anyhow::Result<()> {
    let mut conn = state.db.conn()?;
    let Some((case, visa)) = record_visa(state, &mut conn, case_id)? else {
        return Ok(());
    };
    fault(state, "exit_after_visa_record");

    let signer = state.keys.signer(&mut conn, &visa.kid)?;
    let photo_row = documents::find(&mut conn, &case.id, PORTRAIT)?.context("the case has no photo")?;
    let visa_type = catalog::find_visa_type(&mut conn, &visa.visa_type)?.context("visa type vanished")?;
    let post = catalog::find_post(&mut conn, &visa.issuing_post)?.context("post vanished")?;
    drop(conn);
    let photo = state.documents.get(&photo_row.storage_key).await?;
    let state_name = state.config.issuing_state_name.clone();
    let pdf = signed_pdf(&visa, &visa_type.service.name, &post.name, &state_name, &photo, &signer)?;
    let key = pdf_key(&visa.visa_number);
    let sha256 = hex::encode(Sha256::digest(&pdf));
    state.documents.put(&key, Bytes::from(pdf)).await?;
    fault(state, "exit_after_pdf_stored");

    let mut conn = state.db.conn()?;
    db::write_transaction(&mut conn, |conn| {
        let case = cases::find(conn, case_id)?.context("case vanished")?;
        if case.status == CaseStatus::Issued {
            return Ok(());
        }
        visas::mark_issued(conn, &visa.visa_number, &key, &sha256)?;
        let audit = Audit::default().with_details(serde_json::json!({
            "visa_number": visa.visa_number, "kid": visa.kid, "pdf_sha256": sha256,
            "valid_from": visa.valid_from, "valid_until": visa.valid_until,
        }));
        let context = serde_json::json!({
            "visa_number": visa.visa_number, "valid_from": visa.valid_from.format("%d %B %Y").to_string(),
            "valid_until": visa.valid_until.format("%d %B %Y").to_string(), "entries": visa.entries,
            "duration": visa.duration_of_stay_days,
            "link": format!("{}/api/v1/applications/{}/evisa.pdf", state.config.public_url, case.id),
        });
        let attachment = notify::Attachment { key: key.clone(), name: format!("e-visa-{}.pdf", visa.visa_number) };
        let step = Step::new(Action::Issue, audit).email(context).attachment(attachment);
        engine::transition(conn, &state.config, &case, &Actor::system(), step)?;
        Ok::<_, anyhow::Error>(())
    })?;
    tracing::info!(case = %case.reference, visa = %visa.visa_number, year = visa.issue_date.year(), "e-visa issued");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visa_numbers_are_nine_characters_of_the_alphabet_and_unpredictable() {
        let numbers: std::collections::HashSet<String> = (0..1000).map(|_| new_visa_number()).collect();
        assert_eq!(numbers.len(), 1000);
        assert!(numbers.iter().all(|n| n.len() == 9 && n.bytes().all(|b| VISA_ALPHABET.contains(&b))));
    }
}
