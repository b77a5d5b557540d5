//! Upgrade in place: a database and data directory written by the release before the case engine
//! (migrations 1 to 6), with rows in every state, start under this version with nothing lost, and
//! cases submitted before the upgrade are decided and issued after it.

use crate::helpers::*;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::migration::{MigrationConnection, MigrationSource};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// The first migration after the last release.
const RELEASED: &str = "2026-11-27-000007";

pub(crate) const APPLICANT: &str = "10000000-0000-0000-0000-00000000000a";
const OFFICER: &str = "10000000-0000-0000-0000-00000000000b";
const SUPERVISOR: &str = "10000000-0000-0000-0000-00000000000c";
pub(crate) const API_KEY: &str = "evk_UPGRADE001_0123456789abcdefghijklmnopqrstuvwxyzABCD";

/// One case per status, as the last release stored them: (id, status).
pub(crate) const CASES: [(&str, &str); 10] = [
    ("20000000-0000-0000-0000-000000000001", "draft"),
    ("20000000-0000-0000-0000-000000000002", "submitted"),
    ("20000000-0000-0000-0000-000000000003", "in_review"),
    ("20000000-0000-0000-0000-000000000004", "info_requested"),
    ("20000000-0000-0000-0000-000000000005", "pending_approval"),
    ("20000000-0000-0000-0000-000000000006", "approved"),
    ("20000000-0000-0000-0000-000000000007", "issued"),
    ("20000000-0000-0000-0000-000000000008", "rejected"),
    ("20000000-0000-0000-0000-000000000009", "withdrawn"),
    ("20000000-0000-0000-0000-000000000010", "revoked"),
];

pub(crate) fn case_id(status: &str) -> &'static str {
    CASES.iter().find(|(_, s)| *s == status).unwrap().0
}

/// The form of every case: the visa form without its visa type and post.
pub(crate) fn form() -> Value {
    let mut form = valid_application();
    let fields = form.as_object_mut().unwrap();
    fields.remove("visa_type");
    fields.remove("post");
    form
}

