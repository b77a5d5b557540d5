//! Schedules per post and appointment service, the applicant's day-then-time booking, and the
//! day's appointments at the post with attendance marked by staff.

use crate::backend_tests;
use crate::consular::{approve, identity, publish, renewal, submitted_request};
use crate::helpers::*;
use crate::portal::Browser;
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// An approved power-of-attorney request (an appointment service following the post's schedule).
async fn attorney(app: &TestApp, who: &Account, officer: &Account) -> String {
    let form = json!({"applicant": identity(), "attorney": {"full_name": "Dana Nurly"}, "powers": "Sell my car."});
    let id = submitted_request(app, who, "POWER_OF_ATTORNEY", form, &["identity_document"]).await;
    approve(app, officer, &id).await;
    id
}

async fn day_slots(app: &TestApp, id: &str, token: &str, day: &str) -> Vec<Value> {
    let response = app.get(&format!("/api/v1/requests/{id}/slots?from={day}&to={day}"), token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["items"].as_array().unwrap().clone()
}

backend_tests! {
    async fn a_service_with_a_schedule_of_its_own_has_its_own_times_and_places(app: TestApp) {
        publish(&app, 1).await;
        let admin = app.admin().await;
        let hours = json!(["10:00-12:00"]);
        let own = json!({"slot_minutes": 60, "capacity_per_slot": 2, "closed_dates": [],
            "hours": {"mon": hours, "tue": hours, "wed": hours, "thu": hours, "fri": hours, "sat": hours, "sun": hours}});
        let path = "/api/v1/admin/posts/UTO-HQ/services/PASSPORT_RENEWAL/schedule";
        assert_eq!(app.request(Method::PUT, path, Some(&admin.token), Some(&own)).await.status(), StatusCode::OK);
        // Only appointment services have schedules; an unknown one does not exist.
        let visa = app.request(Method::PUT, "/api/v1/admin/posts/UTO-HQ/services/TOURIST/schedule", Some(&admin.token), Some(&own)).await;
        assert_eq!(error_fields(&problem(visa, StatusCode::UNPROCESSABLE_ENTITY).await), ["service"]);
        let unknown = app.request(Method::PUT, "/api/v1/admin/posts/UTO-HQ/services/NOPE/schedule", Some(&admin.token), Some(&own)).await;
        problem(unknown, StatusCode::NOT_FOUND).await;

        let citizen = app.applicant("scheduled").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let renewal_id = submitted_request(&app, &citizen, "PASSPORT_RENEWAL", renewal(), &["photo", "current_passport"]).await;
        approve(&app, &officer, &renewal_id).await;
        let attorney_id = attorney(&app, &citizen, &officer).await;
        let day = (Utc::now() + Duration::days(4)).date_naive().to_string();
        let renewal_slots = day_slots(&app, &renewal_id, &citizen.token, &day).await;
        let starts: Vec<&str> = renewal_slots.iter().filter_map(|s| s["start"].as_str()).collect();
        assert_eq!(starts, [format!("{day}T10:00:00Z"), format!("{day}T11:00:00Z")], "the service's own hours");
        assert_eq!(renewal_slots[0]["free"], 2);
        assert_eq!(day_slots(&app, &attorney_id, &citizen.token, &day).await.len(), 16, "the post's schedule");

        // The same hour at the same post: each schedule counts its own places.
        let ten = json!({"start": format!("{day}T10:00:00Z")});
        for id in [&renewal_id, &attorney_id] {
            assert_eq!(app.post(&format!("/api/v1/requests/{id}/appointment"), &citizen.token, &ten).await.status(), StatusCode::OK);
        }
        assert_eq!(day_slots(&app, &renewal_id, &citizen.token, &day).await[0]["free"], 1);
        let post_ten = day_slots(&app, &attorney_id, &citizen.token, &day).await;
        assert_eq!(post_ten.iter().find(|s| s["start"] == ten["start"]).unwrap()["free"], 0);
        let places = app.scalar("SELECT service_code || ':' || CAST(booked AS TEXT) AS value FROM appointment_slots ORDER BY service_code DESC LIMIT 1");
        assert_eq!(places, "PASSPORT_RENEWAL:1");
        assert_eq!(app.scalar(&format!("SELECT schedule_service AS value FROM appointments WHERE case_id = '{renewal_id}'")), "PASSPORT_RENEWAL");
        let published = app.scalar("SELECT details AS value FROM admin_events WHERE action = 'publish_schedule' ORDER BY created_at DESC, id DESC LIMIT 1");
        assert!(published.contains("PASSPORT_RENEWAL"), "{published}");
    }

    async fn the_applicant_picks_a_day_then_a_time_in_the_posts_words(app: TestApp) {
        publish(&app, 1).await;
        let citizen = app.applicant("picker").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let id = attorney(&app, &citizen, &officer).await;
        let portal = Browser::new(&app);
        portal.sign_in(&citizen.email).await;
        let page = portal.get(&format!("/cases/{id}?lang=ru")).await.text().await.unwrap();
        assert!(page.contains("Выберите день") && !page.contains("name=\"start\""), "days first, no times yet");
        let day = (Utc::now() + Duration::days(3)).date_naive();
        let link = format!("/cases/{id}?day={day}#book");
        assert!(page.contains(&link.replace('/', "&#x2f;")) || page.contains(&link), "a link per day");
        let times = portal.get(&format!("/cases/{id}?day={day}")).await.text().await.unwrap();
        assert_eq!(times.matches("name=\"start\"").count(), 16, "the day's times");
        assert!(times.contains("09:00–09:30") && times.contains("16:30–17:00"), "times in the post's zone");
        let csrf = portal.csrf().await;
        let start = format!("{day}T09:30:00+00:00");
        let booked = portal.post(&format!("/cases/{id}/appointment"), &[("csrf", &csrf), ("start", &start)]).await;
        assert_eq!(booked.status(), StatusCode::SEE_OTHER);
        let after = portal.get(&format!("/cases/{id}")).await.text().await.unwrap();
        assert!(after.contains("09:30 (UTC)"), "the appointment in the post's time zone");
    }

    async fn staff_see_the_days_appointments_and_mark_who_came(app: TestApp) {
        publish(&app, 2).await;
        let citizen = app.applicant("attendee").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let id = attorney(&app, &citizen, &officer).await;
        let reference = app.scalar(&format!("SELECT reference AS value FROM cases WHERE id = '{id}'"));
        let day = (Utc::now() + Duration::days(2)).date_naive();
        let start = format!("{day}T14:00:00Z");
        assert_eq!(app.post(&format!("/api/v1/requests/{id}/appointment"), &citizen.token, &json!({"start": start})).await.status(), StatusCode::OK);

        let listed: Value = app.get(&format!("/api/v1/appointments?date={day}"), &officer.token).await.json().await.unwrap();
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        assert_eq!(listed["items"][0]["reference"], reference.as_str());
        assert!(listed["items"][0]["attendance"].is_null());
        let other_day: Value = app.get(&format!("/api/v1/appointments?date={}", day + Duration::days(1)), &officer.token).await.json().await.unwrap();
        assert!(other_day["items"].as_array().unwrap().is_empty());
        problem(app.get("/api/v1/appointments", &citizen.token).await, StatusCode::FORBIDDEN).await;

        // Not before it begins.
        let early = app.post(&format!("/api/v1/cases/{id}/attendance"), &officer.token, &json!({"attendance": "attended"})).await;
        problem(early, StatusCode::CONFLICT).await;
        let begun = (Utc::now() - Duration::minutes(10)).naive_utc();
        let stored = begun.format("%Y-%m-%d %H:%M:%S").to_string();
        app.execute_sql(&format!("UPDATE appointments SET starts_at = '{stored}' WHERE case_id = '{id}'"));
        let bad = app.post(&format!("/api/v1/cases/{id}/attendance"), &officer.token, &json!({"attendance": "maybe"})).await;
        assert!(bad.status().is_client_error());
        let marked = app.post(&format!("/api/v1/cases/{id}/attendance"), &officer.token, &json!({"attendance": "no_show"})).await;
        assert_eq!(marked.status(), StatusCode::OK);
        let today: Value = app.get(&format!("/api/v1/appointments?date={}", begun.date()), &officer.token).await.json().await.unwrap();
        assert_eq!(today["items"][0]["attendance"], "no_show");
        assert_eq!(app.scalar(&format!("SELECT attendance_by AS value FROM appointments WHERE case_id = '{id}'")), officer.id);

        // The console: the day's list, and a correction by a button.
        let console = Browser::new(&app);
        console.sign_in(&officer.email).await;
        let page = console.get(&format!("/console/appointments?date={}", begun.date())).await.text().await.unwrap();
        assert!(page.contains(&reference) && page.contains("Did not come"), "{page}");
        let csrf = console.csrf().await;
        let date = begun.date().to_string();
        let corrected = console.post(&format!("/console/appointments/{id}/attendance"), &[("csrf", &csrf), ("attendance", "attended"), ("date", &date)]).await;
        assert_eq!(corrected.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.scalar(&format!("SELECT attendance AS value FROM appointments WHERE case_id = '{id}'")), "attended");
        let marks = app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) AS value FROM case_events WHERE case_id = '{id}' AND action = 'attendance'"));
        assert_eq!(marks, "2", "each mark is audited");
    }

    async fn an_administrator_edits_a_schedule_in_the_console(app: TestApp) {
        let console = Browser::new(&app);
        console.sign_in_with(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let page = console.get("/console/admin/posts/UTO-HQ/schedule?lang=kk").await.text().await.unwrap();
        assert!(page.contains("Қабылдау кестесі") && page.contains("Дүйсенбі"), "in Kazakh: {page}");
        let csrf = console.csrf().await;
        let form = [("csrf", csrf.as_str()), ("service", "PASSPORT_RENEWAL"), ("slot_minutes", "20"), ("capacity_per_slot", "abc"),
                    ("hours_mon", "09:00-12:00, 14:00-16:00"), ("hours_tue", "18:00-08:00"), ("closed_dates", "2027-01-01\nnot a date")];
        let refused = console.post("/console/admin/posts/UTO-HQ/schedule", &form).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let said = refused.text().await.unwrap();
        assert!(said.contains("href=\"#capacity_per_slot\"") && said.contains("href=\"#closed_dates\""), "an error summary linked to the fields");
        assert!(said.contains("09:00-12:00, 14:00-16:00"), "what was typed is kept");
        let mut form = form;
        form[3] = ("capacity_per_slot", "2");
        form[6] = ("closed_dates", "2027-01-01");
        let refused = console.post("/console/admin/posts/UTO-HQ/schedule", &form).await;
        assert!(refused.text().await.unwrap().contains("href=\"#hours_tue\""), "the day whose hours are wrong");
        form[5] = ("hours_tue", "");
        let saved = console.post("/console/admin/posts/UTO-HQ/schedule", &form).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let stored = app.scalar("SELECT hours AS value FROM post_schedules WHERE post_code = 'UTO-HQ' AND service_code = 'PASSPORT_RENEWAL'");
        assert_eq!(serde_json::from_str::<Value>(&stored).unwrap(), json!({"mon": ["09:00-12:00", "14:00-16:00"]}));
        let again = console.get("/console/admin/posts/UTO-HQ/schedule?service=PASSPORT_RENEWAL").await.text().await.unwrap();
        assert!(again.contains("value=\"09:00-12:00, 14:00-16:00\"") && again.contains("2027-01-01"), "the published schedule, to edit");
    }
}
