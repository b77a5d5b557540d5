//! Appointments in Chromium: an administrator publishes a schedule in Russian at desktop width,
//! an applicant books a day then a time in Kazakh at 390 px, and the officer marks who came.

use crate::backend_tests;
use crate::browser::{
    DESKTOP, Driver, PHONE, accessible, axe_source, fill, press, shoot, shoot_from, sign_in, sign_in_with, text,
};
use crate::consular::{approve, identity, submitted_request};
use crate::helpers::*;
use serde_json::json;

backend_tests! {
    async fn a_schedule_is_published_booked_on_a_phone_in_kazakh_and_attendance_marked(app: TestApp) {
        let Some(driver) = Driver::start().await else { return };
        let axe = axe_source();
        let admin = driver.window(DESKTOP).await;
        sign_in_with(&admin, &app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        admin.goto(&format!("{}/console/admin/posts/UTO-HQ/schedule?lang=ru", app.address)).await.unwrap();
        fill(&admin, "slot_minutes", "30").await;
        fill(&admin, "capacity_per_slot", "2").await;
        for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
            fill(&admin, &format!("hours_{day}"), "09:00-11:00").await;
        }
        press(&admin, "form.action-form button").await;
        let page = text(&admin).await;
        assert!(page.contains("Расписание приёма") && page.contains("Сохранено"), "{page}");
        shoot(&admin, "schedule-ru-admin", DESKTOP).await;
        accessible(&admin, &axe, "the schedule editor").await;

        let citizen = app.applicant("booker").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let form = json!({"applicant": identity(), "attorney": {"full_name": "Dana Nurly"}, "powers": "Sell my car."});
        let id = submitted_request(&app, &citizen, "POWER_OF_ATTORNEY", form, &["identity_document"]).await;
        approve(&app, &officer, &id).await;
        let phone = driver.window(PHONE).await;
        phone.goto(&format!("{}/?lang=kk", app.address)).await.unwrap();
        sign_in(&phone, &app, &citizen.email).await;
        phone.goto(&format!("{}/cases/{id}", app.address)).await.unwrap();
        assert!(text(&phone).await.contains("Күнді таңдаңыз"), "{}", text(&phone).await);
        shoot_from(&phone, "book-kk-days", PHONE, "#book").await;
        accessible(&phone, &axe, "the days").await;
        press(&phone, ".day-list a").await;
        let times = text(&phone).await;
        assert!(times.contains("09:00–09:30") && times.contains("10:30–11:00"), "{times}");
        shoot_from(&phone, "book-kk-times", PHONE, "#book").await;
        accessible(&phone, &axe, "the times").await;
        phone.find(fantoccini::Locator::Css("label[for=slot-1]")).await.unwrap().click().await.unwrap();
        press(&phone, "form[action$='/appointment'] button").await;
        let booked = app.scalar(&format!("SELECT CAST(starts_at AS TEXT) AS value FROM appointments WHERE case_id = '{id}'"));
        assert!(booked.contains("09:00:00"), "{booked}");
        shoot(&phone, "book-kk-booked", PHONE).await;

        // The day comes: the officer sees it and marks that the applicant came.
        let begun = (chrono::Utc::now() - chrono::Duration::minutes(5)).naive_utc();
        app.execute_sql(&format!("UPDATE appointments SET starts_at = '{}' WHERE case_id = '{id}'", begun.format("%Y-%m-%d %H:%M:%S")));
        let console = driver.window(DESKTOP).await;
        sign_in(&console, &app, &officer.email).await;
        console.goto(&format!("{}/console/appointments?date={}", app.address, begun.date())).await.unwrap();
        shoot(&console, "appointments-en", DESKTOP).await;
        accessible(&console, &axe, "the day's appointments").await;
        press(&console, "button[value=attended]").await;
        assert!(text(&console).await.contains("Came"), "{}", text(&console).await);
        assert_eq!(app.scalar(&format!("SELECT attendance AS value FROM appointments WHERE case_id = '{id}'")), "attended");
        for window in [admin, phone, console] {
            window.close().await.unwrap();
        }
    }
}
