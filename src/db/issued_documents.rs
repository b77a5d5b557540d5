//! Issued documents of every kind, one per case at most: the repository the issuance protocol,
//! revocation and verification share.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::issued_documents as table;
use super::{AnyConnection, DbError};
use crate::domain::issued::{DocumentStatus, Holder, IssuedDocument, Passport, Revocation, StoredPdf, VisaTerms};
use crate::domain::service::OutputKind;

/// A row as stored; read and written only through [`IssuedDocument`].
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = table)]
struct Row {
    number: String,
    kind: String,
    case_id: String,
    service_code: String,
    surname: String,
    given_names: String,
    sex: Option<String>,
    date_of_birth: NaiveDate,
    place_of_birth: Option<String>,
    nationality: String,
    passport_number: Option<String>,
    passport_expiry: Option<NaiveDate>,
    type_letter: Option<String>,
    entries: Option<String>,
    valid_from: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
    duration_of_stay_days: Option<i32>,
    issuing_state: String,
    issuing_post: String,
    issue_date: NaiveDate,
    kid: String,
    status: String,
    pdf_key: Option<String>,
    pdf_sha256: Option<String>,
    revoked_at: Option<NaiveDateTime>,
    revocation_grounds: Option<String>,
    created_at: NaiveDateTime,
    seal: Option<Vec<u8>>,
}

impl From<&IssuedDocument> for Row {
    fn from(d: &IssuedDocument) -> Row {
        let h = &d.holder;
        let t = d.terms.as_ref();
        Row {
            number: d.number.clone(),
            kind: d.kind.as_str().to_owned(),
            case_id: d.case_id.clone(),
            service_code: d.service_code.clone(),
            surname: h.surname.clone(),
            given_names: h.given_names.clone(),
            sex: h.sex.clone(),
            date_of_birth: h.date_of_birth,
            place_of_birth: h.place_of_birth.clone(),
            nationality: h.nationality.clone(),
            passport_number: h.passport.as_ref().map(|p| p.number.clone()),
            passport_expiry: h.passport.as_ref().map(|p| p.expiry),
            type_letter: t.map(|t| t.type_letter.to_string()),
            entries: t.map(|t| t.entries.clone()),
            valid_from: t.map(|t| t.valid_from),
            valid_until: t.map(|t| t.valid_until),
            duration_of_stay_days: t.map(|t| t.duration_of_stay_days),
            issuing_state: d.issuing_state.clone(),
            issuing_post: d.issuing_post.clone(),
            issue_date: d.issue_date,
            kid: d.kid.clone(),
            status: d.status.as_str().to_owned(),
            pdf_key: d.pdf.as_ref().map(|p| p.key.clone()),
            pdf_sha256: d.pdf.as_ref().map(|p| p.sha256.clone()),
            revoked_at: d.revocation.as_ref().map(|r| r.at),
            revocation_grounds: d.revocation.as_ref().and_then(|r| r.grounds.clone()),
            created_at: d.created_at,
            seal: d.pdf.as_ref().and_then(|p| p.seal.clone()),
        }
    }
}

impl TryFrom<Row> for IssuedDocument {
    type Error = DbError;

