use crate::backend_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Every route that takes an application id, with a body that would otherwise be acceptable.
fn routes(id: &str) -> Vec<(Method, String, Option<serde_json::Value>)> {
    vec![
        (Method::GET, format!("/api/v1/applications/{id}"), None),
        (Method::PATCH, format!("/api/v1/applications/{id}"), Some(json!({"travel": {"purpose": "hijack"}}))),
        (Method::POST, format!("/api/v1/applications/{id}/submit"), None),
        (Method::POST, format!("/api/v1/applications/{id}/withdraw"), None),
        (Method::GET, format!("/api/v1/applications/{id}/events"), None),
        (Method::GET, format!("/api/v1/applications/{id}/documents/photo"), None),
        (Method::PUT, format!("/api/v1/applications/{id}/documents/photo"), None),
    ]
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> reqwest::Response {
    if method == Method::PUT {
        let mut request = app
            .client
            .put(format!("{}{}", app.address, path))
            .header("Content-Type", "image/png")
            .body(photo_png(413, 531));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        return request.send().await.unwrap();
    }
    app.request(method, path, token, body.as_ref()).await
}

backend_tests! {
    async fn another_applicant_finds_nothing_on_every_route(app: TestApp) {
        let owner = app.applicant("owner").await;
        let intruder = app.applicant("intruder").await;
        let draft_id = app.complete_draft(&owner).await;
        let submitted_id = app.submitted(&owner).await;
        for id in [&draft_id, &submitted_id] {
            for (method, path, body) in routes(id) {
                let response = call(&app, method.clone(), &path, Some(&intruder.token), body).await;
                problem(response, StatusCode::NOT_FOUND).await;
            }
        }
        let listed: serde_json::Value = app.get("/api/v1/applications", &intruder.token).await.json().await.unwrap();
        assert_eq!(listed["total"], 0);
        // And the owner's case is untouched.
        let case: serde_json::Value = app.get(&format!("/api/v1/applications/{draft_id}"), &owner.token).await.json().await.unwrap();
        assert_eq!(case["status"], "draft");
        assert_eq!(case["travel"]["purpose"], "tourism");
    }

    async fn staff_of_other_posts_admins_and_strangers_are_kept_out(app: TestApp) {
        app.add_post("UTO-LON").await;
        let owner = app.applicant("owner").await;
        let id = app.submitted(&owner).await;
        let elsewhere = app.staff("officer", "UTO-LON").await;
        let admin = app.admin().await;
        for (method, path, body) in routes(&id) {
            let other_post = call(&app, method.clone(), &path, Some(&elsewhere.token), body.clone()).await;
            problem(other_post, StatusCode::NOT_FOUND).await;
            let as_admin = call(&app, method.clone(), &path, Some(&admin.token), body.clone()).await;
            problem(as_admin, StatusCode::FORBIDDEN).await;
            let anonymous = call(&app, method, &path, None, body).await;
            problem(anonymous, StatusCode::UNAUTHORIZED).await;
        }
    }

    async fn officers_read_but_do_not_edit_applications(app: TestApp) {
        let owner = app.applicant("owner").await;
        let id = app.submitted(&owner).await;
        let officer = app.staff("officer", "UTO-HQ").await;
        assert_eq!(app.get(&format!("/api/v1/applications/{id}"), &officer.token).await.status(), StatusCode::OK);
        let photo = app.get(&format!("/api/v1/applications/{id}/documents/photo"), &officer.token).await;
        assert_eq!(photo.status(), StatusCode::OK);
        problem(app.post_empty(&format!("/api/v1/applications/{id}/withdraw"), &officer.token).await, StatusCode::FORBIDDEN).await;
        problem(app.post("/api/v1/applications", &officer.token, &valid_application()).await, StatusCode::FORBIDDEN).await;
    }

    async fn malformed_ids_are_simply_not_found(app: TestApp) {
        let owner = app.applicant("owner").await;
        for id in ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "%27%20OR%201%3D1"] {
            problem(app.get(&format!("/api/v1/applications/{id}"), &owner.token).await, StatusCode::NOT_FOUND).await;
        }
    }
}
