//! Share codes, the use cases: a holder makes, lists and cancels codes for their issued document;
//! a checker gives a code and the holder's date of birth and sees what the code's purpose needs.
//! A wrong code, a wrong date of birth and a code that no longer answers are answered alike, and
//! every check is logged in the transaction that answers it.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use subtle::ConstantTimeEq;

use crate::app::engine::{self, Actor, Audit};
use crate::app::{Applicant, Error, Result};
use crate::auth::digest::keyed_digest;
use crate::auth::failures::FailureThrottle;
use crate::db::cases::CaseRow;
use crate::db::catalog::{self, ServiceRow};
use crate::db::share_codes::{self, ShareCheckRow, ShareCodeRow};
use crate::db::{self, AnyConnection, Db, documents, issued_documents};
use crate::domain::document::PORTRAIT;
use crate::domain::issued::{DocumentStatus, IssuedDocument};
use crate::domain::service::OutputKind;
use crate::domain::share_code::{self, CheckOutcome, CodeState, Fact, Purpose, ShareCode};
use crate::domain::verification::CheckResult;
use crate::storage::DocumentStore;

/// Checks of a holder's codes shown at most.
const CHECKS_SHOWN: i64 = 200;

/// The digest a code is kept and found by: keyed by the server's log secret, apart from the
/// passport digests of the same key by its prefix.
fn digest(key: &[u8], code: &ShareCode) -> String {
    keyed_digest(key, &format!("share-code:{}", code.as_str()))
}

/// A check of one of the holder's codes.
#[derive(Debug, Clone)]
pub struct CheckSeen {
    /// When.
    pub at: NaiveDateTime,
    /// What it came to.
    pub outcome: CheckOutcome,
}

/// A code as its holder sees it.
#[derive(Debug, Clone)]
pub struct CodeView {
    /// The stored code.
    pub row: ShareCodeRow,
    /// Its purpose.
    pub purpose: Purpose,
    /// Where it stands now.
    pub state: CodeState,
    /// The case whose document it shares.
    pub case_id: String,
    /// The kind of that document.
    pub kind: OutputKind,
    /// Its checks, newest first.
    pub checks: Vec<CheckSeen>,
}

/// A code just made: its characters, shown this once, and its view.
#[derive(Debug, Clone)]
pub struct Created {
    /// The code.
    pub code: ShareCode,
    /// As listed from now on.
    pub view: CodeView,
}

fn purpose_of(row: &ShareCodeRow) -> Result<Purpose> {
    row.purpose.parse().map_err(|_| Error::internal(anyhow::anyhow!("share code {} has no known purpose", row.id)))
}

fn views(conn: &mut AnyConnection, rows: Vec<ShareCodeRow>) -> Result<Vec<CodeView>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let checks = share_codes::checks_of(conn, &ids, CHECKS_SHOWN)?;
    let now = db::now();
    let mut shown = Vec::with_capacity(rows.len());
    for row in rows {
        let document = issued_documents::find_any(conn, &row.document_number)?
            .ok_or_else(|| Error::internal(anyhow::anyhow!("share code {} lost its document", row.id)))?;
        let seen = checks
            .iter()
            .filter(|c| c.share_code_id.as_deref() == Some(row.id.as_str()))
            .filter_map(|c| Some(CheckSeen { at: c.created_at, outcome: CheckOutcome::parse(&c.outcome)? }))
            .collect();
        shown.push(CodeView {
            purpose: purpose_of(&row)?,
            state: CodeState::of(row.cancelled_at.is_some(), row.wrong_birth_dates, row.expires_at, now),
            case_id: document.case_id,
            kind: document.kind,
            checks: seen,
            row,
        });
    }
    Ok(shown)
}

/// The view of one code.
fn view(conn: &mut AnyConnection, row: ShareCodeRow) -> Result<CodeView> {
    views(conn, vec![row])?.pop().ok_or(Error::NotFound)
}

/// Records the holder's `action` on a code in the history of the case whose document it shares
/// (the status stays).
fn in_history(conn: &mut AnyConnection, case: &CaseRow, action: &str, user: &Applicant, audit: &Audit) -> Result<()> {
    engine::record(conn, &case.id, action, Some(case.status), case.status, &Actor::from(&**user), audit, db::now())
}

/// What a holder asks for when making a code.
#[derive(Debug, Clone)]
pub struct NewCode {
    /// The case whose document is shared.
    pub case_id: String,
    /// What for, by its name.
    pub purpose: String,
    /// For how many days.
    pub valid_days: i64,
}

