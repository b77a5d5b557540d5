//! The documents of cases: metadata here, bytes in the document store.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::case_documents;

/// A stored document's metadata.
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = case_documents)]
pub struct DocumentRow {
    /// Document id.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// `photo` or `passport`.
    pub kind: String,
    /// Media type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Key in the object store.
    pub storage_key: String,
    /// Upload time.
    pub uploaded_at: NaiveDateTime,
}

/// The case's documents, by kind.
pub fn for_case(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Vec<DocumentRow>> {
    case_documents::table.filter(case_documents::case_id.eq(case_id)).order(case_documents::kind).load(conn)
}

/// The case's document of this kind.
pub fn find(conn: &mut AnyConnection, case_id: &str, kind: &str) -> QueryResult<Option<DocumentRow>> {
    case_documents::table
        .filter(case_documents::case_id.eq(case_id))
        .filter(case_documents::kind.eq(kind))
        .first(conn)
        .optional()
}

/// Stores a document's metadata, replacing any earlier one of the same kind. Returns the
/// replaced document, whose bytes the caller may now delete.
pub fn replace(conn: &mut AnyConnection, doc: &DocumentRow) -> QueryResult<Option<DocumentRow>> {
    let previous = find(conn, &doc.case_id, &doc.kind)?;
    if let Some(previous) = &previous {
        diesel::delete(case_documents::table.find(&previous.id)).execute(conn)?;
    }
    diesel::insert_into(case_documents::table).values(doc).execute(conn)?;
    Ok(previous)
}
