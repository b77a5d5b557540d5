//! The production shape: stateless nodes over one PostgreSQL database and one S3-compatible
//! object store (moto's server on loopback). An API-only node takes the application and its
//! documents; a worker node dies in the middle of issuing the e-visa; another worker finishes it,
//! exactly once; the API node serves the PDF from the object store. Only the worker nodes hold
//! the signing key.

use crate::helpers::*;
use crate::process::SecondProcess;
use reqwest::StatusCode;
use serde_json::json;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

const BUCKET: &str = "evisa-nodes";

/// moto's S3-compatible server on a loopback port it picks, stopped when dropped.
struct S3Server {
    child: Child,
    endpoint: String,
}

impl S3Server {
    /// Starts the server and creates the bucket; `None` when moto is not installed (outside CI).
    async fn start() -> Option<S3Server> {
        let mut command = Command::new("moto_server");
        command.args(["-H", "127.0.0.1", "-p", "0"]);
        let (child, port) = match crate::servers::spawn_reporting_port(command, "Running on ") {
            Ok(started) => started,
            Err(_) => {
                assert!(std::env::var("CI").is_err(), "CI must install moto[server] (moto_server)");
                return None;
            }
        };
        let server = S3Server { child, endpoint: format!("http://127.0.0.1:{port}") };
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(created) = client.put(format!("{}/{BUCKET}", server.endpoint)).send().await {
                assert!(created.status().is_success(), "bucket creation: {}", created.status());
                return Some(server);
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto_server did not start");
    }

    /// The keys of the objects in the bucket.
    async fn keys(&self) -> Vec<String> {
        let listing =
            reqwest::get(format!("{}/{BUCKET}?list-type=2", self.endpoint)).await.unwrap().text().await.unwrap();
        listing.split("<Key>").skip(1).filter_map(|part| part.split("</Key>").next()).map(str::to_owned).collect()
    }

    /// The settings that point a node at the bucket.
    fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("EVISA_STORAGE_URL", format!("s3://{BUCKET}/documents")),
            ("AWS_ENDPOINT", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_ACCESS_KEY_ID", "moto".into()),
            ("AWS_SECRET_ACCESS_KEY", "moto".into()),
            ("AWS_REGION", "us-east-1".into()),
        ]
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A country signing CA and a document signer certified by it, made with openssl, as a ministry's
/// PKI would hand them over: (key, certificate, CA certificate) in `dir`.
fn signer_files(dir: &Path) -> [String; 3] {
    let run = |args: &[&str]| {
        let output = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
        assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    };
    run(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "csca.key.pem"]);
    run(&[
        "req",
        "-x509",
        "-new",
        "-key",
        "csca.key.pem",
        "-subj",
        "/C=UT/O=Republic of Utopia/CN=Utopia CSCA",
        "-days",
        "3650",
        "-sha256",
        "-out",
        "csca.cert.pem",
    ]);
    run(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "signer.key.pem"]);
    run(&[
        "req",
        "-new",
        "-key",
        "signer.key.pem",
        "-subj",
        "/C=UT/O=Republic of Utopia/CN=Utopia e-visa signer",
        "-out",
        "signer.csr",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "signer.csr",
        "-CA",
        "csca.cert.pem",
        "-CAkey",
        "csca.key.pem",
        "-set_serial",
        "7",
        "-days",
        "365",
        "-sha256",
        "-out",
        "signer.cert.pem",
    ]);
    ["signer.key.pem", "signer.cert.pem", "csca.cert.pem"].map(|name| dir.join(name).to_string_lossy().into_owned())
}

/// A worker node with its own copy of the signing key (in the directory returned with it), and
/// leases of one second.
async fn worker(app: &TestApp, s3: &S3Server, pki: &Path, fault: Option<&str>) -> (SecondProcess, tempfile::TempDir) {
    let own = tempfile::tempdir().unwrap();
    let [key, cert, ca] = ["signer.key.pem", "signer.cert.pem", "csca.cert.pem"].map(|name| {
        std::fs::copy(pki.join(name), own.path().join(name)).unwrap();
        own.path().join(name).to_string_lossy().into_owned()
    });
    let mut settings = s3.settings();
    settings.extend([
        ("EVISA_SIGNING_KEY_FILE", key),
        ("EVISA_SIGNING_CERT_FILE", cert),
        ("EVISA_SIGNING_CA_FILE", ca),
        ("EVISA_ISSUANCE_LEASE_SECONDS", "1".into()),
        ("EVISA_ISSUANCE_POLL_MS", "100".into()),
    ]);
    if let Some(point) = fault {
        settings.push(("EVISA_FAULT_INJECTION", point.into()));
    }
    let env: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    (SecondProcess::start_with(app, &env).await, own)
}

