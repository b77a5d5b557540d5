use crate::backend_tests;
use crate::checkers::{can_read_qr_tokens, pdfsig, python_module, qr_claims, run, tool};
use crate::helpers::*;
use crate::process::SecondProcess;
use evisa::domain::issued::{DocumentStatus, Holder, IssuedDocument, Passport, VisaTerms};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

/// Waits until the case is issued and returns it (as the applicant sees it).
pub async fn wait_issued(app: &TestApp, id: &str, token: &str) -> Value {
    crate::wait::until(&format!("case {id} issued"), crate::wait::BACKGROUND, || async {
        Some(app.case(id, token).await).filter(|case| case["status"] == "issued")
    })
    .await
}

/// Waits until the case's issuance job is recorded done: its runner records that in a
/// transaction of its own, just after the issuance's, so a case can be issued a moment before.
pub async fn wait_job_done(app: &TestApp, id: &str) {
    let job = format!("SELECT status AS value FROM jobs WHERE kind = 'issue_output' AND subject = '{id}'");
    crate::wait::until("the issuance job done", crate::wait::BACKGROUND, || async {
        (app.scalar(&job) == "done").then_some(())
    })
    .await
}

/// An applicant's case approved by an officer and issued; returns (applicant, case id, visa number).
pub async fn issued_visa(app: &TestApp) -> (Account, String, String) {
    let officer = app.staff("officer", "UTO-HQ").await;
    let applicant = app.applicant("holder").await;
    let mut body = valid_application();
    body["applicant"]["surname"] = json!("Müller-Lüdenscheidt");
    body["applicant"]["given_names"] = json!("Zoë Anaïs");
    body["applicant"]["sex"] = json!("F");
    let draft = app.draft(&applicant, &body).await;
    let id = draft["id"].as_str().unwrap().to_owned();
    app.put_bytes(
        &format!("/api/v1/applications/{id}/documents/photo"),
        &applicant.token,
        "image/png",
        photo_png(413, 531),
    )
    .await;
    app.put_bytes(
        &format!("/api/v1/applications/{id}/documents/passport"),
        &applicant.token,
        "application/pdf",
        minimal_pdf(),
    )
    .await;
    assert_eq!(app.act(&id, "submit", &applicant.token, None).await.status(), StatusCode::OK);
    assert_eq!(app.act(&id, "claim", &officer.token, None).await.status(), StatusCode::OK);
    assert_eq!(
        app.act(&id, "decision", &officer.token, Some(json!({"decision": "approve"}))).await.status(),
        StatusCode::OK
    );
    let case = wait_issued(app, &id, &applicant.token).await;
    let number = case["visa_number"].as_str().unwrap().to_owned();
    (applicant, id, number)
}