/// The rows of the last release, in its schema.
fn release_rows() -> String {
    let hash = evisa::auth::password::hash(PASSWORD).unwrap();
    let key_hash = evisa::auth::api_keys::hash(API_KEY);
    let form = form().to_string().replace('\'', "''");
    let grant = r#"{"entries":"single","valid_from":"DAY","valid_until":"END","duration_of_stay_days":14}"#
        .replace("DAY", &chrono::Utc::now().date_naive().to_string())
        .replace("END", &(chrono::Utc::now().date_naive() + chrono::Duration::days(60)).to_string());
    let at = "'2026-11-20 10:00:00'";
    let mut sql = format!(
        "INSERT INTO posts (code, name, country, time_zone, created_at, four_eyes) VALUES ('UTO-HQ', 'Headquarters', 'UTO', 'UTC', {at}, FALSE);
         INSERT INTO users (id, email, password_hash, full_name, role, post_code, preferred_language, disabled, created_at, email_verified_at) VALUES
           ('{APPLICANT}', 'holder@example.org', '{hash}', 'Old Holder', 'applicant', NULL, 'en', FALSE, {at}, {at}),
           ('{OFFICER}', 'officer@consulate.test', '{hash}', 'Old Officer', 'officer', 'UTO-HQ', 'en', FALSE, {at}, {at}),
           ('{SUPERVISOR}', 'supervisor@consulate.test', '{hash}', 'Old Supervisor', 'supervisor', 'UTO-HQ', 'en', FALSE, {at}, {at});
         INSERT INTO signing_keys (kid, certificate_pem, ca_certificate_pem, key_file, status, development, created_at, activated_at, retired_at)
           VALUES ('old-kid', NULL, NULL, 'retired.key', 'retired', TRUE, {at}, {at}, {at});
         INSERT INTO api_clients (id, name, organisation, scopes, key_prefix, key_hash, disabled, created_at, rotated_at)
           VALUES ('30000000-0000-0000-0000-000000000001', 'Border post', 'Border Guard', 'verify', 'UPGRADE001', '{key_hash}', FALSE, {at}, NULL);
         INSERT INTO email_tokens (token_hash, user_id, purpose, expires_at, used_at, created_at)
           VALUES ('feedface', '{APPLICANT}', 'verify_email', {at}, {at}, {at});
         INSERT INTO admin_events (id, action, target, actor_id, actor_role, details, request_id, created_at)
           VALUES ('40000000-0000-0000-0000-000000000001', 'create_user', '{OFFICER}', NULL, 'system', NULL, NULL, {at});
         INSERT INTO verification_log (id, client_id, method, visa_number, passport_hash, result, ip, created_at)
           VALUES ('50000000-0000-0000-0000-000000000001', '30000000-0000-0000-0000-000000000001', 'number', 'OLDVISA01', NULL, 'valid', NULL, {at});
         INSERT INTO reference_counters (scope, last_value) VALUES ('UTO-2026', 10);"
    );
    for (index, (id, status)) in CASES.iter().enumerate() {
        let submitted = if *status == "draft" { "NULL".to_owned() } else { at.to_owned() };
        let deadline = if *status == "draft" { "NULL" } else { "'2026-12-05 10:00:00'" };
        let assigned = if ["in_review", "info_requested", "pending_approval"].contains(status) {
            format!("'{OFFICER}'")
        } else {
            "NULL".to_owned()
        };
        let decision = match *status {
            "pending_approval" => format!("'{{\"outcome\":\"recommended\",\"grant\":{grant}}}'"),
            "approved" | "issued" | "revoked" => format!("'{{\"outcome\":\"approved\",\"grant\":{grant}}}'"),
            "rejected" => "'{\"outcome\":\"refused\",\"grounds\":[],\"appeal_information\":\"Appeal.\"}'".to_owned(),
            _ => "NULL".to_owned(),
        };
        let recommended = if *status == "pending_approval" { format!("'{OFFICER}'") } else { "NULL".to_owned() };
        sql.push_str(&format!(
            "INSERT INTO cases (id, reference, applicant_id, service, service_code, post_code, status, form, surname, given_names,
                nationality, assigned_officer_id, priority, submitted_at, decision_deadline, version, created_at, updated_at,
                decision, recommended_by, decided_at, visa_number)
             VALUES ('{id}', 'UTO-2026-{n:06}', '{APPLICANT}', 'visa', 'TOURIST', 'UTO-HQ', '{status}', '{form}', 'Smith',
                'John Paul', 'GBR', {assigned}, 'normal', {submitted}, {deadline}, 3, {at}, {at}, {decision}, {recommended}, NULL, NULL);
             INSERT INTO case_events (id, case_id, action, from_status, to_status, actor_id, actor_role, note, internal, details, request_id, created_at, staff_note)
             VALUES ('{id}-e1', '{id}', 'create', NULL, 'draft', '{APPLICANT}', 'applicant', NULL, FALSE, NULL, NULL, {at}, NULL),
                    ('{id}-e2', '{id}', 'edit', 'draft', 'draft', '{APPLICANT}', 'applicant', 'first answers', FALSE, NULL, NULL, {at}, NULL);
             INSERT INTO case_documents (id, case_id, kind, content_type, size_bytes, sha256, storage_key, uploaded_at)
             VALUES ('{id}-photo', '{id}', 'photo', 'image/png', 1, 'x', 'cases/{id}/photo-old', {at}),
                    ('{id}-scan', '{id}', 'passport', 'application/pdf', 1, 'x', 'cases/{id}/passport-old', {at});",
            n = index + 1
        ));
    }
    let visa = |number: &str, case: &str, status: &str, revoked: &str| {
        format!(
            "INSERT INTO visas (visa_number, case_id, visa_type, type_letter, entries, valid_from, valid_until, duration_of_stay_days,
                surname, given_names, sex, date_of_birth, place_of_birth, nationality, passport_number, passport_expiry,
                issuing_state, issuing_post, issue_date, kid, status, pdf_key, pdf_sha256, revoked_at, revocation_grounds, created_at)
             VALUES ('{number}', '{case}', 'TOURIST', 'C', 'single', '2026-11-20', '2027-02-17', 30, 'Smith', 'John Paul', 'M',
                '1990-02-15', 'Leeds', 'GBR', '123456789', '2031-01-01', 'UTO', 'UTO-HQ', '2026-11-20', 'old-kid', '{status}',
                'visas/{number}.pdf', 'x', {revoked}, NULL, {at});
             UPDATE cases SET visa_number = '{number}' WHERE id = '{case}';"
        )
    };
    sql.push_str(&visa("OLDVISA01", case_id("issued"), "valid", "NULL"));
    sql.push_str(&visa("OLDVISA02", case_id("revoked"), "revoked", at));
    sql.push_str(&format!(
        "INSERT INTO issuance_jobs (case_id, status, attempts, run_after, locked_until, last_error, created_at, updated_at)
           VALUES ('{approved}', 'pending', 0, {at}, NULL, NULL, {at}, {at}),
                  ('{issued}', 'done', 1, {at}, NULL, NULL, {at}, {at});
         INSERT INTO outbox (id, message_id, event, case_id, recipient, subject, text_body, html_body, attachment_key,
             attachment_name, status, attempts, run_after, locked_until, last_error, created_at, sent_at)
           VALUES ('60000000-0000-0000-0000-000000000001', '<old-1@evisa.local>', 'submitted', '{submitted}', 'holder@example.org',
                   'Submitted', 'Your application was submitted.', '<p>Submitted</p>', NULL, NULL, 'pending', 0, {at}, NULL, NULL, {at}, NULL),
                  ('60000000-0000-0000-0000-000000000002', '<old-2@evisa.local>', 'issued', '{issued}', 'holder@example.org',
                   'Issued', 'Your visa was issued.', '<p>Issued</p>', NULL, NULL, 'sent', 1, {at}, NULL, NULL, {at}, {at});",
        approved = case_id("approved"),
        issued = case_id("issued"),
        submitted = case_id("submitted"),
    ));
    sql
}

