use crate::backend_tests;
use crate::helpers::*;
use crate::smtp::{SmtpSink, available};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn unsent(app: &TestApp) -> String {
    app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM outbox WHERE status <> 'sent'")
}

async fn wait_all_sent(app: &TestApp) {
    for _ in 0..200 {
        if unsent(app) == "0" {
            return;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("e-mails still unsent: {}", unsent(app));
}

/// A test app sending through a sink on `port`.
async fn app_with_smtp(db: Db, port: u16, mail_worker: bool) -> TestApp {
    TestApp::spawn_configured(db, |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.mail_worker = mail_worker;
    })
    .await
}

fn db_of(app: &TestApp) -> Db {
    match &app.postgres {
        Some(_) => Db::Postgres(postgres_url().unwrap()),
        None => Db::Sqlite,
    }
}

fn to(message: &Value) -> &str {
    message["to"].as_str().unwrap()
}

backend_tests! {
    async fn every_applicant_facing_step_sends_exactly_one_email(app: TestApp) {
        if !available() {
            return;
        }
        let sink = SmtpSink::start();
        let app = app_with_smtp(db_of(&app), sink.port, true).await;
        app.add_mailbox(sink.mailbox());
        let officer = app.staff("officer", "UTO-HQ").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;

        // The first applicant gets a visa, after a request for information; then it is revoked.
        let holder = app.applicant("holder").await;
        let id = app.submitted(&holder).await;
        let reference = app.case(&id, &holder.token).await["reference"].as_str().unwrap().to_owned();
        assert_eq!(app.act(&id, "claim", &officer.token, None).await.status(), StatusCode::OK);
        let ask = json!({"message": "Please send your return ticket.", "items": ["return ticket"]});
        assert_eq!(app.act(&id, "request-info", &officer.token, Some(ask)).await.status(), StatusCode::OK);
        assert_eq!(app.act(&id, "respond", &holder.token, Some(json!({"message": "Attached."}))).await.status(), StatusCode::OK);
        assert_eq!(app.act(&id, "decision", &officer.token, Some(json!({"decision": "approve"}))).await.status(), StatusCode::OK);
        let number = crate::issuance::wait_issued(&app, &id, &holder.token).await["visa_number"].as_str().unwrap().to_owned();
        let revoke = json!({"grounds": ["HOLDER_REQUEST"]});
        assert_eq!(app.post(&format!("/api/v1/visas/{number}/revoke"), &supervisor.token, &revoke).await.status(), StatusCode::OK);

        // The second is refused; the third withdraws.
        let refused = app.applicant("refused").await;
        let refused_id = app.submitted(&refused).await;
        assert_eq!(app.act(&refused_id, "claim", &officer.token, None).await.status(), StatusCode::OK);
        let refusal = json!({"decision": "refuse", "grounds": ["INSUFFICIENT_MEANS"], "note": "internal remark"});
        assert_eq!(app.act(&refused_id, "decision", &officer.token, Some(refusal)).await.status(), StatusCode::OK);
        let withdrawn = app.applicant("withdrawn").await;
        let withdrawn_id = app.submitted(&withdrawn).await;
        assert_eq!(app.act(&withdrawn_id, "withdraw", &withdrawn.token, None).await.status(), StatusCode::OK);

        wait_all_sent(&app).await;
        let messages = sink.messages();
        let of = |who: &Account| -> Vec<Value> { messages.iter().filter(|m| to(m).contains(&who.email)).cloned().collect() };
        let subjects = |who: &Account| -> Vec<String> { of(who).iter().map(|m| m["subject"].as_str().unwrap().to_owned()).collect() };

        let holder_mail = of(&holder);
        let mut holder_subjects = subjects(&holder);
        holder_subjects.sort();
        let mut expected = vec![
            format!("Application {reference} approved"),
            format!("Application {reference} received"),
            "Confirm your e-mail address for the Republic of Utopia e-visa service".to_owned(),
            format!("More information needed for application {reference}"),
            format!("We have your answer on application {reference}"),
            format!("Your e-visa {number} ({reference})"),
            format!("Your e-visa {number} has been revoked"),
        ];
        expected.sort();
        assert_eq!(holder_subjects, expected, "one e-mail per step (the answer to a request confirmed), none for claims");
        let received = holder_mail.iter().find(|m| m["subject"].as_str().unwrap().ends_with("received")).unwrap();
        assert!(received["text"].as_str().unwrap().contains(&reference));
        assert!(received["text"].as_str().unwrap().contains("decision is due by"));
        assert!(received["html"].as_str().unwrap().contains(&reference), "multipart/alternative with HTML");
        let asked = holder_mail.iter().find(|m| m["subject"].as_str().unwrap().starts_with("More information")).unwrap();
        assert!(asked["text"].as_str().unwrap().contains("Please send your return ticket.") && asked["text"].as_str().unwrap().contains("- return ticket"));
        let issued = holder_mail.iter().find(|m| m["subject"].as_str().unwrap().starts_with("Your e-visa") && !m["subject"].as_str().unwrap().ends_with("revoked")).unwrap();
        assert_eq!(issued["attachments"], json!([format!("e-visa-{number}.pdf")]));
        assert!(issued["attachment_sizes"][0].as_u64().unwrap() > 10_000, "the signed PDF itself");
        assert!(issued["text"].as_str().unwrap().contains("/evisa.pdf"), "and a download link");

        let refusal_mail = of(&refused);
        assert_eq!(refusal_mail.len(), 3, "verification, received, refused");
        let decision = refusal_mail.iter().find(|m| m["subject"].as_str().unwrap().starts_with("Decision on")).unwrap();
        let text = decision["text"].as_str().unwrap();
        assert!(text.contains("Insufficient means of subsistence") && text.contains("means of subsistence for the duration"));
        assert!(text.contains("appeal against this decision within 30 days"));
        assert!(!text.contains("internal remark"), "officers' notes stay internal");
        assert_eq!(subjects(&withdrawn).iter().filter(|s| s.ends_with("withdrawn")).count(), 1);
        let staff_mail = messages.iter().filter(|m| to(m).contains("consulate.test")).count();
        assert_eq!(staff_mail, 0, "staff get no applicant e-mails");
        let ids: std::collections::HashSet<&str> = messages.iter().map(|m| m["message_id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), messages.len());
    }

    async fn emails_follow_the_applicant_s_language(app: TestApp) {
        let email = "aigerim@example.kz";
        let body = json!({"email": email, "password": PASSWORD, "full_name": "Айгерим", "preferred_language": "kk"});
        assert_eq!(app.request(Method::POST, "/api/v1/auth/register", None, Some(&body)).await.status(), StatusCode::CREATED);
        let code = app.emailed_token(email, "verify_email").await;
        assert_eq!(app.request(Method::POST, "/api/v1/auth/verify-email", None, Some(&json!({"email": email, "code": code}))).await.status(), StatusCode::OK);
        let account = Account { id: String::new(), email: email.into(), token: app.login(email, PASSWORD).await };
        app.submitted(&account).await;
        let subject = app.scalar(&format!("SELECT subject AS value FROM outbox WHERE recipient = '{email}' AND event = 'submitted'"));
        assert!(subject.ends_with("өтініші қабылданды"), "{subject}");
        let verification = app.scalar(&format!("SELECT subject AS value FROM outbox WHERE recipient = '{email}' AND event = 'verify_email'"));
        assert!(verification.starts_with("Электрондық виза қызметінде"), "every e-mail in Kazakh: {verification}");
    }

    async fn with_the_mail_server_down_nothing_is_lost_and_everything_arrives_once(app: TestApp) {
        if !available() {
            return;
        }
        let mut sink = SmtpSink::down();
        let app = app_with_smtp(db_of(&app), sink.port, true).await;
        let applicant = app.applicant("patient").await;
        let id = app.submitted(&applicant).await;
        assert_eq!(app.case(&id, &applicant.token).await["status"], "submitted", "transitions go on");
        // Attempts fail and are retried with backoff.
        for _ in 0..100 {
            if app.scalar("SELECT CAST(MIN(attempts) AS TEXT) AS value FROM outbox") != "0" {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let admin = app.admin().await;
        let listed: Value = app.get("/api/v1/admin/outbox?status=pending", &admin.token).await.json().await.unwrap();
        assert_eq!(listed["total"], 2, "verification and submission wait");
        assert!(listed["items"][0]["last_error"].as_str().is_some_and(|e| !e.is_empty()));
        assert!(listed["items"][0]["attempts"].as_i64().unwrap() >= 1);

        sink.restart();
        wait_all_sent(&app).await;
        let messages = sink.messages();
        assert_eq!(messages.len(), 2, "each exactly once");
        let listed: Value = app.get("/api/v1/admin/outbox?status=sent", &admin.token).await.json().await.unwrap();
        assert_eq!(listed["total"], 2);
    }

    async fn a_restart_delivers_the_emails_left_pending(app: TestApp) {
        if !available() {
            return;
        }
        let sink = SmtpSink::start();
        // The first server never sends (its mailer is off), as if it stopped before it could.
        let first = app_with_smtp(db_of(&app), sink.port, false).await;
        let applicant = first.applicant("restart").await;
        first.submitted(&applicant).await;
        assert_eq!(unsent(&first), "2");
        let TestApp { mut config, data_dir, postgres, .. } = first;
        config.mail_worker = true;
        let second = TestApp::start(config, data_dir, postgres).await;
        wait_all_sent(&second).await;
        assert_eq!(sink.messages().len(), 2);
    }

    async fn failed_emails_are_listed_and_retried_by_administrators(app: TestApp) {
        if !available() {
            return;
        }
        let mut sink = SmtpSink::down();
        let app = TestApp::spawn_configured(db_of(&app), |c| {
            c.smtp_url = Some(format!("smtp://127.0.0.1:{}", sink.port));
            c.mail_max_attempts = 1;
        })
        .await;
        // The code of the applicant registered at the end is read from what the sink received.
        app.add_mailbox(sink.mailbox());
        let email = "gives.up@example.org";
        let body = json!({"email": email, "password": PASSWORD, "full_name": "Gives Up"});
        app.request(Method::POST, "/api/v1/auth/register", None, Some(&body)).await;
        let admin = app.admin().await;
        let mut failed = Value::Null;
        for _ in 0..100 {
            failed = app.get("/api/v1/admin/outbox?status=failed", &admin.token).await.json().await.unwrap();
            if failed["total"] == 1 {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(failed["total"], 1);
        let id = failed["items"][0]["id"].as_str().unwrap().to_owned();
        sink.restart();
        let retried = app.post_empty(&format!("/api/v1/admin/outbox/{id}/retry"), &admin.token).await;
        assert_eq!(retried.status(), StatusCode::OK);
        wait_all_sent(&app).await;
        assert_eq!(sink.messages().len(), 1);
        problem(app.post_empty(&format!("/api/v1/admin/outbox/{id}/retry"), &admin.token).await, StatusCode::CONFLICT).await;
        let applicant = app.applicant("nosy").await;
        problem(app.get("/api/v1/admin/outbox", &applicant.token).await, StatusCode::FORBIDDEN).await;
    }

    async fn applicants_verify_their_address_before_submitting(app: TestApp) {
        let email = "unverified@example.org";
        let body = json!({"email": email, "password": PASSWORD, "full_name": "Not Yet"});
        app.request(Method::POST, "/api/v1/auth/register", None, Some(&body)).await;
        let account = Account { id: String::new(), email: email.into(), token: app.login(email, PASSWORD).await };
        let id = app.draft(&account, &valid_application()).await["id"].as_str().unwrap().to_owned();
        let upload = app.put_bytes(&format!("/api/v1/applications/{id}/documents/photo"), &account.token, "image/png", photo_png(413, 531)).await;
        assert!(problem(upload, StatusCode::FORBIDDEN).await["detail"].as_str().unwrap().contains("confirm your e-mail"));
        let refused = app.act(&id, "submit", &account.token, None).await;
        assert!(problem(refused, StatusCode::FORBIDDEN).await["detail"].as_str().unwrap().contains("confirm your e-mail"));
        let wrong = app.request(Method::POST, "/api/v1/auth/verify-email", None, Some(&json!({"token": "0123456789abcdef"}))).await;
        assert_eq!(error_fields(&problem(wrong, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["token"]);
        let code = app.emailed_token(email, "verify_email").await;
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "six digits: {code}");
        let alone = app.request(Method::POST, "/api/v1/auth/verify-email", None, Some(&json!({"code": code}))).await;
        assert_eq!(error_fields(&problem(alone, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["email"], "a code means nothing without its address");
        let body = json!({"email": email, "code": code});
        let ok = app.request(Method::POST, "/api/v1/auth/verify-email", None, Some(&body)).await;
        assert_eq!(ok.status(), StatusCode::OK);
        let again = app.request(Method::POST, "/api/v1/auth/verify-email", None, Some(&body)).await;
        problem(again, StatusCode::UNPROCESSABLE_ENTITY).await;
        app.attach_documents(&account, &id).await;
        assert_eq!(app.act(&id, "submit", &account.token, None).await.status(), StatusCode::OK);
        let resend = app.post_empty("/api/v1/auth/resend-verification", &account.token).await;
        problem(resend, StatusCode::CONFLICT).await;
    }

    async fn passwords_are_reset_by_email_without_revealing_accounts(app: TestApp) {
        let applicant = app.applicant("forgetful").await;
        let known = app.request(Method::POST, "/api/v1/auth/password-reset", None, Some(&json!({"email": applicant.email}))).await;
        let unknown = app.request(Method::POST, "/api/v1/auth/password-reset", None, Some(&json!({"email": "nobody@example.org"}))).await;
        assert_eq!(known.status(), StatusCode::ACCEPTED);
        assert_eq!(unknown.status(), StatusCode::ACCEPTED);
        assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap(), "the same answer either way");
        assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM outbox WHERE recipient = 'nobody@example.org'"), "0");

        let code = app.emailed_token(&applicant.email, "password_reset").await;
        let weak = app.request(Method::POST, "/api/v1/auth/password-reset/confirm", None, Some(&json!({"token": code, "password": "password123"}))).await;
        assert_eq!(error_fields(&problem(weak, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["password"]);
        let new_password = "Blue-harbour-lights-93";
        let reset = app.request(Method::POST, "/api/v1/auth/password-reset/confirm", None, Some(&json!({"token": code, "password": new_password}))).await;
        assert_eq!(reset.status(), StatusCode::OK, "a weak attempt does not spend the token");
        app.login(&applicant.email, new_password).await;
        let old = app.request(Method::POST, "/api/v1/auth/login", None, Some(&json!({"email": applicant.email, "password": PASSWORD}))).await;
        assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
        let reuse = app.request(Method::POST, "/api/v1/auth/password-reset/confirm", None, Some(&json!({"token": code, "password": "Another-long-phrase-77"}))).await;
        assert_eq!(error_fields(&problem(reuse, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["token"]);
    }
}

/// Two server processes on one PostgreSQL database drain one outbox without sending any e-mail
/// twice.
#[actix_web::test]
async fn two_processes_on_postgres_never_send_an_email_twice() {
    let Some(url) = postgres_url() else { return };
    if !available() {
        return;
    }
    let sink = SmtpSink::start();
    // Written while nobody sends, then drained by two processes at once.
    let app = app_with_smtp(Db::Postgres(url), sink.port, false).await;
    let emails: Vec<String> = (0..12).map(|i| format!("parallel{i}@example.org")).collect();
    for email in &emails {
        let body = json!({"email": email, "password": PASSWORD, "full_name": "Parallel"});
        assert_eq!(
            app.request(Method::POST, "/api/v1/auth/register", None, Some(&body)).await.status(),
            StatusCode::CREATED
        );
    }
    let mut processes = Vec::new();
    for _ in 0..2 {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_evisa"))
            .arg("serve")
            .env_clear()
            .env("EVISA_DATA_DIR", app.data_dir.path())
            .env("DATABASE_URL", &app.config.database_url)
            .env("EVISA_BIND", "127.0.0.1:0")
            .env("EVISA_JWT_SECRET", JWT_SECRET)
            .env("EVISA_SMTP_URL", format!("smtp://127.0.0.1:{}", sink.port))
            .env("EVISA_MAIL_POLL_MS", "20")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        processes.push(child);
    }
    wait_all_sent(&app).await;
    for mut child in processes {
        let _ = child.kill();
        let _ = child.wait();
    }
    let messages = sink.messages();
    let mut recipients: Vec<&str> = messages.iter().map(to).collect();
    recipients.sort();
    assert_eq!(messages.len(), emails.len(), "{recipients:?}");
    let ids: std::collections::HashSet<&str> = messages.iter().map(|m| m["message_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), emails.len());
}

backend_tests! {
    async fn an_email_code_expires_and_is_void_after_five_wrong_guesses(app: TestApp) {
        let email = "guessed@example.org";
        let body = json!({"email": email, "password": PASSWORD, "full_name": "Guessed"});
        assert_eq!(app.request(Method::POST, "/api/v1/auth/register", None, Some(&body)).await.status(), StatusCode::CREATED);
        let code = app.emailed_token(email, "verify_email").await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..5 {
            let guess = app.request(Method::POST, "/api/v1/auth/verify-email", None, Some(&json!({"email": email, "code": wrong}))).await;
            assert_eq!(error_fields(&problem(guess, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["code"]);
        }
        let right = app.request(Method::POST, "/api/v1/auth/verify-email", None, Some(&json!({"email": email, "code": code}))).await;
        problem(right, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(app.scalar(&format!("SELECT CASE WHEN email_verified_at IS NULL THEN 'no' ELSE 'yes' END AS value FROM users WHERE email = '{email}'")), "no",
                   "five wrong guesses void the right code");
        // A new code works, until it expires.
        let token = app.login(email, PASSWORD).await;
        assert_eq!(app.post_empty("/api/v1/auth/resend-verification", &token).await.status(), StatusCode::ACCEPTED);
        let fresh = app.emailed_token(email, "verify_email").await;
        app.execute_sql("UPDATE email_tokens SET expires_at = created_at WHERE purpose = 'verify_email'");
        let late = app.request(Method::POST, "/api/v1/auth/verify-email", None, Some(&json!({"email": email, "code": fresh}))).await;
        problem(late, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
}