    fn try_from(row: Row) -> Result<IssuedDocument, DbError> {
        let corrupt = |what: &str| DbError::Corrupt(format!("issued document {}: {what}", row.number));
        let kind: OutputKind = row.kind.parse().map_err(|_| corrupt("unknown kind"))?;
        let status = DocumentStatus::parse(&row.status).ok_or_else(|| corrupt("unknown status"))?;
        let passport = match (row.passport_number, row.passport_expiry) {
            (Some(number), Some(expiry)) => Some(Passport { number, expiry }),
            _ => None,
        };
        let terms = match (row.type_letter, row.entries, row.valid_from, row.valid_until, row.duration_of_stay_days) {
            (Some(letter), Some(entries), Some(valid_from), Some(valid_until), Some(duration_of_stay_days)) => {
                Some(VisaTerms {
                    type_letter: letter.chars().next().ok_or_else(|| corrupt("empty type letter"))?,
                    entries,
                    valid_from,
                    valid_until,
                    duration_of_stay_days,
                })
            }
            _ => None,
        };
        Ok(IssuedDocument {
            number: row.number,
            kind,
            case_id: row.case_id,
            service_code: row.service_code,
            holder: Holder {
                surname: row.surname,
                given_names: row.given_names,
                sex: row.sex,
                date_of_birth: row.date_of_birth,
                place_of_birth: row.place_of_birth,
                nationality: row.nationality,
                passport,
            },
            terms,
            issuing_state: row.issuing_state,
            issuing_post: row.issuing_post,
            issue_date: row.issue_date,
            kid: row.kid,
            status,
            pdf: row.pdf_key.zip(row.pdf_sha256).map(|(key, sha256)| StoredPdf { key, sha256, seal: row.seal }),
            revocation: row.revoked_at.map(|at| Revocation { at, grounds: row.revocation_grounds }),
            created_at: row.created_at,
        })
    }
}

fn one(row: Option<Row>) -> Result<Option<IssuedDocument>, DbError> {
    row.map(IssuedDocument::try_from).transpose()
}

/// Records a document being issued; a taken number or a second document for the case is a
/// unique violation.
pub fn insert(conn: &mut AnyConnection, document: &IssuedDocument) -> Result<(), DbError> {
    diesel::insert_into(table::table).values(Row::from(document)).execute(conn)?;
    INSERTED.with(|inserted| inserted.set(true));
    Ok(())
}

/// The numbers of documents of `kind` recorded since `since` (all of them without), with when
/// each was recorded.
pub fn numbers_since(
    conn: &mut AnyConnection,
    kind: OutputKind,
    since: Option<NaiveDateTime>,
) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    let mut query =
        table::table.filter(table::kind.eq(kind.as_str())).select((table::number, table::created_at)).into_boxed();
    if let Some(since) = since {
        query = query.filter(table::created_at.ge(since));
    }
    query.load(conn)
}

/// How many documents of `kind` are recorded.
pub fn count(conn: &mut AnyConnection, kind: OutputKind) -> QueryResult<i64> {
    table::table.filter(table::kind.eq(kind.as_str())).count().get_result(conn)
}

/// When the latest document was recorded, which other processes watch to learn of new numbers.
pub fn latest_recorded(conn: &mut AnyConnection) -> QueryResult<Option<NaiveDateTime>> {
    table::table.select(diesel::dsl::max(table::created_at)).first(conn)
}

/// The document issued (or being issued) for a case.
pub fn for_case(conn: &mut AnyConnection, case_id: &str) -> Result<Option<IssuedDocument>, DbError> {
    one(table::table.filter(table::case_id.eq(case_id)).first(conn).optional()?)
}

/// The documents issued (or being issued) on the cases of an applicant, newest first.
pub fn of_applicant(conn: &mut AnyConnection, applicant_id: &str) -> Result<Vec<IssuedDocument>, DbError> {
    use super::schema::cases;
    let theirs = cases::table.filter(cases::applicant_id.eq(applicant_id.to_owned())).select(cases::id);
    let rows: Vec<Row> =
        table::table.filter(table::case_id.eq_any(theirs)).order(table::created_at.desc()).load(conn)?;
    rows.into_iter().map(IssuedDocument::try_from).collect()
}

/// The document with this number, whatever its kind.
pub fn find_any(conn: &mut AnyConnection, number: &str) -> Result<Option<IssuedDocument>, DbError> {
    one(table::table.find(number).first(conn).optional()?)
}

/// The document with this number, of this kind.
pub fn find(conn: &mut AnyConnection, kind: OutputKind, number: &str) -> Result<Option<IssuedDocument>, DbError> {
    one(table::table.find(number).filter(table::kind.eq(kind.as_str())).first(conn).optional()?)
}