/// A data directory and database as the last release left them, with its stored documents.
fn release_database(data_dir: &std::path::Path, postgres: Option<&PostgresDb>) -> Option<String> {
    migrated_database(data_dir, postgres, RELEASED, &release_rows())
}

/// A database of `data_dir` (or `postgres`) migrated by the migrations named before `before`
/// (their names start with their dates), holding `rows`.
pub(crate) fn migrated_database(
    data_dir: &std::path::Path,
    postgres: Option<&PostgresDb>,
    before: &str,
    rows: &str,
) -> Option<String> {
    let documents = data_dir.join("documents");
    for (id, _) in CASES {
        std::fs::create_dir_all(documents.join("cases").join(id)).unwrap();
        std::fs::write(documents.join("cases").join(id).join("photo-old"), photo_png(413, 531)).unwrap();
        std::fs::write(documents.join("cases").join(id).join("passport-old"), minimal_pdf()).unwrap();
    }
    std::fs::create_dir_all(documents.join("visas")).unwrap();
    for number in ["OLDVISA01", "OLDVISA02"] {
        std::fs::write(documents.join("visas").join(format!("{number}.pdf")), minimal_pdf()).unwrap();
    }
    match postgres {
        Some(pg) => {
            let mut conn = diesel::PgConnection::establish(&pg.url).unwrap();
            MigrationConnection::setup(&mut conn).unwrap();
            for migration in MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES)
                .unwrap()
                .iter()
                .filter(|m| m.name().to_string().as_str() < before)
            {
                conn.run_migration(migration.as_ref()).unwrap();
            }
            conn.batch_execute(rows).unwrap();
            Some(pg.url.clone())
        }
        None => {
            let path = data_dir.join("evisa.db");
            let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
            MigrationConnection::setup(&mut conn).unwrap();
            for migration in MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE)
                .unwrap()
                .iter()
                .filter(|m| m.name().to_string().as_str() < before)
            {
                conn.run_migration(migration.as_ref()).unwrap();
            }
            conn.batch_execute(rows).unwrap();
            None
        }
    }
}

async fn upgraded(db: Db) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let postgres = match db {
        Db::Sqlite => None,
        Db::Postgres(server) => Some(PostgresDb::create(&server)),
    };
    let url = release_database(data_dir.path(), postgres.as_ref());
    let config = TestApp::config(data_dir.path().to_path_buf(), url);
    TestApp::start(config, data_dir, postgres).await
}

