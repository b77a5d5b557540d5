//! The issuance protocol, the same for every kind of document, in three steps that can each be
//! repeated safely:
//!
//! 1. **reserve**: record the document (a fresh number, the holder and terms its kind reads from
//!    the case, the active signer) in a transaction; a case has at most one document (unique),
//!    and a repeat finds the one recorded;
//! 2. **render and sign**: draw the PDF with its signed QR token, sign the PDF and store it under
//!    a key derived from the number (a repeat overwrites the same object);
//! 3. **record**: in one transaction, mark the document valid, move the case `approved` ->
//!    `issued`, write the audit event and enqueue the e-mail carrying the PDF.
//!
//! A case is therefore never `issued` without its stored PDF and never gets two documents; a
//! worker that dies between steps leaves a job whose lease expires, and the next worker
//! completes it.

use anyhow::{Context, bail};
use bytes::Bytes;
use chrono::Utc;
use sha2::{Digest, Sha256};

use super::kit::keyring::KeyRing;
use super::kit::keys::Signer;
use super::kit::{pdf_signature, token};
use super::{DocumentKind, Marks, Rendering, issuer};
use crate::app::engine::{self, Actor, Audit, Step};
use crate::config::Config;
use crate::db::cases::{self, CaseRow};
use crate::db::{self, AnyConnection, Db, catalog, documents, issued_documents};
use crate::domain::document::PORTRAIT;
use crate::domain::issued::{DocumentStatus, IssuedDocument, StoredPdf};
use crate::domain::service::OutputKind;
use crate::domain::status::{Action, CaseStatus};
use crate::notify;
use crate::storage::DocumentStore;

/// What issuing needs: the database, the signers, the document store and the configuration.
pub struct Issuance<'a> {
    /// The database.
    pub db: &'a Db,
    /// The document signers.
    pub keys: &'a KeyRing,
    /// Where PDFs (and the portraits they print) are stored.
    pub documents: &'a DocumentStore,
    /// The issuing state, its name, the public address and fault injection.
    pub config: &'a Config,
}

impl Issuance<'_> {
    /// Stops the process at `point` when fault injection asks for it (tests of a worker that dies
    /// mid-issuance).
    fn fault(&self, point: &str) {
        if self.config.fault_injection.as_deref() == Some(point) {
            tracing::error!(point, "EVISA_FAULT_INJECTION: exiting the process as asked");
            std::process::exit(70);
        }
    }
}

/// The approved case `case_id` whose output is yet to be issued, read inside a transaction;
/// `None` when it is already issued (a repeated job has nothing left to do).
fn case_to_issue(conn: &mut AnyConnection, case_id: &str) -> anyhow::Result<Option<CaseRow>> {
    let case = cases::find(conn, case_id)?.ok_or_else(|| anyhow::anyhow!("case vanished"))?;
    match case.status {
        CaseStatus::Approved => Ok(Some(case)),
        CaseStatus::Issued => Ok(None),
        other => bail!("the case is {other}, not approved"),
    }
}

/// Step 1: the document of the case, recorded now if it was not yet; `None` when the case is
/// already issued.
fn reserve(
    issuance: &Issuance<'_>,
    kind: &dyn DocumentKind,
    output: OutputKind,
    conn: &mut AnyConnection,
    case_id: &str,
) -> anyhow::Result<Option<(CaseRow, IssuedDocument)>> {
    issuance.db.write_transaction(conn, |conn| {
        let Some(case) = case_to_issue(conn, case_id)? else { return Ok(None) };
        if let Some(document) = issued_documents::for_case(conn, case_id)? {
            return Ok(Some((case, document)));
        }
        let draft = kind.draft(conn, &case)?;
        let mut number = kind.new_number();
        while issued_documents::number_taken(conn, &number)? {
            number = kind.new_number();
        }
        let document = IssuedDocument {
            number,
            kind: output,
            case_id: case.id.clone(),
            service_code: draft.service_code,
            holder: draft.holder,
            terms: draft.terms,
            issuing_state: issuance.config.issuing_state.clone(),
            issuing_post: case.post_code.clone(),
            issue_date: Utc::now().date_naive(),
            kid: issuance.keys.active(conn)?.kid.clone(),
            status: DocumentStatus::Issuing,
            pdf: None,
            revocation: None,
            created_at: db::now(),
        };
        issued_documents::insert(conn, &document)?;
        Ok(Some((case, document)))
    })
}

