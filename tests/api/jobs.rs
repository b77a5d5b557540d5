//! The job queue's runners are signalled by the engine when work commits, so they never wait
//! for their poll interval.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

/// Well within the poll interval of ten minutes, however loaded the machine: work done by then
/// was started by a signal.
const PROMPT: Duration = Duration::from_secs(120);

/// Polls so rarely that only a signal explains prompt work.
async fn slow_polling(db: Db) -> TestApp {
    TestApp::spawn_configured(db, |config| {
        config.mail_poll_ms = 600_000;
        config.issuance_poll_ms = 600_000;
    })
    .await
}

async fn runners_are_woken_by_commits(app: TestApp) {
    let unsent = || app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM outbox WHERE status <> 'sent'");
    let all_sent = |since: Instant| async move {
        while unsent() != "0" {
            assert!(since.elapsed() < PROMPT, "e-mails waited for a poll");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    };
    // The runners' first look happens at start: once the new account's e-mail is sent, the
    // mailer has looked, and every job after this must be started by a signal.
    let holder = app.applicant("prompt").await;
    all_sent(Instant::now()).await;
    let started = Instant::now();
    let officer = app.staff("officer", "UTO-HQ").await;
    let id = app.submitted(&holder).await;
    assert_eq!(app.act(&id, "claim", &officer.token, None).await.status(), StatusCode::OK);
    let approve = json!({"decision": "approve"});
    assert_eq!(app.act(&id, "decision", &officer.token, Some(approve)).await.status(), StatusCode::OK);
    crate::issuance::wait_issued(&app, &id, &holder.token).await;
    all_sent(started).await;
    assert!(started.elapsed() < PROMPT);
    assert!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM outbox") != "0", "the case's e-mails were sent");
}

mod runners_start_on_commit_not_on_poll {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        runners_are_woken_by_commits(slow_polling(Db::Sqlite).await).await;
    }

    #[actix_web::test]
    async fn postgres() {
        match postgres_url() {
            Some(url) => runners_are_woken_by_commits(slow_polling(Db::Postgres(url)).await).await,
            None => eprintln!("EVISA_TEST_POSTGRES_URL is not set: PostgreSQL variant not run"),
        }
    }
}
