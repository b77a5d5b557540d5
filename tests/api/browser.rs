//! The portal and the console in a real browser: headless Chromium driven over WebDriver
//! (Debian's `chromium` and `chromium-driver`, started here on a loopback port it picks), through the
//! whole story of a visa and of a consular certificate, at phone and desktop sizes, with axe-core
//! checking the main pages for serious or critical accessibility violations. Screenshots go to
//! `target/screenshots/`.

use crate::backend_tests;
use crate::helpers::*;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use reqwest::StatusCode;
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

/// A phone-sized window and a desktop one.
pub(crate) const PHONE: (u32, u32) = (390, 844);
pub(crate) const DESKTOP: (u32, u32) = (1280, 900);

/// A chromedriver process, stopped when dropped.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Starts chromedriver on a free port; `None` (outside CI) when it is not installed.
    pub async fn start() -> Option<Driver> {
        if Command::new("chromedriver").arg("--version").output().is_err() {
            assert!(std::env::var("CI").is_err(), "CI must install chromium and chromium-driver (see .ci/run)");
            eprintln!("chromedriver is not installed: browser test skipped outside CI");
            return None;
        }
        let mut command = Command::new("chromedriver");
        command.arg("--port=0");
        let (child, port) =
            crate::servers::spawn_reporting_port(command, "successfully on port ").expect("chromedriver starts");
        Some(Driver { child, port })
    }

    /// A new browser window (its own cookies) of the given size.
    pub async fn window(&self, (width, height): (u32, u32)) -> Client {
        let mut capabilities = serde_json::Map::new();
        let binary = if std::path::Path::new("/usr/bin/chromium").exists() { "/usr/bin/chromium" } else { "chromium" };
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({"binary": binary, "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                   format!("--window-size={width},{height}"), "--lang=en-GB"]}),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a browser session");
        client.set_window_size(width, height).await.unwrap();
        client
    }
}

/// Where screenshots go.
fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves the page at phone and desktop sizes, then restores `size`.
pub(crate) async fn shoot(client: &Client, name: &str, size: (u32, u32)) {
    client
        .execute("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    for (label, (width, height)) in [("phone", PHONE), ("desktop", DESKTOP)] {
        client.set_window_size(width, height).await.unwrap();
        let png = client.screenshot().await.unwrap();
        std::fs::write(screenshots().join(format!("{name}-{label}.png")), png).unwrap();
    }
    client.set_window_size(size.0, size.1).await.unwrap();
}

/// Saves the page from the element `css` down, at phone and desktop sizes, then restores `size`.
pub(crate) async fn shoot_from(client: &Client, name: &str, size: (u32, u32), css: &str) {
    let scroll = "document.activeElement && document.activeElement.blur(); document.querySelector(arguments[0]).scrollIntoView();";
    for (label, (width, height)) in [("phone", PHONE), ("desktop", DESKTOP)] {
        client.set_window_size(width, height).await.unwrap();
        client.execute(scroll, vec![json!(css)]).await.unwrap();
        let png = client.screenshot().await.unwrap();
        std::fs::write(screenshots().join(format!("{name}-{label}.png")), png).unwrap();
    }
    client.set_window_size(size.0, size.1).await.unwrap();
}

/// axe-core's source, installed from the npm registry by `.ci/run`.
pub(crate) fn axe_source() -> Option<String> {
    let candidates = [
        std::env::var("EVISA_AXE_JS").ok().map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/npm/node_modules/axe-core/axe.min.js")),
    ];
    let found = candidates.into_iter().flatten().find(|p| p.exists()).and_then(|p| std::fs::read_to_string(p).ok());
    if found.is_none() {
        assert!(std::env::var("CI").is_err(), "CI must install axe-core (see .ci/run)");
        eprintln!("axe-core is not installed: accessibility check skipped outside CI");
    }
    found
}

/// The serious and critical accessibility violations axe-core finds on the current page.
async fn violations(client: &Client, axe: &str) -> Vec<String> {
    client.execute(axe, vec![]).await.unwrap();
    let script = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ["violations"]}).then(r => done(
            r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", "))));
    "#;
    let found = client.execute_async(script, vec![]).await.unwrap();
    serde_json::from_value(found).unwrap()
}

