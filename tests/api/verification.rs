use crate::backend_tests;
use crate::helpers::*;
use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::process::Command;

/// A client with the given scopes; returns (id, api key).
pub(crate) async fn client(app: &TestApp, scopes: &[&str]) -> (String, String) {
    let admin = app.admin().await;
    let response = app
        .post(
            "/api/v1/admin/api-clients",
            &admin.token,
            &json!({"name": "Border post 7", "organisation": "Border Guard", "scopes": scopes}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    (body["id"].as_str().unwrap().to_owned(), body["api_key"].as_str().unwrap().to_owned())
}

/// An issued visa valid from today; returns (holder, case id, visa number).
pub(crate) async fn valid_visa(app: &TestApp) -> (Account, String, String) {
    let officer = app.staff("officer", "UTO-HQ").await;
    let holder = app.applicant("traveller").await;
    let id = app.submitted(&holder).await;
    assert_eq!(app.act(&id, "claim", &officer.token, None).await.status(), StatusCode::OK);
    let today = Utc::now().date_naive().to_string();
    let approve = json!({"decision": "approve", "valid_from": today});
    assert_eq!(app.act(&id, "decision", &officer.token, Some(approve)).await.status(), StatusCode::OK);
    let case = crate::issuance::wait_issued(app, &id, &holder.token).await;
    (holder, id, case["visa_number"].as_str().unwrap().to_owned())
}

async fn check(app: &TestApp, key: &str, number: &str, passport: &str) -> (StatusCode, Value) {
    let response = app.post("/api/v1/verify", key, &json!({"visa_number": number, "passport_number": passport})).await;
    let status = response.status();
    (status, response.json().await.unwrap())
}

fn without_time(mut body: Value) -> Value {
    body.as_object_mut().unwrap().remove("checked_at");
    body
}

/// The QR token printed on a case's e-visa, read back from a 300 dpi rendering.
async fn printed_token(app: &TestApp, id: &str, token: &str) -> Option<String> {
    let found = Command::new("pdftoppm").arg("-v").output().is_ok()
        && Command::new("zbarimg").arg("--version").output().is_ok();
    if !found {
        assert!(std::env::var("CI").is_err(), "CI must install poppler-utils and zbar-tools");
        return None;
    }
    let pdf = app.get(&format!("/api/v1/applications/{id}/evisa.pdf"), token).await.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("evisa.pdf"), &pdf).unwrap();
    let status = Command::new("pdftoppm")
        .args(["-r", "300", "-png", "-singlefile"])
        .arg(dir.path().join("evisa.pdf"))
        .arg(dir.path().join("page"))
        .status()
        .unwrap();
    assert!(status.success());
    let decoded = Command::new("zbarimg").args(["--quiet", "--raw"]).arg(dir.path().join("page.png")).output().unwrap();
    assert!(decoded.status.success());
    Some(String::from_utf8_lossy(&decoded.stdout).trim().to_owned())
}

backend_tests! {
    async fn api_keys_are_shown_once_rotated_and_disabled(app: TestApp) {
        let admin = app.admin().await;
        let (id, key) = client(&app, &["verify"]).await;
        assert!(key.starts_with("evk_"));
        let listed: Value = app.get("/api/v1/admin/api-clients", &admin.token).await.json().await.unwrap();
        assert!(listed["items"][0].get("api_key").is_none(), "the key is never shown again");
        assert!(!listed.to_string().contains(&key));
        let stored = app.scalar(&format!("SELECT key_hash AS value FROM api_clients WHERE id = '{id}'"));
        assert_ne!(stored, key, "stored as a hash");
        assert_eq!(check(&app, &key, "AAAAAAAAA", "X1").await.0, StatusCode::OK);

        let rotated: Value = app.post_empty(&format!("/api/v1/admin/api-clients/{id}/rotate"), &admin.token).await.json().await.unwrap();
        let new_key = rotated["api_key"].as_str().unwrap().to_owned();
        assert_eq!(check(&app, &key, "AAAAAAAAA", "X1").await.0, StatusCode::UNAUTHORIZED, "the old key is dead");
        assert_eq!(check(&app, &new_key, "AAAAAAAAA", "X1").await.0, StatusCode::OK);
        assert_eq!(app.post_empty(&format!("/api/v1/admin/api-clients/{id}/disable"), &admin.token).await.status(), StatusCode::OK);
        assert_eq!(check(&app, &new_key, "AAAAAAAAA", "X1").await.0, StatusCode::UNAUTHORIZED, "disabled");
        assert_eq!(check(&app, "evk_0123456789_0123456789012345678901234567890123456789", "A", "B").await.0, StatusCode::UNAUTHORIZED);
        let user_token = app.applicant("curious").await.token;
        assert_eq!(check(&app, &user_token, "A", "B").await.0, StatusCode::UNAUTHORIZED, "a user token is no API key");
        problem(app.post("/api/v1/admin/api-clients", &user_token, &json!({"name": "x", "organisation": "y", "scopes": ["verify"]})).await, StatusCode::FORBIDDEN).await;
        let bad = app.post("/api/v1/admin/api-clients", &admin.token, &json!({"name": "", "organisation": "y", "scopes": ["everything"]})).await;
        assert_eq!(error_fields(&problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["name", "scopes"]);
        let (_, feed_only) = client(&app, &["revocations"]).await;
        problem(app.post("/api/v1/verify", &feed_only, &json!({"visa_number": "A", "passport_number": "B"})).await, StatusCode::FORBIDDEN).await;
    }

    async fn checks_disclose_the_minimum_and_a_wrong_passport_looks_unknown(app: TestApp) {
        let (_, key) = client(&app, &["verify", "revocations"]).await;
        let (_, _, number) = valid_visa(&app).await;
        let (status, valid) = check(&app, &key, &number.to_lowercase(), " 123456789 ").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(valid["result"], "valid");
        let visa = valid["visa"].as_object().unwrap();
        let mut fields: Vec<&str> = visa.keys().map(String::as_str).collect();
        fields.sort();
        assert_eq!(fields, ["date_of_birth", "duration_of_stay_days", "entries", "given_names", "nationality", "surname", "valid_from", "valid_until", "visa_type"]);
        assert_eq!(visa["surname"], "SMITH");
        assert_eq!(visa["given_names"], "JOHN PAUL");
        assert!(!valid.to_string().contains("Leeds") && !valid.to_string().contains("123456789"), "no more than needed");

        let (status, wrong) = check(&app, &key, &number, "987654321").await;
        let (unknown_status, unknown) = check(&app, &key, "ZZZZZZZZ9", "987654321").await;
        assert_eq!((status, unknown_status), (StatusCode::OK, StatusCode::OK));
        assert_eq!(without_time(wrong), without_time(unknown.clone()));
        assert_eq!(unknown["result"], "not_found");

        // Validity is answered from the visa's dates (arranged here before the visa is first
        // checked: issued visas keep their dates, and verification keeps copies of them).
        let (_, _, expired) = valid_visa(&app).await;
        app.execute_sql(&format!("UPDATE issued_documents SET valid_until = '2020-01-01' WHERE number = '{expired}'"));
        assert_eq!(check(&app, &key, &expired, "123456789").await.1["result"], "expired");
        let (_, _, later) = valid_visa(&app).await;
        app.execute_sql(&format!("UPDATE issued_documents SET valid_from = '2099-01-01', valid_until = '2099-02-01' WHERE number = '{later}'"));
        assert_eq!(check(&app, &key, &later, "123456789").await.1["result"], "not_yet_valid");
    }

    async fn revoked_visas_answer_revoked_and_feed_the_deny_list(app: TestApp) {
        let (_, key) = client(&app, &["verify", "revocations"]).await;
        let (holder, id, number) = valid_visa(&app).await;
        let before = Utc::now() - chrono::Duration::seconds(1);
        let token = printed_token(&app, &id, &holder.token).await;
        if let Some(token) = &token {
            let answer: Value = app.post("/api/v1/verify/token", &key, &json!({"token": token})).await.json().await.unwrap();
            assert_eq!(answer["result"], "valid");
            assert_eq!(answer["visa_number"], number.as_str());
            let mut forged = token.clone();
            let middle = forged.len() / 2;
            forged.replace_range(middle..middle + 1, if &token[middle..middle + 1] == "A" { "B" } else { "A" });
            let refused = app.post("/api/v1/verify/token", &key, &json!({"token": forged})).await;
            assert_eq!(error_fields(&problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["token"]);
        }
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        assert_eq!(app.post(&format!("/api/v1/visas/{number}/revoke"), &supervisor.token, &json!({"grounds": ["FORGED_DOCUMENT"]})).await.status(), StatusCode::OK);
        assert_eq!(check(&app, &key, &number, "123456789").await.1["result"], "revoked");
        if let Some(token) = &token {
            let answer: Value = app.post("/api/v1/verify/token", &key, &json!({"token": token})).await.json().await.unwrap();
            assert_eq!(answer["result"], "revoked", "a valid token of a revoked visa");
        }
        let since = before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let feed: Value = app.get(&format!("/api/v1/revocations?since={since}"), &key).await.json().await.unwrap();
        assert_eq!(feed["items"].as_array().unwrap().len(), 1);
        assert_eq!(feed["items"][0]["visa_number"], number.as_str());
        assert_eq!(feed["items"][0]["reason_codes"], json!(["FORGED_DOCUMENT"]));
        // Without `since`, the whole feed (a 500 on PostgreSQL before: the earliest time was out of its range).
        let whole = app.get("/api/v1/revocations", &key).await;
        assert_eq!(whole.status(), StatusCode::OK);
        let whole: Value = whole.json().await.unwrap();
        assert_eq!(whole["items"], feed["items"]);
        let later = (Utc::now() + chrono::Duration::seconds(5)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let empty: Value = app.get(&format!("/api/v1/revocations?since={later}"), &key).await.json().await.unwrap();
        assert!(empty["items"].as_array().unwrap().is_empty());
        let (_, verify_only) = client(&app, &["verify"]).await;
        problem(app.get("/api/v1/revocations", &verify_only).await, StatusCode::FORBIDDEN).await;
    }

    async fn every_check_is_logged_with_the_passport_number_hashed(app: TestApp) {
        let (client_id, key) = client(&app, &["verify"]).await;
        let (other_id, other_key) = client(&app, &["verify"]).await;
        check(&app, &key, "AB12CD34E", "P1234567").await;
        check(&app, &key, "ZZ99ZZ99Z", "Q7654321").await;
        check(&app, &other_key, "AB12CD34E", "P1234567").await;
        let admin = app.admin().await;
        let log: Value = app.get(&format!("/api/v1/admin/verification-log?client_id={client_id}"), &admin.token).await.json().await.unwrap();
        assert_eq!(log["total"], 2);
        let entry = &log["items"][1];
        assert_eq!(entry["visa_number"], "AB12CD34E");
        assert_eq!(entry["result"], "not_found");
        assert_eq!(entry["method"], "number");
        assert_eq!(entry["ip"], "127.0.0.1");
        let expected = {
            use hmac::{Hmac, Mac};
            let secret = std::fs::read_to_string(app.data_dir.path().join("secrets/log-hmac.key")).unwrap();
            let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&hex::decode(secret.trim()).unwrap()).unwrap();
            mac.update(b"P1234567");
            hex::encode(mac.finalize().into_bytes())
        };
        assert_eq!(entry["passport_hash"], expected.as_str());
        assert!(!log.to_string().contains("P1234567"), "never the passport number itself");
        let other: Value = app.get(&format!("/api/v1/admin/verification-log?client_id={other_id}"), &admin.token).await.json().await.unwrap();
        assert_eq!(other["total"], 1);
        let future = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let none: Value = app.get(&format!("/api/v1/admin/verification-log?from={future}"), &admin.token).await.json().await.unwrap();
        assert_eq!(none["total"], 0);
    }

    async fn floods_get_429_with_retry_after(app: TestApp) {
        let app = TestApp::spawn_configured(
            match &app.postgres { Some(_) => Db::Postgres(postgres_url().unwrap()), None => Db::Sqlite },
            |c| {
                c.verify_rate_limit = 5;
                c.ip_rate_limit = 40;
            },
        )
        .await;
        let (_, key) = client(&app, &["verify"]).await;
        // A burst at once: however slow the machine, it outruns 5 a second with bursts of 10.
        let body = json!({"visa_number": "A", "passport_number": "B"});
        let burst = futures_util::future::join_all((0..30).map(|_| app.post("/api/v1/verify", &key, &body))).await;
        let limited = burst.into_iter().find(|r| r.status() == StatusCode::TOO_MANY_REQUESTS).expect("the client is limited");
        assert!(limited.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
        problem(limited, StatusCode::TOO_MANY_REQUESTS).await;
        // Per address: unauthenticated routes too.
        let mut statuses = Vec::new();
        for _ in 0..100 {
            let response = app.request(Method::POST, "/api/v1/auth/password-reset", None, Some(&json!({"email": "x@example.org"}))).await;
            statuses.push(response.status());
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                break;
            }
        }
        assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    }
}

/// An application on PostgreSQL, a second server process on its database, and an API key to
/// verify with; `None` when no PostgreSQL is given (outside CI). The guard keeps other
/// several-process tests waiting.
async fn two_processes()
-> Option<(tokio::sync::MutexGuard<'static, ()>, TestApp, crate::process::SecondProcess, String)> {
    let Some(url) = postgres_url() else {
        eprintln!("EVISA_TEST_POSTGRES_URL is not set: two-process test not run");
        return None;
    };
    let turn = crate::process::one_at_a_time().await;
    let app = TestApp::spawn(Db::Postgres(url)).await;
    let second = crate::process::SecondProcess::start(&app).await;
    let (_, key) = client(&app, &["verify"]).await;
    Some((turn, app, second, key))
}

/// What the server at `address` answers for the visa `number` with the passport every test visa has.
async fn result_at(address: &str, key: &str, number: &str) -> String {
    let body = json!({"visa_number": number, "passport_number": "123456789"});
    let response = reqwest::Client::new()
        .post(format!("{address}/api/v1/verify"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    response.json::<Value>().await.unwrap()["result"].as_str().unwrap().to_owned()
}

/// Verification keeps copies of issued visas; a revocation made through one server process is
/// answered `revoked` by another within a second.
#[actix_web::test]
async fn a_revocation_in_one_process_is_answered_by_another_within_a_second() {
    let Some((_turn, app, second, key)) = two_processes().await else { return };
    let (_, _, number) = valid_visa(&app).await;
    let at_second = || result_at(&second.address, &key, &number);
    // The second process learns of the new visa within a second (its index of numbers).
    let since = std::time::Instant::now();
    while at_second().await != "valid" {
        assert!(since.elapsed() < std::time::Duration::from_secs(1), "the second process does not know the visa");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for _ in 0..3 {
        assert_eq!(at_second().await, "valid", "answered (and kept) by the second process");
    }
    let supervisor = app.staff("supervisor", "UTO-HQ").await;
    let revoked = app
        .post(
            &format!("/api/v1/visas/{number}/revoke"),
            &supervisor.token,
            &json!({"grounds": ["CONDITIONS_NO_LONGER_MET"]}),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(check(&app, &key, &number, "123456789").await.1["result"], "revoked", "at once in the revoking process");
    let since = std::time::Instant::now();
    while at_second().await != "revoked" {
        assert!(
            since.elapsed() < std::time::Duration::from_secs(1),
            "the second process still answers valid after a second"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Numbers never issued are answered from an index of every e-visa number kept in memory; a visa
/// recorded by another process joins that index within a second, so it is never answered as
/// unknown for longer.
#[actix_web::test]
async fn a_visa_issued_by_one_process_is_known_to_another_within_a_second() {
    let Some((_turn, app, second, key)) = two_processes().await else { return };
    for invented in ["ZZZZZZZZ1", "00000000Q", "NOSUCHVSA"] {
        assert_eq!(result_at(&second.address, &key, invented).await, "not_found");
    }
    let (_, _, number) = valid_visa(&app).await;
    let since = std::time::Instant::now();
    while result_at(&second.address, &key, &number).await != "valid" {
        assert!(
            since.elapsed() < std::time::Duration::from_secs(1),
            "the second process does not know the visa after a second"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(check(&app, &key, &number, "123456789").await.1["result"], "valid", "at once in the issuing process");
}

/// The verification log's writer keeps a connection of its own: when the database drops it, the
/// check in hand is refused (503, never answered unlogged) and the next batch opens a new one.
#[actix_web::test]
async fn the_log_writer_reconnects_after_its_connection_is_dropped() {
    let Some(url) = postgres_url() else {
        eprintln!("EVISA_TEST_POSTGRES_URL is not set: log writer reconnection test not run");
        return;
    };
    let app = TestApp::spawn(Db::Postgres(url)).await;
    let (_, key) = client(&app, &["verify"]).await;
    let logged = "SELECT CAST(COUNT(*) AS TEXT) AS value FROM verification_log";
    assert_eq!(check(&app, &key, "A", "B").await.0, StatusCode::OK);
    assert_eq!(app.scalar(logged), "1");
    app.execute_sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    let mut statuses = Vec::new();
    while statuses.len() < 5 && statuses.last() != Some(&StatusCode::OK) {
        statuses.push(check(&app, &key, "A", "B").await.0);
    }
    assert_eq!(statuses.last(), Some(&StatusCode::OK), "checks after the connection was dropped: {statuses:?}");
    assert!(statuses.iter().all(|s| [StatusCode::OK, StatusCode::SERVICE_UNAVAILABLE].contains(s)), "{statuses:?}");
    let answered = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(app.scalar(logged), (1 + answered).to_string(), "every answered check is logged, no refused one");
}
