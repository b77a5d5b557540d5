use crate::backend_tests;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

backend_tests! {
    async fn the_walkthrough_tells_the_whole_story(app: TestApp) {
        let officer = app.staff("officer", "UTO-HQ").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let worker = app.applicant("worker").await;
        let tourist = app.applicant("tourist").await;
        let work_id = app.submitted_for(&worker, "WORK").await;
        let tourist_id = app.submitted(&tourist).await;

        // The officer takes both cases from the queue.
        let mut claimed = Vec::new();
        for _ in 0..2 {
            let case = ok(app.post_empty("/api/v1/queue/claim", &officer.token).await).await;
            assert_eq!(case["status"], "in_review");
            assert_eq!(case["assigned_officer_id"], officer.id.as_str());
            claimed.push(case["id"].as_str().unwrap().to_owned());
        }
        claimed.sort();
        let mut expected = vec![work_id.clone(), tourist_id.clone()];
        expected.sort();
        assert_eq!(claimed, expected);
        assert_eq!(app.post_empty("/api/v1/queue/claim", &officer.token).await.status(), StatusCode::NO_CONTENT);

        // Information is requested and given.
        let asked = ok(app.act(&work_id, "request-info", &officer.token, Some(json!({"message": "Please send your employment contract.", "items": ["employment contract"]}))).await).await;
        assert_eq!(asked["status"], "info_requested");
        let patched = app.patch(&format!("/api/v1/applications/{work_id}"), &worker.token, &json!({"travel": {"purpose": "employment at Astana Steel"}})).await;
        assert_eq!(patched.status(), StatusCode::OK);
        let scan = app.put_bytes(&format!("/api/v1/applications/{work_id}/documents/passport"), &worker.token, "application/pdf", minimal_pdf()).await;
        assert_eq!(scan.status(), StatusCode::OK);
        let answered = ok(app.act(&work_id, "respond", &worker.token, Some(json!({"message": "Contract attached to my passport scan."}))).await).await;
        assert_eq!(answered["status"], "in_review");
        let staff_view = app.case(&work_id, &officer.token).await;
        assert_eq!(staff_view["assigned_officer_id"], officer.id.as_str(), "back to the same officer");

        // The work visa needs four eyes; the tourist visa is refused.
        let recommended = ok(app.act(&work_id, "decision", &officer.token, Some(json!({"decision": "approve", "note": "Contract verified with the employer."}))).await).await;
        assert_eq!(recommended["status"], "pending_approval");
        assert_eq!(recommended["decision"]["outcome"], "recommended");
        assert_eq!(recommended["recommended_by"], officer.id.as_str());
        let applicant_view = app.case(&work_id, &worker.token).await;
        assert!(applicant_view["decision"].is_null(), "a recommendation is not a decision");
        assert!(applicant_view.get("assigned_officer_id").is_none());

        let refused = ok(app.act(&tourist_id, "decision", &officer.token, Some(json!({"decision": "refuse", "grounds": ["INSUFFICIENT_MEANS", "NO_MEDICAL_INSURANCE"], "note": "Bank statement shows 40 EUR."}))).await).await;
        assert_eq!(refused["status"], "rejected");

        let confirmed = ok(app.act(&work_id, "confirm", &supervisor.token, None).await).await;
        assert_eq!(confirmed["status"], "approved");
        assert_eq!(confirmed["decision"]["outcome"], "approved");
        assert_eq!(confirmed["decision"]["grant"]["entries"], "multiple");
        assert_eq!(confirmed["decision"]["grant"]["duration_of_stay_days"], 14);
        assert!(confirmed["decided_at"].is_string());

        // What the applicants see.
        let refusal = app.case(&tourist_id, &tourist.token).await;
        let grounds: Vec<&str> = refusal["decision"]["grounds"].as_array().unwrap().iter().map(|g| g["code"].as_str().unwrap()).collect();
        assert_eq!(grounds, vec!["INSUFFICIENT_MEANS", "NO_MEDICAL_INSURANCE"]);
        assert!(refusal["decision"]["grounds"][0]["description"].as_str().unwrap().contains("means of subsistence"));
        assert!(refusal["decision"]["appeal_information"].as_str().unwrap().contains("appeal"));
        let approval = app.case(&work_id, &worker.token).await;
        assert_eq!(approval["decision"]["outcome"], "approved");

        // And the audit histories.
        // Issuing follows the confirmation within milliseconds; it may or may not be there yet.
        let mut actions = app.actions(&work_id, &supervisor.token).await;
        if actions.last().map(String::as_str) == Some("issue") {
            actions.pop();
        }
        assert_eq!(
            actions,
            ["create", "upload_document", "upload_document", "edit", "submit", "claim", "request_info", "edit", "upload_document", "respond", "recommend", "confirm"]
        );
        assert_eq!(
            app.actions(&tourist_id, &officer.token).await,
            ["create", "upload_document", "upload_document", "submit", "claim", "refuse"]
        );
        let history: Value = app.get(&format!("/api/v1/applications/{tourist_id}/events"), &officer.token).await.json().await.unwrap();
        let refusal_event = history["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(refusal_event["actor_id"], officer.id.as_str());
        assert_eq!(refusal_event["staff_note"], "Bank statement shows 40 EUR.");
        assert_eq!(refusal_event["details"]["grounds"], json!(["INSUFFICIENT_MEANS", "NO_MEDICAL_INSURANCE"]));
        let seen_by_applicant: Value = app.get(&format!("/api/v1/applications/{tourist_id}/events"), &tourist.token).await.json().await.unwrap();
        let last = seen_by_applicant["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "refuse");
        assert!(last.get("staff_note").is_none() && last.get("actor_id").is_none());
    }

    async fn the_person_who_recommends_can_never_confirm(app: TestApp) {
        let first = app.staff("supervisor", "UTO-HQ").await;
        let second = app.staff("supervisor", "UTO-HQ").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let applicant = app.applicant("student").await;
        let id = app.submitted_for(&applicant, "STUDENT").await;
        ok(app.act(&id, "claim", &first.token, None).await).await;
        ok(app.act(&id, "decision", &first.token, Some(json!({"decision": "approve"}))).await).await;

        let own = problem(app.act(&id, "confirm", &first.token, None).await, StatusCode::FORBIDDEN).await;
        assert!(own["detail"].as_str().unwrap().contains("four-eyes"));
        problem(app.act(&id, "confirm", &officer.token, None).await, StatusCode::FORBIDDEN).await;
        assert_eq!(app.case(&id, &first.token).await["status"], "pending_approval");

        let confirmed = ok(app.act(&id, "confirm", &second.token, None).await).await;
        assert_eq!(confirmed["status"], "approved");
        let history: Value = app.get(&format!("/api/v1/applications/{id}/events"), &second.token).await.json().await.unwrap();
        let events = history["items"].as_array().unwrap();
        let recommend = events.iter().find(|e| e["action"] == "recommend").unwrap();
        let confirm = events.iter().find(|e| e["action"] == "confirm").unwrap();
        assert_ne!(recommend["actor_id"], confirm["actor_id"]);
    }

    async fn a_returned_recommendation_goes_back_to_review(app: TestApp) {
        let officer = app.staff("officer", "UTO-HQ").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let applicant = app.applicant("worker").await;
        let id = app.submitted_for(&applicant, "WORK").await;
        ok(app.act(&id, "claim", &officer.token, None).await).await;
        ok(app.act(&id, "decision", &officer.token, Some(json!({"decision": "approve"}))).await).await;
        problem(app.act(&id, "return", &supervisor.token, Some(json!({}))).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        let returned = ok(app.act(&id, "return", &supervisor.token, Some(json!({"note": "Check the employer's licence first."}))).await).await;
        assert_eq!(returned["status"], "in_review");
        assert!(returned["decision"].is_null());
        assert!(returned.get("recommended_by").is_none());
        assert_eq!(returned["assigned_officer_id"], officer.id.as_str());
        // The officer may now refuse.
        let refused = ok(app.act(&id, "decision", &officer.token, Some(json!({"decision": "refuse", "grounds": ["PURPOSE_NOT_JUSTIFIED"]}))).await).await;
        assert_eq!(refused["status"], "rejected");
    }

    async fn short_stays_are_approved_directly_unless_the_post_requires_four_eyes(app: TestApp) {
        let officer = app.staff("officer", "UTO-HQ").await;
        let applicant = app.applicant("tourist").await;
        let id = app.submitted(&applicant).await;
        ok(app.act(&id, "claim", &officer.token, None).await).await;
        let approved = ok(app.act(&id, "decision", &officer.token, Some(json!({"decision": "approve", "entries": "single", "duration_of_stay_days": 10}))).await).await;
        assert_eq!(approved["status"], "approved");
        assert_eq!(approved["decision"]["grant"]["duration_of_stay_days"], 10);

        let types: Value = app.request(reqwest::Method::GET, "/api/v1/visa-types", None, None).await.json().await.unwrap();
        let four_eyes: Vec<(&str, bool)> = types["items"].as_array().unwrap().iter().map(|t| (t["code"].as_str().unwrap(), t["four_eyes"].as_bool().unwrap())).collect();
        assert!(four_eyes.contains(&("TOURIST", false)) && four_eyes.contains(&("WORK", true)) && four_eyes.contains(&("STUDENT", true)));

        let admin = app.admin().await;
        let post = ok(app.patch("/api/v1/admin/posts/UTO-HQ", &admin.token, &json!({"four_eyes": true})).await).await;
        assert_eq!(post["four_eyes"], true);
        problem(app.patch("/api/v1/admin/posts/NOPE", &admin.token, &json!({"four_eyes": true})).await, StatusCode::NOT_FOUND).await;
        let second = app.submitted(&applicant).await;
        ok(app.act(&second, "claim", &officer.token, None).await).await;
        let recommended = ok(app.act(&second, "decision", &officer.token, Some(json!({"decision": "approve"}))).await).await;
        assert_eq!(recommended["status"], "pending_approval");
    }

    async fn decisions_are_validated_field_by_field(app: TestApp) {
        let officer = app.staff("officer", "UTO-HQ").await;
        let applicant = app.applicant("tourist").await;
        let id = app.submitted(&applicant).await;
        ok(app.act(&id, "claim", &officer.token, None).await).await;
        let beyond = app.act(&id, "decision", &officer.token, Some(json!({"decision": "approve", "valid_until": "2099-01-01", "duration_of_stay_days": 400}))).await;
        let beyond = problem(beyond, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&beyond), vec!["valid_until", "duration_of_stay_days"]);
        let no_grounds = app.act(&id, "decision", &officer.token, Some(json!({"decision": "refuse"}))).await;
        assert_eq!(error_fields(&problem(no_grounds, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["grounds"]);
        let unknown = app.act(&id, "decision", &officer.token, Some(json!({"decision": "refuse", "grounds": ["FORGED_DOCUMENT", "BAD_HAIR_DAY"]}))).await;
        assert_eq!(error_fields(&problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["grounds[1]"]);
        let what = app.act(&id, "decision", &officer.token, Some(json!({"decision": "maybe"}))).await;
        problem(what, StatusCode::UNPROCESSABLE_ENTITY).await;
        let extra = app.act(&id, "decision", &officer.token, Some(json!({"decision": "approve", "colour": "blue"}))).await;
        problem(extra, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(app.case(&id, &officer.token).await["status"], "in_review", "nothing changed");
        let catalogue: Value = app.request(reqwest::Method::GET, "/api/v1/refusal-grounds", None, None).await.json().await.unwrap();
        let codes: Vec<&str> = catalogue["items"].as_array().unwrap().iter().map(|g| g["code"].as_str().unwrap()).collect();
        for code in ["FORGED_DOCUMENT", "PURPOSE_NOT_JUSTIFIED", "INSUFFICIENT_MEANS", "PUBLIC_ORDER_THREAT", "NO_MEDICAL_INSURANCE", "UNRELIABLE_STATEMENTS", "INTENTION_TO_LEAVE"] {
            assert!(codes.contains(&code), "{code}");
        }
    }

    async fn internal_notes_are_for_staff_only(app: TestApp) {
        let officer = app.staff("officer", "UTO-HQ").await;
        let applicant = app.applicant("noted").await;
        let id = app.submitted(&applicant).await;
        ok(app.act(&id, "claim", &officer.token, None).await).await;
        let note = app.act(&id, "notes", &officer.token, Some(json!({"text": "Called the hotel: booking confirmed."}))).await;
        assert_eq!(note.status(), StatusCode::CREATED);
        let staff: Value = app.get(&format!("/api/v1/applications/{id}/events"), &officer.token).await.json().await.unwrap();
        assert!(staff["items"].as_array().unwrap().iter().any(|e| e["action"] == "note" && e["staff_note"] == "Called the hotel: booking confirmed." && e["internal"] == true));
        let own: Value = app.get(&format!("/api/v1/applications/{id}/events"), &applicant.token).await.json().await.unwrap();
        assert!(!own.to_string().contains("hotel: booking"));
        assert!(!app.actions(&id, &applicant.token).await.contains(&"note".to_owned()));
    }

    async fn release_and_assignment_move_cases_between_officers(app: TestApp) {
        app.add_post("UTO-LON").await;
        let first = app.staff("officer", "UTO-HQ").await;
        let second = app.staff("officer", "UTO-HQ").await;
        let abroad = app.staff("officer", "UTO-LON").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let applicant = app.applicant("moved").await;
        let id = app.submitted(&applicant).await;
        ok(app.act(&id, "claim", &first.token, None).await).await;
        problem(app.act(&id, "release", &second.token, None).await, StatusCode::FORBIDDEN).await;
        let released = ok(app.act(&id, "release", &first.token, None).await).await;
        assert_eq!(released["status"], "submitted");
        assert!(released["assigned_officer_id"].is_null());

        problem(app.act(&id, "assign", &first.token, Some(json!({"officer_id": second.id}))).await, StatusCode::FORBIDDEN).await;
        let wrong_post = app.act(&id, "assign", &supervisor.token, Some(json!({"officer_id": abroad.id}))).await;
        assert_eq!(error_fields(&problem(wrong_post, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["officer_id"]);
        let assigned = ok(app.act(&id, "assign", &supervisor.token, Some(json!({"officer_id": second.id}))).await).await;
        assert_eq!(assigned["status"], "in_review");
        assert_eq!(assigned["assigned_officer_id"], second.id.as_str());
        let reassigned = ok(app.act(&id, "assign", &supervisor.token, Some(json!({"officer_id": first.id}))).await).await;
        assert_eq!(reassigned["assigned_officer_id"], first.id.as_str());
        problem(app.act(&id, "request-info", &second.token, Some(json!({"message": "?"}))).await, StatusCode::FORBIDDEN).await;
        // Supervisors act on any case of their post.
        ok(app.act(&id, "request-info", &supervisor.token, Some(json!({"message": "Please send hotel booking."}))).await).await;
        let own = app.actions(&id, &applicant.token).await;
        assert_eq!(own.iter().filter(|a| *a == "assign").count(), 1, "only the assignment out of the queue is shown: {own:?}");
    }

    async fn supervisors_extend_deadlines_within_45_days_and_set_priority(app: TestApp) {
        let officer = app.staff("officer", "UTO-HQ").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let applicant = app.applicant("slow").await;
        let id = app.submitted(&applicant).await;
        let before = app.case(&id, &supervisor.token).await;
        problem(app.act(&id, "extend-deadline", &officer.token, Some(json!({"days": 5, "reason": "x"}))).await, StatusCode::FORBIDDEN).await;
        let no_reason = app.act(&id, "extend-deadline", &supervisor.token, Some(json!({"days": 5}))).await;
        assert_eq!(error_fields(&problem(no_reason, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["reason"]);
        let extended = ok(app.act(&id, "extend-deadline", &supervisor.token, Some(json!({"days": 30, "reason": "Security check by partner agency"}))).await).await;
        let from: chrono::DateTime<chrono::Utc> = before["decision_deadline"].as_str().unwrap().parse().unwrap();
        let to: chrono::DateTime<chrono::Utc> = extended["decision_deadline"].as_str().unwrap().parse().unwrap();
        assert_eq!(to - from, chrono::Duration::days(30));
        let too_far = app.act(&id, "extend-deadline", &supervisor.token, Some(json!({"days": 1, "reason": "more"}))).await;
        assert_eq!(error_fields(&problem(too_far, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["days"]);
        let urgent = ok(app.act(&id, "priority", &supervisor.token, Some(json!({"priority": "urgent"}))).await).await;
        assert_eq!(urgent["priority"], "urgent");
        let history: Value = app.get(&format!("/api/v1/applications/{id}/events"), &supervisor.token).await.json().await.unwrap();
        let extension = history["items"].as_array().unwrap().iter().find(|e| e["action"] == "extend_deadline").unwrap().clone();
        assert_eq!(extension["staff_note"], "Security check by partner agency");
    }

    async fn two_approvals_of_one_case_decide_it_once(app: TestApp) {
        let officer = app.staff("officer", "UTO-HQ").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let applicant = app.applicant("twice").await;
        let id = app.submitted(&applicant).await;
        ok(app.act(&id, "claim", &officer.token, None).await).await;
        let approve = json!({"decision": "approve"});
        let refuse = json!({"decision": "refuse", "grounds": ["ENTRY_BAN"]});
        let (a, b) = futures_util::join!(
            app.act(&id, "decision", &officer.token, Some(approve.clone())),
            app.act(&id, "decision", &supervisor.token, Some(refuse))
        );
        let statuses = [a.status(), b.status()];
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
        assert!(statuses.contains(&StatusCode::CONFLICT), "{statuses:?}");
        let decisions = app.actions(&id, &officer.token).await.into_iter().filter(|a| a == "approve" || a == "refuse").count();
        assert_eq!(decisions, 1);
        problem(app.act(&id, "decision", &officer.token, Some(approve)).await, StatusCode::CONFLICT).await;
    }
}
