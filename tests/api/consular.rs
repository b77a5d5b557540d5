//! Consular services end to end: the seeded catalogue, fees and the signed payment callback,
//! certificates (issued, e-mailed, checked with pdfsig and the JWKS, verified by third parties,
//! revoked) and appointments (schedules, slots, booking, moving, capacity under concurrency).

use crate::backend_tests;
use crate::checkers::{can_read_qr_tokens, pdfsig, python_module, qr_claims, run, tool};
use crate::helpers::*;
use chrono::{Duration, Utc};
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;
use std::process::Command;

pub(crate) fn identity() -> Value {
    json!({"surname": "Nurly", "given_names": "Aigerim", "date_of_birth": "1991-05-04", "nationality": "UTO"})
}

/// The payment provider's secret: generated in the data directory on first start.
pub(crate) fn payment_key(app: &TestApp) -> Vec<u8> {
    let path = app.config.data_dir.join("secrets").join("payment-hmac.key");
    std::fs::read_to_string(path).unwrap().trim().as_bytes().to_vec()
}

pub(crate) fn signature(key: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Sends a payment report as the provider would, with the given signature header (if any).
pub(crate) async fn report(app: &TestApp, id: &str, body: &Value, signature: Option<String>) -> reqwest::Response {
    let body = serde_json::to_vec(body).unwrap();
    let mut request = reqwest::Client::new()
        .post(format!("{}/api/v1/cases/{id}/payments", app.address))
        .header("Content-Type", "application/json")
        .body(body);
    if let Some(signature) = signature {
        request = request.header("X-Signature", signature);
    }
    request.send().await.unwrap()
}

pub(crate) async fn pay(app: &TestApp, id: &str, body: &Value) -> reqwest::Response {
    let signed = signature(&payment_key(app), &serde_json::to_vec(body).unwrap());
    report(app, id, body, Some(signed)).await
}

/// An API client with the given scopes; its key.
async fn api_key(app: &TestApp, scopes: &[&str]) -> String {
    let admin = app.admin().await;
    let body = json!({"name": "Notary office", "organisation": "Chamber of notaries", "scopes": scopes});
    let created: Value = app.post("/api/v1/admin/api-clients", &admin.token, &body).await.json().await.unwrap();
    created["api_key"].as_str().unwrap().to_owned()
}

/// Files, documents and submits a request for `service`; its id.
pub(crate) async fn submitted_request(
    app: &TestApp,
    who: &Account,
    service: &str,
    form: Value,
    documents: &[&str],
) -> String {
    let body = json!({"service": service, "post": "UTO-HQ", "form": form});
    let created = app.post("/api/v1/requests", &who.token, &body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    for kind in documents {
        let path = format!("/api/v1/requests/{id}/documents/{kind}");
        let (media, bytes) =
            if *kind == "photo" { ("image/png", photo_png(413, 531)) } else { ("application/pdf", minimal_pdf()) };
        assert_eq!(app.put_bytes(&path, &who.token, media, bytes).await.status(), StatusCode::OK, "{kind}");
    }
    let submitted = app.post_empty(&format!("/api/v1/requests/{id}/submit"), &who.token).await;
    assert_eq!(submitted.status(), StatusCode::OK, "{}", submitted.text().await.unwrap());
    id
}

pub(crate) async fn approve(app: &TestApp, officer: &Account, id: &str) -> Value {
    assert_eq!(app.post_empty(&format!("/api/v1/cases/{id}/claim"), &officer.token).await.status(), StatusCode::OK);
    let decided =
        app.post(&format!("/api/v1/cases/{id}/decision"), &officer.token, &json!({"decision": "approve"})).await;
    assert_eq!(decided.status(), StatusCode::OK);
    decided.json().await.unwrap()
}

backend_tests! {
    async fn the_seeded_catalogue_offers_consular_services_beside_the_visas(app: TestApp) {
        let services: Value = app.request(Method::GET, "/api/v1/services", None, None).await.json().await.unwrap();
        let items = services["items"].as_array().unwrap();
        let find = |code: &str| items.iter().find(|s| s["code"] == code).unwrap_or_else(|| panic!("{code} listed")).clone();
        for (code, output, eligibility) in [
            ("PASSPORT_RENEWAL", "appointment", "citizens"),
            ("NO_CRIMINAL_RECORD", "certificate", "both"),
            ("LEGALISATION", "certificate", "both"),
            ("CONSULAR_REGISTRATION", "decision", "citizens"),
            ("EMERGENCY_TRAVEL_DOCUMENT", "appointment", "citizens"),
            ("POWER_OF_ATTORNEY", "appointment", "both"),
        ] {
            let service = find(code);
            assert_eq!((service["output"].as_str(), service["eligibility"].as_str()), (Some(output), Some(eligibility)), "{code}");
            let applicant = &service["form_schema"]["properties"]["applicant"];
            assert_eq!(applicant["required"], json!(["surname", "given_names", "date_of_birth", "nationality"]), "{code}");
            assert_eq!(service["form_version"], 1);
        }
        assert_eq!(find("LEGALISATION")["prepaid"], true);
        assert_eq!(find("NO_CRIMINAL_RECORD")["four_eyes"], true);
        assert!(items.iter().any(|s| s["code"] == "TOURIST" && s["output"] == "e_visa"));
        // A foreigner cannot ask for a citizens' passport.
        let foreigner = app.applicant("foreigner").await;
        let mut form = json!({"applicant": identity()});
        form["applicant"]["nationality"] = json!("GBR");
        let refused = app.post("/api/v1/requests", &foreigner.token, &json!({"service": "PASSPORT_RENEWAL", "post": "UTO-HQ", "form": form})).await;
        assert_eq!(error_fields(&problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await), ["applicant.nationality"]);
    }

    async fn a_certificate_service_added_by_an_admin_goes_from_payment_to_a_verified_certificate(app: TestApp) {
        // 1. An administrator adds the service, without touching code.
        let admin = app.admin().await;
        let schema = json!({"type": "object", "required": ["applicant", "purpose"], "additionalProperties": false,
            "properties": {"purpose": {"enum": ["study", "work"]},
              "applicant": {"type": "object", "required": ["surname", "given_names", "date_of_birth", "nationality"],
                "properties": {"surname": {"type": "string", "minLength": 1}, "given_names": {"type": "string"},
                  "date_of_birth": {"type": "string", "format": "date"}, "nationality": {"type": "string"}}}}});
        let service = json!({"code": "ARCHIVE_EXTRACT", "name": "Extract from the civil archive",
            "description": "The civil archive holds the record described in the request.", "eligibility": "both",
            "form_schema": schema, "documents": [{"kind": "passport", "required": true, "media_types": ["application/pdf"], "max_bytes": 1000000}],
            "fee": {"amount_minor": 4200, "currency": "EUR"}, "prepaid": true, "processing_days": 10, "four_eyes": true,
            "output": "certificate"});
        assert_eq!(app.post("/api/v1/admin/services", &admin.token, &service).await.status(), StatusCode::CREATED);

        // 2. A citizen files; the form is checked, the payment arrives, the request is submitted.
        let citizen = app.applicant("citizen").await;
        let bad = json!({"service": "ARCHIVE_EXTRACT", "post": "UTO-HQ", "form": {"applicant": identity(), "purpose": "fun"}});
        let refused = problem(app.post("/api/v1/requests", &citizen.token, &bad).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!((error_fields(&refused), refused["errors"][0]["code"].as_str()), (vec!["/purpose".to_owned()], Some("enum")));
        let body = json!({"service": "ARCHIVE_EXTRACT", "post": "UTO-HQ", "form": {"applicant": identity(), "purpose": "study"}});
        let created: Value = app.post("/api/v1/requests", &citizen.token, &body).await.json().await.unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["fee"], json!({"amount_minor": 4200, "currency": "EUR", "paid_minor": 0, "outstanding_minor": 4200}));
        let path = format!("/api/v1/requests/{id}/documents/passport");
        assert_eq!(app.put_bytes(&path, &citizen.token, "application/pdf", minimal_pdf()).await.status(), StatusCode::OK);
        let unpaid = problem(app.post_empty(&format!("/api/v1/requests/{id}/submit"), &citizen.token).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&unpaid), ["payment"]);
        assert_eq!(unpaid["errors"][0]["code"], "unpaid");

        let payment = json!({"case_id": id, "transaction_id": "psp-0001", "amount_minor": 4200, "currency": "EUR", "status": "succeeded"});
        problem(report(&app, &id, &payment, None).await, StatusCode::UNAUTHORIZED).await;
        problem(report(&app, &id, &payment, Some(signature(b"not the shared secret", &serde_json::to_vec(&payment).unwrap()))).await, StatusCode::UNAUTHORIZED).await;
        problem(report(&app, &id, &payment, Some("sha256=00".into())).await, StatusCode::UNAUTHORIZED).await;
        let wrong_currency = json!({"case_id": id, "transaction_id": "psp-0002", "amount_minor": 4200, "currency": "USD", "status": "succeeded"});
        assert_eq!(error_fields(&problem(pay(&app, &id, &wrong_currency).await, StatusCode::UNPROCESSABLE_ENTITY).await), ["currency"]);
        let too_much = json!({"case_id": id, "transaction_id": "psp-0003", "amount_minor": 9999, "currency": "EUR", "status": "succeeded"});
        assert_eq!(error_fields(&problem(pay(&app, &id, &too_much).await, StatusCode::UNPROCESSABLE_ENTITY).await), ["amount_minor"]);
        assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM payments"), "0", "refused reports record nothing");

        let first = pay(&app, &id, &payment).await;
        assert_eq!(first.status(), StatusCode::OK);
        let first: Value = first.json().await.unwrap();
        assert_eq!(first["fee"]["outstanding_minor"], 0);
        let replay = pay(&app, &id, &payment).await;
        assert_eq!(replay.status(), StatusCode::OK);
        assert_eq!(replay.json::<Value>().await.unwrap(), first, "a replay answers as the first call did");
        assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM payments"), "1");
        assert_eq!(app.scalar(&format!("SELECT CAST(paid_minor AS TEXT) AS value FROM case_fees WHERE case_id = '{id}'")), "4200");
        let reused = json!({"case_id": id, "transaction_id": "psp-0001", "amount_minor": 100, "currency": "EUR", "status": "succeeded"});
        problem(pay(&app, &id, &reused).await, StatusCode::CONFLICT).await;
        let submitted: Value = app.post_empty(&format!("/api/v1/requests/{id}/submit"), &citizen.token).await.json().await.unwrap();
        assert_eq!(submitted["status"], "submitted");
        let history: Value = app.get(&format!("/api/v1/requests/{id}/events"), &citizen.token).await.json().await.unwrap();
        let payments: Vec<&Value> = history["items"].as_array().unwrap().iter().filter(|e| e["action"] == "payment").collect();
        assert_eq!(payments.len(), 1);
        assert_eq!(payments[0]["details"], json!({"amount_minor": 4200, "currency": "EUR", "status": "succeeded"}));

        // 3. An officer decides; a supervisor confirms (four-eyes).
        let officer = app.staff("officer", "UTO-HQ").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let recommended = approve(&app, &officer, &id).await;
        assert_eq!(recommended["status"], "pending_approval");
        let confirmed = app.post_empty(&format!("/api/v1/cases/{id}/confirm"), &supervisor.token).await;
        assert_eq!(confirmed.status(), StatusCode::OK);

        // 4. The citizen receives the signed certificate by e-mail.
        let number = app.eventual_scalar(&format!("SELECT number AS value FROM issued_documents WHERE case_id = '{id}' AND status = 'valid'")).await;
        assert!(number.starts_with("CRT") && number.len() == 12, "{number}");
        app.eventual_scalar(&format!("SELECT status AS value FROM cases WHERE id = '{id}' AND status = 'issued'")).await;
        let shown: Value = app.get(&format!("/api/v1/requests/{id}"), &citizen.token).await.json().await.unwrap();
        assert_eq!(shown["document_number"], number.as_str());
        let attachment = app.eventual_scalar(&format!("SELECT attachment_name AS value FROM outbox WHERE case_id = '{id}' AND event = 'issued'")).await;
        assert_eq!(attachment, format!("certificate-{number}.pdf"));
        let subject = app.scalar(&format!("SELECT subject AS value FROM outbox WHERE case_id = '{id}' AND event = 'issued'"));
        assert!(subject.contains(&number) && subject.contains("certificate"), "{subject}");
        let pdf = app.get(&format!("/api/v1/requests/{id}/document.pdf"), &citizen.token).await;
        assert_eq!(pdf.status(), StatusCode::OK);
        assert_eq!(pdf.headers()["content-type"], "application/pdf");
        let pdf = pdf.bytes().await.unwrap().to_vec();
        let stranger = app.applicant("stranger").await;
        problem(app.get(&format!("/api/v1/requests/{id}/document.pdf"), &stranger.token).await, StatusCode::NOT_FOUND).await;

        let dir = tempfile::tempdir().unwrap();
        if tool("pdfsig", &["-v"]) {
            let report = pdfsig(dir.path(), &pdf, "certificate.pdf", None);
            assert!(report.contains("Signature Validation: Signature is Valid."), "{report}");
            assert!(report.contains("ETSI.CAdES.detached"), "{report}");
        }
        if can_read_qr_tokens() {
            let jwks = app.request(Method::GET, "/.well-known/jwks.json", None, None).await.text().await.unwrap();
            let (_, claims) = qr_claims(dir.path(), &pdf, &jwks, "certificate");
            assert_eq!((claims["typ"].as_str(), claims["document_number"].as_str()), (Some("certificate"), Some(number.as_str())));
            assert_eq!((claims["service"].as_str(), claims["date_of_birth"].as_str()), (Some("ARCHIVE_EXTRACT"), Some("1991-05-04")));
        }

        // 5. A third party verifies it by API, logged like visa checks.
        let key = api_key(&app, &["verify"]).await;
        let check = |number: String, born: &str| json!({"document_number": number, "date_of_birth": born});
        let valid: Value = app.post("/api/v1/verify/document", &key, &check(number.to_lowercase(), "1991-05-04")).await.json().await.unwrap();
        assert_eq!(valid["result"], "valid");
        assert_eq!((valid["service"].as_str(), valid["holder"].as_str()), (Some("Extract from the civil archive"), Some("Aigerim Nurly")));
        assert!(valid.get("nationality").is_none() && valid.get("case_id").is_none(), "minimal disclosure: {valid}");
        let wrong_birth: Value = app.post("/api/v1/verify/document", &key, &check(number.clone(), "1991-05-05")).await.json().await.unwrap();
        let unknown: Value = app.post("/api/v1/verify/document", &key, &check("CRT000000000".into(), "1991-05-04")).await.json().await.unwrap();
        for answer in [&wrong_birth, &unknown] {
            let mut keys: Vec<&String> = answer.as_object().unwrap().keys().collect();
            keys.sort();
            assert_eq!(keys, ["checked_at", "result"]);
            assert_eq!(answer["result"], "not_found");
        }
        let unscoped = api_key(&app, &["revocations"]).await;
        problem(app.post("/api/v1/verify/document", &unscoped, &check(number.clone(), "1991-05-04")).await, StatusCode::FORBIDDEN).await;
        let logged = app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM verification_log WHERE method = 'document'");
        assert_eq!(logged, "3");
        let digest = app.scalar("SELECT passport_hash AS value FROM verification_log WHERE method = 'document' LIMIT 1");
        assert!(!digest.contains("1991"), "the date of birth is logged as a keyed digest");

        // The holder shares it: a checker sees the date of issue (a certificate has no validity window).
        let made = crate::share_codes::share(&app, &citizen, &id, "other", 10).await;
        assert_eq!(made["document_kind"], "certificate");
        let code = made["code"].as_str().unwrap().to_owned();
        let (_, shared) = crate::share_codes::check(&app, &code, "1991-05-04").await;
        assert_eq!((shared["result"].as_str(), shared["holder_name"].as_str()), (Some("valid"), Some("Aigerim Nurly")), "{shared}");
        assert!(shared["document"]["issue_date"].is_string() && shared["document"].get("valid_until").is_none(), "{shared}");

        // Supervisors revoke certificates.
        problem(app.post(&format!("/api/v1/cases/{id}/revoke"), &officer.token, &json!({"grounds": ["CONDITIONS_NO_LONGER_MET"]})).await, StatusCode::FORBIDDEN).await;
        let revoked = app.post(&format!("/api/v1/cases/{id}/revoke"), &supervisor.token, &json!({"grounds": ["CONDITIONS_NO_LONGER_MET"]})).await;
        assert_eq!(revoked.status(), StatusCode::OK);
        assert_eq!(revoked.json::<Value>().await.unwrap()["status"], "revoked");
        let now: Value = app.post("/api/v1/verify/document", &key, &check(number.clone(), "1991-05-04")).await.json().await.unwrap();
        assert_eq!(now["result"], "revoked");
        let mail = app.eventual_scalar(&format!("SELECT subject AS value FROM outbox WHERE case_id = '{id}' AND event = 'revoked'")).await;
        assert!(mail.contains("certificate"), "{mail}");
        assert_eq!(crate::share_codes::check(&app, &code, "1991-05-04").await.1["result"], "revoked", "shared, then revoked");
    }
}

/// Publishes a schedule at the headquarters (UTC): every day 09:00-17:00 in 30-minute slots.
pub(crate) async fn publish(app: &TestApp, capacity: i32) {
    let admin = app.admin().await;
    let day = json!(["09:00-17:00"]);
    let schedule = json!({"slot_minutes": 30, "capacity_per_slot": capacity,
        "hours": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day}, "closed_dates": []});
    let published =
        app.request(Method::PUT, "/api/v1/admin/posts/UTO-HQ/schedule", Some(&admin.token), Some(&schedule)).await;
    assert_eq!(published.status(), StatusCode::OK);
}

