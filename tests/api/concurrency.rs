use crate::backend_tests;
use crate::helpers::*;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

backend_tests! {
    async fn concurrent_submissions_of_one_draft_submit_it_once(app: TestApp) {
        let applicant = app.applicant("race").await;
        let id = app.complete_draft(&applicant).await;
        let path = format!("/api/v1/applications/{id}/submit");
        let statuses: Vec<StatusCode> = join_all((0..8).map(|_| app.post_empty(&path, &applicant.token))).await.iter().map(|r| r.status()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT), "{statuses:?}");
        let history: Value = app.get(&format!("/api/v1/applications/{id}/events"), &applicant.token).await.json().await.unwrap();
        let submits = history["items"].as_array().unwrap().iter().filter(|e| e["action"] == "submit").count();
        assert_eq!(submits, 1);
    }

    async fn a_withdrawal_racing_a_submission_leaves_one_consistent_outcome(app: TestApp) {
        let applicant = app.applicant("race").await;
        let id = app.complete_draft(&applicant).await;
        let (submit_path, withdraw_path, empty) = (format!("/api/v1/applications/{id}/submit"), format!("/api/v1/applications/{id}/withdraw"), json!({}));
        let submit = app.post_empty(&submit_path, &applicant.token);
        let withdraw = app.post(&withdraw_path, &applicant.token, &empty);
        let (submit, withdraw) = futures_util::join!(submit, withdraw);
        // Either may lose the race (409), never both, and the case ends as the winners left it.
        let (submitted, withdrawn) = (submit.status(), withdraw.status());
        assert!([submitted, withdrawn].iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT));
        assert!(submitted == StatusCode::OK || withdrawn == StatusCode::OK, "{submitted} {withdrawn}");
        let case: Value = app.get(&format!("/api/v1/applications/{id}"), &applicant.token).await.json().await.unwrap();
        let expected = if withdrawn == StatusCode::OK { "withdrawn" } else { "submitted" };
        assert_eq!(case["status"], expected);
        let history: Value = app.get(&format!("/api/v1/applications/{id}/events"), &applicant.token).await.json().await.unwrap();
        let transitions: Vec<(Value, Value)> = history["items"].as_array().unwrap().iter()
            .filter(|e| e["from_status"] != e["to_status"])
            .map(|e| (e["from_status"].clone(), e["to_status"].clone()))
            .collect();
        // Every recorded transition starts where the previous one ended.
        for pair in transitions.windows(2) {
            assert_eq!(pair[0].1, pair[1].0, "{transitions:?}");
        }
        app.assert_counts_agree();
    }

    async fn concurrent_edits_never_lose_an_update_silently(app: TestApp) {
        let applicant = app.applicant("race").await;
        let draft = app.draft(&applicant, &valid_application()).await;
        let path = format!("/api/v1/applications/{}", draft["id"].as_str().unwrap());
        let responses = join_all((0..6).map(|i| {
            let body = json!({"travel": {"address": format!("Address {i}")}});
            let app = &app;
            let path = path.clone();
            let token = applicant.token.clone();
            async move { app.patch(&path, &token, &body).await }
        }))
        .await;
        let ok = responses.iter().filter(|r| r.status() == StatusCode::OK).count();
        assert!(ok >= 1);
        assert!(responses.iter().all(|r| r.status() == StatusCode::OK || r.status() == StatusCode::CONFLICT));
        let case: Value = app.get(&path, &applicant.token).await.json().await.unwrap();
        assert_eq!(case["version"], 1 + ok, "each accepted edit is one version");
    }

    async fn references_stay_unique_under_concurrent_creation(app: TestApp) {
        let applicant = app.applicant("many").await;
        let body = valid_application();
        let created = join_all((0..10).map(|_| app.post("/api/v1/applications", &applicant.token, &body))).await;
        let mut references = Vec::new();
        for response in created {
            assert_eq!(response.status(), StatusCode::CREATED);
            let case: Value = response.json().await.unwrap();
            references.push(case["reference"].as_str().unwrap().to_owned());
        }
        references.sort();
        references.dedup();
        assert_eq!(references.len(), 10);
    }
}
