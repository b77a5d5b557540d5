use crate::backend_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;

backend_tests! {
    async fn health_and_readiness_answer(app: TestApp) {
        let health = app.request(Method::GET, "/health", None, None).await;
        assert_eq!(health.status(), StatusCode::OK);
        let ready = app.request(Method::GET, "/ready", None, None).await;
        assert_eq!(ready.status(), StatusCode::OK);
        let body: Value = ready.json().await.unwrap();
        let expected = if app.postgres.is_some() { "postgresql" } else { "sqlite" };
        assert_eq!(body["database"], expected);
    }

    async fn unknown_paths_and_methods_are_problems(app: TestApp) {
        problem(app.request(Method::GET, "/api/v1/nothing-here", None, None).await, StatusCode::NOT_FOUND).await;
        problem(app.request(Method::DELETE, "/api/v1/visa-types", None, None).await, StatusCode::METHOD_NOT_ALLOWED).await;
    }

    async fn the_catalogues_are_seeded(app: TestApp) {
        let types: Value = app.request(Method::GET, "/api/v1/visa-types", None, None).await.json().await.unwrap();
        let items = types["items"].as_array().unwrap();
        let codes: Vec<&str> = items.iter().map(|t| t["code"].as_str().unwrap()).collect();
        for code in ["TOURIST", "BUSINESS", "TRANSIT", "MEDICAL", "PRIVATE", "STUDENT", "WORK"] {
            assert!(codes.contains(&code), "{code} missing from {codes:?}");
        }
        let tourist = &items[0];
        assert_eq!(tourist["code"], "TOURIST");
        assert_eq!(tourist["max_stay_days"], 30);
        assert_eq!(tourist["fee"], "80.00");
        assert_eq!(tourist["currency"], "EUR");
        for field in ["name", "purpose", "entries", "validity_days"] {
            assert!(!tourist[field].is_null(), "{field}");
        }
        let posts: Value = app.request(Method::GET, "/api/v1/posts", None, None).await.json().await.unwrap();
        assert_eq!(posts["items"][0]["code"], "UTO-HQ");
        assert_eq!(posts["items"][0]["time_zone"], "UTC");
    }
}

backend_tests! {
    async fn every_response_carries_its_request_id_and_audit_events_record_it(app: TestApp) {
        let fresh = reqwest::get(format!("{}/health", app.address)).await.unwrap();
        let generated = fresh.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(generated.len(), 36, "a UUID when the caller sends none: {generated}");
        let client = reqwest::Client::new();
        let echoed = client.get(format!("{}/nowhere", app.address)).header("X-Request-Id", "trace-42.a_b").send().await.unwrap();
        assert_eq!(echoed.status(), reqwest::StatusCode::NOT_FOUND);
        assert_eq!(echoed.headers()["x-request-id"], "trace-42.a_b", "a well-formed id is taken, errors included");
        let refused = client.get(format!("{}/health", app.address)).header("X-Request-Id", "not ok!").send().await.unwrap();
        assert_ne!(refused.headers()["x-request-id"], "not ok!");
        let page = client.get(format!("{}/login", app.address)).header("X-Request-Id", "page-1").send().await.unwrap();
        assert_eq!(page.headers()["x-request-id"], "page-1", "pages too");

        let applicant = app.applicant("traced").await;
        let created = client
            .post(format!("{}/api/v1/applications", app.address))
            .bearer_auth(&applicant.token)
            .header("X-Request-Id", "create-0001")
            .json(&serde_json::json!({"visa_type": "TOURIST", "post": "UTO-HQ"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), reqwest::StatusCode::CREATED);
        assert_eq!(created.headers()["x-request-id"], "create-0001");
        let id = created.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let recorded = app.scalar(&format!("SELECT request_id AS value FROM case_events WHERE case_id = '{id}' AND action = 'create'"));
        assert_eq!(recorded, "create-0001");
    }
}

backend_tests! {
    async fn metrics_show_requests_queues_jobs_and_verifications(app: TestApp) {
        let applicant = app.applicant("counted").await;
        app.submitted(&applicant).await;
        app.request(Method::GET, "/health", None, None).await;
        let admin = app.admin().await;
        let client: Value = app.post("/api/v1/admin/api-clients", &admin.token, &serde_json::json!({"name": "Gate", "organisation": "Border", "scopes": ["verify"]})).await.json().await.unwrap();
        let key = client["api_key"].as_str().unwrap();
        app.post("/api/v1/verify", key, &serde_json::json!({"visa_number": "NOSUCH123", "passport_number": "1"})).await;
        let response = app.request(Method::GET, "/metrics", None, None).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let text = response.text().await.unwrap();
        for expected in [
            r#"http_requests_total{method="GET",route="/health",status="200"}"#,
            r#"http_request_duration_seconds_bucket{route="/api/v1/applications/{id}/submit",le="#,
            r#"cases{post="UTO-HQ",status="submitted"} "#,
            r#"jobs{kind="send_email",status="#,
            r#"verification_checks_total{method="number",result="not_found"}"#,
            "issuance_lag_seconds ",
        ] {
            assert!(text.contains(expected), "{expected} in\n{text}");
        }
    }
}

#[actix_web::test]
async fn metrics_need_the_token_when_one_is_set() {
    let app =
        TestApp::spawn_configured(Db::Sqlite, |config| config.metrics_token = Some("scrape-secret-1".into())).await;
    let anonymous = app.request(Method::GET, "/metrics", None, None).await;
    assert_eq!(anonymous.status(), StatusCode::NOT_FOUND);
    let wrong = app.request(Method::GET, "/metrics", Some("nope"), None).await;
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    let scraped = app.request(Method::GET, "/metrics", Some("scrape-secret-1"), None).await;
    assert_eq!(scraped.status(), StatusCode::OK);
}

/// The recorder keeps each latency sample until it is folded into its histogram's buckets; a
/// thread folds them every few seconds, or a node nobody scrapes grows by every request.
#[actix_web::test]
async fn a_thread_keeps_the_metrics_bounded_between_scrapes() {
    let _app = TestApp::spawn(Db::Sqlite).await;
    let names: Vec<String> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect();
    assert!(names.iter().any(|name| name == evisa::web::metrics::UPKEEP_THREAD), "threads: {names:?}");
}
