//! Four-eyes in the console: the supervisor who confirms sees the recommendation in full (the
//! terms, who made it and when, their note) and can send it back with a reason the recommender
//! receives by e-mail; decision forms that are refused keep what was typed and sum up the
//! problems, linked to their fields.

use crate::backend_tests;
use crate::portal::{Browser, location};
use reqwest::StatusCode;
use serde_json::json;

backend_tests! {
    async fn a_supervisor_sees_the_recommendation_in_full_and_sends_it_back_with_a_reason(app: TestApp) {
        let admin = app.admin().await;
        assert_eq!(app.patch("/api/v1/admin/posts/UTO-HQ", &admin.token, &json!({"four_eyes": true})).await.status(), StatusCode::OK);
        let applicant = app.applicant("holder").await;
        let id = app.submitted(&applicant).await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;

        let console = Browser::new(&app);
        console.get("/?lang=ru").await;
        assert_eq!(console.sign_in(&officer.email).await.status(), StatusCode::SEE_OTHER);
        let csrf = console.csrf().await;
        assert_eq!(console.post(&format!("/console/cases/{id}/claim"), &[("csrf", &csrf)]).await.status(), StatusCode::SEE_OTHER);
        // A decision that does not read is refused beside its field, with what was typed kept.
        let today = chrono::Utc::now().date_naive();
        let (from, until) = ((today + chrono::Duration::days(30)).to_string(), (today + chrono::Duration::days(60)).to_string());
        let typo = [("csrf", csrf.as_str()), ("decision", "approve"), ("valid_from", from.as_str()), ("valid_until", "2027-02-31"),
                    ("duration_of_stay_days", "14"), ("note", "Hotel booking checked.")];
        let refused = console.post(&format!("/console/cases/{id}/decision"), &typo).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(page.contains("href=\"#f-approve-valid_until\""), "the summary links to the field");
        assert!(page.contains("Действительна по: укажите существующую дату"), "the field's label in the summary, in Russian");
        assert!(page.contains(&format!("value=\"{from}\"")) && page.contains("Hotel booking checked."), "what was typed stays");
        assert!(page.contains(&format!("/console/cases/{id}/decision")), "the case page, not a bare error");
        let no_grounds = console.post(&format!("/console/cases/{id}/decision"), &[("csrf", &csrf), ("decision", "refuse"), ("note", "Thin means.")]).await;
        assert_eq!(no_grounds.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = no_grounds.text().await.unwrap();
        assert!(page.contains("href=\"#f-refuse-grounds\"") && page.contains("Thin means."));
        assert_eq!(app.case(&id, &officer.token).await["status"], "in_review", "nothing was decided");

        let good = [("csrf", csrf.as_str()), ("decision", "approve"), ("valid_from", from.as_str()), ("valid_until", until.as_str()),
                    ("duration_of_stay_days", "14"), ("note", "Hotel booking checked.")];
        assert_eq!(console.post(&format!("/console/cases/{id}/decision"), &good).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.case(&id, &officer.token).await["status"], "pending_approval");

        // The supervisor sees what was recommended, by whom, when and why.
        let second = Browser::new(&app);
        second.get("/?lang=ru").await;
        second.sign_in(&supervisor.email).await;
        let csrf = second.csrf().await;
        let page = second.get(&format!("/console/cases/{id}")).await.text().await.unwrap();
        assert!(page.contains("Рекомендовано одобрить") && page.contains("Test officer"), "{page}");
        let shown = |day: chrono::NaiveDate| day.format("%d.%m.%Y").to_string();
        assert!(page.contains(&shown(today + chrono::Duration::days(30))) && page.contains(&shown(today + chrono::Duration::days(60))));
        assert!(page.contains("Hotel booking checked.") && page.contains(">14<"), "the note and the stay");
        assert!(page.contains("/confirm") && page.contains("/return"), "confirm or send back");

        // Sending back needs a reason; the recommender receives it.
        let bare = second.post(&format!("/console/cases/{id}/return"), &[("csrf", &csrf), ("note", " ")]).await;
        assert_eq!(bare.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bare.text().await.unwrap().contains("href=\"#f-return-note\""));
        let reason = "The stay is longer than the hotel booking.";
        let sent_back = second.post(&format!("/console/cases/{id}/return"), &[("csrf", &csrf), ("note", reason)]).await;
        assert_eq!(location(&sent_back), format!("/console/cases/{id}"));
        assert_eq!(app.case(&id, &officer.token).await["status"], "in_review");
        let told = app.eventual_scalar(&format!(
            "SELECT text_body AS value FROM outbox WHERE recipient = '{}' AND event = 'recommendation_returned'", officer.email)).await;
        assert!(told.contains(reason) && told.contains("Test supervisor") && told.contains(&format!("/console/cases/{id}")), "{told}");
    }
}
