//! The catalogues: consular posts and visa types.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{posts, visa_types};

/// A consular post.
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = posts)]
pub struct PostRow {
    /// Post code, such as `UTO-HQ`.
    pub code: String,
    /// Name of the post.
    pub name: String,
    /// ICAO code of the country where the post is.
    pub country: String,
    /// IANA time zone of the post.
    pub time_zone: String,
    /// When the post was added.
    pub created_at: NaiveDateTime,
}

/// A visa type of the catalogue.
#[derive(Queryable, Debug, Clone)]
pub struct VisaTypeRow {
    /// Code, such as `TOURIST`.
    pub code: String,
    /// Display name.
    pub name: String,
    /// What the visa is for.
    pub purpose: String,
    /// `short_stay`, `long_stay` or `transit`.
    pub category: String,
    /// `single`, `double` or `multiple`.
    pub entries: String,
    /// Longest stay allowed, in days.
    pub max_stay_days: i32,
    /// Usual validity of the visa, in days.
    pub validity_days: i32,
    /// Fee in minor units of the currency.
    pub fee_minor: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Calendar days within which a decision is due.
    pub processing_days: i32,
    /// Whether applications may be made for it.
    pub active: bool,
    /// Position in listings.
    pub sort_order: i32,
}

/// All posts, by code.
pub fn list_posts(conn: &mut AnyConnection) -> QueryResult<Vec<PostRow>> {
    posts::table.order(posts::code).load(conn)
}

/// The post with this code.
pub fn find_post(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<PostRow>> {
    posts::table.find(code).first(conn).optional()
}

/// Adds a post. A taken code is a unique violation.
pub fn insert_post(conn: &mut AnyConnection, post: &PostRow) -> QueryResult<()> {
    diesel::insert_into(posts::table)
        .values(post)
        .execute(conn)
        .map(|_| ())
}

/// The active visa types, in catalogue order.
pub fn list_visa_types(conn: &mut AnyConnection) -> QueryResult<Vec<VisaTypeRow>> {
    visa_types::table
        .filter(visa_types::active.eq(true))
        .order((visa_types::sort_order, visa_types::code))
        .load(conn)
}

/// The visa type with this code, active or not.
pub fn find_visa_type(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<VisaTypeRow>> {
    visa_types::table.find(code).first(conn).optional()
}