/// Makes a code for the document issued on the holder's case, recorded in the case's history.
pub async fn create(db: &Db, key: Vec<u8>, user: &Applicant, new: NewCode, audit: Audit) -> Result<Created> {
    let purpose: Purpose = new
        .purpose
        .parse()
        .map_err(|_| Error::invalid_field("purpose", "invalid", "one of work, renting, study, other"))?;
    let days = share_code::valid_days("valid_days", new.valid_days).map_err(|e| Error::Invalid(vec![e]))?;
    let user = user.clone();
    db.write(move |conn| {
        let case = super::applicant::own_case(conn, &new.case_id, &user)?;
        let document = issued_documents::for_case(conn, &case.id)?.ok_or(Error::NotFound)?;
        if !in_force(&document, Utc::now().date_naive()) {
            return Err(Error::Conflict("only a document in force can be shared".into()));
        }
        let code = ShareCode::generate();
        let now = db::now();
        let row = ShareCodeRow {
            id: uuid::Uuid::now_v7().to_string(),
            code_digest: digest(&key, &code),
            code_hint: code.hint(),
            document_number: document.number.clone(),
            holder_id: user.id.clone(),
            purpose: purpose.as_str().to_owned(),
            created_at: now,
            expires_at: now + chrono::Duration::days(days),
            cancelled_at: None,
            wrong_birth_dates: 0,
        };
        share_codes::insert(conn, &row)?;
        let details = serde_json::json!({"share_code": row.id, "purpose": purpose.as_str(),
                                         "expires_at": row.expires_at.and_utc()});
        let audit = audit.with_details(details);
        in_history(conn, &case, "share_code", &user, &audit)?;
        Ok(Created { code, view: view(conn, row)? })
    })
    .await
}

/// Whether a document may be shared on `today`: issued, not revoked, and for a visa, not past
/// its validity.
fn in_force(document: &IssuedDocument, today: NaiveDate) -> bool {
    document.status == DocumentStatus::Valid && document.terms.as_ref().is_none_or(|t| t.valid_until >= today)
}

/// A document its holder may share now.
#[derive(Debug, Clone)]
pub struct Shareable {
    /// The document.
    pub document: IssuedDocument,
    /// The service that issued it.
    pub service: ServiceRow,
}

/// The holder's documents in force, newest first.
pub async fn shareable(db: &Db, user: &Applicant) -> Result<Vec<Shareable>> {
    let holder = user.id.clone();
    db.run(move |conn| {
        let today = Utc::now().date_naive();
        let mut found = Vec::new();
        for document in issued_documents::of_applicant(conn, &holder)?.into_iter().filter(|d| in_force(d, today)) {
            let service = catalog::find_service(conn, &document.service_code)?
                .ok_or_else(|| Error::internal(anyhow::anyhow!("service {} vanished", document.service_code)))?;
            found.push(Shareable { document, service });
        }
        Ok(found)
    })
    .await
}

/// The holder's codes, newest first, with their checks.
pub async fn list(db: &Db, user: &Applicant) -> Result<Vec<CodeView>> {
    let holder = user.id.clone();
    db.run(move |conn| {
        let rows = share_codes::for_holder(conn, &holder)?;
        views(conn, rows)
    })
    .await
}

/// Cancels one of the holder's codes (again: no change), recorded in the case's history.
pub async fn cancel(db: &Db, user: &Applicant, id: String, audit: Audit) -> Result<CodeView> {
    let user = user.clone();
    db.write(move |conn| {
        let row = share_codes::find_for_holder(conn, &id, &user.id)?.ok_or(Error::NotFound)?;
        let now = db::now();
        if share_codes::cancel(conn, &row.id, now)? == 1 {
            let document = issued_documents::find_any(conn, &row.document_number)?.ok_or(Error::NotFound)?;
            let case = db::cases::find(conn, &document.case_id)?.ok_or(Error::NotFound)?;
            let audit = audit.with_details(serde_json::json!({"share_code": row.id, "purpose": row.purpose}));
            in_history(conn, &case, "cancel_share_code", &user, &audit)?;
        }
        let row = share_codes::find_for_holder(conn, &id, &user.id)?.ok_or(Error::NotFound)?;
        view(conn, row)
    })
    .await
}

/// What a check shows of a document: its status, and the facts its code's purpose needs.
#[derive(Debug, Clone)]
pub struct Shown {
    /// The code's purpose.
    pub purpose: Purpose,
    /// The document's status today.
    pub status: CheckResult,
    /// The holder's name, as printed.
    pub name: Option<String>,
    /// The kind of document and its service.
    pub document: Option<(OutputKind, ServiceRow)>,
    /// First day of a visa's validity.
    pub valid_from: Option<NaiveDate>,
    /// Last day of a visa's validity.
    pub valid_until: Option<NaiveDate>,
    /// Day of issue.
    pub issue_date: Option<NaiveDate>,
    /// The holder's photo as a small JPEG ([`crate::app::thumbnail`]), where the case has one
    /// and it could be read.
    pub photo: Option<Vec<u8>>,
}

/// The answer to a check: its reference and time, and what it shows (nothing when the code,
/// the date of birth or the code's state did not allow it).
#[derive(Debug, Clone)]
pub struct CheckAnswer {
    /// The reference of the check, as logged.
    pub check_id: String,
    /// When it was answered.
    pub checked_at: DateTime<Utc>,
    /// What it shows.
    pub shown: Option<Shown>,
}

/// Failed checks an address may make in [`FAILURE_WINDOW`] before it waits [`FAILURE_SPACING`]
/// between attempts.
pub const FREE_FAILURES: usize = 10;
/// The window failed checks of an address are counted in.
pub const FAILURE_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// The wait between attempts of an address past its free failures.
pub const FAILURE_SPACING: std::time::Duration = std::time::Duration::from_secs(60);

