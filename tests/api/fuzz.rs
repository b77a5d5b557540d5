//! Schemathesis, a property-based tester of OpenAPI services, sends generated requests to every
//! documented operation, on both databases: no input may give a 5xx, and every answer must be
//! documented.

use crate::helpers::*;
use std::process::Command;

/// Runs schemathesis against the service, authenticated as `token`'s account, on the operations
/// `selection` (schemathesis's `--include-...`/`--exclude-...` options) picks.
fn schemathesis(app: &TestApp, token: &str, label: &str, selection: &[&str]) {
    let report = app.data_dir.path().join(format!("schemathesis-{label}.txt"));
    let output = Command::new("schemathesis")
        .args(["run", "openapi.yaml", "--url", &app.address])
        .args(["--checks", "not_a_server_error,status_code_conformance"])
        .args(["--max-examples", "12", "--phases", "examples,coverage,fuzzing", "--workers", "1"])
        .args(selection)
        .args(["--seed", "20261127", "--suppress-health-check", "all"])
        .arg("--header")
        .arg(format!("Authorization: Bearer {token}"))
        .env("NO_COLOR", "1")
        .output()
        .expect("schemathesis runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    std::fs::write(&report, &text).unwrap();
    assert!(output.status.success(), "schemathesis as {label} found failures:\n{text}");
}

fn installed() -> bool {
    let found = Command::new("schemathesis").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var("CI").is_err(), "CI must install schemathesis (see .ci/run)");
        eprintln!("schemathesis is not installed: check skipped outside CI");
    }
    found
}

async fn fuzzed(db: Db) {
    if !installed() {
        return;
    }
    let app = TestApp::spawn_configured(db, |config| {
        config.ip_rate_limit = 0;
        config.verify_rate_limit = 0;
        config.login_burst = 10_000;
    })
    .await;
    let admin = app.admin().await;
    let applicant = app.applicant("fuzzed").await;
    app.submitted(&applicant).await;
    let app = std::sync::Arc::new(app);
    let runner = app.clone();
    // Off the runtime's thread: schemathesis runs for a while and the service answers it meanwhile.
    // Signing out everywhere, or an administrator editing their own account (schemathesis finds
    // its id), ends the very session a run uses: those come last, on their own.
    let last = ["--exclude-operation-id", "signOutEverywhere", "--exclude-operation-id", "updateUser"];
    actix_web::rt::task::spawn_blocking(move || {
        schemathesis(&runner, &admin.token, "admin", &last);
        schemathesis(&runner, &applicant.token, "applicant", &last);
        schemathesis(&runner, &admin.token, "admin-accounts", &["--include-operation-id", "updateUser"]);
        schemathesis(&runner, &applicant.token, "sign-out", &["--include-operation-id", "signOutEverywhere"]);
    })
    .await
    .unwrap();
}

mod no_generated_request_gets_a_server_error_or_an_undocumented_status {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        fuzzed(Db::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres() {
        match postgres_url() {
            Some(url) => fuzzed(Db::Postgres(url)).await,
            None => eprintln!("EVISA_TEST_POSTGRES_URL is not set: PostgreSQL variant not run"),
        }
    }
}
