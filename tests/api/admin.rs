use crate::backend_tests;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

backend_tests! {
    async fn admins_add_posts_with_valid_codes_and_time_zones(app: TestApp) {
        let admin = app.admin().await;
        let created = app.post("/api/v1/admin/posts", &admin.token, &json!({"code": "UTO-LON", "name": "Embassy in London", "country": "GBR", "time_zone": "Europe/London"})).await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let posts: Value = app.request(reqwest::Method::GET, "/api/v1/posts", None, None).await.json().await.unwrap();
        assert!(posts["items"].as_array().unwrap().iter().any(|p| p["code"] == "UTO-LON" && p["country"] == "GBR"));

        let duplicate = app.post("/api/v1/admin/posts", &admin.token, &json!({"code": "UTO-LON", "name": "Again", "country": "GBR", "time_zone": "Europe/London"})).await;
        problem(duplicate, StatusCode::CONFLICT).await;
        let bad = app.post("/api/v1/admin/posts", &admin.token, &json!({"code": "lon", "name": "", "country": "GBR", "time_zone": "Mars/Olympus"})).await;
        let bad = problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&bad), vec!["code", "name", "time_zone"]);
        let bad_country = app.post("/api/v1/admin/posts", &admin.token, &json!({"code": "UTO-X", "name": "X", "country": "XYZ", "time_zone": "UTC"})).await;
        assert_eq!(error_fields(&problem(bad_country, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["country"]);
    }

    async fn admins_create_staff_who_belong_to_a_post(app: TestApp) {
        let officer = app.staff("officer", "UTO-HQ").await;
        let me: Value = app.get("/api/v1/me", &officer.token).await.json().await.unwrap();
        assert_eq!(me["role"], "officer");
        assert_eq!(me["post"], "UTO-HQ");

        let admin = app.admin().await;
        let unknown_post = app.post("/api/v1/admin/users", &admin.token, &json!({"email": "x@consulate.test", "password": PASSWORD, "full_name": "X", "role": "officer", "post": "NOPE"})).await;
        assert_eq!(error_fields(&problem(unknown_post, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["post"]);
        let applicant_role = app.post("/api/v1/admin/users", &admin.token, &json!({"email": "y@consulate.test", "password": PASSWORD, "full_name": "Y", "role": "applicant", "post": "UTO-HQ"})).await;
        assert_eq!(error_fields(&problem(applicant_role, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["role"]);

        let listed: Value = app.get("/api/v1/admin/users?post=UTO-HQ&per_page=10", &admin.token).await.json().await.unwrap();
        assert_eq!(listed["total"], 2, "the administrator and the officer");
        assert!(listed["items"].as_array().unwrap().iter().any(|u| u["email"] == officer.email.as_str()));
    }

    async fn only_admins_administer(app: TestApp) {
        let applicant = app.applicant("mallory").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        for token in [&applicant.token, &officer.token] {
            let post = app.post("/api/v1/admin/posts", token, &json!({"code": "UTO-ROM", "name": "Rome", "country": "ITA", "time_zone": "Europe/Rome"})).await;
            problem(post, StatusCode::FORBIDDEN).await;
            let user = app.post("/api/v1/admin/users", token, &json!({"email": "z@consulate.test", "password": PASSWORD, "full_name": "Z", "role": "admin", "post": "UTO-HQ"})).await;
            problem(user, StatusCode::FORBIDDEN).await;
            problem(app.get("/api/v1/admin/users", token).await, StatusCode::FORBIDDEN).await;
        }
        let anonymous = app.request(reqwest::Method::POST, "/api/v1/admin/posts", None, Some(&json!({}))).await;
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
    }
}

backend_tests! {
    async fn administration_is_audited_with_who_what_and_when(app: TestApp) {
        let admin = app.admin().await;
        let post = json!({"code": "UTO-PAR", "name": "Embassy in Paris", "country": "FRA", "time_zone": "Europe/Paris"});
        assert_eq!(app.post("/api/v1/admin/posts", &admin.token, &post).await.status(), StatusCode::CREATED);
        assert_eq!(app.patch("/api/v1/admin/posts/UTO-PAR", &admin.token, &json!({"four_eyes": true})).await.status(), StatusCode::OK);
        let officer = app.staff("officer", "UTO-PAR").await;
        let trail: Value = app.get("/api/v1/admin/audit", &admin.token).await.json().await.unwrap();
        let items = trail["items"].as_array().unwrap();
        let actions: Vec<(String, String)> = items.iter().take(3)
            .map(|e| (e["action"].as_str().unwrap().to_owned(), e["target"].as_str().unwrap().to_owned()))
            .collect();
        // Before them, the service seeded its consular catalogue on first start.
        assert!(items[3..].iter().all(|e| e["action"] == "create_service" && e["actor_role"] == "system"), "{trail}");
        assert_eq!(items.len(), 3 + 6);
        assert_eq!(actions, vec![
            ("create_user".to_owned(), officer.id.clone()),
            ("update_post".to_owned(), "UTO-PAR".to_owned()),
            ("create_post".to_owned(), "UTO-PAR".to_owned()),
        ]);
        let first = &trail["items"][0];
        assert_eq!(first["actor_id"], admin.id.as_str());
        assert_eq!(first["details"]["role"], "officer");
        assert!(first["request_id"].as_str().is_some_and(|r| !r.is_empty()));
        assert!(!trail.to_string().contains(PASSWORD), "never a password");
        problem(app.get("/api/v1/admin/audit", &officer.token).await, StatusCode::FORBIDDEN).await;
    }
}
