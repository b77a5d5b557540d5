//! Upgrade in place of issued documents (migration 21): visas and certificates written to their
//! two tables by the version before become rows of the one table of issued documents, with their
//! numbers, holders, terms, statuses, revocations and stored PDFs, and answer as before.

use crate::helpers::*;
use crate::upgrade::{API_KEY, APPLICANT, form, migrated_database};
use serde_json::{Value, json};

/// The first migration of the one table of issued documents.
const MERGE: &str = "2026-12-04-000021";

const VISA_CASE: &str = "70000000-0000-0000-0000-000000000001";
const REVOKED_CASE: &str = "70000000-0000-0000-0000-000000000002";
const CERTIFICATE_CASE: &str = "70000000-0000-0000-0000-000000000003";

/// Two visas (one revoked) and a certificate, as the version before stored them.
fn rows() -> String {
    let hash = evisa::auth::password::hash(PASSWORD).unwrap();
    let key_hash = evisa::auth::api_keys::hash(API_KEY);
    let at = "'2026-12-01 10:00:00'";
    let form = form().to_string().replace('\'', "''");
    let today = chrono::Utc::now().date_naive();
    let until = today + chrono::Duration::days(60);
    let mut sql = format!(
        "INSERT INTO posts (code, name, country, time_zone, created_at, four_eyes) VALUES ('UTO-HQ', 'Headquarters', 'UTO', 'UTC', {at}, FALSE);
         INSERT INTO users (id, email, password_hash, full_name, role, post_code, preferred_language, disabled, created_at, email_verified_at)
           VALUES ('{APPLICANT}', 'holder@example.org', '{hash}', 'Holder', 'applicant', NULL, 'en', FALSE, {at}, {at});
         INSERT INTO signing_keys (kid, certificate_pem, ca_certificate_pem, key_file, status, development, created_at, activated_at, retired_at)
           VALUES ('old-kid', NULL, NULL, 'retired.key', 'retired', TRUE, {at}, {at}, {at});
         INSERT INTO api_clients (id, name, organisation, scopes, key_prefix, key_hash, disabled, created_at, rotated_at)
           VALUES ('30000000-0000-0000-0000-000000000001', 'Border post', 'Border Guard', 'verify,revocations', 'UPGRADE001', '{key_hash}', FALSE, {at}, NULL);
         INSERT INTO services (code, name, description, eligibility, form_version, documents, fee_minor, currency, processing_days, output, sort_order, created_at, updated_at)
           VALUES ('NO_CRIMINAL_RECORD', 'Certificate of no criminal record', 'The records show no conviction.', 'both', 1, '[]', 0, 'EUR', 10, 'certificate', 200, {at}, {at});"
    );
    for (id, service, status, n) in [
        (VISA_CASE, "TOURIST", "issued", 1),
        (REVOKED_CASE, "TOURIST", "revoked", 2),
        (CERTIFICATE_CASE, "NO_CRIMINAL_RECORD", "issued", 3),
    ] {
        let family = if service == "TOURIST" { "visa" } else { "consular" };
        sql.push_str(&format!(
            "INSERT INTO cases (id, reference, applicant_id, service, service_code, post_code, status, form, surname, given_names,
                nationality, priority, submitted_at, version, created_at, updated_at)
             VALUES ('{id}', 'UTO-2026-{n:06}', '{APPLICANT}', '{family}', '{service}', 'UTO-HQ', '{status}', '{form}', 'Smith',
                'John Paul', 'GBR', 'normal', {at}, 3, {at}, {at});"
        ));
    }
    for (number, case, status, revoked) in
        [("OLDVISA01", VISA_CASE, "valid", "NULL"), ("OLDVISA02", REVOKED_CASE, "revoked", at)]
    {
        let grounds = if revoked == "NULL" { "NULL" } else { "'[\"HOLDER_REQUEST\"]'" };
        sql.push_str(&format!(
            "INSERT INTO visas (visa_number, case_id, visa_type, type_letter, entries, valid_from, valid_until, duration_of_stay_days,
                surname, given_names, sex, date_of_birth, place_of_birth, nationality, passport_number, passport_expiry,
                issuing_state, issuing_post, issue_date, kid, status, pdf_key, pdf_sha256, revoked_at, revocation_grounds, created_at)
             VALUES ('{number}', '{case}', 'TOURIST', 'C', 'multiple', '{today}', '{until}', 30, 'Smith', 'John Paul', 'M',
                '1990-02-15', 'Leeds', 'GBR', '123456789', '2031-01-01', 'UTO', 'UTO-HQ', '{today}', 'old-kid', '{status}',
                'visas/{number}.pdf', 'x', {revoked}, {grounds}, {at});"
        ));
    }
    sql.push_str(&format!(
        "INSERT INTO certificates (document_number, case_id, service_code, surname, given_names, date_of_birth, nationality,
            issuing_state, issuing_post, issue_date, kid, status, pdf_key, pdf_sha256, revoked_at, revocation_grounds, created_at)
         VALUES ('CRTOLD000001', '{CERTIFICATE_CASE}', 'NO_CRIMINAL_RECORD', 'Smith', 'John Paul', '1990-02-15', 'GBR',
            'UTO', 'UTO-HQ', '{today}', 'old-kid', 'valid', 'certificates/CRTOLD000001.pdf', 'y', NULL, NULL, {at});"
    ));
    sql
}