/// Step 2: the signed PDF of a recorded document, stored; where it is stored.
async fn render_and_store(
    issuance: &Issuance<'_>,
    kind: &dyn DocumentKind,
    case: &CaseRow,
    document: &IssuedDocument,
) -> anyhow::Result<StoredPdf> {
    let mut conn = issuance.db.conn()?;
    let signer = issuance.keys.signer(&mut conn, &document.kid)?;
    let service = catalog::find_service(&mut conn, &case.service_code)?.context("service vanished")?;
    let post = catalog::find_post(&mut conn, &document.issuing_post)?.context("post vanished")?;
    let portrait_key = match kind.prints_portrait() {
        true => Some(documents::find(&mut conn, &case.id, PORTRAIT)?.context("the case has no photo")?.storage_key),
        false => None,
    };
    drop(conn);
    let portrait = match portrait_key {
        Some(key) => Some(issuance.documents.get(&key).await?),
        None => None,
    };
    let rendering = Rendering {
        document,
        case_reference: &case.reference,
        service_name: &service.name,
        service_description: &service.description,
        post_name: &post.name,
        state_name: &issuance.config.issuing_state_name,
        portrait: portrait.as_deref(),
    };
    let Signed { pdf, seal } = signed_pdf(kind, &rendering, &signer)?;
    let stored = StoredPdf {
        key: format!("{}/{}.pdf", kind.storage_prefix(), document.number),
        sha256: hex::encode(Sha256::digest(&pdf)),
        seal,
    };
    issuance.documents.put(&stored.key, Bytes::from(pdf)).await?;
    Ok(stored)
}

/// A document's signed PDF, and its visible digital seal for kinds that print one.
pub struct Signed {
    /// The PDF, signed.
    pub pdf: Vec<u8>,
    /// The seal printed on it.
    pub seal: Option<Vec<u8>>,
}

/// Draws and signs a document's PDF: its QR token and seal signed, its page drawn, the PDF
/// signed.
pub fn signed_pdf(kind: &dyn DocumentKind, rendering: &Rendering<'_>, signer: &Signer) -> anyhow::Result<Signed> {
    let document = rendering.document;
    let token = token::sign(&kind.claims(document)?, signer)?;
    let seal = kind.seal(document, signer)?;
    let marks = Marks { token: &token, seal: seal.as_deref() };
    let unsigned = kind.render(rendering, &marks, signer.development)?;
    let reason = format!("{} {} issued by the {}", kind.label(), document.number, rendering.state_name);
    Ok(Signed { pdf: pdf_signature::sign_pdf(&unsigned, signer, Utc::now(), &reason)?, seal })
}

/// Step 3: the document valid, the case issued, audited and announced, in one transaction.
fn record(
    issuance: &Issuance<'_>,
    kind: &dyn DocumentKind,
    document: &IssuedDocument,
    pdf: &StoredPdf,
) -> anyhow::Result<()> {
    let mut conn = issuance.db.conn()?;
    issuance.db.write_transaction(&mut conn, |conn| {
        let case = cases::find(conn, &document.case_id)?.context("case vanished")?;
        if case.status == CaseStatus::Issued {
            return Ok(());
        }
        issued_documents::mark_issued(conn, &document.number, pdf)?;
        let mut details = kind.audit_details(document);
        details["document_number"] = document.number.clone().into();
        details["kid"] = document.kid.clone().into();
        details["pdf_sha256"] = pdf.sha256.clone().into();
        let announcement = kind.announcement(document, &case, &issuance.config.public_url);
        let attachment = notify::Attachment { key: pdf.key.clone(), name: announcement.file_name };
        let step = Step::new(Action::Issue, Audit::default().with_details(details))
            .email(announcement.context)
            .attachment(attachment);
        engine::transition(conn, issuance.config, &case, &Actor::system(), step)?;
        Ok::<_, anyhow::Error>(())
    })
}

/// Issues the `output` of the approved case `case_id` (all three steps; each may be a repeat).
pub async fn issue(issuance: &Issuance<'_>, case_id: &str, output: OutputKind) -> anyhow::Result<()> {
    let Some(kind) = issuer(output).document() else { bail!("no document is issued for {output} outputs") };
    let mut conn = issuance.db.conn()?;
    let Some((case, document)) = reserve(issuance, kind, output, &mut conn, case_id)? else { return Ok(()) };
    drop(conn);
    issuance.fault("exit_after_visa_record");
    let pdf = render_and_store(issuance, kind, &case, &document).await?;
    issuance.fault("exit_after_pdf_stored");
    record(issuance, kind, &document, &pdf)?;
    tracing::info!(case = %case.reference, number = %document.number, kind = kind.label(), "document issued");
    Ok(())
}
