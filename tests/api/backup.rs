//! Backup and restore: a node backed up while it serves, restored into a fresh directory on
//! another path (and, on PostgreSQL, a fresh database from `pg_dump`), issues, verifies and
//! serves there, its key file found although an earlier release recorded it by absolute path.

use crate::backend_tests;
use crate::helpers::*;
use crate::issuance::issued_visa;
use crate::verification::client;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::Command;

fn evisa(config: &evisa::config::Config) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_evisa"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("EVISA_DATA_DIR", &config.data_dir)
        .env("DATABASE_URL", &config.database_url)
        .env("EVISA_JWT_SECRET", JWT_SECRET)
        .env("RUST_LOG", "warn");
    command
}

fn succeeded(command: &mut Command) -> String {
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A fresh database holding what `pg_dump` made of `from`.
fn restored_postgres(from: &str) -> PostgresDb {
    let server = postgres_url().expect("a PostgreSQL server");
    let fresh = PostgresDb::create(&server);
    let dump = tempfile::NamedTempFile::new().unwrap();
    succeeded(Command::new("pg_dump").args(["--no-owner", "--file"]).arg(dump.path()).arg(format!("--dbname={from}")));
    succeeded(
        Command::new("psql")
            .args(["--quiet", "--set", "ON_ERROR_STOP=1", "--file"])
            .arg(dump.path())
            .arg(format!("--dbname={}", fresh.url)),
    );
    fresh
}

backend_tests! {
    async fn a_backup_restored_on_another_path_issues_verifies_and_serves_what_it_held(app: TestApp) {
        let (holder, id, number) = issued_visa(&app).await;
        let (_, key) = client(&app, &["verify"]).await;
        let pdf_path = format!("/api/v1/applications/{id}/evisa.pdf");
        let original_pdf = app.get(&pdf_path, &holder.token).await.bytes().await.unwrap();
        // An earlier release recorded the key file by its absolute path.
        let recorded = app.scalar("SELECT key_file AS value FROM signing_keys WHERE status = 'active'");
        assert!(recorded.starts_with("keys/"), "{recorded}");
        let absolute = app.config.data_dir.join(&recorded);
        app.execute_sql(&format!("UPDATE signing_keys SET key_file = '{}' WHERE status = 'active'", absolute.display()));

        // Backed up while it serves, with the command line.
        let elsewhere = tempfile::tempdir().unwrap();
        let dest = elsewhere.path().join("restored-data");
        let said = succeeded(evisa(&app.config).arg("backup").arg(&dest));
        assert!(said.contains("backed up"), "{said}");
        assert_eq!(app.postgres.is_some(), said.contains("pg_dump"), "{said}");
        assert!(evisa(&app.config).arg("backup").arg(&dest).output().unwrap().status.code() != Some(0), "a backup never overwrites");

        // Restored: the backup is the data directory, on another path.
        let postgres = app.postgres.as_ref().map(|pg| restored_postgres(&pg.url));
        let config = TestApp::config(dest.clone(), postgres.as_ref().map(|pg| pg.url.clone()));
        let restored = TestApp::start(config, elsewhere, postgres).await;
        let relocated = restored.scalar("SELECT key_file AS value FROM signing_keys WHERE status = 'active'");
        assert_eq!(relocated, recorded, "recorded relative to the data directory again");

        let checked: Value = restored.post("/api/v1/verify", &key, &json!({"visa_number": number, "passport_number": valid_application()["passport"]["number"]})).await.json().await.unwrap();
        // Known, with its holder: the trip (and the visa) starts in two months.
        assert_eq!((checked["result"].as_str(), checked["visa_number"].as_str()), (Some("not_yet_valid"), Some(number.as_str())), "{checked}");
        let served = restored.get(&pdf_path, &holder.token).await;
        assert_eq!(served.status(), StatusCode::OK);
        assert_eq!(served.bytes().await.unwrap(), original_pdf);
        let (_, _, new_number) = issued_visa(&restored).await;
        assert_ne!(new_number, number);
    }
}
