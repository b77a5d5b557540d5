//! The catalogues: consular posts, services (visa types among them) and refusal grounds.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{posts, refusal_grounds, service_forms, services, visa_services};
use crate::domain::service::{Fee, InformationLapse, OutputKind, Service};
use crate::domain::texts::Texts;

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
    /// Its name in other languages (`{"ru": {"name": ...}}`; see [`Texts`]).
    pub texts: String,
}

impl PostRow {
    /// The post's name in `lang`.
    pub fn name_in(&self, lang: &str) -> String {
        Texts::parse(&self.texts).get(lang, "name").unwrap_or(&self.name).to_owned()
    }
}

/// Today's date at a post (in its time zone), or in UTC when the post or its zone is unknown.
pub fn today_at(post: Option<&PostRow>) -> chrono::NaiveDate {
    let now = chrono::Utc::now();
    post.and_then(|p| p.time_zone.parse::<chrono_tz::Tz>().ok())
        .map_or_else(|| now.date_naive(), |tz| now.with_timezone(&tz).date_naive())
}

/// A service of the catalogue, as stored.
#[derive(Queryable, Debug, Clone)]
pub struct ServiceRow {
    /// Code, such as `TOURIST` or `PASSPORT_RENEWAL`.
    pub code: String,
    /// Display name.
    pub name: String,
    /// What the service is.
    pub description: String,
    /// `citizens`, `foreigners` or `both`.
    pub eligibility: String,
    /// Current version of the form.
    pub form_version: i32,
    /// The documents it asks for, as a JSON list of requirements.
    pub documents: String,
    /// Fee in minor units of the currency.
    pub fee_minor: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Whether the fee is paid before submission.
    pub prepaid: bool,
    /// Calendar days within which a decision is due.
    pub processing_days: i32,
    /// Whether approvals need a second person (four-eyes).
    pub four_eyes: bool,
    /// What approval produces.
    pub output: String,
    /// Whether cases may be opened for it.
    pub active: bool,
    /// Position in listings.
    pub sort_order: i32,
    /// When it was added.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
    /// Whether the document is issued only once the fee is paid.
    pub paid_before_issue: bool,
    /// Its words in each language ([`Texts`]).
    pub texts: String,
    /// `officer` or `refuse`: what an unanswered request for information leads to.
    pub information_lapse: String,
    /// Whether the time taken to answer a request for information moves the decision deadline.
    pub information_pauses_clock: bool,
}

impl ServiceRow {
    /// Its texts in each language.
    pub fn texts(&self) -> Texts {
        Texts::parse(&self.texts)
    }

    /// Its name in `lang`.
    pub fn name_in(&self, lang: &str) -> String {
        self.texts().get(lang, "name").unwrap_or(&self.name).to_owned()
    }

    /// What it is, in `lang`.
    pub fn description_in(&self, lang: &str) -> String {
        self.texts().get(lang, "description").unwrap_or(&self.description).to_owned()
    }

    /// What approval produces.
    pub fn output(&self) -> anyhow::Result<OutputKind> {
        self.output
            .parse()
            .map_err(|_| anyhow::anyhow!("service {} has an unknown output {:?}", self.code, self.output))
    }

    /// The service as the engine uses it.
    pub fn to_service(&self) -> anyhow::Result<Service> {
        Ok(Service {
            code: self.code.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            eligibility: self.eligibility.parse().map_err(|_| {
                anyhow::anyhow!("service {} has an unknown eligibility {:?}", self.code, self.eligibility)
            })?,
            form_version: self.form_version,
            documents: serde_json::from_str(&self.documents)?,
            fee: Fee { amount_minor: self.fee_minor, currency: self.currency.clone() },
            prepaid: self.prepaid,
            paid_before_issue: self.paid_before_issue,
            processing_days: self.processing_days,
            four_eyes: self.four_eyes,
            output: self.output()?,
            active: self.active,
            information_lapse: InformationLapse::parse(&self.information_lapse),
            information_pauses_clock: self.information_pauses_clock,
        })
    }
}

/// The settings of a visa service.
#[derive(Queryable, Debug, Clone)]
pub struct VisaServiceRow {
    /// The service.
    pub service_code: String,
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
}

/// A visa type: a service whose output is an e-visa, with its visa settings.
#[derive(Debug, Clone)]
pub struct VisaType {
    /// The service.
    pub service: ServiceRow,
    /// Its visa settings.
    pub visa: VisaServiceRow,
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
    /// Its title and description in each language ([`Texts`]).
    pub texts: String,
}

