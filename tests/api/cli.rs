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

fn kids(jwks: &serde_json::Value) -> Vec<String> {
    jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
}

fn stdout(output: std::process::Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

backend_tests! {
    async fn signing_keys_rotate_and_stay_published_while_their_visas_are_valid(app: TestApp) {
        let (_, _, first_visa) = crate::issuance::issued_visa(&app).await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let first: serde_json::Value = app.get(&format!("/api/v1/visas/{first_visa}"), &supervisor.token).await.json().await.unwrap();
        let old_kid = first["kid"].as_str().unwrap().to_owned();

        let generated = stdout(evisa(&app).args(["keys", "generate", "--activate"]).output().unwrap());
        let new_kid = generated.split_whitespace().nth(1).unwrap().to_owned();
        assert_ne!(new_kid, old_kid);
        let listing = stdout(evisa(&app).args(["keys", "list"]).output().unwrap());
        assert!(listing.contains(&old_kid) && listing.contains(&new_kid), "{listing}");

        let (_, _, second_visa) = crate::issuance::issued_visa(&app).await;
        let second: serde_json::Value = app.get(&format!("/api/v1/visas/{second_visa}"), &supervisor.token).await.json().await.unwrap();
        assert_eq!(second["kid"], new_kid.as_str(), "new visas are signed with the active key");

        stdout(evisa(&app).args(["keys", "retire", &old_kid]).output().unwrap());
        let admin = app.admin().await;
        let trail: serde_json::Value = app.get("/api/v1/admin/audit", &admin.token).await.json().await.unwrap();
        let audited: Vec<(String, String)> = trail["items"].as_array().unwrap().iter()
            .map(|e| (e["action"].as_str().unwrap().to_owned(), e["target"].as_str().unwrap().to_owned()))
            .collect();
        assert!(audited.contains(&("retire_key".to_owned(), old_kid.clone())), "{audited:?}");
        assert!(audited.contains(&("generate_key".to_owned(), new_kid.clone())), "{audited:?}");
        let jwks: serde_json::Value = app.request(reqwest::Method::GET, "/.well-known/jwks.json", None, None).await.json().await.unwrap();
        let published = kids(&jwks);
        assert!(published.contains(&old_kid) && published.contains(&new_kid), "a retired key stays while its visa is valid: {published:?}");

        let revoke = app.post(&format!("/api/v1/visas/{first_visa}/revoke"), &supervisor.token, &serde_json::json!({"grounds": ["HOLDER_REQUEST"]})).await;
        assert_eq!(revoke.status(), reqwest::StatusCode::OK);
        let jwks: serde_json::Value = app.request(reqwest::Method::GET, "/.well-known/jwks.json", None, None).await.json().await.unwrap();
        assert_eq!(kids(&jwks), vec![new_kid.clone()], "no valid visa is left for the retired key");

        let last = evisa(&app).args(["keys", "retire", &new_kid]).output().unwrap();
        assert!(!last.status.success(), "the only active key cannot be retired");
    }

    async fn a_key_certified_by_an_external_ca_from_a_signing_request(app: TestApp) {
        let dir = tempfile::tempdir().unwrap();
        let csr = dir.path().join("signer.csr");
        let generated = stdout(evisa(&app).args(["keys", "generate", "--csr"]).arg(&csr).output().unwrap());
        let kid = generated.split_whitespace().nth(1).unwrap().trim_end_matches(';').to_owned();
        assert!(std::fs::read_to_string(&csr).unwrap().contains("BEGIN CERTIFICATE REQUEST"));
        let early = evisa(&app).args(["keys", "activate", &kid]).output().unwrap();
        assert!(!early.status.success(), "no certificate yet");
        if Command::new("openssl").arg("version").output().is_err() {
            assert!(std::env::var("CI").is_err(), "CI must have openssl");
            return;
        }
        // The "external" CA: the development CA's key, used through openssl.
        let keys = app.data_dir.path().join("keys");
        let cert = dir.path().join("signer.pem");
        let signed = Command::new("openssl")
            .args(["x509", "-req", "-days", "365", "-sha256", "-in"])
            .arg(&csr)
            .arg("-CA")
            .arg(keys.join("dev-csca.cert.pem"))
            .arg("-CAkey")
            .arg(keys.join("dev-csca.key.pem"))
            .arg("-set_serial")
            .arg("4242")
            .arg("-out")
            .arg(&cert)
            .output()
            .unwrap();
        assert!(signed.status.success(), "{}", String::from_utf8_lossy(&signed.stderr));
        stdout(evisa(&app).args(["keys", "activate", &kid, "--cert"]).arg(&cert).arg("--ca").arg(keys.join("dev-csca.cert.pem")).output().unwrap());
        let (_, _, visa) = crate::issuance::issued_visa(&app).await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let record: serde_json::Value = app.get(&format!("/api/v1/visas/{visa}"), &supervisor.token).await.json().await.unwrap();
        assert_eq!(record["kid"], kid.as_str());
    }
}