pub(crate) fn renewal() -> Value {
    json!({"applicant": identity(), "current_passport": {"number": "N1234567", "expiry_date": "2027-01-31"}, "reason": "expiring"})
}

async fn slots(app: &TestApp, id: &str, token: &str, from: &str) -> Value {
    let response = app.get(&format!("/api/v1/requests/{id}/slots?from={from}&to={from}"), token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

backend_tests! {
    async fn a_passport_renewal_ends_in_a_booked_appointment(app: TestApp) {
        let citizen = app.applicant("renewer").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let id = submitted_request(&app, &citizen, "PASSPORT_RENEWAL", renewal(), &["photo", "current_passport"]).await;
        let early = app.get(&format!("/api/v1/requests/{id}/slots"), &citizen.token).await;
        problem(early, StatusCode::CONFLICT).await;
        approve(&app, &officer, &id).await;
        let approval = app.eventual_scalar(&format!("SELECT text_body AS value FROM outbox WHERE case_id = '{id}' AND event = 'approved'")).await;
        assert!(approval.contains("book your appointment"), "{approval}");
        problem(app.get(&format!("/api/v1/requests/{id}/slots"), &citizen.token).await, StatusCode::CONFLICT).await;

        publish(&app, 2).await;
        let admin = app.admin().await;
        let bad = json!({"slot_minutes": 0, "capacity_per_slot": 2, "hours": {"mon": ["12:00-09:00"]}});
        let refused = app.request(Method::PUT, "/api/v1/admin/posts/UTO-HQ/schedule", Some(&admin.token), Some(&bad)).await;
        assert_eq!(error_fields(&problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await), ["slot_minutes", "hours.mon[0]"]);

        let day = (Utc::now() + Duration::days(3)).date_naive().to_string();
        let listed = slots(&app, &id, &citizen.token, &day).await;
        let items = listed["items"].as_array().unwrap();
        assert_eq!(items.len(), 16, "09:00 to 17:00 in half hours");
        assert_eq!(items[0]["start"], format!("{day}T09:00:00Z"));
        assert_eq!(items[0]["free"], 2);
        let first = items[0]["start"].as_str().unwrap().to_owned();
        let second = items[1]["start"].as_str().unwrap().to_owned();

        let not_a_slot = app.post(&format!("/api/v1/requests/{id}/appointment"), &citizen.token, &json!({"start": format!("{day}T09:10:00Z")})).await;
        assert_eq!(error_fields(&problem(not_a_slot, StatusCode::UNPROCESSABLE_ENTITY).await), ["start"]);
        let booked = app.post(&format!("/api/v1/requests/{id}/appointment"), &citizen.token, &json!({"start": first})).await;
        assert_eq!(booked.status(), StatusCode::OK);
        let booked: Value = booked.json().await.unwrap();
        assert_eq!(booked["appointment"]["start"], first.as_str());
        assert_eq!(slots(&app, &id, &citizen.token, &day).await["items"][0]["free"], 1);

        // The confirmation carries the appointment as an iCalendar file.
        let attachment = app.eventual_scalar(&format!("SELECT attachment_name AS value FROM outbox WHERE case_id = '{id}' AND event = 'appointment_booked'")).await;
        assert!(attachment.ends_with(".ics"), "{attachment}");
        let message_id = app.scalar(&format!("SELECT message_id AS value FROM outbox WHERE case_id = '{id}' AND event = 'appointment_booked'"));
        let calendar = delivered_calendar(&app, &message_id).await;
        let compact = first.replace(['-', ':'], "");
        assert!(calendar.contains(&format!("DTSTART:{}", compact)), "{calendar}");
        assert!(calendar.contains("BEGIN:VEVENT") && calendar.contains("UTO-HQ"), "{calendar}");
        if python_module("icalendar") {
            let script = "import sys, icalendar; c = icalendar.Calendar.from_ical(open(sys.argv[1]).read()); e = next(iter(c.walk('VEVENT'))); print(e.decoded('dtstart').isoformat())";
            let file = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(file.path(), &calendar).unwrap();
            let parsed = run(Command::new("python3").args(["-c", script]).arg(file.path()));
            assert_eq!(parsed.trim(), first.replace('Z', "+00:00"));
        }

        // Moving: the old place is given back; a repeat changes nothing.
        let moved = app.post(&format!("/api/v1/requests/{id}/appointment"), &citizen.token, &json!({"start": second})).await;
        assert_eq!(moved.status(), StatusCode::OK);
        let again = app.post(&format!("/api/v1/requests/{id}/appointment"), &citizen.token, &json!({"start": second})).await;
        assert_eq!(again.status(), StatusCode::OK);
        let listed = slots(&app, &id, &citizen.token, &day).await;
        assert_eq!((listed["items"][0]["free"].as_i64(), listed["items"][1]["free"].as_i64()), (Some(2), Some(1)));
        let history: Value = app.get(&format!("/api/v1/requests/{id}/events"), &citizen.token).await.json().await.unwrap();
        let actions: Vec<&str> = history["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).filter(|a| a.ends_with("appointment")).collect();
        assert_eq!(actions, ["book_appointment", "move_appointment"]);

        // Less than a day before, it can no longer move.
        let soon = (Utc::now() + Duration::hours(2)).naive_utc().format("%Y-%m-%d %H:%M:%S").to_string();
        app.execute_sql(&format!("UPDATE appointments SET starts_at = '{soon}' WHERE case_id = '{id}'"));
        let late = app.post(&format!("/api/v1/requests/{id}/appointment"), &citizen.token, &json!({"start": first})).await;
        problem(late, StatusCode::CONFLICT).await;
    }

    async fn concurrent_bookings_never_exceed_a_slot_capacity(app: TestApp) {
        publish(&app, 3).await;
        let citizen = app.applicant("crowd").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let mut ids = Vec::new();
        for _ in 0..8 {
            let id = submitted_request(&app, &citizen, "POWER_OF_ATTORNEY",
                json!({"applicant": identity(), "attorney": {"full_name": "Dana Nurly"}, "powers": "Sell my car."}), &["identity_document"]).await;
            approve(&app, &officer, &id).await;
            ids.push(id);
        }
        let day = (Utc::now() + Duration::days(5)).date_naive();
        let start = format!("{day}T10:00:00Z");
        let bookings = ids.iter().map(|id| {
            let path = format!("/api/v1/requests/{id}/appointment");
            let body = json!({"start": start});
            let token = citizen.token.clone();
            let app = &app;
            async move { app.post(&path, &token, &body).await.status() }
        });
        let statuses = futures_util::future::join_all(bookings).await;
        let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        let full = statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count();
        assert_eq!((ok, full), (3, 5), "{statuses:?}");
        let stored = format!("{day} 10:00:00");
        assert_eq!(app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) AS value FROM appointments WHERE starts_at = '{stored}'")), "3");
        assert_eq!(app.scalar("SELECT CAST(SUM(booked) AS TEXT) AS value FROM appointment_slots"), "3");
    }
}

/// The iCalendar attachment of the delivered message with this Message-ID.
async fn delivered_calendar(app: &TestApp, message_id: &str) -> String {
    const READER: &str = r#"
import email, email.policy, pathlib, sys
for path in pathlib.Path(sys.argv[1]).rglob("*.eml"):
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    if message["Message-ID"] == sys.argv[2]:
        for part in message.iter_attachments():
            if part.get_content_type() == "text/calendar":
                print(part.get_content())
                sys.exit(0)
sys.exit(1)
"#;
    let mailbox = app.config.data_dir.join("mail");
    for _ in 0..200 {
        let output = Command::new("python3").args(["-c", READER]).arg(&mailbox).arg(message_id).output().unwrap();
        if output.status.success() {
            return String::from_utf8_lossy(&output.stdout).into_owned();
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no calendar attachment delivered for {message_id}");
}