/// The number of the document issued for the case, once issued (not while it is being made).
pub fn issued_number(conn: &mut AnyConnection, case_id: &str) -> Result<Option<String>, DbError> {
    Ok(for_case(conn, case_id)?.filter(|d| d.status.is_issued()).map(|d| d.number))
}

/// Whether any document carries this number (numbers are unique across kinds).
pub fn number_taken(conn: &mut AnyConnection, number: &str) -> Result<bool, DbError> {
    Ok(table::table.find(number).select(table::number).first::<String>(conn).optional()?.is_some())
}

/// Records the stored PDF (and the seal printed on it) and makes the document valid.
pub fn mark_issued(conn: &mut AnyConnection, number: &str, pdf: &StoredPdf) -> Result<usize, DbError> {
    let issuing = DocumentStatus::Issuing.as_str();
    Ok(diesel::update(table::table.find(number).filter(table::status.eq(issuing)))
        .set((
            table::status.eq(DocumentStatus::Valid.as_str()),
            table::pdf_key.eq(&pdf.key),
            table::pdf_sha256.eq(&pdf.sha256),
            table::seal.eq(&pdf.seal),
        ))
        .execute(conn)?)
}

thread_local! {
    /// Whether the open transaction of this thread revoked a document.
    static REVOKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Whether the open transaction of this thread recorded a new document.
    static INSERTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the transaction that just committed on this thread revoked a document.
pub(super) fn take_revoked() -> bool {
    REVOKED.with(|revoked| revoked.replace(false))
}

/// Whether the transaction that just committed on this thread recorded a new document.
pub(super) fn take_inserted() -> bool {
    INSERTED.with(|inserted| inserted.replace(false))
}

/// After a rollback: nothing was revoked or recorded.
pub(super) fn forget() {
    REVOKED.with(|revoked| revoked.set(false));
    INSERTED.with(|inserted| inserted.set(false));
}

/// The time of the latest revocation, which other processes watch to know their copies stale.
pub fn latest_revocation(conn: &mut AnyConnection) -> QueryResult<Option<NaiveDateTime>> {
    table::table.select(diesel::dsl::max(table::revoked_at)).first(conn)
}

/// Revokes a valid document; 1 when it was valid, 0 otherwise.
pub fn revoke(conn: &mut AnyConnection, number: &str, grounds: &str, at: NaiveDateTime) -> Result<usize, DbError> {
    REVOKED.with(|revoked| revoked.set(true));
    let valid = DocumentStatus::Valid.as_str();
    Ok(diesel::update(table::table.find(number).filter(table::status.eq(valid)))
        .set((
            table::status.eq(DocumentStatus::Revoked.as_str()),
            table::revoked_at.eq(at),
            table::revocation_grounds.eq(grounds),
        ))
        .execute(conn)?)
}

/// A revoked visa in the revocation feed: number, revocation time, grounds as JSON text.
pub type RevokedVisa = (String, Option<NaiveDateTime>, Option<String>);

/// Revoked visas, oldest revocation first, after `since` when given.
pub fn revoked_visas(
    conn: &mut AnyConnection,
    since: Option<NaiveDateTime>,
    limit: i64,
) -> QueryResult<Vec<RevokedVisa>> {
    let mut query = table::table
        .filter(table::kind.eq(OutputKind::EVisa.as_str()))
        .filter(table::status.eq(DocumentStatus::Revoked.as_str()))
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(table::revoked_at.gt(since));
    }
    query
        .order((table::revoked_at.asc(), table::number.asc()))
        .select((table::number, table::revoked_at, table::revocation_grounds))
        .limit(limit)
        .load(conn)
}

/// Key ids that signed a document still in force on `today` (a valid certificate, a valid visa
/// whose validity has not ended).
pub fn kids_in_force(conn: &mut AnyConnection, today: NaiveDate) -> QueryResult<Vec<String>> {
    table::table
        .filter(table::status.eq(DocumentStatus::Valid.as_str()))
        .filter(table::valid_until.is_null().or(table::valid_until.ge(today)))
        .select(table::kid)
        .distinct()
        .load(conn)
}
