//! Administrators manage the consular posts: add one, rename it, move its time zone, or set its
//! four-eyes policy. Every change is audited.

use super::{Admin, Error, Result};
use crate::db::catalog::{self, PostChanges, PostRow};
use crate::db::{self, Db, admin_events};
use crate::domain::FieldError;
use crate::domain::country::CountryCode;
use crate::domain::texts::Texts;

/// A post as an administrator describes it.
#[derive(Debug, Clone)]
pub struct NewPost {
    /// Code, such as `UTO-LON`.
    pub code: String,
    /// Name.
    pub name: String,
    /// ICAO code of the country where the post is.
    pub country: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Whether every approval at the post needs a second person.
    pub four_eyes: bool,
    /// Its name in other languages.
    pub texts: Texts,
}

fn is_post_code(code: &str) -> bool {
    (2..=20).contains(&code.len())
        && code
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
}

fn check_name(name: &str, problems: &mut Vec<FieldError>) {
    if name.is_empty() || name.chars().count() > 200 {
        problems.push(FieldError::new("name", "invalid", "between 1 and 200 characters"));
    }
}

fn check_time_zone(time_zone: &str, problems: &mut Vec<FieldError>) {
    if time_zone.parse::<chrono_tz::Tz>().is_err() {
        problems.push(FieldError::new("time_zone", "invalid", "an IANA time zone such as Europe/London"));
    }
}

/// Adds a post; a taken code is a conflict.
pub async fn create_post(db: &Db, admin: &Admin, post: NewPost, request_id: Option<String>) -> Result<PostRow> {
    let mut problems = Vec::new();
    if !is_post_code(&post.code) {
        problems.push(FieldError::new(
            "code",
            "invalid",
            "upper-case letters and digits in dash-separated parts, such as UTO-LON",
        ));
    }
    let name = post.name.trim().to_owned();
    check_name(&name, &mut problems);
    let country = match post.country.parse::<CountryCode>() {
        Ok(code) => code.to_string(),
        Err(err) => {
            problems.push(FieldError::new("country", "invalid", err.to_string()));
            String::new()
        }
    };
    check_time_zone(&post.time_zone, &mut problems);
    problems.extend(post.texts.problems());
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let row = PostRow {
        code: post.code,
        name,
        country,
        time_zone: post.time_zone,
        created_at: db::now(),
        four_eyes: post.four_eyes,
        texts: post.texts.to_json(),
    };
    let actor = admin.id.clone();
    db.write(move |conn| match catalog::insert_post(conn, &row) {
        Ok(()) => {
            let details = serde_json::json!({"name": row.name, "country": row.country, "time_zone": row.time_zone, "four_eyes": row.four_eyes});
            admin_events::record(conn, "create_post", &row.code, (Some(&actor), "admin"), details, request_id.as_deref())?;
            Ok(row)
        }
        Err(err) if db::is_unique_violation(&err) => Err(Error::Conflict(format!("a post with code {} exists", row.code))),
        Err(err) => Err(err.into()),
    })
    .await
    .inspect(|_| db.catalogue_changes().count())
}

/// Changes a post; `None` leaves a field alone.
pub async fn update_post(
    db: &Db,
    admin: &Admin,
    code: String,
    changes: PostChanges,
    request_id: Option<String>,
) -> Result<PostRow> {
    let mut problems = Vec::new();
    let name = changes.name.map(|n| n.trim().to_owned());
    if let Some(name) = &name {
        check_name(name, &mut problems);
    }
    if let Some(time_zone) = &changes.time_zone {
        check_time_zone(time_zone, &mut problems);
    }
    if let Some(texts) = &changes.texts {
        problems.extend(Texts::parse(texts).problems());
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let details = serde_json::json!({"name": name, "time_zone": changes.time_zone, "four_eyes": changes.four_eyes});
    let changes = PostChanges { name, ..changes };
    let actor = admin.id.clone();
    db.write(move |conn| {
        if catalog::update_post(conn, &code, &changes)? == 0 {
            return Err(Error::NotFound);
        }
        admin_events::record(conn, "update_post", &code, (Some(&actor), "admin"), details, request_id.as_deref())?;
        catalog::find_post(conn, &code)?.ok_or(Error::NotFound)
    })
    .await
    .inspect(|_| db.catalogue_changes().count())
}
