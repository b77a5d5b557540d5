//! `TestApp`: the service started for one test, with helpers that read like the story of a case.

use chrono::{Duration, Utc};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use evisa::config::Config;
use evisa::startup::Application;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use std::path::PathBuf;
use tempfile::TempDir;

/// The shared secret of test access tokens.
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
/// The first administrator's credentials.
pub const ADMIN_EMAIL: &str = "admin@evisa.test";
/// The first administrator's password.
pub const ADMIN_PASSWORD: &str = "Adm1n-pass-phrase-for-tests";
/// A password every test account uses.
pub const PASSWORD: &str = "river-Otter-47-lantern";

/// Runs each test body once on SQLite and once on PostgreSQL (when configured). The generated
/// tests are `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! backend_tests {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn body($app: $crate::helpers::TestApp) $body

                #[actix_web::test]
                async fn sqlite() {
                    body($crate::helpers::TestApp::spawn($crate::helpers::Db::Sqlite).await).await
                }

                #[actix_web::test]
                async fn postgres() {
                    match $crate::helpers::postgres_url() {
                        Some(url) => body($crate::helpers::TestApp::spawn($crate::helpers::Db::Postgres(url)).await).await,
                        None => eprintln!("EVISA_TEST_POSTGRES_URL is not set: PostgreSQL variant not run"),
                    }
                }
            }
        )*
    };
}

/// The PostgreSQL server to test against, if any. In CI it is required.
pub fn postgres_url() -> Option<String> {
    let url = std::env::var("EVISA_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() && std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
        panic!("CI is set but EVISA_TEST_POSTGRES_URL is not: the PostgreSQL tests must run in CI");
    }
    url
}

/// Which database a test app uses.
pub enum Db {
    /// A SQLite file in the test's data directory.
    Sqlite,
    /// A fresh database on this PostgreSQL server (URL of any database on it).
    Postgres(String),
}

/// A fresh PostgreSQL database, dropped when the test ends.
pub struct PostgresDb {
    admin_url: String,
    name: String,
    /// URL of the fresh database.
    pub url: String,
}

impl PostgresDb {
    /// Creates a database with a unique name on the server of `server_url`.
    pub fn create(server_url: &str) -> PostgresDb {
        let name = format!("evisa_test_{}", uuid::Uuid::new_v4().simple());
        let (base, query) = server_url.split_once('?').map_or((server_url, None), |(b, q)| (b, Some(q)));
        let prefix = &base[..base.rfind('/').filter(|&i| i > "postgres://".len()).unwrap_or(base.len())];
        let with_query = |db: &str| match query {
            Some(q) => format!("{prefix}/{db}?{q}"),
            None => format!("{prefix}/{db}"),
        };
        let admin_url = with_query("postgres");
        let mut conn = diesel::PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is unreachable: {e}"));
        conn.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
        PostgresDb { url: with_query(&name), admin_url, name }
    }
}

impl Drop for PostgresDb {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin_url) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// The server of a test app, on a thread and an actix system of its own as in a real process:
/// stopped and waited for when dropped, so that nothing of a finished test (its workers, job
/// runners, watchers and connections) runs on beside the tests that follow.
pub struct ServerGuard {
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerGuard {
    /// Builds the application from `config` and serves it; its port.
    fn start(config: Config) -> (ServerGuard, u16) {
        let (started, port) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("test-server".into())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    match Application::build(config) {
                        Ok(app) => {
                            let _ = started.send(Ok((app.port(), app.handle())));
                            let _ = app.run_until_stopped().await;
                        }
                        Err(err) => {
                            let _ = started.send(Err(format!("{err:#}")));
                        }
                    }
                })
            })
            .expect("a server thread");
        let (port, handle) = port.recv().expect("the server thread answers").expect("the application starts");
        (ServerGuard { handle, thread: Some(thread) }, port)
    }
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        // The command is sent at once; the server's own thread carries it out.
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The service, started for one test.
pub struct TestApp {
    /// The running server; first, so that it stops before its database and directory go.
    _server: ServerGuard,
    /// Base URL, such as `http://127.0.0.1:40123`.
    pub address: String,
    /// The configuration it runs with.
    pub config: Config,
    /// HTTP client.
    pub client: reqwest::Client,
    /// The data directory (removed at the end).
    pub data_dir: TempDir,
    /// The PostgreSQL database, if any (dropped at the end).
    pub postgres: Option<PostgresDb>,
    /// The administrator, once logged in (logins are throttled per account).
    admin: std::sync::Mutex<Option<Account>>,
    /// Directories of delivered messages.
    mailboxes: std::sync::Mutex<Vec<PathBuf>>,
}

