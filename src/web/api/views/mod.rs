//! How stored rows are shown to clients: people, posts and the catalogue here, cases in
//! [`case`].

mod case;

pub use case::{ApplicationView, CaseView, DocumentView, EventView};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use crate::db::catalog::RefusalGroundRow;
use crate::db::catalog::{PostRow, ServiceRow, VisaType};
use crate::db::users::UserRow;
use crate::domain::service::Fee;
use crate::domain::texts::Texts;

pub(super) fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

/// An account as shown to its owner and administrators.
#[derive(Serialize)]
pub struct UserView {
    id: String,
    email: String,
    full_name: String,
    role: String,
    post: Option<String>,
    preferred_language: String,
    disabled: bool,
    created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    away_until: Option<DateTime<Utc>>,
}

impl From<UserRow> for UserView {
    fn from(row: UserRow) -> Self {
        UserView {
            id: row.id,
            email: row.email,
            full_name: row.full_name,
            role: row.role,
            post: row.post_code,
            preferred_language: row.preferred_language,
            disabled: row.disabled,
            created_at: utc(row.created_at),
            away_until: row.away_until.map(utc),
        }
    }
}

/// A consular post.
#[derive(Serialize)]
pub struct PostView {
    code: String,
    name: String,
    country: String,
    time_zone: String,
    four_eyes: bool,
    texts: Texts,
}

impl From<PostRow> for PostView {
    fn from(row: PostRow) -> Self {
        PostView {
            texts: Texts::parse(&row.texts),
            code: row.code,
            name: row.name,
            country: row.country,
            time_zone: row.time_zone,
            four_eyes: row.four_eyes,
        }
    }
}

/// A visa type of the catalogue.
#[derive(Serialize)]
pub struct VisaTypeView {
    code: String,
    name: String,
    purpose: String,
    category: String,
    entries: String,
    max_stay_days: i32,
    validity_days: i32,
    processing_days: i32,
    four_eyes: bool,
    /// Decimal string in the currency's major unit, so no float rounding: `"80.00"`.
    fee: String,
    currency: String,
}

impl From<&VisaType> for VisaTypeView {
    fn from(row: &VisaType) -> Self {
        let (service, visa) = (&row.service, &row.visa);
        VisaTypeView {
            code: service.code.clone(),
            name: service.name.clone(),
            purpose: visa.purpose.clone(),
            category: visa.category.clone(),
            entries: visa.entries.clone(),
            max_stay_days: visa.max_stay_days,
            validity_days: visa.validity_days,
            processing_days: service.processing_days,
            four_eyes: service.four_eyes,
            fee: Fee { amount_minor: service.fee_minor, currency: service.currency.clone() }.decimal(),
            currency: service.currency.clone(),
        }
    }
}

/// A refusal or revocation ground of the catalogue.
#[derive(Serialize)]
pub struct GroundView {
    code: String,
    title: String,
    description: String,
    applies_to: String,
    texts: Texts,
}

impl From<RefusalGroundRow> for GroundView {
    fn from(row: RefusalGroundRow) -> Self {
        GroundView {
            texts: Texts::parse(&row.texts),
            code: row.code,
            title: row.title,
            description: row.description,
            applies_to: row.applies_to,
        }
    }
}

/// A service of the catalogue, as applicants and their tools see it.
#[derive(Serialize)]
pub struct ServiceView {
    code: String,
    name: String,
    description: String,
    eligibility: String,
    form_schema: serde_json::Value,
    form_version: i32,
    documents: serde_json::Value,
    fee: serde_json::Value,
    prepaid: bool,
    paid_before_issue: bool,
    processing_days: i32,
    four_eyes: bool,
    output: String,
    texts: Texts,
    information_lapse: String,
    information_pauses_clock: bool,
}

impl ServiceView {
    /// The view of a stored service with the schema of its current form.
    pub fn new(row: ServiceRow, schema: &str) -> ServiceView {
        ServiceView {
            form_schema: serde_json::from_str(schema).unwrap_or(serde_json::Value::Null),
            documents: serde_json::from_str(&row.documents).unwrap_or(serde_json::Value::Null),
            fee: serde_json::json!({"amount_minor": row.fee_minor, "currency": row.currency}),
            texts: row.texts(),
            code: row.code,
            name: row.name,
            description: row.description,
            eligibility: row.eligibility,
            form_version: row.form_version,
            prepaid: row.prepaid,
            paid_before_issue: row.paid_before_issue,
            processing_days: row.processing_days,
            four_eyes: row.four_eyes,
            output: row.output,
            information_lapse: row.information_lapse,
            information_pauses_clock: row.information_pauses_clock,
        }
    }
}