async fn documents_upgrade_in_place(db: Db) {
    let data_dir = tempfile::tempdir().unwrap();
    let postgres = match db {
        Db::Sqlite => None,
        Db::Postgres(server) => Some(PostgresDb::create(&server)),
    };
    let url = migrated_database(data_dir.path(), postgres.as_ref(), MERGE, &rows());
    let certificates = data_dir.path().join("documents/certificates");
    std::fs::create_dir_all(&certificates).unwrap();
    std::fs::write(certificates.join("CRTOLD000001.pdf"), minimal_pdf()).unwrap();
    let app = TestApp::start(TestApp::config(data_dir.path().to_path_buf(), url), data_dir, postgres).await;

    // Every document is a row of the one table, of its kind, with what it held.
    let row = |number: &str| {
        app.scalar(&format!(
            "SELECT kind || '|' || case_id || '|' || service_code || '|' || status || '|' || surname || '|' || given_names
                || '|' || COALESCE(sex, '-') || '|' || COALESCE(passport_number, '-') || '|' || COALESCE(entries, '-')
                || '|' || COALESCE(CAST(duration_of_stay_days AS TEXT), '-') || '|' || COALESCE(pdf_key, '-')
                || '|' || COALESCE(revocation_grounds, '-') AS value FROM issued_documents WHERE number = '{number}'"
        ))
    };
    assert_eq!(
        row("OLDVISA01"),
        format!("e_visa|{VISA_CASE}|TOURIST|valid|Smith|John Paul|M|123456789|multiple|30|visas/OLDVISA01.pdf|-")
    );
    assert_eq!(
        row("OLDVISA02"),
        format!(
            "e_visa|{REVOKED_CASE}|TOURIST|revoked|Smith|John Paul|M|123456789|multiple|30|visas/OLDVISA02.pdf|[\"HOLDER_REQUEST\"]"
        )
    );
    assert_eq!(
        row("CRTOLD000001"),
        format!(
            "certificate|{CERTIFICATE_CASE}|NO_CRIMINAL_RECORD|valid|Smith|John Paul|-|-|-|-|certificates/CRTOLD000001.pdf|-"
        )
    );
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM issued_documents"), "3");

    // They answer as before: numbers on the cases, checks by number, the revocation feed, the
    // certificate's check and its PDF.
    let holder = app.login("holder@example.org", PASSWORD).await;
    assert_eq!(app.case(VISA_CASE, &holder).await["visa_number"], "OLDVISA01");
    let check = |number: &str| json!({"visa_number": number, "passport_number": "123456789"});
    let valid: Value = app.post("/api/v1/verify", API_KEY, &check("OLDVISA01")).await.json().await.unwrap();
    assert_eq!(valid["result"], "valid", "{valid}");
    assert_eq!(valid["visa"]["entries"], "multiple");
    let revoked: Value = app.post("/api/v1/verify", API_KEY, &check("OLDVISA02")).await.json().await.unwrap();
    assert_eq!(revoked["result"], "revoked");
    let feed: Value = app.get("/api/v1/revocations", API_KEY).await.json().await.unwrap();
    assert_eq!(feed["items"][0]["visa_number"], "OLDVISA02", "{feed}");
    assert_eq!(feed["items"][0]["reason_codes"], json!(["HOLDER_REQUEST"]));
    assert_eq!(feed["items"].as_array().unwrap().len(), 1, "certificates are not visas: {feed}");
    let certificate = json!({"document_number": "CRTOLD000001", "date_of_birth": "1990-02-15"});
    let answer: Value = app.post("/api/v1/verify/document", API_KEY, &certificate).await.json().await.unwrap();
    assert_eq!(answer["result"], "valid", "{answer}");
    assert_eq!(answer["holder"], "John Paul Smith");
    let pdf = app.get(&format!("/api/v1/requests/{CERTIFICATE_CASE}/document.pdf"), &holder).await;
    assert_eq!(pdf.bytes().await.unwrap().to_vec(), minimal_pdf());
    // A visa number is not a certificate number, nor the other way round.
    let crossed = json!({"document_number": "OLDVISA01", "date_of_birth": "1990-02-15"});
    let answer: Value = app.post("/api/v1/verify/document", API_KEY, &crossed).await.json().await.unwrap();
    assert_eq!(answer["result"], "not_found");
}

mod issued_documents_upgrade_in_place {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        documents_upgrade_in_place(Db::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres() {
        match postgres_url() {
            Some(url) => documents_upgrade_in_place(Db::Postgres(url)).await,
            None => eprintln!("EVISA_TEST_POSTGRES_URL is not set: PostgreSQL variant not run"),
        }
    }
}