impl RefusalGroundRow {
    /// Its title and description in `lang`.
    pub fn words_in(&self, lang: &str) -> (String, String) {
        let texts = Texts::parse(&self.texts);
        (
            texts.get(lang, "title").unwrap_or(&self.title).to_owned(),
            texts.get(lang, "description").unwrap_or(&self.description).to_owned(),
        )
    }

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
pub fn list_visa_types(conn: &mut AnyConnection) -> QueryResult<Vec<VisaType>> {
    let rows: Vec<(ServiceRow, VisaServiceRow)> = services::table
        .inner_join(visa_services::table)
        .filter(services::active.eq(true))
        .order((services::sort_order, services::code))
        .load(conn)?;
    Ok(rows.into_iter().map(|(service, visa)| VisaType { service, visa }).collect())
}

/// The visa type with this code, active or not.
pub fn find_visa_type(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<VisaType>> {
    let row: Option<(ServiceRow, VisaServiceRow)> =
        services::table.inner_join(visa_services::table).filter(services::code.eq(code)).first(conn).optional()?;
    Ok(row.map(|(service, visa)| VisaType { service, visa }))
}

/// The active services, in catalogue order, with the schema of their current form.
pub fn list_services(conn: &mut AnyConnection) -> QueryResult<Vec<(ServiceRow, String)>> {
    let rows: Vec<ServiceRow> =
        services::table.filter(services::active.eq(true)).order((services::sort_order, services::code)).load(conn)?;
    rows.into_iter()
        .map(|row| {
            let schema = form_schema(conn, &row.code, row.form_version)?.unwrap_or_else(|| "{}".to_owned());
            Ok((row, schema))
        })
        .collect()
}

/// Every service, active or not, in catalogue order.
pub fn list_all_services(conn: &mut AnyConnection) -> QueryResult<Vec<ServiceRow>> {
    services::table.order((services::sort_order, services::code)).load(conn)
}

/// The service with this code, active or not.
pub fn find_service(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<ServiceRow>> {
    services::table.find(code).first(conn).optional()
}

/// A new service, with the first version of its form.
#[derive(Insertable)]
#[diesel(table_name = services)]
pub struct NewService<'a> {
    /// Code.
    pub code: &'a str,
    /// Display name.
    pub name: &'a str,
    /// What it is.
    pub description: &'a str,
    /// `citizens`, `foreigners` or `both`.
    pub eligibility: &'a str,
    /// Version of the form (1 for a new service).
    pub form_version: i32,
    /// Documents as a JSON list of requirements.
    pub documents: &'a str,
    /// Fee in minor units.
    pub fee_minor: i64,
    /// ISO 4217 currency.
    pub currency: &'a str,
    /// Paid before submission.
    pub prepaid: bool,
    /// Issued only once paid.
    pub paid_before_issue: bool,
    /// Days to a decision.
    pub processing_days: i32,
    /// Four-eyes on approvals.
    pub four_eyes: bool,
    /// What approval produces.
    pub output: &'a str,
    /// Open to new cases.
    pub active: bool,
    /// Position in listings.
    pub sort_order: i32,
    /// Added at.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
    /// Its words in each language.
    pub texts: &'a str,
    /// What an unanswered request for information leads to.
    pub information_lapse: &'a str,
    /// Whether answering a request for information moves the deadline.
    pub information_pauses_clock: bool,
}

/// Stores a new service; a taken code is a unique violation.
pub fn insert_service(conn: &mut AnyConnection, service: &NewService<'_>) -> QueryResult<()> {
    diesel::insert_into(services::table).values(service).execute(conn).map(|_| ())
}

/// Stores a version of a service's form.
pub fn insert_form(
    conn: &mut AnyConnection,
    code: &str,
    version: i32,
    schema: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(service_forms::table)
        .values((
            service_forms::service_code.eq(code),
            service_forms::version.eq(version),
            service_forms::schema.eq(schema),
            service_forms::created_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Changes to a service; `None` leaves a field alone.
#[derive(AsChangeset, Default)]
#[diesel(table_name = services)]
pub struct ServiceChanges {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New eligibility.
    pub eligibility: Option<String>,
    /// New current form version.
    pub form_version: Option<i32>,
    /// New documents (JSON).
    pub documents: Option<String>,
    /// New fee.
    pub fee_minor: Option<i64>,
    /// New currency.
    pub currency: Option<String>,
    /// Paid before submission.
    pub prepaid: Option<bool>,
    /// Issued only once paid.
    pub paid_before_issue: Option<bool>,
    /// New processing days.
    pub processing_days: Option<i32>,
    /// Four-eyes on approvals.
    pub four_eyes: Option<bool>,
    /// Open to new cases.
    pub active: Option<bool>,
    /// New texts in each language.
    pub texts: Option<String>,
    /// What an unanswered request for information leads to.
    pub information_lapse: Option<String>,
    /// Whether answering a request for information moves the deadline.
    pub information_pauses_clock: Option<bool>,
    /// Time of the change.
    pub updated_at: Option<NaiveDateTime>,
}

/// Applies changes to a service.
pub fn update_service(conn: &mut AnyConnection, code: &str, changes: &ServiceChanges) -> QueryResult<usize> {
    diesel::update(services::table.find(code)).set(changes).execute(conn)
}

/// The JSON Schema of a version of a service's form.
pub fn form_schema(conn: &mut AnyConnection, code: &str, version: i32) -> QueryResult<Option<String>> {
    service_forms::table.find((code, version)).select(service_forms::schema).first(conn).optional()
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
    /// New names in other languages.
    pub texts: Option<String>,
}

/// Applies changes to a post; returns the number of rows changed.
pub fn update_post(conn: &mut AnyConnection, code: &str, changes: &PostChanges) -> QueryResult<usize> {
    if changes.name.is_none() && changes.time_zone.is_none() && changes.four_eyes.is_none() && changes.texts.is_none() {
        return posts::table.filter(posts::code.eq(code)).count().get_result::<i64>(conn).map(|n| n as usize);
    }
    diesel::update(posts::table.find(code)).set(changes).execute(conn)
}

/// The grounds catalogue, in order.
pub fn list_refusal_grounds(conn: &mut AnyConnection) -> QueryResult<Vec<RefusalGroundRow>> {
    refusal_grounds::table.order((refusal_grounds::sort_order, refusal_grounds::code)).load(conn)
}

/// Gives a refusal ground its texts in each language.
pub fn set_ground_texts(conn: &mut AnyConnection, code: &str, texts: &str) -> QueryResult<usize> {
    diesel::update(refusal_grounds::table.find(code)).set(refusal_grounds::texts.eq(texts)).execute(conn)
}