async fn pdf_bytes(app: &TestApp, id: &str, token: &str) -> Vec<u8> {
    let response = app.get(&format!("/api/v1/applications/{id}/evisa.pdf"), token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    response.bytes().await.unwrap().to_vec()
}

backend_tests! {
    async fn an_approved_case_becomes_an_issued_e_visa(app: TestApp) {
        let (applicant, id, number) = issued_visa(&app).await;
        assert_eq!(number.len(), 9);
        assert!(number.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        let pdf = pdf_bytes(&app, &id, &applicant.token).await;
        assert!(pdf.starts_with(b"%PDF-"));
        let history = app.actions(&id, &applicant.token).await;
        assert_eq!(history.last().unwrap(), "issue");
        assert_eq!(history.iter().filter(|a| *a == "issue").count(), 1);

        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let visa: Value = app.get(&format!("/api/v1/visas/{number}"), &supervisor.token).await.json().await.unwrap();
        assert_eq!(visa["status"], "valid");
        assert_eq!(visa["surname"], "Müller-Lüdenscheidt", "the holder's data as applied for");
        assert_eq!(visa["entries"], "single");
        assert_eq!(visa["duration_of_stay_days"], 14);
        assert_eq!(visa["mrz"][0].as_str().unwrap().len(), 44);
        assert!(visa["mrz"][0].as_str().unwrap().starts_with("VCUTOMUELLER<LUEDENSCHEIDT<<ZOE<ANAIS<"));
        assert_eq!(&visa["mrz"][1].as_str().unwrap()[..9], number);
        // Later edits to the case cannot change the visa: the case is no longer editable, and
        // the record keeps its copy.
        let edit = app.patch(&format!("/api/v1/applications/{id}"), &applicant.token, &json!({"applicant": {"surname": "Other"}})).await;
        problem(edit, StatusCode::CONFLICT).await;

        // Access: applicants and other posts see no visa records.
        problem(app.get(&format!("/api/v1/visas/{number}"), &applicant.token).await, StatusCode::FORBIDDEN).await;
        app.add_post("UTO-LON").await;
        let abroad = app.staff("officer", "UTO-LON").await;
        problem(app.get(&format!("/api/v1/visas/{number}"), &abroad.token).await, StatusCode::NOT_FOUND).await;
        problem(app.get(&format!("/api/v1/applications/{id}/evisa.pdf"), &abroad.token).await, StatusCode::NOT_FOUND).await;
        let intruder = app.applicant("intruder").await;
        problem(app.get(&format!("/api/v1/applications/{id}/evisa.pdf"), &intruder.token).await, StatusCode::NOT_FOUND).await;
    }

    async fn a_case_awaiting_four_eyes_is_issued_only_after_confirmation(app: TestApp) {
        let officer = app.staff("officer", "UTO-HQ").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let applicant = app.applicant("worker").await;
        let id = app.submitted_for(&applicant, "WORK").await;
        assert_eq!(app.act(&id, "claim", &officer.token, None).await.status(), StatusCode::OK);
        assert_eq!(app.act(&id, "decision", &officer.token, Some(json!({"decision": "approve"}))).await.status(), StatusCode::OK);
        assert_eq!(app.case(&id, &applicant.token).await["status"], "pending_approval");
        // A recommendation asks for nothing to be issued: no issuance job exists to run.
        let jobs = format!("SELECT CAST(COUNT(*) AS TEXT) AS value FROM jobs WHERE kind = 'issue_output' AND subject = '{id}'");
        assert_eq!(app.scalar(&jobs), "0", "nothing issued before confirmation");
        problem(app.get(&format!("/api/v1/applications/{id}/evisa.pdf"), &applicant.token).await, StatusCode::NOT_FOUND).await;
        assert_eq!(app.act(&id, "confirm", &supervisor.token, None).await.status(), StatusCode::OK);
        let case = wait_issued(&app, &id, &applicant.token).await;
        let visa: Value = app.get(&format!("/api/v1/visas/{}", case["visa_number"].as_str().unwrap()), &supervisor.token).await.json().await.unwrap();
        assert!(visa["mrz"][0].as_str().unwrap().starts_with("VDUTO"), "long stay: type D");
        assert_eq!(visa["entries"], "multiple");
    }

    async fn revocation_is_coded_audited_and_final(app: TestApp) {
        let (applicant, id, number) = issued_visa(&app).await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let path = format!("/api/v1/visas/{number}/revoke");
        problem(app.post(&path, &officer.token, &json!({"grounds": ["CONDITIONS_NO_LONGER_MET"]})).await, StatusCode::FORBIDDEN).await;
        let no_grounds = app.post(&path, &supervisor.token, &json!({"grounds": []})).await;
        assert_eq!(error_fields(&problem(no_grounds, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["grounds"]);
        let refusal_only = app.post(&path, &supervisor.token, &json!({"grounds": ["NO_MEDICAL_INSURANCE"]})).await;
        assert_eq!(error_fields(&problem(refusal_only, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["grounds[0]"]);
        let revoked = app.post(&path, &supervisor.token, &json!({"grounds": ["CONDITIONS_NO_LONGER_MET"], "note": "Employer withdrew the invitation."})).await;
        assert_eq!(revoked.status(), StatusCode::OK);
        let revoked: Value = revoked.json().await.unwrap();
        assert_eq!(revoked["status"], "revoked");
        assert_eq!(revoked["revocation_grounds"], json!(["CONDITIONS_NO_LONGER_MET"]));
        assert_eq!(app.case(&id, &applicant.token).await["status"], "revoked");
        let history: Value = app.get(&format!("/api/v1/applications/{id}/events"), &supervisor.token).await.json().await.unwrap();
        let last = history["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["action"].as_str(), last["actor_id"].as_str()), (Some("revoke"), Some(supervisor.id.as_str())));
        assert_eq!(last["staff_note"], "Employer withdrew the invitation.");
        let again = app.post(&path, &supervisor.token, &json!({"grounds": ["CONDITIONS_NO_LONGER_MET"]})).await;
        problem(again, StatusCode::CONFLICT).await;
        problem(app.get(&format!("/api/v1/applications/{id}/evisa.pdf"), &applicant.token).await, StatusCode::NOT_FOUND).await;
    }

    async fn independent_tools_accept_the_signature_the_mrz_and_the_qr_token(app: TestApp) {
        let (applicant, id, number) = issued_visa(&app).await;
        let pdf = pdf_bytes(&app, &id, &applicant.token).await;
        let dir = tempfile::tempdir().unwrap();

        if tool("pdfsig", &["-v"]) && tool("certutil", &["-H"]) {
            let report = pdfsig(dir.path(), &pdf, "evisa.pdf", None);
            assert!(report.contains("Signature Validation: Signature is Valid."), "{report}");
            assert!(report.contains("Total document signed"), "{report}");
            assert!(report.contains("ETSI.CAdES.detached"), "{report}");
            // Trusted once the CA is in an NSS database.
            let nss = dir.path().join("nss");
            std::fs::create_dir(&nss).unwrap();
            run(Command::new("certutil").arg("-N").arg("-d").arg(format!("sql:{}", nss.display())).arg("--empty-password"));
            let ca = app.data_dir.path().join("keys").join("dev-csca.cert.pem");
            run(Command::new("certutil").args(["-A", "-n", "evisa-ca", "-t", "C,C,C", "-i"]).arg(&ca).arg("-d").arg(format!("sql:{}", nss.display())));
            let trusted = pdfsig(dir.path(), &pdf, "evisa.pdf", Some(&nss));
            assert!(trusted.contains("Certificate Validation: Certificate is Trusted."), "{trusted}");
            // Any byte changed in the signed ranges breaks it.
            for needle in ["/Producer", "/ByteRange", "startxref"] {
                let mut tampered = pdf.clone();
                let at = pdf.windows(needle.len()).position(|w| w == needle.as_bytes()).unwrap() + 2;
                tampered[at] ^= 0x20;
                let report = pdfsig(dir.path(), &tampered, "tampered.pdf", None);
                assert!(!report.contains("Signature is Valid"), "tampering at {needle} went unnoticed: {report}");
            }
        }

        if tool("pdftotext", &["-v"]) && python_module("mrz.checker.mrva") {
            let file = dir.path().join("evisa.pdf");
            std::fs::write(&file, &pdf).unwrap();
            let text = run(Command::new("pdftotext").arg("-layout").arg(&file).arg("-"));
            let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| l.len() == 44 && (l.starts_with('V') || l.starts_with(&number))).collect();
            assert_eq!(lines.len(), 2, "two MRZ lines in {text}");
            assert!(lines[0].starts_with("VCUTO") && lines[1].starts_with(&number));
            let script = "import sys; from mrz.checker.mrva import MRVACodeChecker; c = MRVACodeChecker(sys.argv[1]); print(bool(c)); sys.exit(0 if c else 1)";
            run(Command::new("python3").args(["-c", script, &format!("{}\n{}", lines[0], lines[1])]));
            assert!(text.contains("SPECIMEN"), "development keys say SPECIMEN");
        }

        if can_read_qr_tokens() {
            let jwks = app.request(Method::GET, "/.well-known/jwks.json", None, None).await.text().await.unwrap();
            let (token, claims) = qr_claims(dir.path(), &pdf, &jwks, "visa");
            assert_eq!(token.split('.').count(), 3, "a compact JWS: {token}");
            assert_eq!(claims["visa_number"], number.as_str());
            assert_eq!(claims["passport_number"], "123456789");
            assert_eq!(claims["name"], "MUELLER<LUEDENSCHEIDT<<ZOE<ANAIS");
            assert_eq!(claims["nationality"], "GBR");
            assert_eq!(claims["iss"], "UTO");
            assert_eq!(claims["entries"], "single");
            for field in ["date_of_birth", "visa_type", "valid_from", "valid_until", "duration_of_stay_days"] {
                assert!(!claims[field].is_null(), "{field}");
            }
            let midnight = |date: &str| {
                date.parse::<chrono::NaiveDate>().unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
            };
            assert_eq!(claims["nbf"], midnight(claims["valid_from"].as_str().unwrap()));
            assert_eq!(claims["exp"], midnight(claims["valid_until"].as_str().unwrap()) + 86_400);
        }
    }

    async fn jwks_publish_the_signers_with_their_chain(app: TestApp) {
        let jwks: Value = app.request(Method::GET, "/.well-known/jwks.json", None, None).await.json().await.unwrap();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1, "the active development signer");
        assert_eq!(keys[0]["kty"], "EC");
        assert_eq!(keys[0]["crv"], "P-256");
        assert_eq!(keys[0]["x5c"].as_array().unwrap().len(), 2);
        assert!(keys[0].get("d").is_none(), "never the private key");
    }
}

/// Runs `evisa serve` on the test app's database and data directory until it exits by itself
/// (a fault injected at `point`) or has issued and finished its job (`point` = None, then
/// killed). Its log goes to the test's output, so a failure shows what the process said.
async fn serve_until(app: &TestApp, point: Option<&str>, id: &str, token: &str) {
    let data_dir = app.data_dir.path().to_str().unwrap();
    let mut env =
        vec![("EVISA_DATA_DIR", data_dir), ("EVISA_ISSUANCE_LEASE_SECONDS", "1"), ("EVISA_ISSUANCE_POLL_MS", "100")];
    env.extend(point.map(|point| ("EVISA_FAULT_INJECTION", point)));
    let mut process = SecondProcess::start_with(app, &env).await;
    match point {
        Some(point) => {
            let status = process.exited_within(crate::wait::BACKGROUND).await;
            assert_eq!(status.and_then(|s| s.code()), Some(70), "the process died at the injected fault {point}");
        }
        None => {
            wait_issued(app, id, token).await;
            // Killed before it records its job done, the job would be done by the next start.
            wait_job_done(app, id).await;
        }
    }
}

mod crash_recovery {
    use super::*;

    async fn run(app: TestApp) {
        let officer = app.staff("officer", "UTO-HQ").await;
        let applicant = app.applicant("crash").await;
        let id = app.submitted(&applicant).await;
        assert_eq!(app.act(&id, "claim", &officer.token, None).await.status(), StatusCode::OK);
        assert_eq!(
            app.act(&id, "decision", &officer.token, Some(json!({"decision": "approve"}))).await.status(),
            StatusCode::OK
        );
        let visas_of_case =
            format!("SELECT CAST(COUNT(*) AS TEXT) AS value FROM issued_documents WHERE case_id = '{id}'");

        // Killed after recording the visa: the case is still approved, with one visa being issued.
        serve_until(&app, Some("exit_after_visa_record"), &id, &applicant.token).await;
        assert_eq!(app.case(&id, &applicant.token).await["status"], "approved");
        assert_eq!(app.scalar(&visas_of_case), "1");
        let number = app.scalar(&format!("SELECT number AS value FROM issued_documents WHERE case_id = '{id}'"));
        assert_eq!(
            app.scalar(&format!("SELECT status AS value FROM issued_documents WHERE case_id = '{id}'")),
            "issuing"
        );

        // Killed after storing the PDF: still not issued, still one visa.
        serve_until(&app, Some("exit_after_pdf_stored"), &id, &applicant.token).await;
        assert_eq!(app.case(&id, &applicant.token).await["status"], "approved");
        assert!(app.data_dir.path().join("documents").join("visas").join(format!("{number}.pdf")).exists());
        problem(
            app.get(&format!("/api/v1/applications/{id}/evisa.pdf"), &applicant.token).await,
            StatusCode::NOT_FOUND,
        )
        .await;

        // A clean restart finishes the job, with the visa recorded the first time.
        serve_until(&app, None, &id, &applicant.token).await;
        let case = app.case(&id, &applicant.token).await;
        assert_eq!(case["visa_number"], number.as_str());
        assert_eq!(app.scalar(&visas_of_case), "1");
        assert_eq!(
            app.scalar(&format!(
                "SELECT CAST(attempts AS TEXT) AS value FROM jobs WHERE kind = 'issue_output' AND subject = '{id}'"
            )),
            "3"
        );
        let pdf = app.get(&format!("/api/v1/applications/{id}/evisa.pdf"), &applicant.token).await;
        assert_eq!(pdf.status(), StatusCode::OK);
        assert_eq!(app.actions(&id, &applicant.token).await.iter().filter(|a| *a == "issue").count(), 1);
    }

    #[actix_web::test]
    async fn sqlite() {
        run(TestApp::spawn_configured(Db::Sqlite, |c| c.issuance_worker = false).await).await;
    }

    #[actix_web::test]
    async fn postgres() {
        if let Some(url) = postgres_url() {
            run(TestApp::spawn_configured(Db::Postgres(url), |c| c.issuance_worker = false).await).await;
        }
    }
}

mod configured_keys {
    use super::*;

    /// A signer made outside the service (here with the library's own CA helpers), handed to it
    /// as PEM files.
    fn pem_files(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf, String) {
        let (signer, key_file) = evisa::issuance::kit::keys::new_dev_signer(dir, "UTO", "Republic of Utopia").unwrap();
        let cert = dir.join("signer.pem");
        let ca = dir.join("csca.pem");
        std::fs::write(&cert, signer.certificate_pem().unwrap()).unwrap();
        std::fs::write(&ca, signer.ca_certificate_pem().unwrap()).unwrap();
        (key_file, cert, ca, signer.kid.clone())
    }

    async fn run(db: Db) {
        let keys_dir = tempfile::tempdir().unwrap();
        let (key, cert, ca, kid) = pem_files(keys_dir.path());
        let app = TestApp::spawn_configured(db, |c| c.signing_files = Some((key, cert, ca))).await;
        let jwks: Value = app.request(Method::GET, "/.well-known/jwks.json", None, None).await.json().await.unwrap();
        let published: Vec<&str> =
            jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
        assert_eq!(published, vec![kid.as_str()], "the configured signer, and no development key");
        assert!(!app.data_dir.path().join("keys").exists(), "no development CA was generated");
        let (applicant, id, number) = issued_visa(&app).await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let visa: Value = app.get(&format!("/api/v1/visas/{number}"), &supervisor.token).await.json().await.unwrap();
        assert_eq!(visa["kid"], kid.as_str());
        let pdf = pdf_bytes(&app, &id, &applicant.token).await;
        if tool("pdftotext", &["-v"]) {
            let file = keys_dir.path().join("evisa.pdf");
            std::fs::write(&file, &pdf).unwrap();
            let text = crate::checkers::run(Command::new("pdftotext").arg(&file).arg("-"));
            assert!(!text.contains("SPECIMEN"), "production keys make no specimen");
            assert!(text.contains(&number));
        }
    }

    #[actix_web::test]
    async fn sqlite() {
        run(Db::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres() {
        if let Some(url) = postgres_url() {
            run(Db::Postgres(url)).await;
        }
    }
}

/// A visa record of a holder of `nationality`, as issuance records it.
fn visa_of(nationality: &str, surname: &str, given_names: &str) -> IssuedDocument {
    let date = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    IssuedDocument {
        number: "AB12CD34E".into(),
        kind: evisa::domain::service::OutputKind::EVisa,
        case_id: "case".into(),
        service_code: "TOURIST".into(),
        holder: Holder {
            surname: surname.into(),
            given_names: given_names.into(),
            sex: Some("F".into()),
            date_of_birth: date("1990-02-15"),
            place_of_birth: Some("Berlin".into()),
            nationality: nationality.into(),
            passport: Some(Passport { number: "C01X00T47".into(), expiry: date("2031-01-01") }),
        },
        terms: Some(VisaTerms {
            type_letter: 'C',
            entries: "single".into(),
            valid_from: date("2027-03-01"),
            valid_until: date("2027-05-29"),
            duration_of_stay_days: 14,
        }),
        issuing_state: "UTO".into(),
        issuing_post: "UTO-HQ".into(),
        issue_date: date("2026-11-27"),
        kid: "kid".into(),
        status: DocumentStatus::Valid,
        pdf: None,
        revocation: None,
        created_at: chrono::Utc::now().naive_utc(),
    }
}

#[test]
fn mrz_nationalities_are_icao_codes_accepted_by_an_independent_checker() {
    if !python_module("mrz.checker.mrva") {
        return;
    }
    let cases = [
        ("DEU", "D<<", "Müller", "Jürgen"),
        ("GBR", "GBR", "O'Brien-Smith", "Mary Ann"),
        ("GBD", "GBD", "Smith", "John"),
        ("XXA", "XXA", "Stateless", "Person"),
        ("XXB", "XXB", "Refugee", "Person"),
        ("RKS", "RKS", "Berisha", "Arta"),
        ("UNO", "UNO", "Official", "Un"),
        ("KAZ", "KAZ", "Нұрлан", "Айгерім"),
        ("RUS", "RUS", "Иванов", "Пётр"),
    ];
    let script = "import sys; from mrz.checker.mrva import MRVACodeChecker; c = MRVACodeChecker(sys.argv[1], check_expiry=False); print(c.report); sys.exit(0 if c else 1)";
    for (nationality, printed, surname, given) in cases {
        let code: evisa::domain::country::CountryCode =
            nationality.parse().unwrap_or_else(|_| panic!("{nationality} is accepted"));
        let [first, second] =
            evisa::issuance::e_visa::claims::mrz_lines(&visa_of(code.as_str(), surname, given)).unwrap();
        assert_eq!(&second[10..13], printed, "{nationality}: {second}");
        let output = Command::new("python3").args(["-c", script, &format!("{first}\n{second}")]).output().unwrap();
        assert!(output.status.success(), "{nationality} {first} {second}: {}", String::from_utf8_lossy(&output.stdout));
    }
}
