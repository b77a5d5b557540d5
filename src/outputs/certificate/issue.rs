//! Issuing the certificate of one approved case, in the same three repeatable steps as e-visas:
//! record the certificate (number, holder, signer) in a transaction; draw, sign and store the PDF
//! under a key derived from the number; then mark it valid, move the case to `issued` and e-mail
//! it, in one transaction. A case never gets two certificates, nor `issued` without its PDF.

use anyhow::Context;
use bytes::Bytes;
use chrono::Utc;
use sha2::{Digest, Sha256};

use super::CertificateClaims;
use super::pdf::{self, CertificateDocument};
use crate::app::engine::{self, Actor, Audit, Step};
use crate::db::cases::{self, CaseRow};
use crate::db::certificates::{self, CertificateRow};
use crate::db::{self, AnyConnection, catalog};
use crate::domain::status::{Action, CaseStatus};
use crate::notify;
use crate::outputs::e_visa::issue::new_visa_number;
use crate::outputs::e_visa::keys::Signer;
use crate::outputs::e_visa::pdf::latin;
use crate::outputs::e_visa::{pdf_signature, token};
use crate::startup::AppState;

/// A fresh certificate number: `CRT` and 9 random characters of A-Z and 0-9.
pub fn new_document_number() -> String {
    format!("CRT{}", new_visa_number())
}

/// The object-store key of a certificate's PDF.
pub fn pdf_key(number: &str) -> String {
    format!("certificates/{number}.pdf")
}

/// Step 1: the certificate of the case, recorded now if it was not yet; `None` when the case is
/// already issued.
fn record(
    state: &AppState,
    conn: &mut AnyConnection,
    case_id: &str,
) -> anyhow::Result<Option<(CaseRow, CertificateRow)>> {
    db::write_transaction(conn, |conn| {
        let Some(case) = crate::outputs::case_to_issue(conn, case_id)? else { return Ok(None) };
        if let Some(certificate) = certificates::for_case(conn, case_id)? {
            return Ok(Some((case, certificate)));
        }
        let form: serde_json::Value = serde_json::from_str(&case.form)?;
        let applicant = &form["applicant"];
        let field = |name: &str| {
            applicant[name].as_str().map(str::to_owned).with_context(|| format!("the form lacks applicant.{name}"))
        };
        let mut number = new_document_number();
        while certificates::find(conn, &number)?.is_some() {
            number = new_document_number();
        }
        let certificate = CertificateRow {
            document_number: number,
            case_id: case.id.clone(),
            service_code: case.service_code.clone(),
            surname: field("surname")?,
            given_names: field("given_names").unwrap_or_default(),
            date_of_birth: field("date_of_birth")?.parse().context("applicant.date_of_birth")?,
            nationality: field("nationality")?,
            issuing_state: state.config.issuing_state.clone(),
            issuing_post: case.post_code.clone(),
            issue_date: Utc::now().date_naive(),
            kid: state.keys.active(conn)?.kid.clone(),
            status: "issuing".into(),
            pdf_key: None,
            pdf_sha256: None,
            revoked_at: None,
            revocation_grounds: None,
            created_at: db::now(),
        };
        certificates::insert(conn, &certificate)?;
        Ok(Some((case, certificate)))
    })
}

/// The claims of a certificate's QR token.
pub fn claims(certificate: &CertificateRow) -> CertificateClaims {
    CertificateClaims {
        iss: certificate.issuing_state.clone(),
        iat: Utc::now().timestamp(),
        typ: "certificate".into(),
        document_number: certificate.document_number.clone(),
        service: certificate.service_code.clone(),
        name: format!("{}, {}", latin(&certificate.surname), latin(&certificate.given_names)),
        date_of_birth: certificate.date_of_birth,
        issue_date: certificate.issue_date,
    }
}

/// Draws and signs the certificate PDF.
pub fn signed_pdf(
    certificate: &CertificateRow,
    case: &CaseRow,
    service: &catalog::ServiceRow,
    post_name: &str,
    state_name: &str,
    signer: &Signer,
) -> anyhow::Result<Vec<u8>> {
    let token = token::sign(&claims(certificate), signer)?;
    let document = CertificateDocument {
        state_name: state_name.to_owned(),
        title: latin(&service.name),
        document_number: certificate.document_number.clone(),
        surname: latin(&certificate.surname),
        given_names: latin(&certificate.given_names),
        date_of_birth: certificate.date_of_birth,
        nationality: certificate.nationality.clone(),
        statement: format!(
            "{} Issued in answer to request {} of the person named above.",
            latin_text(&service.description),
            case.reference
        ),
        issuing_post: format!("{} ({})", latin_text(post_name), certificate.issuing_post),
        issue_date: certificate.issue_date,
        qr_token: token,
        specimen: signer.development,
    };
    let unsigned = pdf::render(&document)?;
    pdf_signature::sign_pdf(
        &unsigned,
        signer,
        Utc::now(),
        &format!("certificate {} issued by the {state_name}", certificate.document_number),
    )
}

/// Free text for the built-in fonts: characters outside printable ASCII are transliterated
/// word by word, the rest kept as written.
fn latin_text(text: &str) -> String {
    text.split(' ')
        .map(|word| if word.bytes().all(|b| (0x20..0x7f).contains(&b)) { word.to_owned() } else { latin(word) })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Issues the certificate of case `case_id` (all three steps; each may be a repeat).
pub async fn issue(state: &AppState, case_id: &str) -> anyhow::Result<()> {
    let mut conn = state.db.conn()?;
    let Some((case, certificate)) = record(state, &mut conn, case_id)? else {
        return Ok(());
    };
    let signer = state.keys.signer(&mut conn, &certificate.kid)?;
    let service = catalog::find_service(&mut conn, &case.service_code)?.context("service vanished")?;
    let post = catalog::find_post(&mut conn, &case.post_code)?.context("post vanished")?;
    drop(conn);
    let state_name = state.config.issuing_state_name.clone();
    let pdf = signed_pdf(&certificate, &case, &service, &post.name, &state_name, &signer)?;
    let key = pdf_key(&certificate.document_number);
    let sha256 = hex::encode(Sha256::digest(&pdf));
    state.documents.put(&key, Bytes::from(pdf)).await?;

    let mut conn = state.db.conn()?;
    let number = certificate.document_number.clone();
    db::write_transaction(&mut conn, |conn| {
        let case = cases::find(conn, case_id)?.context("case vanished")?;
        if case.status == CaseStatus::Issued {
            return Ok(());
        }
        certificates::mark_issued(conn, &number, &key, &sha256)?;
        let audit = Audit::default().with_details(serde_json::json!({
            "document_number": number, "kid": certificate.kid, "pdf_sha256": sha256,
        }));
        let context = serde_json::json!({
            "document_number": number,
            "link": format!("{}/api/v1/requests/{}/document.pdf", state.config.public_url, case.id),
        });
        let attachment = notify::Attachment { key: key.clone(), name: format!("certificate-{number}.pdf") };
        let step = Step::new(Action::Issue, audit).email(context).attachment(attachment);
        engine::transition(conn, &state.config, &case, &Actor::system(), step)?;
        Ok::<_, anyhow::Error>(())
    })?;
    tracing::info!(case = %case.reference, certificate = %certificate.document_number, "certificate issued");
    Ok(())
}
