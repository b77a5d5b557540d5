//! Appointments in the console: administrators edit each post's schedules (the post's own and
//! any appointment service's), and staff see the day's appointments at their post and mark who
//! came. Each form calls the use case the JSON API calls.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

use super::admin::as_admin;
use super::{Ctx, Form, attempt, check_csrf, signed_in};
use crate::app::appointments::{self, Attendance};
use crate::app::engine::Audit;
use crate::app::{self, Staff};
use crate::db::catalog;
use crate::domain::FieldError;
use crate::domain::schedule::{DAYS, Schedule};
use crate::domain::service::OutputKind;

/// The form's words for a schedule: slot length, places, hours per day ("09:00-12:30,
/// 14:00-16:00"), closed dates (one per line).
fn form_of(schedule: &Schedule) -> Value {
    let mut form = json!({
        "slot_minutes": schedule.slot_minutes.to_string(),
        "capacity_per_slot": schedule.capacity_per_slot.to_string(),
        "closed_dates": schedule.closed_dates.iter().map(NaiveDate::to_string).collect::<Vec<_>>().join("\n"),
    });
    for (day, _) in DAYS {
        form[format!("hours_{day}")] = json!(schedule.hours.get(day).map(|h| h.join(", ")).unwrap_or_default());
    }
    form
}

