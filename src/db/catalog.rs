//! The catalogues: consular posts and visa types.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{posts, refusal_grounds, visa_types};

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
    /// Whether every approval at this post needs a second person (four-eyes), whatever the
    /// visa type.
    pub four_eyes: bool,
}

/// Today's date at a post (in its time zone), or in UTC when the post or its zone is unknown.
pub fn today_at(post: Option<&PostRow>) -> chrono::NaiveDate {
    let now = chrono::Utc::now();
    post.and_then(|p| p.time_zone.parse::<chrono_tz::Tz>().ok())
        .map_or_else(|| now.date_naive(), |tz| now.with_timezone(&tz).date_naive())
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
    /// Whether approvals of this type need a second person (four-eyes).
    pub four_eyes: bool,
}

/// A coded ground for refusing or revoking.
#[derive(Queryable, Debug, Clone)]
pub struct RefusalGroundRow {
    /// Code, such as `INSUFFICIENT_MEANS`.
    pub code: String,
    /// Short title.
    pub title: String,
    /// The ground in plain words, as shown to applicants.
    pub description: String,
    /// `refusal`, `revocation` or `both`.
    pub applies_to: String,
    /// Position in listings.
    pub sort_order: i32,
}

impl RefusalGroundRow {
    /// Whether the ground may justify a refusal.
    pub fn for_refusal(&self) -> bool {
        self.applies_to != "revocation"
    }
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
    diesel::insert_into(posts::table).values(post).execute(conn).map(|_| ())
}

/// The active visa types, in catalogue order.
pub fn list_visa_types(conn: &mut AnyConnection) -> QueryResult<Vec<VisaTypeRow>> {
    visa_types::table.filter(visa_types::active.eq(true)).order((visa_types::sort_order, visa_types::code)).load(conn)
}

/// The visa type with this code, active or not.
pub fn find_visa_type(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<VisaTypeRow>> {
    visa_types::table.find(code).first(conn).optional()
}

/// Changes to a post; `None` leaves a field alone.
#[derive(AsChangeset, Default)]
#[diesel(table_name = posts)]
pub struct PostChanges {
    /// New name.
    pub name: Option<String>,
    /// New time zone.
    pub time_zone: Option<String>,
    /// New four-eyes setting.
    pub four_eyes: Option<bool>,
}

/// Applies changes to a post; returns the number of rows changed.
pub fn update_post(conn: &mut AnyConnection, code: &str, changes: &PostChanges) -> QueryResult<usize> {
    if changes.name.is_none() && changes.time_zone.is_none() && changes.four_eyes.is_none() {
        return posts::table.filter(posts::code.eq(code)).count().get_result::<i64>(conn).map(|n| n as usize);
    }
    diesel::update(posts::table.find(code)).set(changes).execute(conn)
}

/// The grounds catalogue, in order.
pub fn list_refusal_grounds(conn: &mut AnyConnection) -> QueryResult<Vec<RefusalGroundRow>> {
    refusal_grounds::table.order((refusal_grounds::sort_order, refusal_grounds::code)).load(conn)
}
