//! What follows a request for information with a date: a reminder before the date and, when
//! the date passes unanswered, the lapse the service declares (the officer decides, or the
//! request is refused for lack of information), with the applicant told either way.

use chrono::{NaiveDate, NaiveDateTime};

use super::away;
use super::grounds::{self, Purpose};
use super::request_info::latest_request;
use crate::app::engine::{self, Actor, Audit, Step};
use crate::app::{Error, Result};
use crate::config::Config;
use crate::db::cases::{CaseRow, TransitionChanges};
use crate::db::jobs::{self, JobKind};
use crate::db::{self, AnyConnection, Db, cases, catalog, users};
use crate::domain::decision::Decision;
use crate::domain::service::InformationLapse;
use crate::domain::status::{Action, CaseStatus};
use crate::notify;

/// The refusal ground of a request refused because the information asked for never came.
pub const NO_INFORMATION_GROUND: &str = "INFORMATION_NOT_PROVIDED";

/// When a request due on `due` lapses: the end of that day at the post (time zone `tz`), as UTC.
pub fn lapse_at(due: NaiveDate, tz: &str) -> NaiveDateTime {
    let next_day = (due + chrono::Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default();
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::Tz::UTC);
    next_day.and_local_timezone(tz).earliest().map_or(next_day, |local| local.naive_utc())
}

/// Follows up the request for information awaiting an answer on case `case_id`: before its
/// date, reminds the applicant once and comes back when the date has passed; after it, lapses
/// the request. A request answered, or replaced by one without a date, is left alone.
pub fn follow_up(db: &Db, config: &Config, case_id: &str) -> anyhow::Result<()> {
    // Runners have no web runtime: the connection is used on the runner's own thread.
    let mut conn = db.conn()?;
    db.write_transaction(&mut conn, |conn| -> Result<()> {
        let Some(case) = cases::find(conn, case_id)? else { return Ok(()) };
        if case.status != CaseStatus::InfoRequested {
            return Ok(());
        }
        let (message, details) = latest_request(conn, &case.id)?;
        let Some(due) = details["due_date"].as_str().and_then(|d| d.parse::<NaiveDate>().ok()) else { return Ok(()) };
        let post = catalog::find_post(conn, &case.post_code)?;
        let lapses = lapse_at(due, post.as_ref().map_or("UTC", |p| p.time_zone.as_str()));
        let lang = users::find(conn, &case.applicant_id)?.map(|u| u.preferred_language).unwrap_or_default();
        let due_date = crate::domain::dates::written(&lang, due);
        if db::now() < lapses {
            let extra = serde_json::json!({ "message": message, "items": details["items"], "due_date": due_date });
            notify::case_event(conn, config, &case, "info_reminder", extra, None)?;
            // The same job comes back when the date has passed; the runner leaves it pending.
            return Ok(jobs::enqueue(conn, JobKind::RemindInformation, &case.id, lapses)?);
        }
        lapse(conn, config, &case, due, &due_date)
    })
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Lapses the unanswered request on `case` as its service declares.
fn lapse(conn: &mut AnyConnection, config: &Config, case: &CaseRow, due: NaiveDate, due_date: &str) -> Result<()> {
    let service = catalog::find_service(conn, &case.service_code)?.ok_or(Error::NotFound)?.to_service()?;
    let audit = Audit::default().with_details(serde_json::json!({ "due_date": due }));
    let step = match service.information_lapse {
        InformationLapse::Officer => {
            // The legal clock starts again where it stopped, if the service's law stopped it.
            let resumed = super::request_info::resumed_deadline(conn, case)?;
            let changes = TransitionChanges { decision_deadline: resumed, ..TransitionChanges::default() };
            Step::new(Action::Lapse, audit).changes(changes).email(serde_json::json!({ "due_date": due_date }))
        }
        InformationLapse::Refuse => {
            let grounds = grounds::resolve(conn, &[NO_INFORMATION_GROUND.to_owned()], Purpose::Refusal)?;
            let appeal_information = config.appeal_information.clone();
            let email = serde_json::json!({"grounds": grounds, "appeal_information": appeal_information});
            let decision = Decision::Refused { grounds, appeal_information };
            let changes = TransitionChanges {
                decision: Some(Some(serde_json::to_string(&decision)?)),
                decided_at: Some(Some(db::now())),
                ..TransitionChanges::default()
            };
            let audit = audit.with_details(serde_json::json!({ "due_date": due, "grounds": [NO_INFORMATION_GROUND] }));
            Step::new(Action::Refuse, audit).changes(changes).email(email)
        }
    };
    let lapsed = engine::transition(conn, config, case, &Actor::system(), step)?;
    if lapsed == CaseStatus::InReview {
        away::back_to_queue_if_away(conn, config, &case.id)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_lapses_at_the_end_of_its_day_at_the_post() {
        let due = NaiveDate::from_ymd_opt(2027, 4, 11).unwrap();
        let midnight = NaiveDate::from_ymd_opt(2027, 4, 12).unwrap().and_hms_opt(0, 0, 0).unwrap();
        assert_eq!(lapse_at(due, "UTC"), midnight);
        // Almaty is five hours ahead of UTC: its midnight is 19:00 UTC the day before.
        assert_eq!(lapse_at(due, "Asia/Almaty"), midnight - chrono::Duration::hours(5));
        assert_eq!(lapse_at(due, "Not/AZone"), midnight);
    }
}
