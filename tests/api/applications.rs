use crate::backend_tests;
use crate::helpers::*;
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

backend_tests! {
    async fn a_draft_gets_a_reference_and_keeps_names_in_their_script(app: TestApp) {
        let applicant = app.applicant("aigerim").await;
        let mut body = valid_application();
        body["applicant"]["surname"] = json!("Жумабаева");
        body["applicant"]["given_names"] = json!("Айгерим");
        body["applicant"]["nationality"] = json!("KAZ");
        let draft = app.draft(&applicant, &body).await;
        assert_eq!(draft["status"], "draft");
        assert_eq!(draft["service"], "visa");
        assert_eq!(draft["visa_type"], "TOURIST");
        let year = Utc::now().format("%Y").to_string();
        assert_eq!(draft["reference"], format!("UTO-{year}-000001"));
        assert_eq!(draft["applicant"]["surname"], "Жумабаева");
        assert_eq!(draft["passport"]["number"], "123456789");
        assert_eq!(draft["contact"]["email"], "john@example.org");
        let second = app.draft(&applicant, &json!({"visa_type": "BUSINESS", "post": "UTO-HQ"})).await;
        assert_eq!(second["reference"], format!("UTO-{year}-000002"));

        let id = draft["id"].as_str().unwrap();
        let fetched: Value = app.get(&format!("/api/v1/applications/{id}"), &applicant.token).await.json().await.unwrap();
        assert_eq!(fetched["applicant"]["given_names"], "Айгерим");
        assert_eq!(fetched["reference"], draft["reference"]);
    }

    async fn malformed_fields_are_named(app: TestApp) {
        let applicant = app.applicant("frank").await;
        let mut body = valid_application();
        body["applicant"]["nationality"] = json!("XYZ");
        let response = app.post("/api/v1/applications", &applicant.token, &body).await;
        assert_eq!(error_fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["applicant.nationality"]);

        let mut body = valid_application();
        body["travel"]["arrival_date"] = json!("2027-02-30");
        let response = app.post("/api/v1/applications", &applicant.token, &body).await;
        assert_eq!(error_fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["travel.arrival_date"]);

        let mut body = valid_application();
        body["applicant"]["sex"] = json!("Q");
        let response = app.post("/api/v1/applications", &applicant.token, &body).await;
        assert_eq!(error_fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["applicant.sex"]);

        let mut body = valid_application();
        body["visa_type"] = json!("SPACE");
        body["post"] = json!("NOWHERE");
        let response = app.post("/api/v1/applications", &applicant.token, &body).await;
        assert_eq!(error_fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["visa_type", "post"]);

        let mut body = valid_application();
        body["applicant"]["surname"] = json!("Sm1th");
        body["contact"]["phone"] = json!("call me");
        let response = app.post("/api/v1/applications", &applicant.token, &body).await;
        assert_eq!(error_fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["applicant.surname", "contact.phone"]);

        let listed: Value = app.get("/api/v1/applications", &applicant.token).await.json().await.unwrap();
        assert_eq!(listed["total"], 0, "no half-written case was left behind");
    }

    async fn drafts_are_patched_until_submitted(app: TestApp) {
        let applicant = app.applicant("grace").await;
        let draft = app.draft(&applicant, &json!({"visa_type": "TOURIST", "post": "UTO-HQ", "applicant": {"surname": "Hopper"}})).await;
        let id = draft["id"].as_str().unwrap();
        let path = format!("/api/v1/applications/{id}");
        let patched = app.patch(&path, &applicant.token, &json!({"applicant": {"given_names": "Grace Brewster"}, "visa_type": "BUSINESS"})).await;
        assert_eq!(patched.status(), StatusCode::OK);
        let patched: Value = patched.json().await.unwrap();
        assert_eq!(patched["applicant"]["surname"], "Hopper", "merge keeps what the patch leaves out");
        assert_eq!(patched["applicant"]["given_names"], "Grace Brewster");
        assert_eq!(patched["visa_type"], "BUSINESS");
        let cleared: Value = app.patch(&path, &applicant.token, &json!({"applicant": {"surname": null}})).await.json().await.unwrap();
        assert!(cleared["applicant"]["surname"].is_null(), "null removes a field");

        let bad = app.patch(&path, &applicant.token, &json!({"passport": {"expiry_date": "soon"}})).await;
        assert_eq!(error_fields(&problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["passport.expiry_date"]);

        let id = app.submitted(&applicant).await;
        let late = app.patch(&format!("/api/v1/applications/{id}"), &applicant.token, &json!({"travel": {"purpose": "other"}})).await;
        problem(late, StatusCode::CONFLICT).await;
    }

    async fn submission_lists_every_problem_at_once(app: TestApp) {
        let applicant = app.applicant("heidi").await;
        let draft = app.draft(&applicant, &json!({"visa_type": "TOURIST", "post": "UTO-HQ", "applicant": {"surname": "Lamarr"}})).await;
        let id = draft["id"].as_str().unwrap();
        let response = app.post_empty(&format!("/api/v1/applications/{id}/submit"), &applicant.token).await;
        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let fields = error_fields(&problem);
        for field in ["applicant.given_names", "passport.number", "travel.arrival_date", "contact.email", "documents.photo", "documents.passport"] {
            assert!(fields.contains(&field.to_owned()), "{field} missing from {fields:?}");
        }
        assert!(!fields.contains(&"applicant.surname".to_owned()));
        let still: Value = app.get(&format!("/api/v1/applications/{id}"), &applicant.token).await.json().await.unwrap();
        assert_eq!(still["status"], "draft");
    }

    async fn submission_enforces_the_rules_on_dates(app: TestApp) {
        let applicant = app.applicant("ivan").await;
        let id = app.complete_draft(&applicant).await;
        let today = Utc::now().date_naive();
        let arrival = today - Duration::days(1);
        let patch = json!({
            "travel": {"arrival_date": arrival.to_string(), "departure_date": (arrival + Duration::days(40)).to_string()},
            "passport": {"expiry_date": (arrival + Duration::days(60)).to_string()}
        });
        assert_eq!(app.patch(&format!("/api/v1/applications/{id}"), &applicant.token, &patch).await.status(), StatusCode::OK);
        let response = app.post_empty(&format!("/api/v1/applications/{id}/submit"), &applicant.token).await;
        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let codes: Vec<(String, String)> = problem["errors"].as_array().unwrap().iter()
            .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned())).collect();
        assert!(codes.contains(&("travel.arrival_date".into(), "not_in_future".into())), "{codes:?}");
        assert!(codes.contains(&("travel.departure_date".into(), "stay_too_long".into())), "{codes:?}");
        assert!(codes.contains(&("passport.expiry_date".into(), "expires_too_soon".into())), "{codes:?}");
    }

    async fn a_complete_application_is_submitted_with_a_deadline(app: TestApp) {
        let applicant = app.applicant("judy").await;
        let id = app.complete_draft(&applicant).await;
        let response = app.post_empty(&format!("/api/v1/applications/{id}/submit"), &applicant.token).await;
        assert_eq!(response.status(), StatusCode::OK);
        let submitted: Value = response.json().await.unwrap();
        assert_eq!(submitted["status"], "submitted");
        let at: chrono::DateTime<Utc> = submitted["submitted_at"].as_str().unwrap().parse().unwrap();
        let deadline: chrono::DateTime<Utc> = submitted["decision_deadline"].as_str().unwrap().parse().unwrap();
        assert_eq!(deadline - at, Duration::days(15));
        assert_eq!(submitted["documents"].as_array().unwrap().len(), 2);
        let again = app.post_empty(&format!("/api/v1/applications/{id}/submit"), &applicant.token).await;
        problem(again, StatusCode::CONFLICT).await;
    }

    async fn applicants_withdraw_before_a_decision(app: TestApp) {
        let applicant = app.applicant("ken").await;
        let draft = app.draft(&applicant, &valid_application()).await;
        let draft_id = draft["id"].as_str().unwrap();
        let withdrawn: Value = app.post_empty(&format!("/api/v1/applications/{draft_id}/withdraw"), &applicant.token).await.json().await.unwrap();
        assert_eq!(withdrawn["status"], "withdrawn");

        let id = app.submitted(&applicant).await;
        let response = app.post(&format!("/api/v1/applications/{id}/withdraw"), &applicant.token, &json!({"reason": "Trip cancelled"})).await;
        assert_eq!(response.status(), StatusCode::OK);
        let again = app.post_empty(&format!("/api/v1/applications/{id}/withdraw"), &applicant.token).await;
        problem(again, StatusCode::CONFLICT).await;
        let upload = app.put_bytes(&format!("/api/v1/applications/{id}/documents/photo"), &applicant.token, "image/png", photo_png(413, 531)).await;
        problem(upload, StatusCode::CONFLICT).await;
    }

    async fn the_history_tells_the_story_without_staff_details(app: TestApp) {
        let applicant = app.applicant("liam").await;
        let id = app.submitted(&applicant).await;
        app.post(&format!("/api/v1/applications/{id}/withdraw"), &applicant.token, &json!({"reason": "Plans changed"})).await;
        let history: Value = app.get(&format!("/api/v1/applications/{id}/events"), &applicant.token).await.json().await.unwrap();
        let steps: Vec<(String, Value, String)> = history["items"].as_array().unwrap().iter()
            .map(|e| (e["action"].as_str().unwrap().to_owned(), e["from_status"].clone(), e["to_status"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(steps, vec![
            ("create".to_owned(), Value::Null, "draft".to_owned()),
            ("upload_document".to_owned(), json!("draft"), "draft".to_owned()),
            ("upload_document".to_owned(), json!("draft"), "draft".to_owned()),
            ("submit".to_owned(), json!("draft"), "submitted".to_owned()),
            ("withdraw".to_owned(), json!("submitted"), "withdrawn".to_owned()),
        ]);
        let last = history["items"].as_array().unwrap().last().unwrap();
        assert_eq!(last["note"], "Plans changed");
        assert_eq!(last["actor_role"], "applicant");
        assert!(last.get("actor_id").is_none() && last.get("request_id").is_none());
    }

    async fn staff_see_the_post_s_submitted_cases_with_request_ids(app: TestApp) {
        let applicant = app.applicant("mia").await;
        let draft = app.draft(&applicant, &valid_application()).await;
        let id = app.submitted(&applicant).await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let listed: Value = app.get("/api/v1/applications", &officer.token).await.json().await.unwrap();
        assert_eq!(listed["total"], 1, "the draft is invisible to staff");
        assert_eq!(listed["items"][0]["id"], id.as_str());
        let draft_id = draft["id"].as_str().unwrap();
        problem(app.get(&format!("/api/v1/applications/{draft_id}"), &officer.token).await, StatusCode::NOT_FOUND).await;
        let history: Value = app.get(&format!("/api/v1/applications/{id}/events"), &officer.token).await.json().await.unwrap();
        let submit = &history["items"][3];
        assert_eq!(submit["action"], "submit");
        assert_eq!(submit["actor_id"], applicant.id.as_str());
        assert!(submit["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    }

    async fn listings_are_paginated_and_own_only(app: TestApp) {
        let first = app.applicant("nina").await;
        let second = app.applicant("oscar").await;
        for _ in 0..3 {
            app.draft(&first, &valid_application()).await;
        }
        app.draft(&second, &valid_application()).await;
        let page: Value = app.get("/api/v1/applications?page=2&per_page=2", &first.token).await.json().await.unwrap();
        assert_eq!(page["total"], 3);
        assert_eq!(page["page"], 2);
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        let bad = app.get("/api/v1/applications?per_page=1000", &first.token).await;
        assert_eq!(error_fields(&problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["per_page"]);
        let nonsense = app.get("/api/v1/applications?page=abc", &first.token).await;
        problem(nonsense, StatusCode::BAD_REQUEST).await;
    }

    async fn applications_survive_a_restart(app: TestApp) {
        let applicant = app.applicant("pia").await;
        let id = app.submitted(&applicant).await;
        let TestApp { config, data_dir, postgres, .. } = app;
        let restarted = TestApp::start(config, data_dir, postgres).await;
        let token = restarted.login(&applicant.email, PASSWORD).await;
        let fetched: Value = restarted.get(&format!("/api/v1/applications/{id}"), &token).await.json().await.unwrap();
        assert_eq!(fetched["status"], "submitted");
        let photo = restarted.get(&format!("/api/v1/applications/{id}/documents/photo"), &token).await;
        assert_eq!(photo.bytes().await.unwrap().to_vec(), photo_png(413, 531));
    }
}