/// Checks the current page with axe-core, if installed, naming the page on failure.
pub(crate) async fn accessible(client: &Client, axe: &Option<String>, page: &str) {
    if let Some(axe) = axe {
        let found = violations(client, axe).await;
        assert!(found.is_empty(), "{page}: {found:?}");
    }
}

pub(crate) async fn fill(client: &Client, id: &str, value: &str) {
    let field = client.find(Locator::Id(id)).await.unwrap_or_else(|_| panic!("field {id}"));
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Sets a field's value by script (date inputs take typed text in the browser's locale format).
pub(crate) async fn set(client: &Client, id: &str, value: &str) {
    client
        .execute("document.getElementById(arguments[0]).value = arguments[1];", vec![json!(id), json!(value)])
        .await
        .unwrap();
}

/// Chooses the option of value `value` in the select `id`.
pub(crate) async fn choose(client: &Client, id: &str, value: &str) {
    let select = client.find(Locator::Id(id)).await.unwrap();
    select.select_by_value(value).await.unwrap();
}

/// The time origin of the loaded document: it changes when another page loads.
async fn document_id(client: &Client) -> String {
    client.execute("return String(performance.timeOrigin);", vec![]).await.unwrap().to_string()
}

/// Clicks what leads to another page, and waits until that page has loaded.
pub(crate) async fn press(client: &Client, css: &str) {
    let before = document_id(client).await;
    client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no {css}")).click().await.unwrap();
    loaded(client, &before).await;
}

