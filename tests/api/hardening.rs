//! Findings of the independent review: each test here failed before its fix.

use crate::backend_tests;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

backend_tests! {
    async fn absurd_dates_are_refused_by_field_not_a_server_error(app: TestApp) {
        let applicant = app.applicant("dates").await;
        let mut body = valid_application();
        body["applicant"]["date_of_birth"] = json!("+262142-01-01");
        body["travel"]["departure_date"] = json!("1850-01-01");
        let refused = problem(app.post("/api/v1/applications", &applicant.token, &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["applicant.date_of_birth", "travel.departure_date"]);

        let id = app.submitted(&applicant).await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        assert_eq!(app.act(&id, "claim", &officer.token, None).await.status(), StatusCode::OK);
        let extend = json!({"days": i64::MAX, "reason": "overflow"});
        let refused = problem(app.act(&id, "extend-deadline", &supervisor.token, Some(extend)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["days"]);
        let approve = json!({"decision": "approve", "valid_from": "+262142-01-01"});
        let refused = problem(app.act(&id, "decision", &officer.token, Some(approve)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["valid_from"]);
    }
}

backend_tests! {
    async fn control_characters_are_refused_wherever_text_enters(app: TestApp) {
        let admin = app.admin().await;
        let client = json!({"name": "Border\u{0}post", "organisation": "Guard", "scopes": ["verify"]});
        let refused = problem(app.post("/api/v1/admin/api-clients", &admin.token, &client).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["name"]);
        let reset = json!({"email": "someone\u{0}@example.org"});
        let refused = problem(app.request(reqwest::Method::POST, "/api/v1/auth/password-reset", None, Some(&reset)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["email"]);
        let officer = app.staff("officer", "UTO-HQ").await;
        let refused = problem(app.get("/api/v1/queue?q=a%00b", &officer.token).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["q"]);
        problem(app.get("/api/v1/applications/abc%00def", &officer.token).await, StatusCode::NOT_FOUND).await;
        // Multi-line texts keep their line breaks.
        let applicant = app.applicant("lines").await;
        let id = app.submitted(&applicant).await;
        let note = json!({"reason": "first line\nsecond line"});
        let withdrawn = app.post(&format!("/api/v1/applications/{id}/withdraw"), &applicant.token, &note).await;
        assert_eq!(withdrawn.status(), StatusCode::OK);
    }
}
