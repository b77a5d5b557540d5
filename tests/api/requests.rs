//! Consular requests over HTTP: a service that is only a catalogue row, filed by a citizen,
//! decided by an officer through the service-neutral case routes.

use crate::backend_tests;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const REGISTRATION: &str = r#"
    INSERT INTO services (code, name, description, eligibility, form_version, documents, fee_minor, currency, prepaid,
                          processing_days, four_eyes, output, active, sort_order, created_at, updated_at)
    VALUES ('CONSULAR_REGISTRATION', 'Consular registration', 'Registration of a citizen living abroad', 'citizens', 1,
            '[{"kind":"residence_proof","required":true,"media_types":["application/pdf"],"max_bytes":1000000}]',
            0, 'EUR', FALSE, 20, FALSE, 'decision', TRUE, 100, '2026-11-27 00:00:00', '2026-11-27 00:00:00');
    INSERT INTO service_forms (service_code, version, schema, created_at)
    VALUES ('CONSULAR_REGISTRATION', 1, '{"type":"object","additionalProperties":false,"required":["applicant","address_abroad"],
        "properties":{"address_abroad":{"type":"string","minLength":5},
          "applicant":{"type":"object","required":["surname","given_names","date_of_birth","nationality"],
            "properties":{"surname":{"type":"string","minLength":1},"given_names":{"type":"string"},
              "date_of_birth":{"type":"string","format":"date"},"nationality":{"type":"string","pattern":"^[A-Z<]{1,3}$"}}}}}',
            '2026-11-27 00:00:00');
"#;

fn form() -> Value {
    json!({"applicant": {"surname": "Nurly", "given_names": "Aigerim", "date_of_birth": "1991-05-04", "nationality": "UTO"},
           "address_abroad": "12 Baker Street, London"})
}

backend_tests! {
    async fn a_consular_request_goes_from_filing_to_decision(app: TestApp) {
        app.execute_sql(REGISTRATION);
        let services: Value = app.request(reqwest::Method::GET, "/api/v1/services", None, None).await.json().await.unwrap();
        let listed = services["items"].as_array().unwrap().iter().find(|s| s["code"] == "CONSULAR_REGISTRATION").unwrap().clone();
        assert_eq!(listed["output"], "decision");
        assert_eq!(listed["eligibility"], "citizens");
        assert_eq!(listed["fee"], json!({"amount_minor": 0, "currency": "EUR"}));
        assert_eq!(listed["documents"][0]["kind"], "residence_proof");
        assert_eq!(listed["form_schema"]["required"], json!(["applicant", "address_abroad"]));
        assert!(services["items"].as_array().unwrap().iter().any(|s| s["code"] == "TOURIST" && s["output"] == "e_visa"));

        let citizen = app.applicant("citizen").await;
        let mut wrong = form();
        wrong["applicant"]["date_of_birth"] = json!("04/05/1991");
        let refused = problem(app.post("/api/v1/requests", &citizen.token, &json!({"service": "CONSULAR_REGISTRATION", "post": "UTO-HQ", "form": wrong})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["/applicant/date_of_birth"]);
        assert_eq!(refused["errors"][0]["code"], "format");

        let created = app.post("/api/v1/requests", &citizen.token, &json!({"service": "CONSULAR_REGISTRATION", "post": "UTO-HQ", "form": {"applicant": form()["applicant"]}})).await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let created: Value = created.json().await.unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!((created["status"].as_str(), created["form_version"].as_i64()), (Some("draft"), Some(1)));
        let missing = problem(app.post_empty(&format!("/api/v1/requests/{id}/submit"), &citizen.token).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&missing), ["/address_abroad", "documents.residence_proof"]);
        let patched = app.patch(&format!("/api/v1/requests/{id}"), &citizen.token, &json!({"address_abroad": "12 Baker Street, London"})).await;
        assert_eq!(patched.status(), StatusCode::OK);
        let path = format!("/api/v1/requests/{id}/documents/residence_proof");
        assert_eq!(app.put_bytes(&path, &citizen.token, "application/pdf", minimal_pdf()).await.status(), StatusCode::OK);
        problem(app.put_bytes(&format!("/api/v1/requests/{id}/documents/photo"), &citizen.token, "image/png", photo_png(413, 531)).await, StatusCode::NOT_FOUND).await;
        let submitted: Value = app.post_empty(&format!("/api/v1/requests/{id}/submit"), &citizen.token).await.json().await.unwrap();
        assert_eq!(submitted["status"], "submitted");

        let officer = app.staff("officer", "UTO-HQ").await;
        let queue: Value = app.get("/api/v1/queue?service=CONSULAR_REGISTRATION", &officer.token).await.json().await.unwrap();
        assert_eq!(queue["total"], 1);
        let claimed: Value = app.post_empty(&format!("/api/v1/cases/{id}/claim"), &officer.token).await.json().await.unwrap();
        assert_eq!((claimed["status"].as_str(), claimed["service"].as_str()), (Some("in_review"), Some("CONSULAR_REGISTRATION")));
        assert_eq!(claimed["form"]["address_abroad"], "12 Baker Street, London", "the service-neutral shape");
        let decided = app.post(&format!("/api/v1/cases/{id}/decision"), &officer.token, &json!({"decision": "approve", "note": "Residence proven."})).await;
        assert_eq!(decided.status(), StatusCode::OK);

        let request: Value = app.get(&format!("/api/v1/requests/{id}"), &citizen.token).await.json().await.unwrap();
        assert_eq!(request["status"], "approved");
        assert_eq!(request["decision"], json!({"outcome": "approved"}));
        assert!(request.get("assigned_officer_id").is_none());
        let mine: Value = app.get("/api/v1/requests", &citizen.token).await.json().await.unwrap();
        assert_eq!(mine["total"], 1, "visa applications are listed under /applications");
        let history: Value = app.get(&format!("/api/v1/cases/{id}/events"), &officer.token).await.json().await.unwrap();
        let actions: Vec<&str> = history["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["create", "edit", "upload_document", "submit", "claim", "approve"]);
        let subject = app.eventual_scalar(&format!("SELECT subject AS value FROM outbox WHERE case_id = '{id}' AND event = 'approved'")).await;
        assert!(subject.contains("approved"), "{subject}");

        // Foreigners are refused a citizens' service, by field.
        let foreigner = app.applicant("foreigner").await;
        let mut foreign = form();
        foreign["applicant"]["nationality"] = json!("GBR");
        let refused = problem(app.post("/api/v1/requests", &foreigner.token, &json!({"service": "CONSULAR_REGISTRATION", "post": "UTO-HQ", "form": foreign})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["applicant.nationality"]);
    }
}