/// Waits until a document other than `before` has loaded completely.
async fn loaded(client: &Client, before: &str) {
    for _ in 0..200 {
        if let Ok(now) = client
            .execute("return document.readyState === 'complete' ? String(performance.timeOrigin) : '';", vec![])
            .await
            && now.as_str().is_some_and(|t| !t.is_empty() && t != before.trim_matches('"'))
        {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the next page did not load");
}

pub(crate) async fn text(client: &Client) -> String {
    client.find(Locator::Css("main")).await.unwrap().text().await.unwrap()
}

pub(crate) async fn path(client: &Client) -> String {
    client.current_url().await.unwrap().path().to_owned()
}

/// Signs in through the sign-in page.
pub(crate) async fn sign_in(client: &Client, app: &TestApp, email: &str) {
    sign_in_with(client, app, email, PASSWORD).await;
}

pub(crate) async fn sign_in_with(client: &Client, app: &TestApp, email: &str, password: &str) {
    client.goto(&format!("{}/login", app.address)).await.unwrap();
    fill(client, "f-email", email).await;
    fill(client, "f-password", password).await;
    press(client, "main form button[type=submit]").await;
}

/// Registers through the portal and confirms the address with the e-mailed code.
pub(crate) async fn register(client: &Client, app: &TestApp, name: &str) -> String {
    let email = format!("{}.{}@example.org", name.to_lowercase(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
    client.goto(&format!("{}/register", app.address)).await.unwrap();
    fill(client, "f-full_name", name).await;
    fill(client, "f-email", &email).await;
    fill(client, "f-password", "short").await;
    press(client, "main form button[type=submit]").await;
    // The API's wording, next to the field and in the summary.
    assert!(client.find(Locator::Css(".error-summary a[href='#f-password']")).await.is_ok(), "{}", text(client).await);
    assert!(client.find(Locator::Css("#f-password-error")).await.is_ok());
    fill(client, "f-password", PASSWORD).await;
    press(client, "main form button[type=submit]").await;
    assert_eq!(path(client).await, "/verify-email");
    let code = app.emailed_token(&email, "verify_email").await;
    // The address is filled in from the registration; the six digits are typed.
    fill(client, "f-code", &code).await;
    press(client, "main form button[type=submit]").await;
    email
}

/// Uploads a file through the documents page.
pub(crate) async fn upload(client: &Client, kind: &str, file: &std::path::Path) {
    let input = client.find(Locator::Id(&format!("file-{kind}"))).await.unwrap();
    input.send_keys(&file.display().to_string()).await.unwrap();
    press(client, &format!("form[action$='/documents/{kind}'] button")).await;
}

/// The browser's session cookie.
async fn session_cookie(client: &Client) -> String {
    client.get_named_cookie("evisa_session").await.unwrap().value().to_owned()
}

/// Downloads what was issued with the browser's session cookie.
async fn download(client: &Client, app: &TestApp, href: &str) -> (StatusCode, String, Vec<u8>) {
    fetch(app, href, &session_cookie(client).await).await
}

/// Fetches a page or file with a session cookie, not following redirects.
async fn fetch(app: &TestApp, href: &str, session: &str) -> (StatusCode, String, Vec<u8>) {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}{href}", app.address))
        .header("Cookie", format!("evisa_session={session}"))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let kind = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, kind, response.bytes().await.unwrap().to_vec())
}

async fn officer_decides(driver: &Driver, app: &TestApp, axe: &Option<String>, case_id: &str, screens: bool) {
    let officer = app.staff("officer", "UTO-HQ").await;
    let supervisor = app.staff("supervisor", "UTO-HQ").await;
    let console = driver.window(DESKTOP).await;
    sign_in(&console, app, &officer.email).await;
    assert_eq!(path(&console).await, "/console");
    assert!(text(&console).await.contains("Claim the next case"));
    if screens {
        shoot(&console, "console-queue", DESKTOP).await;
    }
    accessible(&console, axe, "console queue").await;
    press(&console, "form[action='/console/claim-next'] button").await;
    assert_eq!(path(&console).await, format!("/console/cases/{case_id}"));
    // Only what the state machine allows: an officer cannot confirm or revoke.
    assert!(console.find(Locator::Css("form[action$='/confirm']")).await.is_err());
    assert!(console.find(Locator::Css("form[action$='/revoke']")).await.is_err());
    if screens {
        shoot(&console, "console-case", DESKTOP).await;
    }
    accessible(&console, axe, "console case").await;
    press(&console, "form[action$='/decision'] input[value=approve] ~ button").await;
    assert!(text(&console).await.contains("Waiting for confirmation"), "{}", text(&console).await);
    console.close().await.unwrap();

    let second = driver.window(DESKTOP).await;
    sign_in(&second, app, &supervisor.email).await;
    second.goto(&format!("{}/console?status=pending_approval", app.address)).await.unwrap();
    if screens {
        shoot(&second, "console-queue-supervisor", DESKTOP).await;
    }
    accessible(&second, axe, "the supervisor's queue and its chart").await;
    press(&second, &format!("a[href='/console/cases/{case_id}']")).await;
    // The recommendation in full, before it is confirmed.
    assert!(second.find(Locator::Css(".recommendation")).await.is_ok(), "{}", text(&second).await);
    if screens {
        shoot(&second, "console-recommendation", DESKTOP).await;
    }
    accessible(&second, axe, "the recommendation").await;
    press(&second, "form[action$='/confirm'] button").await;
    let status = app
        .eventual_scalar(&format!("SELECT status AS value FROM cases WHERE id = '{case_id}' AND status = 'issued'"))
        .await;
    assert_eq!(status, "issued");
    second.close().await.unwrap();
}

backend_tests! {
    async fn a_visa_from_registration_to_download_in_a_phone_sized_browser_in_russian(app: TestApp) {
        let Some(driver) = Driver::start().await else { return };
        let axe = axe_source();
        let admin = app.admin().await;
        // Four-eyes at the post: an officer recommends, a supervisor confirms.
        assert_eq!(app.patch("/api/v1/admin/posts/UTO-HQ", &admin.token, &json!({"four_eyes": true})).await.status(), StatusCode::OK);
        let phone = driver.window(PHONE).await;
        phone.goto(&format!("{}/?lang=ru", app.address)).await.unwrap();
        assert!(text(&phone).await.contains("Подайте заявление на визу"), "{}", text(&phone).await);
        shoot(&phone, "home", PHONE).await;
        accessible(&phone, &axe, "home").await;
        let email = register(&phone, &app, "Zoe").await;
        assert!(text(&phone).await.contains("подтверждён"), "{}", text(&phone).await);

        phone.goto(&format!("{}/apply/TOURIST", app.address)).await.unwrap();
        press(&phone, "main form button[type=submit]").await;
        // Step 1 of the visa form: about you. The nationality is a country chosen by name.
        assert!(text(&phone).await.contains("Шаг 1 из 6"), "{}", text(&phone).await);
        fill(&phone, "f-applicant-surname", "Müller").await;
        fill(&phone, "f-applicant-given_names", "Zoe").await;
        choose(&phone, "f-applicant-sex", "F").await;
        set(&phone, "f-applicant-date_of_birth", "1990-02-15").await;
        choose(&phone, "f-applicant-nationality", "GBR").await;
        shoot(&phone, "form-step", PHONE).await;
        accessible(&phone, &axe, "form step").await;
        // Continuing checks the step as submission will: the place of birth is missing, and
        // the step says so beside the field, in Russian, before going on.
        press(&phone, "main form button[type=submit]").await;
        assert!(phone.find(Locator::Css(".error-summary a[href='#f-applicant-place_of_birth']")).await.is_ok(), "{}", text(&phone).await);
        assert!(text(&phone).await.contains("Место рождения: укажите ответ"), "{}", text(&phone).await);
        assert_eq!(phone.find(Locator::Id("f-applicant-surname")).await.unwrap().prop("value").await.unwrap().as_deref(), Some("Müller"));
        fill(&phone, "f-applicant-place_of_birth", "London").await;
        press(&phone, "main form button[type=submit]").await;
        // Step 2: the passport.
        let today = chrono::Utc::now().date_naive();
        fill(&phone, "f-passport-number", "123456789").await;
        choose(&phone, "f-passport-issuing_state", "GBR").await;
        set(&phone, "f-passport-issue_date", "2020-01-10").await;
        set(&phone, "f-passport-expiry_date", &(today + chrono::Duration::days(3000)).to_string()).await;
        press(&phone, "main form button[type=submit]").await;
        // The draft is saved at each step: leaving and coming back finds the answers.
        phone.goto(&format!("{}/account/cases", app.address)).await.unwrap();
        press(&phone, "main table a").await;
        press(&phone, "main a.button").await;
        assert_eq!(phone.find(Locator::Id("f-applicant-surname")).await.unwrap().prop("value").await.unwrap().as_deref(), Some("Müller"));
        let case_id = path(&phone).await.split('/').nth(2).unwrap().to_owned();
        phone.goto(&format!("{}/cases/{case_id}/step/3", app.address)).await.unwrap();
        fill(&phone, "f-travel-purpose", "Sightseeing").await;
        set(&phone, "f-travel-arrival_date", &(today + chrono::Duration::days(60)).to_string()).await;
        set(&phone, "f-travel-departure_date", &(today + chrono::Duration::days(74)).to_string()).await;
        fill(&phone, "f-travel-address", "Hotel Central, Utopia City").await;
        press(&phone, "main form button[type=submit]").await;
        fill(&phone, "f-contact-email", &email).await;
        fill(&phone, "f-contact-phone", "+44 20 7946 0000").await;
        press(&phone, "main form button[type=submit]").await;

        // Documents: the rules are stated before upload, and the photo is previewed.
        assert_eq!(path(&phone).await, format!("/cases/{case_id}/documents"));
        assert!(text(&phone).await.contains("413 × 531"), "{}", text(&phone).await);
        let dir = tempfile::tempdir().unwrap();
        let photo = dir.path().join("photo.png");
        std::fs::write(&photo, photo_png(413, 531)).unwrap();
        let scan = dir.path().join("passport.pdf");
        std::fs::write(&scan, minimal_pdf()).unwrap();
        upload(&phone, "photo", &photo).await;
        upload(&phone, "passport", &scan).await;
        assert!(phone.find(Locator::Css("img.preview")).await.is_ok(), "the photo is previewed");
        shoot(&phone, "documents", PHONE).await;
        accessible(&phone, &axe, "documents").await;
        press(&phone, "main p a.button").await;
        // Check your answers, change one, submit.
        assert_eq!(path(&phone).await, format!("/cases/{case_id}/check"));
        assert!(text(&phone).await.contains("Müller"));
        shoot(&phone, "check-answers", PHONE).await;
        accessible(&phone, &axe, "check answers").await;
        press(&phone, "main form button[type=submit]").await;
        assert!(path(&phone).await.starts_with(&format!("/cases/{case_id}")), "{}", text(&phone).await);
        assert!(text(&phone).await.contains("Подано"), "{}", text(&phone).await);
        let language = app.scalar(&format!("SELECT preferred_language AS value FROM users WHERE email = '{email}'"));
        assert_eq!(language, "ru", "the e-mails follow the portal's language");
        let subject = app.eventual_scalar(&format!("SELECT subject AS value FROM outbox WHERE case_id = '{case_id}' AND event = 'submitted'")).await;
        assert!(subject.contains("получено"), "{subject}");

        officer_decides(&driver, &app, &axe, &case_id, true).await;

        phone.goto(&format!("{}/cases/{case_id}", app.address)).await.unwrap();
        assert!(text(&phone).await.contains("Выдано"), "{}", text(&phone).await);
        shoot(&phone, "case-issued", PHONE).await;
        accessible(&phone, &axe, "case").await;
        let link = phone.find(Locator::Css("a[download]")).await.unwrap().attr("href").await.unwrap().unwrap();
        let (status, kind, pdf) = download(&phone, &app, &link).await;
        assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/pdf"));
        assert!(pdf.starts_with(b"%PDF-"));
        // Signing out ends the session: the cookie no longer opens the case.
        let session = session_cookie(&phone).await;
        press(&phone, "header form[action='/logout'] button").await;
        let (after, _, _) = fetch(&app, &link, &session).await;
        assert_eq!(after, StatusCode::SEE_OTHER, "to the sign-in page");
        phone.close().await.unwrap();
    }

    async fn a_consular_certificate_through_the_portal_and_the_console(app: TestApp) {
        let Some(driver) = Driver::start().await else { return };
        let axe = axe_source();
        let desktop = driver.window(DESKTOP).await;
        register(&desktop, &app, "Aigerim").await;
        desktop.goto(&format!("{}/", app.address)).await.unwrap();
        press(&desktop, "a[href='/apply/NO_CRIMINAL_RECORD']").await;
        assert!(text(&desktop).await.contains("30.00 EUR"), "the fee is shown");
        press(&desktop, "main form button[type=submit]").await;
        // The form comes from the service's JSON Schema: about you, contact details, the rest.
        fill(&desktop, "f-applicant-surname", "Nurly").await;
        fill(&desktop, "f-applicant-given_names", "Aigerim").await;
        set(&desktop, "f-applicant-date_of_birth", "1991-05-04").await;
        choose(&desktop, "f-applicant-nationality", "UTO").await;
        press(&desktop, "main form button[type=submit]").await;
        press(&desktop, "main form button[type=submit]").await;
        let case_id = path(&desktop).await.split('/').nth(2).unwrap().to_owned();
        choose(&desktop, "f-purpose", "employment").await;
        press(&desktop, "main form button[type=submit]").await;
        // Submitting without the passport scan lists the problem, linked to where it is put right.
        desktop.goto(&format!("{}/cases/{case_id}/check", app.address)).await.unwrap();
        press(&desktop, "main form button[type=submit]").await;
        let summary = desktop.find(Locator::Css(".error-summary a")).await.unwrap();
        assert_eq!(summary.attr("href").await.unwrap().as_deref(), Some(format!("/cases/{case_id}/documents").as_str()));
        press(&desktop, ".error-summary a").await;
        let dir = tempfile::tempdir().unwrap();
        let scan = dir.path().join("passport.pdf");
        std::fs::write(&scan, minimal_pdf()).unwrap();
        upload(&desktop, "passport", &scan).await;
        press(&desktop, "main p a.button").await;
        press(&desktop, "main form button[type=submit]").await;
        assert!(text(&desktop).await.contains("Submitted"), "{}", text(&desktop).await);

        officer_decides(&driver, &app, &axe, &case_id, false).await;

        desktop.goto(&format!("{}/cases/{case_id}", app.address)).await.unwrap();
        let link = desktop.find(Locator::Css("a[download]")).await.unwrap().attr("href").await.unwrap().unwrap();
        assert_eq!(link, format!("/cases/{case_id}/document.pdf"));
        let (status, kind, pdf) = download(&desktop, &app, &link).await;
        assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/pdf"));
        assert!(pdf.starts_with(b"%PDF-"));
        desktop.close().await.unwrap();

        // The administration pages.
        let admin = driver.window(DESKTOP).await;
        sign_in_with(&admin, &app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(path(&admin).await, "/console/admin");
        shoot(&admin, "console-admin", DESKTOP).await;
        accessible(&admin, &axe, "administration").await;
        admin.close().await.unwrap();
    }
}
