//! Consular requests over HTTP: a service that is only a catalogue row (the seeded consular
//! registration), filed by a citizen, decided by an officer through the service-neutral case
//! routes.

use crate::backend_tests;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn form() -> Value {
    json!({"applicant": {"surname": "Nurly", "given_names": "Aigerim", "date_of_birth": "1991-05-04", "nationality": "UTO"},
           "address_abroad": "12 Baker Street, London"})
}

backend_tests! {
    async fn a_consular_request_goes_from_filing_to_decision(app: TestApp) {
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
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let stats: Value = app.get("/api/v1/stats?service=CONSULAR_REGISTRATION", &supervisor.token).await.json().await.unwrap();
        assert_eq!(stats["by_status"], json!({"approved": 1}));
        let visas: Value = app.get("/api/v1/stats?service=TOURIST", &supervisor.token).await.json().await.unwrap();
        assert_eq!(visas["by_status"], json!({}));
        let subject = app.eventual_scalar(&format!("SELECT subject AS value FROM outbox WHERE case_id = '{id}' AND event = 'approved'")).await;
        assert!(subject.contains("approved"), "{subject}");
        let body = app.scalar(&format!("SELECT text_body AS value FROM outbox WHERE case_id = '{id}' AND event = 'approved'"));
        assert!(body.contains("This decision is final"), "a decision is the end, and the e-mail says so: {body}");

        // Foreigners are refused a citizens' service, by field.
        let foreigner = app.applicant("foreigner").await;
        let mut foreign = form();
        foreign["applicant"]["nationality"] = json!("GBR");
        let refused = problem(app.post("/api/v1/requests", &foreigner.token, &json!({"service": "CONSULAR_REGISTRATION", "post": "UTO-HQ", "form": foreign})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["applicant.nationality"]);
    }
}

async fn file(app: &TestApp, who: &Account, form: Value) -> reqwest::Response {
    let body = json!({"service": "BIRTH_REGISTRATION", "post": "UTO-HQ", "form": form});
    app.post("/api/v1/requests", &who.token, &body).await
}

async fn attach(app: &TestApp, who: &Account, id: &str) {
    let path = format!("/api/v1/requests/{id}/documents/birth_certificate");
    assert_eq!(app.put_bytes(&path, &who.token, "application/pdf", minimal_pdf()).await.status(), StatusCode::OK);
}

fn schema(extra_required: &[&str]) -> Value {
    let mut required = vec!["applicant", "child_name"];
    required.extend_from_slice(extra_required);
    json!({"type": "object", "required": required,
           "properties": {"child_name": {"type": "string", "minLength": 1}, "hospital": {"type": "string"},
             "applicant": {"type": "object", "required": ["surname", "given_names", "date_of_birth", "nationality"],
               "properties": {"surname": {"type": "string"}, "given_names": {"type": "string"},
                 "date_of_birth": {"type": "string", "format": "date"}, "nationality": {"type": "string"}}}}})
}

backend_tests! {
    async fn administrators_add_services_and_a_new_schema_is_a_new_form_version(app: TestApp) {
        let admin = app.admin().await;
        let service = json!({"code": "BIRTH_REGISTRATION", "name": "Registration of a birth abroad",
            "description": "A child born abroad to a citizen", "eligibility": "citizens", "form_schema": schema(&[]),
            "documents": [{"kind": "birth_certificate", "required": true, "media_types": ["application/pdf"], "max_bytes": 1000000}],
            "fee": {"amount_minor": 1500, "currency": "EUR"}, "processing_days": 15, "output": "decision"});
        for (field, value, code) in [
            ("form_schema", json!({"type": 7}), "invalid_schema"),
            ("form_schema", json!({"type": "object", "properties": {"child_name": {"type": "string"}}}), "invalid_schema"),
            ("output", json!("e_visa"), "not_available"),
        ] {
            let mut wrong = service.clone();
            wrong[field] = value;
            let refused = problem(app.post("/api/v1/admin/services", &admin.token, &wrong).await, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!((error_fields(&refused), refused["errors"][0]["code"].as_str()), (vec![field.to_owned()], Some(code)));
        }
        let created = app.post("/api/v1/admin/services", &admin.token, &service).await;
        assert_eq!(created.status(), StatusCode::CREATED);
        assert_eq!(created.json::<Value>().await.unwrap()["form_version"], 1);
        problem(app.post("/api/v1/admin/services", &admin.token, &service).await, StatusCode::CONFLICT).await;

        let citizen = app.applicant("parent").await;
        let form = json!({"applicant": form()["applicant"], "child_name": "Aruzhan"});
        let first: Value = file(&app, &citizen, form.clone()).await.json().await.unwrap();
        let first = first["id"].as_str().unwrap().to_owned();

        // A new schema is version 2; the open draft keeps version 1 and is checked against it.
        let changed = app.patch("/api/v1/admin/services/BIRTH_REGISTRATION", &admin.token, &json!({"form_schema": schema(&["hospital"])})).await;
        assert_eq!(changed.json::<Value>().await.unwrap()["form_version"], 2);
        attach(&app, &citizen, &first).await;
        let submitted: Value = app.post_empty(&format!("/api/v1/requests/{first}/submit"), &citizen.token).await.json().await.unwrap();
        assert_eq!((submitted["status"].as_str(), submitted["form_version"].as_i64()), (Some("submitted"), Some(1)));
        let second: Value = file(&app, &citizen, form.clone()).await.json().await.unwrap();
        assert_eq!(second["form_version"], 2);
        let second = second["id"].as_str().unwrap().to_owned();
        attach(&app, &citizen, &second).await;
        let refused = problem(app.post_empty(&format!("/api/v1/requests/{second}/submit"), &citizen.token).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["/hospital"]);

        // Deactivated, it takes no new requests and leaves the public catalogue.
        assert_eq!(app.patch("/api/v1/admin/services/BIRTH_REGISTRATION", &admin.token, &json!({"active": false})).await.status(), StatusCode::OK);
        let services: Value = app.request(reqwest::Method::GET, "/api/v1/services", None, None).await.json().await.unwrap();
        assert!(!services["items"].as_array().unwrap().iter().any(|s| s["code"] == "BIRTH_REGISTRATION"));
        let refused = problem(file(&app, &citizen, form).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["service"]);
        let audit: Value = app.get("/api/v1/admin/audit", &admin.token).await.json().await.unwrap();
        assert!(audit.to_string().contains("create_service") && audit.to_string().contains("update_service"));
        problem(app.post("/api/v1/admin/services", &citizen.token, &service).await, StatusCode::FORBIDDEN).await;
    }
}
