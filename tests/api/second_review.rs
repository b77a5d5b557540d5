//! Findings of the second independent review: each test here failed before its fix.

use crate::backend_tests;
use crate::consular::{approve, identity, pay, publish, submitted_request};
use crate::helpers::*;
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The fee of a service as the catalogue lists it.
async fn listed_fee(app: &TestApp, code: &str) -> Value {
    let services: Value = app.request(Method::GET, "/api/v1/services", None, None).await.json().await.unwrap();
    let service = services["items"].as_array().unwrap().iter().find(|s| s["code"] == code).unwrap().clone();
    service["fee"].clone()
}

backend_tests! {
    async fn a_draft_moved_to_another_service_owes_that_services_fee(app: TestApp) {
        // A free consular registration moved to the prepaid legalisation owes legalisation's fee.
        let citizen = app.applicant("dodger").await;
        let body = json!({"service": "CONSULAR_REGISTRATION", "post": "UTO-HQ", "form": {"applicant": identity()}});
        let created: Value = app.post("/api/v1/requests", &citizen.token, &body).await.json().await.unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["fee"]["amount_minor"], 0);
        let moved = app.patch(&format!("/api/v1/applications/{id}"), &citizen.token, &json!({"visa_type": "LEGALISATION"})).await;
        assert_eq!(moved.status(), StatusCode::OK, "{}", moved.text().await.unwrap());
        let legalisation = listed_fee(&app, "LEGALISATION").await;
        assert!(legalisation["amount_minor"].as_i64().unwrap() > 0);
        let request: Value = app.get(&format!("/api/v1/requests/{id}"), &citizen.token).await.json().await.unwrap();
        let fee = &request["fee"];
        assert_eq!((&fee["amount_minor"], &fee["currency"]), (&legalisation["amount_minor"], &legalisation["currency"]));
        let unpaid = problem(app.post_empty(&format!("/api/v1/requests/{id}/submit"), &citizen.token).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(error_fields(&unpaid).contains(&"payment".to_owned()), "{unpaid}");

        // A transit visa draft moved to a student visa owes the student fee.
        let applicant = app.applicant("transit").await;
        let mut form = valid_application();
        form["visa_type"] = json!("TRANSIT");
        let draft = app.draft(&applicant, &form).await;
        let visa = draft["id"].as_str().unwrap().to_owned();
        let due = |id: &str| app.scalar(&format!("SELECT CAST(amount_minor AS TEXT) AS value FROM case_fees WHERE case_id = '{id}'"));
        assert_eq!(due(&visa), listed_fee(&app, "TRANSIT").await["amount_minor"].to_string());
        let moved = app.patch(&format!("/api/v1/applications/{visa}"), &applicant.token, &json!({"visa_type": "STUDENT"})).await;
        assert_eq!(moved.status(), StatusCode::OK);
        let student = listed_fee(&app, "STUDENT").await;
        assert_eq!(due(&visa), student["amount_minor"].to_string());

        // Once something is paid, the service stays; a visa never becomes a consular request.
        let paid = json!({"case_id": visa, "transaction_id": "tx-move-1", "amount_minor": 100, "currency": student["currency"], "status": "succeeded"});
        assert_eq!(pay(&app, &visa, &paid).await.status(), StatusCode::OK);
        let refused = problem(app.patch(&format!("/api/v1/applications/{visa}"), &applicant.token, &json!({"visa_type": "TOURIST"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!((error_fields(&refused), refused["errors"][0]["code"].as_str()), (vec!["visa_type".to_owned()], Some("paid")));
        assert_eq!(due(&visa), student["amount_minor"].to_string());
        let other = app.applicant("family").await;
        let draft = app.draft(&other, &valid_application()).await;
        let path = format!("/api/v1/applications/{}", draft["id"].as_str().unwrap());
        let refused = problem(app.patch(&path, &other.token, &json!({"visa_type": "LEGALISATION"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(refused["errors"][0]["code"], "other_family");
    }

    async fn parallel_bookings_of_one_case_leave_one_appointment_and_one_place_taken(app: TestApp) {
        publish(&app, 2).await;
        let citizen = app.applicant("hurried").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let id = submitted_request(&app, &citizen, "POWER_OF_ATTORNEY",
            json!({"applicant": identity(), "attorney": {"full_name": "Dana Nurly"}, "powers": "Sell my car."}), &["identity_document"]).await;
        approve(&app, &officer, &id).await;
        let day = (Utc::now() + Duration::days(4)).date_naive();
        let bookings = (0..12).map(|slot| {
            let start = format!("{day}T{:02}:{:02}:00Z", 9 + slot / 2, 30 * (slot % 2));
            let path = format!("/api/v1/requests/{id}/appointment");
            let token = citizen.token.clone();
            let app = &app;
            async move { app.post(&path, &token, &json!({"start": start})).await.status() }
        });
        let statuses = futures_util::future::join_all(bookings).await;
        assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT), "{statuses:?}");
        let made = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        assert!(made >= 1, "{statuses:?}");
        assert_eq!(app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) AS value FROM appointments WHERE case_id = '{id}'")), "1");
        assert_eq!(app.scalar("SELECT CAST(SUM(booked) AS TEXT) AS value FROM appointment_slots"), "1");
        let held = app.scalar(&format!("SELECT CAST(starts_at AS TEXT) AS value FROM appointments WHERE case_id = '{id}'"));
        let taken = app.scalar("SELECT CAST(starts_at AS TEXT) AS value FROM appointment_slots WHERE booked = 1");
        assert_eq!(held, taken);
        // One e-mail per booking or move that was made, none for those refused.
        let mails = app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) AS value FROM outbox WHERE case_id = '{id}' AND event = 'appointment_booked'"));
        assert_eq!(mails, made.to_string());
    }
}

backend_tests! {
    async fn a_payment_report_pays_only_the_case_its_signed_body_names_and_only_while_open(app: TestApp) {
        let citizen = app.applicant("payer").await;
        let mut ids = Vec::new();
        for _ in 0..2 {
            let body = json!({"service": "LEGALISATION", "post": "UTO-HQ", "form": {"applicant": identity()}});
            let created: Value = app.post("/api/v1/requests", &citizen.token, &body).await.json().await.unwrap();
            ids.push(created["id"].as_str().unwrap().to_owned());
        }
        let fee = listed_fee(&app, "LEGALISATION").await;
        let for_first = json!({"case_id": ids[0], "transaction_id": "psp-a", "amount_minor": fee["amount_minor"], "currency": fee["currency"], "status": "succeeded"});
        let replayed = problem(pay(&app, &ids[1], &for_first).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&replayed), ["case_id"]);
        assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM payments"), "0");
        assert_eq!(pay(&app, &ids[0], &for_first).await.status(), StatusCode::OK, "the case it names is paid");

        // A withdrawn case takes no payment.
        let withdrawn = app.post(&format!("/api/v1/requests/{}/withdraw", ids[1]), &citizen.token, &json!({})).await;
        assert_eq!(withdrawn.status(), StatusCode::OK, "{}", withdrawn.text().await.unwrap());
        let late = json!({"case_id": ids[1], "transaction_id": "psp-b", "amount_minor": fee["amount_minor"], "currency": fee["currency"], "status": "succeeded"});
        problem(pay(&app, &ids[1], &late).await, StatusCode::CONFLICT).await;
        assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM payments"), "1");
    }
}

/// Six wrong passwords for `email` from `client` (through the proxy at 127.0.0.1).
async fn wrong_passwords(app: &TestApp, email: &str, client: &str) -> Vec<StatusCode> {
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let response = app
            .client
            .post(format!("{}/api/v1/auth/login", app.address))
            .header("X-Forwarded-For", client)
            .json(&json!({"email": email, "password": "not-the-password-at-all"}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    statuses
}

async fn sign_in_from(app: &TestApp, email: &str, forwarded: &str) -> StatusCode {
    let response = app
        .client
        .post(format!("{}/api/v1/auth/login", app.address))
        .header("Forwarded", forwarded)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    response.status()
}

#[actix_web::test]
async fn behind_a_trusted_proxy_limits_count_each_client_not_the_proxy() {
    let app = TestApp::spawn_configured(Db::Sqlite, |config| {
        config.trusted_proxies = evisa::config::parse_trusted("127.0.0.1").unwrap();
    })
    .await;
    let officer = app.staff("officer", "UTO-HQ").await;
    let statuses = wrong_passwords(&app, &officer.email, "203.0.113.66").await;
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    // The officer, from another address behind the same proxy, signs in.
    assert_eq!(sign_in_from(&app, &officer.email, "for=198.51.100.20").await, StatusCode::OK);
    // The guesser stays throttled.
    assert_eq!(sign_in_from(&app, &officer.email, "for=203.0.113.66").await, StatusCode::TOO_MANY_REQUESTS);
}

#[actix_web::test]
async fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let officer = app.staff("officer", "UTO-HQ").await;
    let statuses = wrong_passwords(&app, &officer.email, "203.0.113.66").await;
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    // Claiming another address does not lift the throttle.
    assert_eq!(sign_in_from(&app, &officer.email, "for=198.51.100.20").await, StatusCode::TOO_MANY_REQUESTS);
}

#[actix_web::test]
async fn the_data_directory_is_its_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn(Db::Sqlite).await;
    let applicant = app.applicant("private").await;
    let id = app.complete_draft(&applicant).await;
    assert!(!id.is_empty());
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let dir = app.config.data_dir.clone();
    assert_eq!(mode(&dir), 0o700);
    let mut files = Vec::new();
    let mut pending = vec![dir];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { pending.push(path) } else { files.push(path) }
        }
    }
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    assert!(names.iter().any(|n| n.ends_with(".eml")) && names.iter().any(|n| n.contains("documents")), "{names:?}");
    for file in files {
        assert_eq!(mode(&file) & 0o077, 0, "{} is open to others", file.display());
    }
}

backend_tests! {
    async fn uploaded_files_are_served_as_downloads_never_as_pages(app: TestApp) {
        let applicant = app.applicant("polyglot").await;
        let id = app.complete_draft(&applicant).await;
        let served = app.get(&format!("/api/v1/applications/{id}/documents/passport"), &applicant.token).await;
        assert_eq!(served.status(), StatusCode::OK);
        let header = |name: &str| served.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert!(header("content-disposition").starts_with("attachment"), "{}", header("content-disposition"));
        assert!(header("content-security-policy").contains("sandbox"), "{}", header("content-security-policy"));
    }
}

backend_tests! {
    async fn a_name_with_no_latin_form_is_refused_rather_than_printed_blank(app: TestApp) {
        let citizen = app.applicant("script").await;
        let mut form = json!({"applicant": identity()});
        form["applicant"]["surname"] = json!("王");
        let body = json!({"service": "NO_CRIMINAL_RECORD", "post": "UTO-HQ", "form": form});
        let refused = problem(app.post("/api/v1/requests", &citizen.token, &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!((error_fields(&refused), refused["errors"][0]["code"].as_str()), (vec!["applicant.surname".to_owned()], Some("not_transliterable")));
        let mut visa = valid_application();
        visa["applicant"]["given_names"] = json!("😀");
        let refused = problem(app.post("/api/v1/applications", &citizen.token, &visa).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["applicant.given_names"]);
    }
}

backend_tests! {
    async fn one_address_gets_a_few_account_emails_an_hour_whoever_asks(app: TestApp) {
        let victim = app.applicant("victim").await;
        let already = app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) AS value FROM outbox WHERE recipient = '{}'", victim.email));
        for attempt in 0..20 {
            let body = json!({"email": victim.email, "password": PASSWORD, "full_name": format!("Someone {attempt}")});
            let registered = app.request(Method::POST, "/api/v1/auth/register", None, Some(&body)).await;
            assert_eq!(registered.status(), StatusCode::CREATED, "the same answer as ever");
        }
        let sent: i64 = app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) AS value FROM outbox WHERE recipient = '{}' AND case_id IS NULL", victim.email)).parse().unwrap();
        assert_eq!(sent, 5, "{already} before");
        // E-mails about the applicant's own cases are never held back.
        let id = app.submitted(&victim).await;
        app.eventual_scalar(&format!("SELECT id AS value FROM outbox WHERE case_id = '{id}' AND event = 'submitted'")).await;
    }
}
