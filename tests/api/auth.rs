use crate::backend_tests;
use crate::helpers::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn register(app: &TestApp, body: Value) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/auth/register", None, Some(&body)).await
}

fn claims(app: &TestApp, overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": app.config.jwt_issuer, "aud": app.config.jwt_audience, "sub": "someone",
        "iat": now, "nbf": now, "exp": now + 600, "jti": "x", "role": "applicant"
    });
    for (key, value) in overrides.as_object().unwrap() {
        claims[key] = value.clone();
    }
    claims
}

fn token(alg: Algorithm, secret: &str, claims: &Value) -> String {
    encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

backend_tests! {
    async fn registration_creates_an_applicant_once_and_reveals_no_existing_address(app: TestApp) {
        let body = json!({"email": "Maria.Ivanova@Example.org", "password": PASSWORD, "full_name": "Мария Иванова"});
        let response = register(&app, body.clone()).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let user: Value = response.json().await.unwrap();
        assert_eq!(user["email"], "maria.ivanova@example.org");
        assert_eq!(user["role"], "applicant");
        assert_eq!(user["full_name"], "Мария Иванова");
        assert!(user.get("password_hash").is_none());

        // A taken address gets the same answer as a new one; its owner is told by e-mail.
        let again = register(&app, json!({"email": "maria.ivanova@example.org", "password": PASSWORD, "full_name": "M"})).await;
        assert_eq!(again.status(), StatusCode::CREATED);
        let fresh = register(&app, json!({"email": "someone.new@example.org", "password": PASSWORD, "full_name": "M"})).await;
        assert_eq!(fresh.status(), StatusCode::CREATED);
        let (again, fresh): (Value, Value) = (again.json().await.unwrap(), fresh.json().await.unwrap());
        let shape = |v: &Value| {
            let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(shape(&again), shape(&fresh));
        assert_eq!((&again["role"], &again["disabled"]), (&fresh["role"], &fresh["disabled"]));
        assert_ne!(again["id"], user["id"], "the existing account's id is not revealed");
        let accounts = app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM users WHERE email = 'maria.ivanova@example.org'");
        assert_eq!(accounts, "1");
        let told = app.scalar("SELECT subject AS value FROM outbox WHERE recipient = 'maria.ivanova@example.org' AND event = 'account_exists'");
        assert!(told.starts_with("Someone tried to register"), "{told}");
        let password = app.scalar("SELECT password_hash AS value FROM users WHERE email = 'maria.ivanova@example.org'");
        assert!(evisa::auth::password::verify(PASSWORD, &password), "the existing account is untouched");
    }

    async fn weak_passwords_and_bad_fields_are_refused_with_their_field(app: TestApp) {
        let short = problem(register(&app, json!({"email": "a@example.org", "password": "Sh0rt!", "full_name": "A"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&short), vec!["password"]);
        assert_eq!(short["errors"][0]["code"], "too_short");
        let common = problem(register(&app, json!({"email": "a@example.org", "password": "password123", "full_name": "A"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(common["errors"][0]["code"], "too_common");
        let email = problem(register(&app, json!({"email": "not-an-email", "password": PASSWORD, "full_name": "A"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&email), vec!["email"]);
        let missing = problem(register(&app, json!({"email": "a@example.org", "password": PASSWORD})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(missing["errors"][0]["detail"].as_str().unwrap().contains("full_name"));
    }

    async fn malformed_bodies_get_400_415_and_413(app: TestApp) {
        let url = format!("{}/api/v1/auth/register", app.address);
        let malformed = app.client.post(&url).header("Content-Type", "application/json").body("{\"email\": ").send().await.unwrap();
        problem(malformed, StatusCode::BAD_REQUEST).await;
        let wrong_type = app.client.post(&url).header("Content-Type", "text/plain").body("hello").send().await.unwrap();
        problem(wrong_type, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        let huge = format!("{{\"email\": \"{}\"}}", "a".repeat(100_000));
        let too_large = app.client.post(&url).header("Content-Type", "application/json").body(huge).send().await.unwrap();
        problem(too_large, StatusCode::PAYLOAD_TOO_LARGE).await;
    }

    async fn login_issues_a_bearer_token_that_identifies_the_caller(app: TestApp) {
        let applicant = app.applicant("ada").await;
        let response = app.request(Method::POST, "/api/v1/auth/login", None, Some(&json!({"email": applicant.email, "password": PASSWORD}))).await;
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 1800);
        let me: Value = app.get("/api/v1/me", body["access_token"].as_str().unwrap()).await.json().await.unwrap();
        assert_eq!(me["id"], applicant.id.as_str());
        assert_eq!(me["role"], "applicant");
    }

    async fn wrong_passwords_and_unknown_accounts_get_the_same_401(app: TestApp) {
        let applicant = app.applicant("bob").await;
        let wrong = app.request(Method::POST, "/api/v1/auth/login", None, Some(&json!({"email": applicant.email, "password": "Wrong-password-123"}))).await;
        let wrong = problem(wrong, StatusCode::UNAUTHORIZED).await;
        let unknown = app.request(Method::POST, "/api/v1/auth/login", None, Some(&json!({"email": "nobody@example.org", "password": "Wrong-password-123"}))).await;
        let unknown = problem(unknown, StatusCode::UNAUTHORIZED).await;
        assert_eq!(wrong["detail"], unknown["detail"]);
    }

    async fn repeated_logins_are_throttled_with_retry_after(app: TestApp) {
        let applicant = app.applicant("carol").await;
        // Only failures count (the helper's own sign-in spent nothing); the burst is 5.
        for _ in 0..5 {
            let attempt = app.request(Method::POST, "/api/v1/auth/login", None, Some(&json!({"email": applicant.email, "password": "Guess-number-one-1"}))).await;
            assert_eq!(attempt.status(), StatusCode::UNAUTHORIZED);
        }
        let throttled = app.request(Method::POST, "/api/v1/auth/login", None, Some(&json!({"email": applicant.email, "password": PASSWORD}))).await;
        let retry_after: u64 = throttled.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry_after));
        problem(throttled, StatusCode::TOO_MANY_REQUESTS).await;
        // Another account is unaffected.
        let other = app.applicant("dave").await;
        assert!(!other.token.is_empty());
    }

    async fn forged_expired_and_foreign_tokens_are_refused(app: TestApp) {
        let applicant = app.applicant("eve").await;
        let me = |token: String| {
            let app = &app;
            async move { app.get("/api/v1/me", &token).await.status() }
        };
        let good = claims(&app, json!({"sub": applicant.id}));
        assert_eq!(me(token(Algorithm::HS256, JWT_SECRET, &good)).await, StatusCode::OK);
        assert_eq!(me(token(Algorithm::HS384, JWT_SECRET, &good)).await, StatusCode::UNAUTHORIZED, "other algorithm");
        assert_eq!(me(token(Algorithm::HS256, "another-secret-another-secret-another", &good)).await, StatusCode::UNAUTHORIZED, "bad signature");
        let now = chrono::Utc::now().timestamp();
        let expired = claims(&app, json!({"sub": applicant.id, "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600}));
        assert_eq!(me(token(Algorithm::HS256, JWT_SECRET, &expired)).await, StatusCode::UNAUTHORIZED, "expired");
        let foreign = claims(&app, json!({"sub": applicant.id, "aud": "another-service"}));
        assert_eq!(me(token(Algorithm::HS256, JWT_SECRET, &foreign)).await, StatusCode::UNAUTHORIZED, "other audience");
        let other_issuer = claims(&app, json!({"sub": applicant.id, "iss": "https://elsewhere.example"}));
        assert_eq!(me(token(Algorithm::HS256, JWT_SECRET, &other_issuer)).await, StatusCode::UNAUTHORIZED, "other issuer");
        let system = claims(&app, json!({"sub": applicant.id, "role": "system"}));
        assert_eq!(me(token(Algorithm::HS256, JWT_SECRET, &system)).await, StatusCode::UNAUTHORIZED, "system role");
        let (header, _) = applicant.token.rsplit_once('.').unwrap();
        assert_eq!(me(format!("{header}.")).await, StatusCode::UNAUTHORIZED, "unsigned");
        let missing = app.request(Method::GET, "/api/v1/me", None, None).await;
        assert_eq!(missing.headers()["www-authenticate"], "Bearer");
        problem(missing, StatusCode::UNAUTHORIZED).await;
    }
}
