//! Findings of the independent review: each test here failed before its fix.

use crate::backend_tests;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

backend_tests! {
    async fn absurd_dates_are_refused_by_field_not_a_server_error(app: TestApp) {
        let applicant = app.applicant("dates").await;
        let mut body = valid_application();
        body["applicant"]["date_of_birth"] = json!("+262142-01-01");
        body["travel"]["departure_date"] = json!("1850-01-01");
        let refused = problem(app.post("/api/v1/applications", &applicant.token, &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["applicant.date_of_birth", "travel.departure_date"]);

        let id = app.submitted(&applicant).await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        assert_eq!(app.act(&id, "claim", &officer.token, None).await.status(), StatusCode::OK);
        let extend = json!({"days": i64::MAX, "reason": "overflow"});
        let refused = problem(app.act(&id, "extend-deadline", &supervisor.token, Some(extend)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["days"]);
        let approve = json!({"decision": "approve", "valid_from": "+262142-01-01"});
        let refused = problem(app.act(&id, "decision", &officer.token, Some(approve)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["valid_from"]);
    }
}

backend_tests! {
    async fn control_characters_are_refused_wherever_text_enters(app: TestApp) {
        let admin = app.admin().await;
        let client = json!({"name": "Border\u{0}post", "organisation": "Guard", "scopes": ["verify"]});
        let refused = problem(app.post("/api/v1/admin/api-clients", &admin.token, &client).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["name"]);
        let reset = json!({"email": "someone\u{0}@example.org"});
        let refused = problem(app.request(reqwest::Method::POST, "/api/v1/auth/password-reset", None, Some(&reset)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["email"]);
        let officer = app.staff("officer", "UTO-HQ").await;
        let refused = problem(app.get("/api/v1/queue?q=a%00b", &officer.token).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["q"]);
        problem(app.get("/api/v1/applications/abc%00def", &officer.token).await, StatusCode::NOT_FOUND).await;
        // Multi-line texts keep their line breaks.
        let applicant = app.applicant("lines").await;
        let id = app.submitted(&applicant).await;
        let note = json!({"reason": "first line\nsecond line"});
        let withdrawn = app.post(&format!("/api/v1/applications/{id}/withdraw"), &applicant.token, &note).await;
        assert_eq!(withdrawn.status(), StatusCode::OK);
    }
}

backend_tests! {
    async fn answers_stay_frozen_while_information_is_requested(app: TestApp) {
        app.add_post("UTO-LON").await;
        let applicant = app.applicant("frozen").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let id = app.submitted(&applicant).await;
        assert_eq!(app.act(&id, "claim", &officer.token, None).await.status(), StatusCode::OK);
        let ask = json!({"message": "Please give your hotel's address.", "items": ["address"]});
        assert_eq!(app.act(&id, "request-info", &officer.token, Some(ask)).await.status(), StatusCode::OK);

        let path = format!("/api/v1/applications/{id}");
        for (patch, field) in [
            (json!({"post": "UTO-LON"}), "post"),
            (json!({"visa_type": "BUSINESS"}), "visa_type"),
            (json!({"applicant": {"surname": null}}), "applicant.surname"),
            (json!({"passport": {"number": "X1234567"}}), "passport.number"),
        ] {
            let refused = problem(app.patch(&path, &applicant.token, &patch).await, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(error_fields(&refused), [field], "{patch}");
        }
        let answer = json!({"travel": {"address": "Hotel Rixos, Dostyk 9"}});
        assert_eq!(app.patch(&path, &applicant.token, &answer).await.status(), StatusCode::OK);

        // An answer that breaks a submission rule is refused until corrected.
        let past = json!({"travel": {"arrival_date": "2020-01-01", "departure_date": "2020-01-05"}});
        assert_eq!(app.patch(&path, &applicant.token, &past).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let today = chrono::Utc::now().date_naive();
        let day = |offset: i64| (today + chrono::Duration::days(offset)).to_string();
        let yesterday = json!({"travel": {"arrival_date": day(-1), "departure_date": day(4)}});
        assert_eq!(app.patch(&path, &applicant.token, &yesterday).await.status(), StatusCode::OK);
        let respond = json!({"message": "Done."});
        let refused = problem(app.act(&id, "respond", &applicant.token, Some(respond.clone())).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["travel.arrival_date"]);
        let fixed = json!({"travel": {"arrival_date": day(60), "departure_date": day(65)}});
        assert_eq!(app.patch(&path, &applicant.token, &fixed).await.status(), StatusCode::OK);
        assert_eq!(app.act(&id, "respond", &applicant.token, Some(respond)).await.status(), StatusCode::OK);
        assert_eq!(app.case(&id, &applicant.token).await["applicant"]["surname"], "Smith");
    }
}

/// Runs a test body on both databases with a changed configuration.
macro_rules! configured_tests {
    ($name:ident, $change:expr, $body:ident) => {
        mod $name {
            use super::*;

            #[actix_web::test]
            async fn sqlite() {
                $body(TestApp::spawn_configured(Db::Sqlite, $change).await).await
            }

            #[actix_web::test]
            async fn postgres() {
                match postgres_url() {
                    Some(url) => $body(TestApp::spawn_configured(Db::Postgres(url), $change).await).await,
                    None => eprintln!("EVISA_TEST_POSTGRES_URL is not set: PostgreSQL variant not run"),
                }
            }
        }
    };
}

async fn reset_tokens_are_looked_up_before_hashing_and_rate_limited(app: TestApp) {
    let confirm = |token: &str| json!({"token": token, "password": "weak"});
    let path = "/api/v1/auth/password-reset/confirm";
    // An unknown token is refused before the password is even looked at (or hashed).
    let refused = problem(
        app.request(reqwest::Method::POST, path, None, Some(&confirm("0bad"))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), ["token"]);
    let mut limited = false;
    for _ in 0..10 {
        let response = app.request(reqwest::Method::POST, path, None, Some(&confirm("0bad"))).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "guessing reset tokens is rate-limited by address");
}

configured_tests!(
    reset_confirmation_is_cheap_to_refuse_and_limited_by_address,
    |config| config.ip_rate_limit = 2,
    reset_tokens_are_looked_up_before_hashing_and_rate_limited
);

async fn guessing_from_one_address_does_not_lock_the_owner_out(app: TestApp) {
    let officer = app.staff("officer", "UTO-HQ").await;
    let elsewhere = reqwest::Client::builder().local_address(std::net::IpAddr::from([127, 0, 0, 2])).build().unwrap();
    let guess = json!({"email": officer.email, "password": "not-the-password"});
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = elsewhere.post(format!("{}/api/v1/auth/login", app.address)).json(&guess).send().await.unwrap();
        statuses.push(response.status());
    }
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    // The owner, from their own address, still gets in.
    app.login(&officer.email, PASSWORD).await;
}

configured_tests!(
    the_login_throttle_is_per_account_and_address,
    |config| config.login_burst = 3,
    guessing_from_one_address_does_not_lock_the_owner_out
);

backend_tests! {
    async fn decompression_bombs_and_unverified_uploads_are_refused(app: TestApp) {
        let applicant = app.applicant("bomb").await;
        let draft = app.draft(&applicant, &valid_application()).await;
        let id = draft["id"].as_str().unwrap();
        // A blank page scan of 6000 x 6000 pixels: about 100 KB of PNG, 100 MiB decoded.
        let page = image::GrayImage::new(6000, 6000);
        let mut bomb = Vec::new();
        image::DynamicImage::ImageLuma8(page)
            .write_to(&mut std::io::Cursor::new(&mut bomb), image::ImageFormat::Png)
            .unwrap();
        assert!(bomb.len() < 300_000, "{} bytes", bomb.len());
        let path = format!("/api/v1/applications/{id}/documents/passport");
        let refused = problem(app.put_bytes(&path, &applicant.token, "image/png", bomb).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(refused["errors"][0]["detail"].as_str().unwrap().contains("at most"), "{refused}");

        // An account whose address is not confirmed uploads nothing.
        let email = format!("unverified.{}@example.org", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let register = json!({"email": email, "password": PASSWORD, "full_name": "Not Verified"});
        let registered = app.request(reqwest::Method::POST, "/api/v1/auth/register", None, Some(&register)).await;
        assert_eq!(registered.status(), StatusCode::CREATED);
        let token = app.login(&email, PASSWORD).await;
        let draft = app.draft(&Account { id: String::new(), email, token: token.clone() }, &valid_application()).await;
        let path = format!("/api/v1/applications/{}/documents/photo", draft["id"].as_str().unwrap());
        problem(app.put_bytes(&path, &token, "image/png", photo_png(413, 531)).await, StatusCode::FORBIDDEN).await;
    }
}

backend_tests! {
    async fn applicants_see_only_allow_listed_details_of_their_history(app: TestApp) {
        let applicant = app.applicant("history").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let id = app.submitted_for(&applicant, "WORK").await;
        assert_eq!(app.act(&id, "claim", &officer.token, None).await.status(), StatusCode::OK);
        let ask = json!({"message": "Your contract, please.", "items": ["employment contract"]});
        assert_eq!(app.act(&id, "request-info", &officer.token, Some(ask)).await.status(), StatusCode::OK);
        assert_eq!(app.act(&id, "respond", &applicant.token, Some(json!({"message": "Attached."}))).await.status(), StatusCode::OK);
        assert_eq!(app.act(&id, "decision", &officer.token, Some(json!({"decision": "approve"}))).await.status(), StatusCode::OK);
        assert_eq!(app.act(&id, "confirm", &supervisor.token, None).await.status(), StatusCode::OK);

        let history: serde_json::Value = app.get(&format!("/api/v1/applications/{id}/events"), &applicant.token).await.json().await.unwrap();
        let text = history.to_string();
        for secret in [officer.id.as_str(), supervisor.id.as_str(), "recommended_by", "four_eyes", "officer_id"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        let events = history["items"].as_array().unwrap();
        let recommend = events.iter().find(|e| e["action"] == "recommend").unwrap();
        assert!(recommend.get("details").is_none(), "{recommend}");
        let asked = events.iter().find(|e| e["action"] == "request_info").unwrap();
        assert_eq!(asked["details"], json!({"items": ["employment contract"]}));

        let staff_view: serde_json::Value = app.get(&format!("/api/v1/applications/{id}/events"), &supervisor.token).await.json().await.unwrap();
        assert!(staff_view.to_string().contains("four_eyes"), "staff keep the whole record");
    }
}

backend_tests! {
    async fn the_verification_log_keeps_passport_numbers_under_a_keyed_digest(app: TestApp) {
        use hmac::{Hmac, Mac};
        use sha2::{Digest, Sha256};
        let (_, _, number) = crate::issuance::issued_visa(&app).await;
        let admin = app.admin().await;
        let created: serde_json::Value = app
            .post("/api/v1/admin/api-clients", &admin.token, &json!({"name": "Gate 1", "organisation": "Border", "scopes": ["verify"]}))
            .await
            .json()
            .await
            .unwrap();
        let key = created["api_key"].as_str().unwrap();
        let check = json!({"visa_number": number, "passport_number": "123456789"});
        assert_eq!(app.post("/api/v1/verify", key, &check).await.status(), StatusCode::OK);

        let logged = app.scalar("SELECT passport_hash AS value FROM verification_log WHERE passport_hash IS NOT NULL");
        assert_ne!(logged, hex::encode(Sha256::digest(b"123456789")), "a plain digest can be searched");
        let secret = std::fs::read_to_string(app.data_dir.path().join("secrets/log-hmac.key")).unwrap();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&hex::decode(secret.trim()).unwrap()).unwrap();
        mac.update(b"123456789");
        assert_eq!(logged, hex::encode(mac.finalize().into_bytes()));
    }
}

backend_tests! {
    async fn an_expired_visa_token_answers_expired_not_invalid(app: TestApp) {
        use evisa::issuance::e_visa::claims;
        use evisa::issuance::kit::{keys, token};
        let (_, _, number) = crate::issuance::issued_visa(&app).await;
        let today = chrono::Utc::now().date_naive();
        let (from, until) = (today - chrono::Duration::days(100), today - chrono::Duration::days(10));
        app.execute_sql(&format!("UPDATE issued_documents SET valid_from = '{from}', valid_until = '{until}' WHERE number = '{number}'"));
        // The token the service would have printed for those dates, signed by its own key.
        let db = evisa::db::Db::connect(&app.config.database_url, 1).unwrap();
        let mut conn = db.conn().unwrap();
        let visa = evisa::db::issued_documents::find(&mut conn, evisa::domain::service::OutputKind::EVisa, &number).unwrap().unwrap();
        let stored = evisa::db::keys::find(&mut conn, &visa.kid).unwrap().unwrap();
        let signer = keys::load_signer(
            &evisa::issuance::kit::keyring::key_path(&app.config.data_dir, &stored.key_file),
            stored.certificate_pem.as_deref().unwrap(),
            stored.ca_certificate_pem.as_deref().unwrap(),
            stored.development,
        )
        .unwrap();
        let claims = claims::claims(&visa).unwrap();
        assert!(claims.exp.unwrap() < chrono::Utc::now().timestamp(), "the registered claim says expired");
        let signed = token::sign(&claims, &signer).unwrap();

        let admin = app.admin().await;
        let created: serde_json::Value = app
            .post("/api/v1/admin/api-clients", &admin.token, &json!({"name": "Gate 2", "organisation": "Border", "scopes": ["verify"]}))
            .await
            .json()
            .await
            .unwrap();
        let key = created["api_key"].as_str().unwrap();
        let answer: serde_json::Value = app.post("/api/v1/verify/token", key, &json!({"token": signed})).await.json().await.unwrap();
        assert_eq!(answer["result"], "expired", "{answer}");
    }
}

backend_tests! {
    async fn codes_leave_the_outbox_once_sent_but_stay_in_the_delivered_mail(app: TestApp) {
        let applicant = app.applicant("scrubbed").await;
        let reset = json!({"email": applicant.email});
        assert_eq!(app.request(reqwest::Method::POST, "/api/v1/auth/password-reset", None, Some(&reset)).await.status(), StatusCode::ACCEPTED);
        let code = app.emailed_token(&applicant.email, "password_reset").await;
        for event in ["verify_email", "password_reset"] {
            let query = format!("SELECT text_body AS value FROM outbox WHERE recipient = '{}' AND event = '{event}'", applicant.email);
            let mut stored = app.scalar(&query);
            for _ in 0..100 {
                if !stored.contains("enter this code") {
                    break;
                }
                actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
                stored = app.scalar(&query);
            }
            assert!(stored.contains("single-use code") && !stored.contains("enter this code"), "{event}: {stored}");
            let html = app.scalar(&query.replace("text_body", "html_body"));
            assert!(!html.contains(&code) && html.contains("single-use code"), "{event}: {html}");
        }
        // The delivered message is the recipient's own copy, and the code in it still works once.
        let confirm = json!({"token": code, "password": "Blue-harbour-lights-93"});
        assert_eq!(app.request(reqwest::Method::POST, "/api/v1/auth/password-reset/confirm", None, Some(&confirm)).await.status(), StatusCode::OK);
    }
}

async fn expired_codes_are_not_sent(first: TestApp) {
    // The first server never sends (its mailer is off); its reset e-mail waits past its code's life.
    let applicant = first.applicant("late").await;
    let reset = json!({"email": applicant.email});
    assert_eq!(
        first.request(reqwest::Method::POST, "/api/v1/auth/password-reset", None, Some(&reset)).await.status(),
        StatusCode::ACCEPTED
    );
    let query =
        format!("SELECT id AS value FROM outbox WHERE recipient = '{}' AND event = 'password_reset'", applicant.email);
    let id = first.eventual_scalar(&query).await;
    first.execute_sql(&format!("UPDATE outbox SET created_at = '2020-01-01 00:00:00' WHERE id = '{id}'"));
    let TestApp { mut config, data_dir, postgres, .. } = first;
    config.mail_worker = true;
    let second = TestApp::start(config, data_dir, postgres).await;
    let mut status = String::new();
    for _ in 0..200 {
        status = second.scalar(&format!("SELECT status AS value FROM outbox WHERE id = '{id}'"));
        if status == "failed" {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "failed");
    assert!(
        second.scalar(&format!("SELECT text_body AS value FROM outbox WHERE id = '{id}'")).contains("single-use code")
    );
    let message_id = second.scalar(&format!("SELECT message_id AS value FROM outbox WHERE id = '{id}'"));
    assert!(delivered_text(&second.data_dir.path().join("mail"), &message_id).is_none(), "never delivered");
}

configured_tests!(
    a_code_that_expired_before_delivery_is_never_sent_and_not_kept,
    |config| config.mail_worker = false,
    expired_codes_are_not_sent
);

/// Waits until `token` is refused (sessions are re-read every few seconds).
async fn refused_soon(app: &TestApp, token: &str) -> bool {
    for _ in 0..60 {
        if app.get("/api/v1/me", token).await.status() == StatusCode::UNAUTHORIZED {
            return true;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

backend_tests! {
    async fn administrators_disable_and_move_accounts_and_that_ends_their_sessions(app: TestApp) {
        let admin = app.admin().await;
        let officer = app.staff("officer", "UTO-HQ").await;
        app.add_post("UTO-LON").await;
        let path = format!("/api/v1/admin/users/{}", officer.id);

        // A move to another post ends the session; a new login carries the new post.
        let moved: serde_json::Value = app.patch(&path, &admin.token, &json!({"post": "UTO-LON", "role": "supervisor"})).await.json().await.unwrap();
        assert_eq!((moved["post"].as_str(), moved["role"].as_str()), (Some("UTO-LON"), Some("supervisor")));
        assert!(refused_soon(&app, &officer.token).await, "the old token carries the old role and post");
        let token = app.login(&officer.email, PASSWORD).await;
        let me: serde_json::Value = app.get("/api/v1/me", &token).await.json().await.unwrap();
        assert_eq!(me["post"], "UTO-LON");

        // Disabling ends the session and refuses logins.
        assert_eq!(app.patch(&path, &admin.token, &json!({"disabled": true})).await.status(), StatusCode::OK);
        assert!(refused_soon(&app, &token).await);
        let login = app.request(reqwest::Method::POST, "/api/v1/auth/login", None, Some(&json!({"email": officer.email, "password": PASSWORD}))).await;
        assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
        let audit: serde_json::Value = app.get("/api/v1/admin/audit", &admin.token).await.json().await.unwrap();
        assert!(audit.to_string().contains("update_user"), "{audit}");

        // The last active administrator stays.
        let me: serde_json::Value = app.get("/api/v1/me", &admin.token).await.json().await.unwrap();
        let last = format!("/api/v1/admin/users/{}", me["id"].as_str().unwrap());
        problem(app.patch(&last, &admin.token, &json!({"disabled": true})).await, StatusCode::CONFLICT).await;
        problem(app.patch(&last, &admin.token, &json!({"role": "officer"})).await, StatusCode::CONFLICT).await;
        let refused = problem(app.patch(&path, &admin.token, &json!({"role": "applicant"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["role"]);
        problem(app.patch(&path, &officer.token, &json!({"disabled": false})).await, StatusCode::UNAUTHORIZED).await;
    }

    async fn a_password_reset_and_signing_out_everywhere_end_every_session(app: TestApp) {
        let applicant = app.applicant("sessions").await;
        let second = app.login(&applicant.email, PASSWORD).await;
        assert_eq!(app.post_empty("/api/v1/auth/sign-out-everywhere", &second).await.status(), StatusCode::NO_CONTENT);
        assert!(refused_soon(&app, &applicant.token).await, "every token, not only the one used");
        assert!(refused_soon(&app, &second).await);

        let third = app.login(&applicant.email, PASSWORD).await;
        let reset = json!({"email": applicant.email});
        assert_eq!(app.request(reqwest::Method::POST, "/api/v1/auth/password-reset", None, Some(&reset)).await.status(), StatusCode::ACCEPTED);
        let code = app.emailed_token(&applicant.email, "password_reset").await;
        let confirm = json!({"token": code, "password": "Blue-harbour-lights-93"});
        assert_eq!(app.request(reqwest::Method::POST, "/api/v1/auth/password-reset/confirm", None, Some(&confirm)).await.status(), StatusCode::OK);
        assert!(refused_soon(&app, &third).await, "a reset ends the sessions opened with the old password");
        app.login(&applicant.email, "Blue-harbour-lights-93").await;
    }
}