/// An account logged in for a test.
#[derive(Clone, Debug)]
pub struct Account {
    /// Account id.
    pub id: String,
    /// Login e-mail.
    pub email: String,
    /// Access token.
    pub token: String,
}

impl TestApp {
    /// The configuration of a test app on `data_dir`.
    pub fn config(data_dir: PathBuf, database_url: Option<String>) -> Config {
        let mut config = Config::with_data_dir(data_dir);
        config.bind = "127.0.0.1:0".into();
        if let Some(url) = database_url {
            config.database_url = url;
        }
        config.db_pool_size = 5;
        config.jwt_secret = Some(JWT_SECRET.into());
        config.admin_email = ADMIN_EMAIL.into();
        config.admin_password = Some(ADMIN_PASSWORD.into());
        config.issuance_poll_ms = 100;
        config.mail_poll_ms = 100;
        config.mail_retry_secs = 0.2;
        config
    }

    /// Starts the service on a fresh database.
    pub async fn spawn(db: Db) -> TestApp {
        TestApp::spawn_configured(db, |_| {}).await
    }

    /// Starts the service on a fresh database, with configuration changes.
    pub async fn spawn_configured(db: Db, change: impl FnOnce(&mut Config)) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temporary data directory");
        let postgres = match db {
            Db::Sqlite => None,
            Db::Postgres(server) => Some(PostgresDb::create(&server)),
        };
        let mut config = TestApp::config(data_dir.path().to_path_buf(), postgres.as_ref().map(|p| p.url.clone()));
        change(&mut config);
        TestApp::start(config, data_dir, postgres).await
    }

    /// Starts the service with a given configuration.
    pub async fn start(config: Config, data_dir: TempDir, postgres: Option<PostgresDb>) -> TestApp {
        let (server, port) = ServerGuard::start(config.clone());
        let address = format!("http://127.0.0.1:{port}");
        // Idle connections are dropped before the server's keep-alive (5 s) could close one under
        // a request being sent on it.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .unwrap();
        let mailboxes = std::sync::Mutex::new(vec![config.data_dir.join("mail")]);
        TestApp {
            _server: server,
            address,
            config,
            client,
            data_dir,
            postgres,
            admin: std::sync::Mutex::new(None),
            mailboxes,
        }
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Response {
        let mut request = self.client.request(method, format!("{}{}", self.address, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request sent")
    }

    /// GET with a token.
    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token), None).await
    }

    /// POST JSON with a token.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Some(token), Some(body)).await
    }

    /// POST without a body.
    pub async fn post_empty(&self, path: &str, token: &str) -> Response {
        self.request(Method::POST, path, Some(token), None).await
    }

    /// PATCH JSON with a token.
    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::PATCH, path, Some(token), Some(body)).await
    }

    /// PUT raw bytes with a content type.
    pub async fn put_bytes(&self, path: &str, token: &str, content_type: &str, bytes: Vec<u8>) -> Response {
        self.client
            .put(format!("{}{}", self.address, path))
            .bearer_auth(token)
            .header("Content-Type", content_type)
            .body(bytes)
            .send()
            .await
            .expect("request sent")
    }

    /// Logs in and returns the token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let response = self
            .request(Method::POST, "/api/v1/auth/login", None, Some(&json!({"email": email, "password": password})))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "login of {email}");
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// The first administrator, logged in.
    pub async fn admin(&self) -> Account {
        if let Some(admin) = self.admin.lock().unwrap().clone() {
            return admin;
        }
        let token = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let me: Value = self.get("/api/v1/me", &token).await.json().await.unwrap();
        let admin = Account { id: me["id"].as_str().unwrap().to_owned(), email: ADMIN_EMAIL.into(), token };
        *self.admin.lock().unwrap() = Some(admin.clone());
        admin
    }

    /// Registers and logs in a new applicant.
    pub async fn applicant(&self, name: &str) -> Account {
        let email = format!("{name}.{}@example.org", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let response = self
            .request(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(&json!({"email": email, "password": PASSWORD, "full_name": name})),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "registration of {email}");
        let body: Value = response.json().await.unwrap();
        let code = self.emailed_token(&email, "verify_email").await;
        let verified = self
            .request(Method::POST, "/api/v1/auth/verify-email", None, Some(&json!({"email": email, "code": code})))
            .await;
        assert_eq!(verified.status(), StatusCode::OK, "verification of {email}");
        let token = self.login(&email, PASSWORD).await;
        Account { id: body["id"].as_str().unwrap().to_owned(), email, token }
    }

    /// The code of the latest `event` e-mail (verification, password reset) sent to `email`: from
    /// the outbox while the message waits to be sent, and once it is sent (the outbox then keeps
    /// no code) from the delivered message, as its recipient reads it: in the development
    /// mailbox (`<data dir>/mail/*.eml`) or a test SMTP server's (see [`TestApp::add_mailbox`]).
    pub async fn emailed_token(&self, email: &str, event: &str) -> String {
        let latest = format!("FROM outbox WHERE recipient = '{email}' AND event = '{event}' ORDER BY id DESC LIMIT 1");
        let code = |text: &str| {
            ["enter this code: ", "Или введите код: ", "Немесе мына кодты енгізіңіз: "].iter().find_map(|marker| {
                text.find(marker).map(|at| text[at + marker.len()..].split_whitespace().next().unwrap().to_owned())
            })
        };
        let count = format!(
            "SELECT CAST(COUNT(*) AS TEXT) AS value FROM outbox WHERE recipient = '{email}' AND event = '{event}'"
        );
        crate::wait::until(&format!("{event} e-mail to {email} enqueued"), crate::wait::BACKGROUND, || async {
            (self.scalar(&count) != "0").then_some(())
        })
        .await;
        let message_id = self.scalar(&format!("SELECT message_id AS value {latest}"));
        crate::wait::until(&format!("{event} e-mail to {email} delivered"), crate::wait::BACKGROUND, || async {
            if let Some(code) = code(&self.scalar(&format!("SELECT text_body AS value {latest}"))) {
                return Some(code);
            }
            let mailboxes = self.mailboxes.lock().unwrap().clone();
            let text = mailboxes.iter().find_map(|dir| delivered_text(dir, &message_id))?;
            Some(code(&text).expect("a code in the e-mail"))
        })
        .await
    }

    /// Where a test SMTP server stores what it receives, to read delivered messages from.
    pub fn add_mailbox(&self, dir: std::path::PathBuf) {
        self.mailboxes.lock().unwrap().push(dir);
    }

    /// Creates a staff account through the admin API and logs it in.
    pub async fn staff(&self, role: &str, post: &str) -> Account {
        let admin = self.admin().await;
        let email = format!("{role}.{}@consulate.test", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let response = self
            .post(
                "/api/v1/admin/users",
                &admin.token,
                &json!({"email": email, "password": PASSWORD, "full_name": format!("Test {role}"), "role": role, "post": post}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "creation of {email}");
        let body: Value = response.json().await.unwrap();
        let token = self.login(&email, PASSWORD).await;
        Account { id: body["id"].as_str().unwrap().to_owned(), email, token }
    }

    /// Adds a consular post.
    pub async fn add_post(&self, code: &str) {
        let admin = self.admin().await;
        let response = self
            .post(
                "/api/v1/admin/posts",
                &admin.token,
                &json!({"code": code, "name": format!("Post {code}"), "country": "GBR", "time_zone": "Europe/London"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }

    /// Creates a draft from `body` and returns the application.
    pub async fn draft(&self, applicant: &Account, body: &Value) -> Value {
        let response = self.post("/api/v1/applications", &applicant.token, body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// A complete draft with its photo and passport scan, ready to submit; returns its id.
    pub async fn complete_draft(&self, applicant: &Account) -> String {
        let draft = self.draft(applicant, &valid_application()).await;
        let id = draft["id"].as_str().unwrap().to_owned();
        self.attach_documents(applicant, &id).await;
        id
    }

    /// Uploads a photo and a passport scan to a draft.
    pub async fn attach_documents(&self, applicant: &Account, id: &str) {
        let photo = self
            .put_bytes(
                &format!("/api/v1/applications/{id}/documents/photo"),
                &applicant.token,
                "image/png",
                photo_png(413, 531),
            )
            .await;
        assert_eq!(photo.status(), StatusCode::OK);
        let scan = self
            .put_bytes(
                &format!("/api/v1/applications/{id}/documents/passport"),
                &applicant.token,
                "application/pdf",
                minimal_pdf(),
            )
            .await;
        assert_eq!(scan.status(), StatusCode::OK);
    }

    /// A submitted application of `applicant`; returns its id.
    pub async fn submitted(&self, applicant: &Account) -> String {
        self.submitted_for(applicant, "TOURIST").await
    }

    /// A submitted application of `applicant` for a visa type; returns its id.
    pub async fn submitted_for(&self, applicant: &Account, visa_type: &str) -> String {
        let id = self.complete_draft(applicant).await;
        if visa_type != "TOURIST" {
            let patch = json!({"visa_type": visa_type});
            let response = self.patch(&format!("/api/v1/applications/{id}"), &applicant.token, &patch).await;
            assert_eq!(response.status(), StatusCode::OK);
        }
        let response = self.post_empty(&format!("/api/v1/applications/{id}/submit"), &applicant.token).await;
        assert_eq!(response.status(), StatusCode::OK);
        id
    }
}

/// The plain-text part of the delivered message with this Message-ID in a directory of messages
/// (`.eml` files or a maildir), decoded by Python's e-mail package.
pub fn delivered_text(dir: &std::path::Path, message_id: &str) -> Option<String> {
    const READER: &str = r#"
import email, email.policy, pathlib, sys
for path in pathlib.Path(sys.argv[1]).rglob("*"):
    if not path.is_file():
        continue
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    if message["Message-ID"] == sys.argv[2]:
        print(message.get_body(preferencelist=("plain",)).get_content())
        sys.exit(0)
sys.exit(1)
"#;
    let output = std::process::Command::new("python3").args(["-c", READER]).arg(dir).arg(message_id).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A valid visa application with trip dates relative to today.
pub fn valid_application() -> Value {
    let today = Utc::now().date_naive();
    let arrival = today + Duration::days(60);
    let departure = arrival + Duration::days(13);
    json!({
        "visa_type": "TOURIST", "post": "UTO-HQ",
        "applicant": {"surname": "Smith", "given_names": "John Paul", "sex": "M",
                      "date_of_birth": "1990-02-15", "place_of_birth": "Leeds", "nationality": "GBR"},
        "passport": {"number": "123456789", "issuing_state": "GBR",
                     "issue_date": "2020-01-10", "expiry_date": (today + Duration::days(5 * 365)).to_string()},
        "travel": {"purpose": "tourism", "arrival_date": arrival.to_string(), "departure_date": departure.to_string(),
                   "address": "Hotel Astana, Kabanbay Batyr 1"},
        "contact": {"email": "john@example.org", "phone": "+44 20 7946 0000"}
    })
}

/// A PNG photo of the given size.
pub fn photo_png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

/// The smallest complete PDF file.
pub fn minimal_pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

/// Reads a problem+json response, checking its media type and status.
pub async fn problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status.as_u16());
    assert!(body["type"].as_str().unwrap().starts_with("urn:evisa:problem:"));
    assert!(body["title"].is_string() && body["detail"].is_string());
    body
}

/// The fields named by a validation problem.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().expect("errors list").iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

impl TestApp {
    /// Runs SQL directly on the test database, for arranging what the API cannot (such as a
    /// deadline in the past).
    pub fn execute_sql(&self, sql: &str) {
        match &self.postgres {
            Some(pg) => diesel::PgConnection::establish(&pg.url).unwrap().batch_execute(sql).unwrap(),
            None => sqlite(&self.config.database_url).batch_execute(sql).unwrap(),
        }
    }

    /// A case's current state, as the given account sees it.
    pub async fn case(&self, id: &str, token: &str) -> Value {
        let response = self.get(&format!("/api/v1/applications/{id}"), token).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// POSTs an action on a case and returns the response.
    pub async fn act(&self, id: &str, action: &str, token: &str, body: Option<Value>) -> Response {
        let path = format!("/api/v1/applications/{id}/{action}");
        match body {
            Some(body) => self.post(&path, token, &body).await,
            None => self.post_empty(&path, token).await,
        }
    }

    /// The actions of a case's history, as the given account sees them.
    pub async fn actions(&self, id: &str, token: &str) -> Vec<String> {
        let history: Value = self.get(&format!("/api/v1/applications/{id}/events"), token).await.json().await.unwrap();
        history["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
    }
}

#[derive(diesel::QueryableByName)]
struct Scalar {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

impl TestApp {
    /// Asserts that the kept counts of cases by post, service and status are what the cases hold.
    pub fn assert_counts_agree(&self) {
        const ACTUAL: &str = "SELECT post_code, service_code, status, COUNT(*) AS n FROM cases WHERE status <> 'draft' \
            GROUP BY post_code, service_code, status";
        const KEPT: &str = "SELECT post_code, service_code, status, CAST(SUM(cases) AS BIGINT) AS n FROM case_counts \
            GROUP BY post_code, service_code, status HAVING SUM(cases) <> 0";
        for (left, right) in [(ACTUAL, KEPT), (KEPT, ACTUAL)] {
            let differ =
                self.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) AS value FROM ({left} EXCEPT {right}) AS d"));
            assert_eq!(differ, "0", "case counts differ from the cases: {left} EXCEPT {right}");
        }
    }

    /// The single text value (aliased `value`) a query returns, read directly from the database.
    pub fn scalar(&self, sql: &str) -> String {
        self.scalar_opt(sql).unwrap_or_else(|| panic!("no row: {sql}"))
    }

    /// The text value a query returns, if it returns a row.
    pub fn scalar_opt(&self, sql: &str) -> Option<String> {
        use diesel::{OptionalExtension, RunQueryDsl};
        let row: Option<Scalar> = match &self.postgres {
            Some(pg) => diesel::sql_query(sql)
                .get_result(&mut diesel::PgConnection::establish(&pg.url).unwrap())
                .optional()
                .unwrap(),
            None => diesel::sql_query(sql)
                .get_result(&mut diesel::SqliteConnection::establish(&self.config.database_url).unwrap())
                .optional()
                .unwrap(),
        };
        row.map(|r| r.value)
    }

    /// The text value of a query once it returns a row (work done in the background).
    pub async fn eventual_scalar(&self, sql: &str) -> String {
        crate::wait::until(&format!("a row of {sql}"), crate::wait::BACKGROUND, || async { self.scalar_opt(sql) }).await
    }
}

/// A connection to the test's SQLite file that waits, like the service's own, while another
/// connection writes.
fn sqlite(path: &str) -> diesel::SqliteConnection {
    let mut conn = diesel::SqliteConnection::establish(path).unwrap();
    conn.batch_execute("PRAGMA busy_timeout = 10000;").unwrap();
    conn
}