async fn wait_for(app: &TestApp, id: &str, token: &str, status: &str) -> Value {
    for _ in 0..200 {
        let case = app.case(id, token).await;
        if case["status"] == status {
            return case;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("case {id} did not become {status}");
}

async fn release_upgrades_in_place(db: Db) {
    let app = upgraded(db).await;
    let holder = app.login("holder@example.org", PASSWORD).await;
    let officer = app.login("officer@consulate.test", PASSWORD).await;
    let supervisor = app.login("supervisor@consulate.test", PASSWORD).await;

    // Every case keeps its status, form, documents and history; issued visas keep their numbers.
    let listed: Value = app.get("/api/v1/applications?per_page=50", &holder).await.json().await.unwrap();
    assert_eq!(listed["total"], 10);
    // The release's cases are counted by post, service and status (drafts aside).
    assert_eq!(app.scalar("SELECT CAST(SUM(cases) AS TEXT) AS value FROM case_counts"), "9");
    app.assert_counts_agree();
    for (id, status) in CASES {
        let case = app.case(id, &holder).await;
        if status != "approved" {
            assert_eq!(case["status"], status, "{id}");
        }
        assert_eq!(case["applicant"]["surname"], "Smith");
        assert_eq!(case["documents"].as_array().unwrap().len(), 2);
        assert!(app.actions(id, &holder).await.starts_with(&["create".to_owned(), "edit".to_owned()]));
    }
    assert_eq!(app.case(case_id("issued"), &holder).await["visa_number"], "OLDVISA01");
    assert_eq!(app.case(case_id("revoked"), &holder).await["visa_number"], "OLDVISA02");
    let photo = app.get(&format!("/api/v1/applications/{}/documents/photo", case_id("submitted")), &holder).await;
    assert_eq!(photo.bytes().await.unwrap().to_vec(), photo_png(413, 531));
    let pdf = app.get(&format!("/api/v1/applications/{}/evisa.pdf", case_id("issued")), &holder).await;
    assert_eq!(pdf.bytes().await.unwrap().to_vec(), minimal_pdf());

    // The approved case's pending issuance moved to the job queue and completes.
    let issued = wait_for(&app, case_id("approved"), &holder, "issued").await;
    assert_eq!(issued["visa_number"].as_str().unwrap().len(), 9);

    // A recommendation made before the upgrade is confirmed and issued after it.
    assert_eq!(app.act(case_id("pending_approval"), "confirm", &supervisor, None).await.status(), StatusCode::OK);
    wait_for(&app, case_id("pending_approval"), &holder, "issued").await;

    // A case submitted before the upgrade is claimed, decided and issued after it.
    assert_eq!(app.act(case_id("submitted"), "claim", &officer, None).await.status(), StatusCode::OK);
    let approve = json!({"decision": "approve"});
    assert_eq!(app.act(case_id("submitted"), "decision", &officer, Some(approve)).await.status(), StatusCode::OK);
    wait_for(&app, case_id("submitted"), &holder, "issued").await;

    // The e-mail left pending by the last release is sent; the sent one stays sent.
    for _ in 0..100 {
        if app.scalar("SELECT status AS value FROM outbox WHERE id = '60000000-0000-0000-0000-000000000001'") == "sent"
        {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.scalar("SELECT status AS value FROM outbox WHERE id = '60000000-0000-0000-0000-000000000001'"),
        "sent"
    );
    assert_eq!(
        app.scalar("SELECT status AS value FROM outbox WHERE id = '60000000-0000-0000-0000-000000000002'"),
        "sent"
    );

    // The API key of the last release still verifies, and revocations still hold.
    let check = |number: &str| json!({"visa_number": number, "passport_number": "123456789"});
    let valid: Value = app.post("/api/v1/verify", API_KEY, &check("OLDVISA01")).await.json().await.unwrap();
    assert_eq!(valid["result"], "valid");
    let revoked: Value = app.post("/api/v1/verify", API_KEY, &check("OLDVISA02")).await.json().await.unwrap();
    assert_eq!(revoked["result"], "revoked");

    // The catalogue answers as before, from the services table.
    let types: Value = app.request(reqwest::Method::GET, "/api/v1/visa-types", None, None).await.json().await.unwrap();
    let codes: Vec<&str> = types["items"].as_array().unwrap().iter().map(|t| t["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["TOURIST", "BUSINESS", "PRIVATE", "MEDICAL", "TRANSIT", "STUDENT", "WORK"]);
    assert_eq!(
        types["items"][0],
        json!({"code": "TOURIST", "name": "Tourist visa", "purpose": "Tourism and sightseeing", "category": "short_stay",
               "entries": "single", "max_stay_days": 30, "validity_days": 90, "processing_days": 15, "four_eyes": false,
               "fee": "80.00", "currency": "EUR"})
    );
    assert_eq!(types["items"][6]["four_eyes"], true);
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM admin_events WHERE action = 'create_user'"),
        "1"
    );
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM verification_log"), "3");

    // Every case of the release owes the fee of its visa type, nothing paid; the consular
    // catalogue is seeded beside the visa types.
    let fees = "SELECT CAST(COUNT(*) AS TEXT) AS value FROM case_fees WHERE amount_minor > 0 AND paid_minor = 0 AND currency = 'EUR'";
    assert_eq!(app.scalar(fees), app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM cases"));
    let holders_case: Value =
        app.get(&format!("/api/v1/cases/{}", case_id("submitted")), &officer).await.json().await.unwrap();
    assert!(holders_case["fee"]["amount_minor"].as_i64().unwrap() > 0, "{holders_case}");
    let consular = "SELECT CAST(COUNT(*) AS TEXT) AS value FROM services WHERE output <> 'e_visa'";
    assert_eq!(app.scalar(consular), "6");
    app.assert_counts_agree();

    // The built-in services and grounds are given their Russian and Kazakh words; the post the
    // operator named keeps its name and gains no words it was not given.
    let tourist = app.scalar("SELECT texts AS value FROM services WHERE code = 'TOURIST'");
    assert!(tourist.contains("Туристическая виза") && tourist.contains("Туристік виза"), "{tourist}");
    let ground = app.scalar("SELECT texts AS value FROM refusal_grounds WHERE code = 'INSUFFICIENT_MEANS'");
    assert!(ground.contains("Недостаточно средств"), "{ground}");
    assert_eq!(app.scalar("SELECT texts AS value FROM posts WHERE code = 'UTO-HQ'"), "{}");
    assert_eq!(app.scalar("SELECT name AS value FROM posts WHERE code = 'UTO-HQ'"), "Headquarters");
}

mod a_release_database_upgrades_in_place {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        release_upgrades_in_place(Db::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres() {
        match postgres_url() {
            Some(url) => release_upgrades_in_place(Db::Postgres(url)).await,
            None => eprintln!("EVISA_TEST_POSTGRES_URL is not set: PostgreSQL variant not run"),
        }
    }
}

/// Schedules and booked places from before schedules were kept per service (migration 20): the
/// post's schedule becomes its schedule for every appointment service, with its places kept.
async fn schedules_upgrade_in_place(db: Db) {
    let data_dir = tempfile::tempdir().unwrap();
    let postgres = match db {
        Db::Sqlite => None,
        Db::Postgres(server) => Some(PostgresDb::create(&server)),
    };
    let rows = "INSERT INTO posts (code, name, country, time_zone, created_at, four_eyes) VALUES ('UTO-HQ', 'Headquarters', 'UTO', 'UTC', '2026-11-20 10:00:00', FALSE);
         INSERT INTO post_schedules (post_code, slot_minutes, capacity_per_slot, hours, closed_dates, updated_at)
             VALUES ('UTO-HQ', 45, 4, '{\"mon\":[\"09:00-12:00\"]}', '[\"2027-01-01\"]', '2026-11-20 10:00:00');
         INSERT INTO appointment_slots (post_code, starts_at, booked) VALUES ('UTO-HQ', '2027-02-01 09:00:00', 3);";
    let url = migrated_database(data_dir.path(), postgres.as_ref(), "2026-12-04-000020", rows);
    let app = TestApp::start(TestApp::config(data_dir.path().to_path_buf(), url), data_dir, postgres).await;
    let schedule = "SELECT service_code || '|' || CAST(slot_minutes AS TEXT) || '|' || CAST(capacity_per_slot AS TEXT) || '|' || hours || '|' || closed_dates AS value FROM post_schedules";
    assert_eq!(app.scalar(schedule), "|45|4|{\"mon\":[\"09:00-12:00\"]}|[\"2027-01-01\"]");
    let places =
        "SELECT service_code || '|' || CAST(booked AS TEXT) AS value FROM appointment_slots WHERE post_code = 'UTO-HQ'";
    assert_eq!(app.scalar(places), "|3");
    let away = "SELECT CAST(COUNT(*) AS TEXT) AS value FROM users WHERE away_until IS NOT NULL";
    assert_eq!(app.scalar(away), "0");
    assert_eq!(app.scalar("SELECT information_lapse AS value FROM services WHERE code = 'TOURIST'"), "officer");
    let paused = "SELECT CAST(COUNT(*) AS TEXT) AS value FROM services WHERE information_pauses_clock = TRUE";
    assert_eq!(
        app.scalar(paused),
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM services"),
        "the clock stops for every service"
    );
    assert_eq!(
        app.scalar("SELECT applies_to AS value FROM refusal_grounds WHERE code = 'INFORMATION_NOT_PROVIDED'"),
        "refusal"
    );
}

mod schedules_upgrade_in_place {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        schedules_upgrade_in_place(Db::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres() {
        match postgres_url() {
            Some(url) => schedules_upgrade_in_place(Db::Postgres(url)).await,
            None => eprintln!("EVISA_TEST_POSTGRES_URL is not set: PostgreSQL variant not run"),
        }
    }
}