/// The throttle of failed checks per address.
pub fn address_throttle() -> FailureThrottle {
    FailureThrottle::new(FREE_FAILURES, FAILURE_WINDOW, FAILURE_SPACING)
}

/// Checks a code with a date of birth, from `ip` (an address past its free failures waits). The
/// check is logged before it is answered.
pub async fn check(
    db: &Db,
    store: &DocumentStore,
    key: &[u8],
    throttle: &FailureThrottle,
    code: &str,
    born: NaiveDate,
    ip: Option<String>,
) -> Result<CheckAnswer> {
    let address = ip.clone().unwrap_or_default();
    throttle.check(&address).map_err(|retry_after_secs| Error::RateLimited { retry_after_secs })?;
    let code = ShareCode::parse("code", code).map_err(|e| Error::Invalid(vec![e]))?;
    let digest = digest(key, &code);
    let (mut answer, portrait) = db
        .write::<_, Error, _>(move |conn| {
            let now = db::now();
            let (outcome, code_id, shown, portrait) = match share_codes::by_digest(conn, &digest)? {
                None => (CheckOutcome::UnknownCode, None, None, None),
                Some(row) => {
                    let (outcome, shown, portrait) = attempt(conn, &row, born, now)?;
                    (outcome, Some(row.id), shown, portrait)
                }
            };
            let check = ShareCheckRow {
                id: uuid::Uuid::now_v7().to_string(),
                share_code_id: code_id,
                outcome: outcome.as_str().to_owned(),
                ip,
                created_at: now,
            };
            share_codes::log_check(conn, &check)?;
            Ok((CheckAnswer { check_id: check.id, checked_at: now.and_utc(), shown }, portrait))
        })
        .await?;
    match (answer.shown.as_mut(), portrait) {
        (Some(shown), Some(portrait)) => shown.photo = thumbnail(store, &portrait).await,
        (None, _) => throttle.failed(&address),
        (Some(_), None) => {}
    }
    Ok(answer)
}

/// The photo stored under `key`, made small; `None` (and an error logged) when it cannot be
/// read: the status the checker asked for is still answered.
async fn thumbnail(store: &DocumentStore, key: &str) -> Option<Vec<u8>> {
    let small = match store.get(key).await {
        Ok(photo) => {
            crate::app::decoding::bounded(move || crate::app::thumbnail::jpeg(&photo)).await.and_then(|made| made)
        }
        Err(err) => Err(err),
    };
    small.inspect_err(|err| tracing::error!(error = %err, "a share check's photo could not be read")).ok()
}

/// One attempt at an existing code: counted as a wrong date of birth until the date proves right.
/// When it is right, what it shows and where the photo it shows is stored.
fn attempt(
    conn: &mut AnyConnection,
    row: &ShareCodeRow,
    born: NaiveDate,
    now: NaiveDateTime,
) -> Result<(CheckOutcome, Option<Shown>, Option<String>)> {
    if CodeState::of(row.cancelled_at.is_some(), 0, row.expires_at, now) != CodeState::Active
        || share_codes::take_attempt(conn, &row.id)? == 0
    {
        return Ok((CheckOutcome::Inactive, None, None));
    }
    let document = issued_documents::find_any(conn, &row.document_number)?
        .ok_or_else(|| Error::internal(anyhow::anyhow!("share code {} lost its document", row.id)))?;
    let same: bool = document.holder.date_of_birth.to_string().as_bytes().ct_eq(born.to_string().as_bytes()).into();
    if !same {
        return Ok((CheckOutcome::WrongBirthDate, None, None));
    }
    share_codes::give_back_attempt(conn, &row.id)?;
    let purpose = purpose_of(row)?;
    let service = catalog::find_service(conn, &document.service_code)?
        .ok_or_else(|| Error::internal(anyhow::anyhow!("service {} vanished", document.service_code)))?;
    let portrait = match purpose.discloses(Fact::Photo) {
        true => documents::find(conn, &document.case_id, PORTRAIT)?.map(|photo| photo.storage_key),
        false => None,
    };
    Ok((CheckOutcome::Shown, Some(shown(purpose, &document, service, now.date())), portrait))
}

/// What a check for `purpose` shows of `document` on `today`.
fn shown(purpose: Purpose, document: &IssuedDocument, service: ServiceRow, today: NaiveDate) -> Shown {
    let terms = document.terms.as_ref();
    let holder = &document.holder;
    let name = format!("{} {}", holder.given_names, holder.surname).trim().to_owned();
    let has = |fact| purpose.discloses(fact);
    Shown {
        purpose,
        status: share_code::status_of(document, today),
        name: has(Fact::Name).then_some(name),
        document: has(Fact::Document).then_some((document.kind, service)),
        valid_from: terms.filter(|_| has(Fact::ValidFrom)).map(|t| t.valid_from),
        valid_until: terms.filter(|_| has(Fact::ValidUntil)).map(|t| t.valid_until),
        issue_date: has(Fact::IssueDate).then_some(document.issue_date),
        photo: None,
    }
}
