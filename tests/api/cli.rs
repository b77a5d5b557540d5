use crate::backend_tests;
use crate::helpers::*;
use std::process::Command;

fn evisa(app: &TestApp) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_evisa"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("EVISA_DATA_DIR", app.data_dir.path())
        .env("DATABASE_URL", &app.config.database_url)
        .env("EVISA_JWT_SECRET", JWT_SECRET)
        .env("RUST_LOG", "warn");
    command
}

backend_tests! {
    async fn user_create_makes_a_staff_account_that_can_log_in(app: TestApp) {
        let output = evisa(&app)
            .args(["user", "create", "--email", "Consul@Consulate.test", "--full-name", "Chief Consul", "--role", "supervisor", "--post", "UTO-HQ"])
            .env("EVISA_NEW_USER_PASSWORD", PASSWORD)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("created supervisor consul@consulate.test"), "{stdout}");
        assert!(!stdout.contains(PASSWORD), "a chosen password is never echoed");
        let token = app.login("consul@consulate.test", PASSWORD).await;
        let me: serde_json::Value = app.get("/api/v1/me", &token).await.json().await.unwrap();
        assert_eq!(me["role"], "supervisor");
        assert_eq!(me["post"], "UTO-HQ");

        let again = evisa(&app)
            .args(["user", "create", "--email", "consul@consulate.test", "--full-name", "Again", "--role", "officer", "--post", "UTO-HQ"])
            .output()
            .unwrap();
        assert!(!again.status.success());
        assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

        let generated = evisa(&app)
            .args(["user", "create", "--email", "clerk@consulate.test", "--full-name", "Clerk", "--role", "officer", "--post", "UTO-HQ"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&generated.stdout);
        let password = stdout.lines().find_map(|l| l.strip_prefix("password (shown once): ")).expect("generated password printed");
        app.login("clerk@consulate.test", password).await;
    }

    async fn migrate_is_idempotent(app: TestApp) {
        for _ in 0..2 {
            let output = evisa(&app).arg("migrate").output().unwrap();
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        }
    }
}

#[test]
fn first_start_creates_the_data_dir_secrets_and_prints_the_admin_password_once() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("fresh");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_evisa"))
            .env_clear()
            .env("EVISA_DATA_DIR", &data)
            .env("RUST_LOG", "warn")
            .args([
                "user",
                "create",
                "--email",
                &format!("o{}@consulate.test", uuid::Uuid::new_v4().simple()),
                "--full-name",
                "O",
                "--role",
                "officer",
                "--post",
                "UTO-HQ",
            ])
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stdout.contains("created the administrator admin@evisa.local"), "{stdout}");
    assert!(data.join("evisa.db").exists());
    let key = data.join("secrets").join("jwt-hs256.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let second = run();
    assert!(!String::from_utf8_lossy(&second.stdout).contains("administrator"), "printed only once");
}
