//! The portal and the console over plain HTTP: pages answer HTML with a CSRF field, carry the
//! security headers, refuse a POST without a valid CSRF token, set session cookies HttpOnly and
//! SameSite=Lax, end sessions at sign-out and staff sessions when idle, and keep each applicant
//! to their own cases.

use crate::backend_tests;
use crate::helpers::*;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, SET_COOKIE};

/// A browser-like client that keeps cookies and does not follow redirects.
pub(crate) struct Browser {
    client: reqwest::Client,
    address: String,
    cookies: std::sync::Mutex<Vec<(String, String)>>,
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Browser {
        // Idle connections are dropped before the server's keep-alive closes them, as the test
        // app's own client does: a request is never written to a connection closing meanwhile.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .unwrap();
        Browser { client, address: app.address.clone(), cookies: std::sync::Mutex::new(Vec::new()) }
    }

    fn keep(&self, headers: &HeaderMap) {
        let mut cookies = self.cookies.lock().unwrap();
        for value in headers.get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            cookies.retain(|(n, _)| n != name);
            if !text.contains("Max-Age=0") {
                cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.lock().unwrap().iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .header("Cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(response.headers());
        response
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .header("Cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep(response.headers());
        response
    }

    /// Posts a file as a page's upload form does: the CSRF field and `file`.
    pub(crate) async fn upload(&self, path: &str, csrf: &str, media_type: &str, bytes: &[u8]) -> reqwest::Response {
        let boundary = "evisa-test-boundary-7d3f";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload\"\r\nContent-Type: {media_type}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .header("Cookie", self.cookie_header())
            .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(response.headers());
        response
    }

    /// The CSRF token the pages put in their forms (bound to this browser's cookies).
    pub(crate) async fn csrf(&self) -> String {
        let page = self.get("/password-reset").await.text().await.unwrap();
        let at =
            page.find(r#"name="csrf" value=""#).expect("a form with a CSRF field") + r#"name="csrf" value=""#.len();
        page[at..at + 64].to_owned()
    }

    pub(crate) async fn sign_in(&self, email: &str) -> reqwest::Response {
        self.sign_in_with(email, PASSWORD).await
    }

    pub async fn sign_in_with(&self, email: &str, password: &str) -> reqwest::Response {
        self.get("/login").await;
        let csrf = self.csrf().await;
        self.post("/login", &[("csrf", &csrf), ("email", email), ("password", password)]).await
    }
}

pub(crate) fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

backend_tests! {
    async fn pages_are_html_with_csrf_fields_and_security_headers(app: TestApp) {
        let browser = Browser::new(&app);
        for path in ["/", "/register", "/login", "/password-reset", "/apply/TOURIST"] {
            let response = browser.get(path).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let headers = response.headers().clone();
            assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
            let csp = headers["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline") && csp.contains("default-src 'none'"), "{csp}");
            assert_eq!(headers["x-content-type-options"], "nosniff");
            assert_eq!(headers["referrer-policy"], "same-origin");
            let html = response.text().await.unwrap();
            assert!(!html.contains("<script"), "no script on {path}");
            if path != "/" && path != "/apply/TOURIST" {
                assert!(html.contains(r#"name="csrf" value=""#), "{path} carries a CSRF field");
            }
        }
        let first = browser.get("/login").await;
        assert!(first.headers().get_all(SET_COOKIE).iter().all(|c| !c.to_str().unwrap().contains("evisa_csrf")), "the cookie is set once");
        let fresh = reqwest::Client::new().get(format!("{}/login", app.address)).send().await.unwrap();
        let cookie = fresh.headers()[SET_COOKIE].to_str().unwrap().to_owned();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain http in tests");
    }

    async fn a_post_without_a_valid_csrf_token_is_refused(app: TestApp) {
        let applicant = app.applicant("csrf").await;
        let browser = Browser::new(&app);
        browser.get("/login").await;
        let missing = browser.post("/login", &[("email", &applicant.email), ("password", PASSWORD)]).await;
        assert_eq!(missing.status(), StatusCode::FORBIDDEN);
        let wrong = browser.post("/login", &[("csrf", &"0".repeat(64)), ("email", &applicant.email), ("password", PASSWORD)]).await;
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
        assert!(browser.cookie("evisa_session").is_none());
        let signed_in = browser.sign_in(&applicant.email).await;
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&signed_in), "/account/cases");
        let session = signed_in.headers().get_all(SET_COOKIE).iter().map(|c| c.to_str().unwrap().to_owned()).find(|c| c.starts_with("evisa_session=")).unwrap();
        assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
        // Even signed in, a form without the token does nothing.
        let id = app.complete_draft(&applicant).await;
        let refused = browser.post(&format!("/cases/{id}/submit"), &[]).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.case(&id, &applicant.token).await["status"], "draft");
        let csrf = browser.csrf().await;
        let submitted = browser.post(&format!("/cases/{id}/submit"), &[("csrf", &csrf)]).await;
        assert_eq!(submitted.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.case(&id, &applicant.token).await["status"], "submitted");
        // The database keeps only a digest of the session token.
        let token = browser.cookie("evisa_session").unwrap();
        let stored = app.scalar("SELECT token_hash AS value FROM web_sessions LIMIT 1");
        assert_ne!(stored, token);
        assert_eq!(stored.len(), 64);
    }

    async fn sessions_end_at_sign_out_and_staff_sessions_when_idle(app: TestApp) {
        let applicant = app.applicant("leaver").await;
        let browser = Browser::new(&app);
        browser.sign_in(&applicant.email).await;
        assert_eq!(browser.get("/account/cases").await.status(), StatusCode::OK);
        let session = browser.cookie("evisa_session").unwrap();
        let csrf = browser.csrf().await;
        let out = browser.post("/logout", &[("csrf", &csrf)]).await;
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        // The old cookie no longer opens anything, even if a browser kept it.
        let replay = Browser::new(&app);
        replay.cookies.lock().unwrap().push(("evisa_session".into(), session));
        let after = replay.get("/account/cases").await;
        assert_eq!(after.status(), StatusCode::SEE_OTHER);
        assert!(location(&after).starts_with("/login"));

        let officer = app.staff("officer", "UTO-HQ").await;
        let console = Browser::new(&app);
        let signed_in = console.sign_in(&officer.email).await;
        assert_eq!(location(&signed_in), "/console");
        assert_eq!(console.get("/console").await.status(), StatusCode::OK);
        // Thirty-one minutes without a request end a staff session.
        let idle = (chrono::Utc::now() - chrono::Duration::minutes(31)).naive_utc().format("%Y-%m-%d %H:%M:%S").to_string();
        app.execute_sql(&format!("UPDATE web_sessions SET last_seen_at = '{idle}' WHERE user_id = '{}'", officer.id));
        let timed_out = console.get("/console").await;
        assert_eq!(timed_out.status(), StatusCode::SEE_OTHER);
        assert!(location(&timed_out).starts_with("/login"));
        // An applicant idle as long is still signed in.
        let patient = Browser::new(&app);
        patient.sign_in(&applicant.email).await;
        app.execute_sql(&format!("UPDATE web_sessions SET last_seen_at = '{idle}' WHERE user_id = '{}'", applicant.id));
        assert_eq!(patient.get("/account/cases").await.status(), StatusCode::OK);
        // Disabling the account ends its sessions.
        let admin = app.admin().await;
        app.patch(&format!("/api/v1/admin/users/{}", applicant.id), &admin.token, &serde_json::json!({"disabled": true})).await;
        assert_eq!(patient.get("/account/cases").await.status(), StatusCode::SEE_OTHER);
    }

    async fn applicants_see_only_their_own_cases_and_the_console_is_for_staff(app: TestApp) {
        let owner = app.applicant("owner").await;
        let id = app.complete_draft(&owner).await;
        let other = app.applicant("other").await;
        let browser = Browser::new(&app);
        browser.sign_in(&other.email).await;
        for path in [format!("/cases/{id}"), format!("/cases/{id}/step/1"), format!("/cases/{id}/check"), format!("/cases/{id}/files/photo")] {
            assert_eq!(browser.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
        let console = browser.get("/console").await;
        assert_eq!(console.status(), StatusCode::FORBIDDEN);
        let mine = Browser::new(&app);
        mine.sign_in(&owner.email).await;
        let page = mine.get(&format!("/cases/{id}")).await;
        assert_eq!(page.status(), StatusCode::OK);
        let photo = mine.get(&format!("/cases/{id}/files/photo")).await;
        assert_eq!(photo.status(), StatusCode::OK);
        assert_eq!(photo.headers()["content-type"], "image/png");
    }
}

backend_tests! {
    async fn administrators_manage_posts_staff_and_services_in_the_console(app: TestApp) {
        let admin = Browser::new(&app);
        let signed_in = admin.sign_in_with(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(location(&signed_in), "/console/admin");
        let page = admin.get("/console/admin").await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.unwrap().contains("UTO-HQ"));
        let csrf = admin.csrf().await;
        let post = admin.post("/console/admin/posts", &[("csrf", &csrf), ("code", "UTO-LON"), ("name", "Embassy in London"), ("country", "GBR"), ("time_zone", "Europe/London")]).await;
        assert_eq!(post.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.scalar("SELECT time_zone AS value FROM posts WHERE code = 'UTO-LON'"), "Europe/London");
        let bad = admin.post("/console/admin/posts", &[("csrf", &csrf), ("code", "lon"), ("name", "x"), ("country", "GBR"), ("time_zone", "Mars/Base")]).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = bad.text().await.unwrap();
        assert!(body.contains("enter an IANA time zone") && body.contains("joined by dashes"), "each field's own guidance, from the catalogue");
        assert!(body.contains("href=\"#p-tz\"") && body.contains("href=\"#p-code\""), "the summary links to each field");
        assert!(body.contains("value=\"Mars&#x2f;Base\"") && body.contains("value=\"lon\""), "the administration page again, with what was typed");
        let staff = admin.post("/console/admin/staff", &[("csrf", &csrf), ("full_name", "Ann Officer"), ("email", "not-an-address"),
                                                         ("password", "a-Secret-typed-once-77"), ("role", "supervisor"), ("post", "UTO-LON")]).await;
        assert_eq!(staff.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = staff.text().await.unwrap();
        assert!(body.contains("href=\"#s-email\"") && body.contains("value=\"Ann Officer\""), "kept: the name");
        assert!(body.contains("<option value=\"supervisor\" selected>") && body.contains("<option value=\"UTO-LON\" selected>"), "kept: the choices");
        assert!(!body.contains("a-Secret-typed-once-77"), "never the password");
        admin.post("/console/admin/posts/UTO-LON", &[("csrf", &csrf), ("four_eyes", "true")]).await;
        let four_eyes = app.scalar("SELECT CASE WHEN four_eyes THEN 'yes' ELSE 'no' END AS value FROM posts WHERE code = 'UTO-LON'");
        assert_eq!(four_eyes, "yes");

        let staff = admin.post("/console/admin/staff", &[("csrf", &csrf), ("full_name", "Dana Officer"), ("email", "dana@consulate.test"),
            ("password", PASSWORD), ("role", "officer"), ("post", "UTO-LON")]).await;
        assert_eq!(staff.status(), StatusCode::SEE_OTHER);
        let id = app.scalar("SELECT id AS value FROM users WHERE email = 'dana@consulate.test'");
        let officer = Browser::new(&app);
        assert_eq!(location(&officer.sign_in("dana@consulate.test").await), "/console");
        assert_eq!(officer.get("/console/admin").await.status(), StatusCode::FORBIDDEN);
        admin.post(&format!("/console/admin/staff/{id}"), &[("csrf", &csrf), ("disabled", "true")]).await;
        assert_eq!(officer.get("/console").await.status(), StatusCode::SEE_OTHER, "a disabled account is signed out");

        let schema = r#"{"type": "object", "required": ["applicant"], "properties": {"applicant": {"type": "object",
            "required": ["surname", "given_names", "date_of_birth", "nationality"], "properties": {"surname": {"type": "string"},
            "given_names": {"type": "string"}, "date_of_birth": {"type": "string", "format": "date"}, "nationality": {"type": "string"}}}}}"#;
        let service = admin.post("/console/admin/services", &[("csrf", &csrf), ("code", "MARRIAGE_CERTIFICATE"), ("name", "Certificate of marital status"),
            ("description", "Whether the civil register records a marriage."), ("eligibility", "citizens"), ("output", "certificate"),
            ("fee", "1500"), ("currency", "EUR"), ("processing_days", "10"), ("documents", "[]"), ("form_schema", schema)]).await;
        assert_eq!(service.status(), StatusCode::SEE_OTHER);
        let listed: serde_json::Value = app.request(reqwest::Method::GET, "/api/v1/services", None, None).await.json().await.unwrap();
        assert!(listed["items"].as_array().unwrap().iter().any(|s| s["code"] == "MARRIAGE_CERTIFICATE" && s["output"] == "certificate"));
        // It appears in the portal with no code change.
        assert!(Browser::new(&app).get("/").await.text().await.unwrap().contains("Certificate of marital status"));
        let invalid = admin.post("/console/admin/services", &[("csrf", &csrf), ("code", "BROKEN"), ("name", "Broken"), ("eligibility", "both"),
            ("output", "decision"), ("fee", "0"), ("currency", "EUR"), ("processing_days", "10"), ("documents", "[]"), ("form_schema", r#"{"type": 7}"#)]).await;
        assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
        admin.post("/console/admin/services/MARRIAGE_CERTIFICATE", &[("csrf", &csrf), ("active", "false")]).await;
        assert!(!Browser::new(&app).get("/").await.text().await.unwrap().contains("Certificate of marital status"));
        let trail = app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM admin_events WHERE action IN ('create_post', 'update_post', 'update_service', 'create_service') AND actor_id IS NOT NULL");
        assert_eq!(trail, "4", "every change is audited");
    }
}

backend_tests! {
    async fn applicants_answer_withdraw_and_book_through_the_dashboard(app: TestApp) {
        let applicant = app.applicant("dashboard").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let browser = Browser::new(&app);
        browser.sign_in(&applicant.email).await;
        let csrf = browser.csrf().await;

        // Answering a request for information.
        let id = app.submitted(&applicant).await;
        let console = Browser::new(&app);
        console.sign_in(&officer.email).await;
        let staff_csrf = console.csrf().await;
        assert_eq!(console.post(&format!("/console/cases/{id}/claim"), &[("csrf", &staff_csrf)]).await.status(), StatusCode::SEE_OTHER);
        let case_page = console.get(&format!("/console/cases/{id}")).await.text().await.unwrap();
        assert!(case_page.contains("/request-info") && !case_page.contains("/confirm\""), "the officer's actions only");
        let asked = console.post(&format!("/console/cases/{id}/request-info"), &[("csrf", &staff_csrf),
            ("message", "Please show your means."), ("items", "A bank statement for the last three months\n")]).await;
        assert_eq!(asked.status(), StatusCode::SEE_OTHER);
        let note = console.post(&format!("/console/cases/{id}/notes"), &[("csrf", &staff_csrf), ("text", "Means look thin.")]).await;
        assert_eq!(note.status(), StatusCode::SEE_OTHER);
        let page = browser.get(&format!("/cases/{id}")).await.text().await.unwrap();
        assert!(page.contains("A bank statement for the last three months") && page.contains(&format!("/cases/{id}/respond")), "{page}");
        assert!(!page.contains("Means look thin."), "internal notes stay in the console");
        let answered = browser.post(&format!("/cases/{id}/respond"), &[("csrf", &csrf), ("note", "Attached to my passport scan.")]).await;
        assert_eq!(answered.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.case(&id, &applicant.token).await["status"], "in_review");

        // Withdrawing.
        let other = app.submitted(&applicant).await;
        // Withdrawing asks first, and takes an optional reason.
        let unconfirmed = browser.post(&format!("/cases/{other}/withdraw"), &[("csrf", &csrf)]).await;
        assert_eq!(location(&unconfirmed), format!("/cases/{other}/withdraw"));
        assert_ne!(app.case(&other, &applicant.token).await["status"], "withdrawn");
        let question = browser.get(&format!("/cases/{other}/withdraw")).await.text().await.unwrap();
        assert!(question.contains("Are you sure you want to withdraw this application?") && question.contains("No, keep the application"), "{question}");
        let reason = "Я поеду в другой раз";
        let withdrawn = browser.post(&format!("/cases/{other}/withdraw"), &[("csrf", &csrf), ("confirm", "yes"), ("reason", reason)]).await;
        assert_eq!(withdrawn.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.case(&other, &applicant.token).await["status"], "withdrawn");
        let history: serde_json::Value = app.get(&format!("/api/v1/applications/{other}/events"), &applicant.token).await.json().await.unwrap();
        let withdrawal = history["items"].as_array().unwrap().iter().find(|e| e["action"] == "withdraw").unwrap().clone();
        assert!(withdrawal.to_string().contains(reason), "{withdrawal}");
        let dashboard = browser.get("/account/cases").await.text().await.unwrap();
        assert!(dashboard.contains("Withdrawn") && dashboard.contains("In review"), "statuses in words: {dashboard}");

        // Booking an appointment for an approved emergency travel document.
        let admin = app.admin().await;
        let day = serde_json::json!(["09:00-17:00"]);
        let schedule = serde_json::json!({"slot_minutes": 60, "capacity_per_slot": 1,
            "hours": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day}});
        app.request(reqwest::Method::PUT, "/api/v1/admin/posts/UTO-HQ/schedule", Some(&admin.token), Some(&schedule)).await;
        let form = serde_json::json!({"applicant": {"surname": "Nurly", "given_names": "Aigerim", "date_of_birth": "1991-05-04", "nationality": "UTO"},
            "circumstances": "lost", "travel_date": (chrono::Utc::now() + chrono::Duration::days(7)).date_naive().to_string()});
        let created: serde_json::Value = app.post("/api/v1/requests", &applicant.token, &serde_json::json!({"service": "EMERGENCY_TRAVEL_DOCUMENT", "post": "UTO-HQ", "form": form})).await.json().await.unwrap();
        let request = created["id"].as_str().unwrap().to_owned();
        app.put_bytes(&format!("/api/v1/requests/{request}/documents/photo"), &applicant.token, "image/png", photo_png(413, 531)).await;
        assert_eq!(app.post_empty(&format!("/api/v1/requests/{request}/submit"), &applicant.token).await.status(), StatusCode::OK);
        app.post_empty(&format!("/api/v1/cases/{request}/claim"), &officer.token).await;
        app.post(&format!("/api/v1/cases/{request}/decision"), &officer.token, &serde_json::json!({"decision": "approve"})).await;
        // A day first (a link per day with a free place), then a time of that day.
        let page = browser.get(&format!("/cases/{request}")).await.text().await.unwrap();
        assert!(!page.contains("name=\"start\""), "no times before a day is chosen");
        let day = &page.split("?day=").nth(1).expect("days offered")[..10];
        let page = browser.get(&format!("/cases/{request}?day={day}")).await.text().await.unwrap();
        let start = page.split("name=\"start\" value=\"").nth(1).expect("slots offered").split('"').next().unwrap().to_owned();
        assert!(start.starts_with(day), "{start} on {day}");
        let booked = browser.post(&format!("/cases/{request}/appointment"), &[("csrf", &csrf), ("start", &start)]).await;
        assert_eq!(booked.status(), StatusCode::SEE_OTHER);
        let shown: serde_json::Value = app.get(&format!("/api/v1/requests/{request}"), &applicant.token).await.json().await.unwrap();
        assert_eq!(shown["appointment"]["start"].as_str().map(|s| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap()), Some(start.parse().unwrap()));
    }

    async fn e_mailed_links_open_the_portal_pages_they_name(app: TestApp) {
        let applicant = app.applicant("links").await;
        let id = app.submitted(&applicant).await;
        let body = app.eventual_scalar(&format!("SELECT text_body AS value FROM outbox WHERE case_id = '{id}' AND event = 'submitted'")).await;
        let link = body.split_whitespace().find(|w| w.contains("/cases/")).expect("a link to the case").trim_end_matches(['.', ')']).to_owned();
        assert!(link.ends_with(&format!("/cases/{id}")), "{link}");
        let browser = Browser::new(&app);
        browser.sign_in(&applicant.email).await;
        let path = link.split_once("://").unwrap().1.split_once('/').unwrap().1;
        assert_eq!(browser.get(&format!("/{path}")).await.status(), StatusCode::OK);
        let page = Browser::new(&app).get("/verify-email?email=a%40example.org&code=123456").await.text().await.unwrap();
        assert!(page.contains(r#"value="123456""#) && page.contains(r#"value="a@example.org""#), "the code is filled in from the link");
        let page = Browser::new(&app).get("/password-reset/confirm?token=def456").await.text().await.unwrap();
        assert!(page.contains(r#"value="def456""#));
    }
}

backend_tests! {
    async fn a_forgotten_password_is_reset_through_the_portal(app: TestApp) {
        let applicant = app.applicant("forgetful").await;
        let browser = Browser::new(&app);
        browser.get("/password-reset").await;
        let csrf = browser.csrf().await;
        let asked = browser.post("/password-reset", &[("csrf", &csrf), ("email", &applicant.email)]).await;
        assert_eq!(asked.status(), StatusCode::OK);
        let unknown = browser.post("/password-reset", &[("csrf", &csrf), ("email", "nobody@example.org")]).await;
        assert_eq!(unknown.status(), StatusCode::OK, "the same answer whether or not the address is registered");
        let code = app.emailed_token(&applicant.email, "password_reset").await;
        let weak = browser.post("/password-reset/confirm", &[("csrf", &csrf), ("token", &code), ("password", "short")]).await;
        assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let changed = browser.post("/password-reset/confirm", &[("csrf", &csrf), ("token", &code), ("password", "a-Brand-new-passphrase-2026")]).await;
        assert_eq!(changed.status(), StatusCode::OK);
        let signed_in = Browser::new(&app).sign_in_with(&applicant.email, "a-Brand-new-passphrase-2026").await;
        assert_eq!(location(&signed_in), "/account/cases");
        let reused = browser.post("/password-reset/confirm", &[("csrf", &csrf), ("token", &code), ("password", "another-Long-passphrase-9")]).await;
        assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY, "a code works once");
    }
}

backend_tests! {
    async fn portal_registration_answers_alike_for_a_taken_and_a_new_address(app: TestApp) {
        let taken = app.applicant("owner").await;
        let fresh = format!("fresh.{}@example.org", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let mut answers = Vec::new();
        for email in [taken.email.as_str(), fresh.as_str()] {
            let browser = Browser::new(&app);
            browser.get("/register").await;
            let csrf = browser.csrf().await;
            let form = [("csrf", csrf.as_str()), ("full_name", "Sam Vale"), ("email", email), ("password", PASSWORD)];
            let response = browser.post("/register", &form).await;
            answers.push((response.status(), location(&response), browser.cookie("evisa_session").is_some()));
        }
        assert_eq!((answers[0].0, answers[0].2), (answers[1].0, answers[1].2), "a taken address is told apart from a new one");
        assert_eq!(answers[0].1, format!("/verify-email?email={}", taken.email.replace('@', "%40")), "each is asked for its code alike");
        assert!(!answers[0].2, "no session for a registration");
        assert_eq!(answers[1], (StatusCode::SEE_OTHER, format!("/verify-email?email={}", fresh.replace('@', "%40")), false));
        // The e-mailed code signs the new account in.
        let code = app.emailed_token(&fresh, "verify_email").await;
        let browser = Browser::new(&app);
        browser.get("/verify-email").await;
        let csrf = browser.csrf().await;
        assert_eq!(browser.post("/verify-email", &[("csrf", &csrf), ("email", &fresh), ("code", &code)]).await.status(), StatusCode::OK);
        assert!(browser.cookie("evisa_session").is_some());
        assert_eq!(browser.get("/account/cases").await.status(), StatusCode::OK);
    }
}

/// Whether a response is an HTML page holding `words`.
async fn page_with(response: reqwest::Response, status: StatusCode, words: &str) {
    assert_eq!(response.status(), status);
    let kind = response.headers()["content-type"].to_str().unwrap().to_owned();
    let body = response.text().await.unwrap();
    assert!(kind.starts_with("text/html"), "{kind}: {body}");
    assert!(body.contains(words), "{words:?} not in {body}");
}

backend_tests! {
    async fn what_goes_wrong_before_a_page_is_a_page_in_the_visitors_language(app: TestApp) {
        let browser = Browser::new(&app);
        browser.get("/login?lang=ru").await;
        let csrf = browser.csrf().await;
        // A NUL in a form field: refused by field, as a page (PostgreSQL answered 503 before).
        let nul = browser.post("/login", &[("csrf", &csrf), ("email", "x\u{0}@example.org"), ("password", "whatever-it-is")]).await;
        page_with(nul, StatusCode::UNPROCESSABLE_ENTITY, "Не удалось прочитать форму").await;
        // A path segment that names nothing, an unknown page, a form too large, a POST with no form.
        page_with(browser.get("/apply/%FF%FE").await, StatusCode::NOT_FOUND, "Страница не найдена").await;
        page_with(browser.get("/no-such-page").await, StatusCode::NOT_FOUND, "Страница не найдена").await;
        // Its own connection: the server answers before reading the whole body, then closes it.
        let huge = "a".repeat(64_000);
        let too_large = reqwest::Client::new().post(format!("{}/login", app.address)).header("Cookie", browser.cookie_header())
            .form(&[("csrf", csrf.as_str()), ("email", huge.as_str())]).send().await.unwrap();
        page_with(too_large, StatusCode::PAYLOAD_TOO_LARGE, "Отправлено слишком много данных").await;
        let empty = browser.client.post(format!("{}/login", app.address)).header("Cookie", browser.cookie_header()).send().await.unwrap();
        page_with(empty, StatusCode::UNSUPPORTED_MEDIA_TYPE, "Не удалось прочитать форму").await;
        // The API keeps its problem documents.
        let api = browser.get("/api/v1/no-such-thing").await;
        assert_eq!(api.headers()["content-type"], "application/problem+json");

        // A `next` no header could carry is ignored after a good sign-in, not a server error.
        let applicant = app.applicant("next").await;
        let signed_in = browser.post("/login?lang=ru", &[("csrf", &csrf), ("email", &applicant.email), ("password", PASSWORD), ("next", "/ Set-Cookie:x=y")]).await;
        assert_eq!((signed_in.status(), location(&signed_in)), (StatusCode::SEE_OTHER, "/account/cases".to_owned()));
    }
}

backend_tests! {
    async fn the_csrf_token_is_the_sessions_and_changes_at_sign_in(app: TestApp) {
        let applicant = app.applicant("bound").await;
        let browser = Browser::new(&app);
        browser.get("/login").await;
        let before = browser.csrf().await;
        assert_eq!(location(&browser.sign_in(&applicant.email).await), "/account/cases");
        let after = browser.csrf().await;
        assert_ne!(before, after);
        assert_eq!(browser.post("/logout", &[("csrf", &before)]).await.status(), StatusCode::FORBIDDEN, "a token from before sign-in");
        // Another session's token opens nothing here either.
        let other = Browser::new(&app);
        other.sign_in(&app.applicant("other").await.email).await;
        let foreign = other.csrf().await;
        assert_eq!(browser.post("/logout", &[("csrf", &foreign)]).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(browser.post("/logout", &[("csrf", &after)]).await.status(), StatusCode::SEE_OTHER);
    }

    async fn a_link_changes_the_pages_language_and_only_a_signed_in_choice_the_account(app: TestApp) {
        let applicant = app.applicant("polyglot").await;
        let language = || app.scalar(&format!("SELECT preferred_language AS value FROM users WHERE id = '{}'", applicant.id));
        let browser = Browser::new(&app);
        // The language chosen before signing in becomes the account's.
        browser.get("/login?lang=ru").await;
        browser.sign_in(&applicant.email).await;
        assert_eq!(language(), "ru");
        // A link (a GET anyone can make a browser send) changes the pages only.
        let page = browser.get("/account/cases?lang=kk").await.text().await.unwrap();
        assert!(page.contains(r#"<html lang="kk">"#));
        assert_eq!(language(), "ru");
        // The signed-in switch is a form, and changes the e-mails' language too.
        let csrf = browser.csrf().await;
        let switched = browser.post("/account/language", &[("csrf", &csrf), ("lang", "kk"), ("back", "/account/cases")]).await;
        assert_eq!((switched.status(), location(&switched)), (StatusCode::SEE_OTHER, "/account/cases".to_owned()));
        assert_eq!(language(), "kk");
        let elsewhere = browser.post("/account/language", &[("csrf", &csrf), ("lang", "en"), ("back", "//evil.example")]).await;
        assert_eq!(location(&elsewhere), "/");
    }
}

#[actix_web::test]
async fn over_https_cookies_are_host_only_and_secure_and_browsers_are_told_to_stay() {
    let app = TestApp::spawn_configured(Db::Sqlite, |config| config.public_url = "https://evisa.example".into()).await;
    let page = Browser::new(&app).get("/login").await;
    assert_eq!(page.headers()["strict-transport-security"], "max-age=31536000");
    let cookies: Vec<String> =
        page.headers().get_all(SET_COOKIE).iter().map(|c| c.to_str().unwrap().to_owned()).collect();
    let csrf = cookies.iter().find(|c| c.starts_with("__Host-evisa_csrf=")).unwrap_or_else(|| panic!("{cookies:?}"));
    assert!(csrf.contains("Secure") && csrf.contains("Path=/") && !csrf.contains("Domain"), "{csrf}");
}

backend_tests! {
    async fn an_issuance_that_fails_for_good_is_shown_and_retried_once_mended(app: TestApp) {
        // The holder's photo goes missing from the document store before the visa is drawn.
        let applicant = app.applicant("stuck").await;
        let id = app.submitted(&applicant).await;
        let stored = app.scalar(&format!("SELECT storage_key AS value FROM case_documents WHERE case_id = '{id}' AND kind = 'photo'"));
        let photo = app.config.data_dir.join("documents").join(&stored);
        let hidden = photo.with_extension("hidden");
        std::fs::rename(&photo, &hidden).unwrap();
        let officer = app.staff("officer", "UTO-HQ").await;
        assert_eq!(app.act(&id, "claim", &officer.token, None).await.status(), StatusCode::OK);
        assert_eq!(app.act(&id, "decision", &officer.token, Some(serde_json::json!({"decision": "approve"}))).await.status(), StatusCode::OK);
        let error = app.eventual_scalar(&format!("SELECT last_error AS value FROM jobs WHERE subject = '{id}' AND last_error IS NOT NULL")).await;
        assert!(error.contains(&format!("reading {stored}")), "{error}");
        // Its attempts run out (eight, over twenty minutes: here at once).
        app.execute_sql(&format!("UPDATE jobs SET status = 'failed' WHERE subject = '{id}'"));

        let ready: serde_json::Value = app.client.get(format!("{}/ready", app.address)).send().await.unwrap().json().await.unwrap();
        assert_eq!((ready["status"].as_str(), ready["failed_jobs"]["issue_output"].as_i64()), (Some("degraded"), Some(1)), "{ready}");
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let console = Browser::new(&app);
        console.sign_in(&supervisor.email).await;
        let queue = console.get("/console?lang=ru").await.text().await.unwrap();
        assert!(queue.contains("Документы не выдаются"), "{queue}");

        // Mended, and retried by an administrator: issued, and ready again.
        std::fs::rename(&hidden, &photo).unwrap();
        let admin = app.admin().await;
        let retried: serde_json::Value = app.post_empty("/api/v1/admin/issuance/retry", &admin.token).await.json().await.unwrap();
        assert_eq!(retried["retried"], 1);
        crate::issuance::wait_issued(&app, &id, &applicant.token).await;
        let ready: serde_json::Value = app.client.get(format!("{}/ready", app.address)).send().await.unwrap().json().await.unwrap();
        assert_eq!(ready["status"], "ready");
        assert!(!console.get("/console").await.text().await.unwrap().contains("notification-banner"));
    }
}

backend_tests! {
    async fn problems_are_told_in_the_pages_language_and_the_password_rule_is_stated_once(app: TestApp) {
        let browser = Browser::new(&app);
        let page = browser.get("/register?lang=ru").await.text().await.unwrap();
        let min = evisa::domain::password_policy::MIN_LENGTH;
        assert!(page.contains(&format!("Не менее {min} символов")), "the hint states the rule");
        let csrf = browser.csrf().await;
        let refused = browser.post("/register", &[("csrf", &csrf), ("full_name", "Аружан"), ("email", "not-an-address"), ("password", "short")]).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(page.contains(&format!("Пароль должен содержать не менее {min} символов")), "{page}");
        assert!(page.contains("Укажите адрес электронной почты в правильном формате"), "{page}");
        assert!(!page.contains("the password must") && !page.contains("is a required property"), "{page}");
    }
}

backend_tests! {
    async fn the_email_code_can_be_sent_again_without_telling_who_is_registered(app: TestApp) {
        let fresh = format!("again.{}@example.org", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let browser = Browser::new(&app);
        browser.get("/register").await;
        let csrf = browser.csrf().await;
        browser.post("/register", &[("csrf", csrf.as_str()), ("full_name", "Sam Vale"), ("email", &fresh), ("password", PASSWORD)]).await;
        let first = app.emailed_token(&fresh, "verify_email").await;
        let page = browser.get("/verify-email").await.text().await.unwrap();
        assert!(page.contains("Send the code again"), "{page}");
        let mut answers = Vec::new();
        for email in [fresh.as_str(), "nobody.at.all@example.org"] {
            let answer = browser.post("/verify-email/again", &[("csrf", &csrf), ("email", email)]).await;
            answers.push((answer.status(), answer.text().await.unwrap().contains("we have sent it a new code")));
        }
        assert_eq!(answers, [(StatusCode::OK, true), (StatusCode::OK, true)], "the same answer for an unknown address");
        let count = format!("SELECT CAST(COUNT(*) AS TEXT) AS value FROM outbox WHERE recipient = '{fresh}' AND event = 'verify_email'");
        for _ in 0..100 {
            if app.scalar(&count) == "2" { break; }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(app.scalar(&count), "2");
        let second = app.emailed_token(&fresh, "verify_email").await;
        assert_ne!(first, second);
        let old = browser.post("/verify-email", &[("csrf", &csrf), ("email", &fresh), ("code", &first)]).await;
        assert_eq!(old.status(), StatusCode::UNPROCESSABLE_ENTITY, "a new code replaces the one before");
        assert_eq!(browser.post("/verify-email", &[("csrf", &csrf), ("email", &fresh), ("code", &second)]).await.status(), StatusCode::OK);
        assert!(browser.cookie("evisa_session").is_some(), "the new code signs the account in");
    }
}
