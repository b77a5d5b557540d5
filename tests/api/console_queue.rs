//! The officers' queue at work: each case's age against the time the law gives, the filters
//! (every open status, assigned to me), and the supervisor's chart of the post's open cases by
//! age, drawn on the server.

use crate::backend_tests;
use crate::portal::Browser;
use reqwest::StatusCode;

backend_tests! {
    async fn the_queue_shows_each_cases_age_filters_by_assignee_and_charts_open_cases_by_age(app: TestApp) {
        let applicant = app.applicant("aged").await;
        let fresh = app.submitted(&applicant).await;
        let old = app.submitted(&applicant).await;
        let reference = |id: &str| app.scalar(&format!("SELECT reference AS value FROM cases WHERE id = '{id}'"));
        let (fresh_ref, old_ref) = (reference(&fresh), reference(&old));
        // The older case was submitted twenty days ago, with fifteen days to decide.
        let at = |days: i64| (chrono::Utc::now() - chrono::Duration::days(days)).naive_utc().format("%Y-%m-%d %H:%M:%S").to_string();
        app.execute_sql(&format!(
            "UPDATE cases SET submitted_at = '{}', decision_deadline = '{}' WHERE id = '{old}'", at(20), at(5)));
        let officer = app.staff("officer", "UTO-HQ").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;

        let console = Browser::new(&app);
        console.sign_in(&officer.email).await;
        let csrf = console.csrf().await;
        assert_eq!(console.post(&format!("/console/cases/{fresh}/claim"), &[("csrf", &csrf)]).await.status(), StatusCode::SEE_OTHER);
        let mine = console.get("/console?status=&mine=true").await.text().await.unwrap();
        assert!(mine.contains(&fresh_ref) && !mine.contains(&old_ref), "only the cases assigned to me");
        let open = console.get("/console?status=").await.text().await.unwrap();
        assert!(open.contains(&fresh_ref) && open.contains(&old_ref), "every open status");
        assert!(open.contains("day 20 of 15") && open.contains("day 0 of 15"), "each case's age against its time");
        assert!(!open.contains("<svg"), "the chart is the supervisor's");

        let second = Browser::new(&app);
        second.sign_in(&supervisor.email).await;
        let page = second.get("/console").await.text().await.unwrap();
        let chart = &page[page.find("<svg").expect("a chart")..page.find("</svg>").unwrap()];
        assert!(chart.contains("0–6 days: 1") && chart.contains("14–29 days: 1") && chart.contains("60+ days: 0"), "{chart}");
        assert_eq!(chart.matches("<rect").count(), 5, "a bar per age band");
        // Kept beside the screenshots, to be looked at.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("age-chart.svg"), format!("{chart}</svg>")).unwrap();
    }
}