#[actix_web::test]
async fn two_nodes_over_postgres_and_s3_issue_exactly_once_when_a_worker_dies_mid_issuance() {
    let Some(url) = postgres_url() else {
        eprintln!("EVISA_TEST_POSTGRES_URL is not set: the several-nodes test needs PostgreSQL");
        return;
    };
    let _turn = crate::process::one_at_a_time().await;
    let Some(s3) = S3Server::start().await else { return };
    let pki = tempfile::tempdir().unwrap();
    signer_files(pki.path());
    // The test's own server only creates the database; nodes do the work.
    let mut app = TestApp::spawn_configured(Db::Postgres(url), |config| {
        config.issuance_worker = false;
        config.mail_worker = false;
    })
    .await;
    let mut api_settings = s3.settings();
    api_settings.extend([("EVISA_ISSUANCE_WORKER", "off".into()), ("EVISA_MAIL_WORKER", "off".into())]);
    let env: Vec<(&str, &str)> = api_settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let node_a = SecondProcess::start_with(&app, &env).await;
    app.address = node_a.address.clone();

    // On node A: an application with its photo and passport scan, approved.
    let applicant = app.applicant("nodes").await;
    let id = app.submitted(&applicant).await;
    let uploads = s3.keys().await;
    assert!(
        uploads.len() >= 2 && uploads.iter().all(|k| k.starts_with("documents/")),
        "uploads went to S3: {uploads:?}"
    );
    let officer = app.staff("officer", "UTO-HQ").await;
    assert_eq!(app.act(&id, "claim", &officer.token, None).await.status(), StatusCode::OK);
    assert_eq!(
        app.act(&id, "decision", &officer.token, Some(json!({"decision": "approve"}))).await.status(),
        StatusCode::OK
    );
    // Node A runs no issuance worker: the job waits, untouched (its final count of attempts, B's
    // and C's, shows that A never took it).
    let job = format!("FROM jobs WHERE kind = 'issue_output' AND subject = '{id}'");
    assert_eq!(app.scalar(&format!("SELECT CAST(attempts AS TEXT) AS value {job}")), "0");

    // Worker B takes the job and dies after storing the PDF, before recording the issue.
    let (mut node_b, b_keys) = worker(&app, &s3, pki.path(), Some("exit_after_pdf_stored")).await;
    let died = node_b.exited_within(crate::wait::BACKGROUND).await;
    assert_eq!(died.and_then(|s| s.code()), Some(70), "worker B died in the middle of issuance");
    assert_eq!(app.case(&id, &applicant.token).await["status"], "approved");
    assert_eq!(app.scalar(&format!("SELECT status AS value {job}")), "pending");

    // Worker C, with its own copy of the key (B's, whose path the database recorded, is gone),
    // takes the job over once B's lease runs out, and finishes it.
    drop(b_keys);
    let (_node_c, _c_keys) = worker(&app, &s3, pki.path(), None).await;
    let case = crate::issuance::wait_issued(&app, &id, &applicant.token).await;
    let count = |sql: String| app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) AS value {sql}"));
    assert_eq!(count(format!("FROM issued_documents WHERE case_id = '{id}'")), "1", "one visa");
    assert_eq!(count(format!("FROM case_events WHERE case_id = '{id}' AND action = 'issue'")), "1", "issued once");
    assert_eq!(
        count(format!("FROM outbox WHERE case_id = '{id}' AND attachment_key IS NOT NULL")),
        "1",
        "one e-mail with the e-visa"
    );
    crate::issuance::wait_job_done(&app, &id).await;
    assert_eq!(app.scalar(&format!("SELECT CAST(attempts AS TEXT) AS value {job}")), "2", "B's attempt and C's");

    // Node A, which has no signing key, serves the PDF that C stored in S3.
    let pdf = app.get(&format!("/api/v1/applications/{id}/evisa.pdf"), &applicant.token).await;
    assert_eq!(pdf.status(), StatusCode::OK);
    let pdf = pdf.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-") && pdf.windows(10).any(|w| w == b"/ByteRange"), "a signed PDF");
    let key = app.scalar(&format!("SELECT pdf_key AS value FROM issued_documents WHERE case_id = '{id}'"));
    assert!(s3.keys().await.contains(&format!("documents/{key}")), "the PDF is in S3 under {key}");
    let kid = app.scalar(&format!("SELECT kid AS value FROM issued_documents WHERE case_id = '{id}'"));
    let development = app.scalar(&format!(
        "SELECT CASE WHEN development THEN 'yes' ELSE 'no' END AS value FROM signing_keys WHERE kid = '{kid}'"
    ));
    assert_eq!(development, "no", "signed by the configured key, not a development one");
    assert!(!node_a.data_dir.path().join("documents").exists(), "node A keeps no documents of its own");
    assert!(!node_a.data_dir.path().join("keys").exists(), "node A holds no signing key");
    assert!(case["visa_number"].is_string());
}
