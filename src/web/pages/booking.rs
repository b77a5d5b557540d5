//! Booking an appointment from the case page: the days with a free place, then the times of the
//! day chosen, in the post's time zone; the appointment booked, in the applicant's words.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;

use super::draft::Draft;
use super::{Ctx, Form, attempt, check_csrf, signed_in};
use crate::app::appointments::{self, FreeSlot};
use crate::app::engine::Audit;
use crate::app::{self, Applicant};
use crate::db::appointments::AppointmentRow;
use crate::db::catalog;
use crate::domain::dates;
use crate::domain::status::CaseStatus;

/// What the case page offers to book, if its case is an approved request for an appointment:
/// the days, and the times of the day the page's `day` names.
pub(super) async fn offered(ctx: &Ctx, applicant: &Applicant, draft: &Draft) -> Option<Value> {
    if draft.case.status != CaseStatus::Approved || draft.service.output != "appointment" {
        return None;
    }
    let query = web::Query::<HashMap<String, String>>::from_query(ctx.req.query_string()).ok();
    let chosen = query.as_ref().and_then(|q| q.get("day")).and_then(|d| d.parse::<NaiveDate>().ok());
    let today = Utc::now().date_naive();
    let to = today + chrono::Duration::days(appointments::MAX_LISTING_DAYS - 2);
    let id = draft.case.id.clone();
    let (slots, tz) = appointments::slots(&ctx.state.db, applicant, id.clone(), Some(today), Some(to)).await.ok()?;
    Some(view(ctx, &id, &slots, tz, chosen))
}

/// The appointment booked, as the post's calendar and clock say it, naming the time zone.
pub(super) async fn booked(
    ctx: &Ctx,
    draft: &Draft,
    appointment: Option<&AppointmentRow>,
) -> app::Result<Option<String>> {
    let Some(appointment) = appointment else { return Ok(None) };
    let post_code = draft.case.post_code.clone();
    let post =
        ctx.state.db.run::<_, crate::app::Error, _>(move |conn| Ok(catalog::find_post(conn, &post_code)?)).await?;
    let zone = post.and_then(|p| p.time_zone.parse::<chrono_tz::Tz>().ok()).unwrap_or(chrono_tz::Tz::UTC);
    let local = appointment.starts_at.and_utc().with_timezone(&zone);
    Ok(Some(format!("{}, {} ({})", dates::written(ctx.lang, local.date_naive()), local.format("%H:%M"), zone.name())))
}

/// How many days with a free place the booking offers.
const BOOKING_DAYS: usize = 21;

/// The booking of an appointment, a day then a time: the days with a free place (each a link),
/// and the times of the day chosen, in the post's time zone.
fn view(ctx: &Ctx, id: &str, slots: &[FreeSlot], tz: chrono_tz::Tz, chosen: Option<NaiveDate>) -> Value {
    let mut days: Vec<NaiveDate> = Vec::new();
    for slot in slots.iter().filter(|s| s.free > 0) {
        let day = slot.slot.start.with_timezone(&tz).date_naive();
        if days.last() != Some(&day) {
            days.push(day);
        }
    }
    // Three weeks of days with a free place are choice enough on a phone.
    days.truncate(BOOKING_DAYS);
    let chosen = chosen.filter(|d| days.contains(d));
    let weekday = |day: NaiveDate| ctx.t(&format!("day_{}", day.format("%a").to_string().to_lowercase()));
    let day_links: Vec<Value> = days
        .iter()
        .map(|day| {
            json!({"label": format!("{}, {}", weekday(*day), dates::written(ctx.lang, *day)),
                   "href": format!("/cases/{id}?day={day}#book"), "current": Some(*day) == chosen})
        })
        .collect();
    let times: Vec<Value> = chosen
        .map(|day| {
            slots
                .iter()
                .filter(|s| s.slot.start.with_timezone(&tz).date_naive() == day)
                .map(|s| {
                    let (start, end) = (s.slot.start.with_timezone(&tz), s.slot.end.with_timezone(&tz));
                    json!({"value": s.slot.start.to_rfc3339(), "label": format!("{}–{}", start.format("%H:%M"), end.format("%H:%M")),
                           "full": s.free == 0})
                })
                .collect()
        })
        .unwrap_or_default();
    json!({"days": day_links, "times": times, "time_zone": tz.name(),
           "chosen": chosen.map(|d| format!("{}, {}", weekday(d), dates::written(ctx.lang, d)))})
}

/// `POST /cases/{id}/appointment`.
async fn book(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let user = signed_in!(ctx);
    let applicant = attempt!(ctx, Applicant::new(user));
    let id = path.into_inner();
    let Some(start) = form.get("start").and_then(|s| s.parse::<DateTime<Utc>>().ok()) else {
        return ctx.fail(app::Error::invalid_field("start", "required", ctx.t("choose_a_time")));
    };
    let state = &ctx.state;
    attempt!(
        ctx,
        appointments::book(
            &state.db,
            &state.documents,
            state.config.clone(),
            &applicant,
            id.clone(),
            start,
            Audit::default()
        )
        .await
    );
    ctx.redirect(&format!("/cases/{id}?notice=booked_notice"))
}

/// The booking's page.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/cases/{id}/appointment", web::post().to(book));
}