/// The schedule a submitted form describes, or what is wrong with its words.
fn parse(form: &HashMap<String, String>) -> Result<Schedule, Vec<FieldError>> {
    let mut problems = Vec::new();
    let mut number = |key: &str| match form.get(key).map(|v| v.trim()).unwrap_or_default().parse::<i32>() {
        Ok(n) => n,
        Err(_) => {
            problems.push(FieldError::new(key, "invalid", "a whole number"));
            0
        }
    };
    let (slot_minutes, capacity_per_slot) = (number("slot_minutes"), number("capacity_per_slot"));
    let mut hours = BTreeMap::new();
    for (day, _) in DAYS {
        let text = form.get(&format!("hours_{day}")).map(|v| v.trim()).unwrap_or_default();
        let intervals: Vec<String> =
            text.split([',', ';', '\n']).map(|i| i.replace(' ', "")).filter(|i| !i.is_empty()).collect();
        if !intervals.is_empty() {
            hours.insert(day.to_owned(), intervals);
        }
    }
    let mut closed_dates = Vec::new();
    for word in form.get("closed_dates").map(String::as_str).unwrap_or_default().split([',', '\n', ' ']) {
        let word = word.trim();
        if word.is_empty() {
            continue;
        }
        match word.parse::<NaiveDate>() {
            Ok(date) => closed_dates.push(date),
            Err(_) if problems.iter().any(|p| p.field == "closed_dates") => {}
            Err(_) => {
                problems.push(FieldError::new("closed_dates", "invalid", "dates such as 2027-01-01, one per line"))
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Schedule { slot_minutes, capacity_per_slot, hours, closed_dates })
}

/// The id of the field a problem with `field` is put right in.
fn field_id(field: &str) -> String {
    match field.split_once('.') {
        // `hours.mon[0]`: the Monday field.
        Some(("hours", rest)) => format!("hours_{}", rest.split('[').next().unwrap_or(rest)),
        _ => field.split('[').next().unwrap_or(field).to_owned(),
    }
}

/// `GET /console/admin/posts/{code}/schedule?service=`: a schedule of a post, to edit.
async fn edit(ctx: Ctx, path: web::Path<String>, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    let service = query.get("service").filter(|s| !s.is_empty()).cloned();
    page(ctx, path.into_inner(), service, None).await
}

/// The schedule page of post `code` for `service`, with a refused form's words and problems.
async fn page(
    ctx: Ctx,
    code: String,
    service: Option<String>,
    refused: Option<(HashMap<String, String>, Vec<FieldError>)>,
) -> HttpResponse {
    let _ = signed_in!(ctx);
    let _admin = as_admin!(ctx);
    let lang = ctx.lang;
    let lookup = code.clone();
    let (post, services) = attempt!(
        ctx,
        ctx.state
            .db
            .run::<_, crate::app::Error, _>(move |conn| {
                let post = catalog::find_post(conn, &lookup)?.ok_or(app::Error::NotFound)?;
                let services: Vec<(String, String)> = catalog::list_all_services(conn)?
                    .into_iter()
                    .filter(|s| s.output().is_ok_and(|o| o == OutputKind::Appointment))
                    .map(|s| (s.code.clone(), s.name_in(lang)))
                    .collect();
                Ok((post, services))
            })
            .await
    );
    let published = attempt!(ctx, appointments::schedules(&ctx.state.db, code.clone()).await);
    let current = published.iter().find(|(s, _)| *s == service).map(|(_, schedule)| form_of(schedule));
    let (form, errors) = match refused {
        Some((mut posted, problems)) => {
            posted.remove("csrf");
            let errors: Vec<Value> = problems
                .iter()
                .map(|p| {
                    let id = field_id(&p.field);
                    let label = ctx.t(&id);
                    json!({"text": super::i18n::problem(ctx.lang, p, Some(&label)), "id": id})
                })
                .collect();
            (json!(posted), errors)
        }
        None => {
            (current.clone().unwrap_or_else(|| json!({"slot_minutes": "30", "capacity_per_slot": "1"})), Vec::new())
        }
    };
    let days: Vec<Value> =
        DAYS.iter().map(|(day, _)| json!({"key": day, "name": ctx.t(&format!("day_{day}"))})).collect();
    let tabs: Vec<Value> = std::iter::once(json!({"code": "", "name": ctx.t("every_appointment_service")}))
        .chain(services.iter().map(|(code, name)| json!({"code": code, "name": name})))
        .map(|mut tab| {
            let code = tab["code"].as_str().unwrap_or_default().to_owned();
            tab["current"] = json!(service.as_deref().unwrap_or_default() == code);
            tab["own"] = json!(published.iter().any(|(s, _)| s.as_deref().unwrap_or_default() == code));
            tab
        })
        .collect();
    let notice = ctx.req.query_string().contains("saved=1").then(|| ctx.t("saved"));
    ctx.render_status(
        super::status_for(errors.is_empty()),
        "console_schedule.html",
        json!({"title": format!("{} · {}", ctx.t("schedule"), post.name_in(lang)), "post": {"code": post.code, "name": post.name_in(lang), "time_zone": post.time_zone},
               "service": service.unwrap_or_default(), "tabs": tabs, "form": form, "days": days, "errors": errors,
               "published": current.is_some(), "notice": notice}),
    )
}

/// `POST /console/admin/posts/{code}/schedule`: publishes the schedule the form describes.
async fn publish(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let _ = signed_in!(ctx);
    let admin = as_admin!(ctx);
    let code = path.into_inner();
    let form = form.into_inner();
    let service = form.get("service").filter(|s| !s.is_empty()).cloned();
    let schedule = match parse(&form) {
        Ok(schedule) => schedule,
        Err(problems) => return page(ctx, code, service, Some((form, problems))).await,
    };
    let published =
        appointments::publish_schedule(&ctx.state.db, &admin, code.clone(), service.clone(), schedule, String::new())
            .await;
    match published {
        Ok(_) => {
            let service = service.map(|s| format!("&service={s}")).unwrap_or_default();
            ctx.redirect(&format!("/console/admin/posts/{code}/schedule?saved=1{service}"))
        }
        Err(app::Error::Invalid(problems)) => page(ctx, code, service, Some((form, problems))).await,
        Err(err) => ctx.fail(err),
    }
}

/// `GET /console/appointments?date=`: the day's appointments at the post.
async fn day(ctx: Ctx, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    let user = signed_in!(ctx);
    let staff = match Staff::new(user) {
        Ok(staff) => staff,
        Err(err) => return ctx.fail(err),
    };
    let asked = query.get("date").and_then(|d| d.parse::<NaiveDate>().ok());
    let (bookings, date, tz) = attempt!(ctx, appointments::day(&ctx.state.db, &staff, asked).await);
    let rows: Vec<Value> = bookings
        .iter()
        .map(|b| {
            let start = b.appointment.starts_at.and_utc().with_timezone(&tz);
            let end = b.appointment.ends_at.and_utc().with_timezone(&tz);
            let name = format!(
                "{} {}",
                b.case.given_names.clone().unwrap_or_default(),
                b.case.surname.clone().unwrap_or_default()
            );
            json!({"id": b.case.id, "reference": b.case.reference, "name": name.trim(),
                   "time": format!("{}–{}", start.format("%H:%M"), end.format("%H:%M")),
                   "started": start <= chrono::Utc::now(), "attendance": b.appointment.attendance})
        })
        .collect();
    let written = crate::domain::dates::written(ctx.lang, date);
    ctx.render(
        "console_appointments.html",
        json!({"title": format!("{} · {written}", ctx.t("appointments")), "date": date.to_string(), "written": written,
               "previous": (date - chrono::Duration::days(1)).to_string(), "next": (date + chrono::Duration::days(1)).to_string(),
               "time_zone": tz.name(), "bookings": rows}),
    )
}

/// `POST /console/appointments/{id}/attendance`: marks whether the applicant came.
async fn mark(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let user = signed_in!(ctx);
    let staff = match Staff::new(user) {
        Ok(staff) => staff,
        Err(err) => return ctx.fail(err),
    };
    let attendance = match form.get("attendance").map(String::as_str) {
        Some("attended") => Attendance::Attended,
        Some("no_show") => Attendance::NoShow,
        _ => return ctx.fail(app::Error::invalid_field("attendance", "invalid", "attended or no_show")),
    };
    let audit = Audit::default();
    let date = form.get("date").cloned().unwrap_or_default();
    match appointments::mark_attendance(&ctx.state.db, &staff, path.into_inner(), attendance, audit).await {
        Ok(_) => ctx.redirect(&format!("/console/appointments?date={date}")),
        Err(err) => ctx.fail(err),
    }
}

/// The appointment pages of the console.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/admin/posts/{code}/schedule", web::get().to(edit))
        .route("/console/admin/posts/{code}/schedule", web::post().to(publish))
        .route("/console/appointments", web::get().to(day))
        .route("/console/appointments/{id}/attendance", web::post().to(mark));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_form_reads_hours_per_day_and_closed_dates_and_writes_them_back() {
        let posted = form(&[
            ("slot_minutes", "20"),
            ("capacity_per_slot", "3"),
            ("hours_mon", "09:00-12:30, 14:00 - 16:00"),
            ("hours_sat", " "),
            ("closed_dates", "2027-01-01\n2027-01-07"),
        ]);
        let schedule = parse(&posted).unwrap();
        assert_eq!((schedule.slot_minutes, schedule.capacity_per_slot), (20, 3));
        assert_eq!(schedule.hours["mon"], vec!["09:00-12:30", "14:00-16:00"]);
        assert!(!schedule.hours.contains_key("sat"));
        assert_eq!(schedule.closed_dates.len(), 2);
        let written = form_of(&schedule);
        assert_eq!(written["hours_mon"], "09:00-12:30, 14:00-16:00");
        assert_eq!(written["closed_dates"], "2027-01-01\n2027-01-07");
    }

    #[test]
    fn words_that_are_not_numbers_or_dates_are_named() {
        let problems =
            parse(&form(&[("slot_minutes", "half an hour"), ("capacity_per_slot", "2"), ("closed_dates", "1 May")]))
                .unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["slot_minutes", "closed_dates"]);
        assert_eq!(field_id("hours.tue[1]"), "hours_tue");
    }
}
