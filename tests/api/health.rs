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
