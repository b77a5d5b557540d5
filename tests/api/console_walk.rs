//! Every page of the officers' and administrators' console, in Russian and in Kazakh, in its
//! ordinary and its error states: no English word may be left on it. What applicants and
//! administrators typed (names, addresses, keys of a form, a JSON Schema) is theirs.

use crate::backend_tests;
use crate::consular::{approve, identity, publish, submitted_request};
use crate::helpers::*;
use crate::portal::Browser;
use crate::walk::Walk;
use serde_json::json;

async fn console_walk(app: &TestApp, lang: &'static str) {
    // What the staff meet: a visa application, a request booked for today, a recommendation.
    let applicant = app.applicant("walker").await;
    let visa = app.submitted(&applicant).await;
    let officer = app.staff("officer", "UTO-HQ").await;
    let supervisor = app.staff("supervisor", "UTO-HQ").await;
    publish(app, 2).await;
    let form = json!({"applicant": identity(), "attorney": {"full_name": "Dana Nurly"}, "powers": "Sell my car."});
    let booked = submitted_request(app, &applicant, "POWER_OF_ATTORNEY", form, &["identity_document"]).await;
    approve(app, &officer, &booked).await;
    let start = format!("{}T10:00:00Z", chrono::Utc::now().date_naive() + chrono::Duration::days(2));
    app.post(&format!("/api/v1/requests/{booked}/appointment"), &applicant.token, &json!({"start": start})).await;
    let begun = (chrono::Utc::now() - chrono::Duration::minutes(5)).naive_utc();
    app.execute_sql(&format!(
        "UPDATE appointments SET starts_at = '{}' WHERE case_id = '{booked}'",
        begun.format("%Y-%m-%d %H:%M:%S")
    ));

    let typed = vec![
        "John Paul",
        "Smith",
        "Aigerim",
        "Nurly",
        "Dana",
        "Test officer",
        "Test supervisor",
        "Administrator",
        "Leeds",
        "Hotel Astana, Kabanbay Batyr",
        "Sell my car.",
        "tourism",
        "walker",
        // Names of formats and of the time-zone database, as technical words in any language.
        "JSON Schema",
        "JSON",
        "IANA",
        "Europe/London",
    ];
    let mut walk = Walk { lang, typed, seen: 0, found: Vec::new() };

    let console = Browser::new(app);
    console.get(&format!("/?lang={lang}")).await;
    console.sign_in(&officer.email).await;
    let csrf = console.csrf().await;
    for path in ["/console", "/console?status=", "/console?status=&mine=true&overdue=true"] {
        walk.read(path, console.get(path).await).await;
    }
    console.post(&format!("/console/cases/{visa}/claim"), &[("csrf", &csrf)]).await;
    let case = format!("/console/cases/{visa}");
    walk.read("a case in review", console.get(&case).await).await;
    walk.read("a refusal without grounds", console.post(&format!("{case}/refuse"), &[("csrf", &csrf)]).await).await;
    walk.read("a request without a message", console.post(&format!("{case}/request-info"), &[("csrf", &csrf)]).await)
        .await;
    let asked =
        [("csrf", csrf.as_str()), ("message", "Пришлите справку."), ("documents", "passport"), ("due_date", "")];
    console.post(&format!("{case}/request-info"), &asked).await;
    walk.read("a case awaiting an answer", console.get(&case).await).await;
    walk.read("the day's appointments", console.get(&format!("/console/appointments?date={}", begun.date())).await)
        .await;
    walk.read(
        "an away date that is not one",
        console.post("/console/away", &[("csrf", &csrf), ("until", "soon")]).await,
    )
    .await;

    let second = Browser::new(app);
    second.get(&format!("/?lang={lang}")).await;
    second.sign_in(&supervisor.email).await;
    walk.read("the supervisor's queue", second.get("/console").await).await;

    let admin = Browser::new(app);
    admin.get(&format!("/?lang={lang}")).await;
    admin.sign_in_with(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let csrf = admin.csrf().await;
    walk.read("administration", admin.get("/console/admin").await).await;
    let post = [("csrf", csrf.as_str()), ("code", "lon"), ("name", ""), ("country", "GBR"), ("time_zone", "Mars/Base")];
    walk.read("a post with mistakes", admin.post("/console/admin/posts", &post).await).await;
    walk.read("a schedule", admin.get("/console/admin/posts/UTO-HQ/schedule").await).await;
    let schedule = [("csrf", csrf.as_str()), ("slot_minutes", "x"), ("capacity_per_slot", "1"), ("hours_mon", "9-5")];
    walk.read("a schedule with mistakes", admin.post("/console/admin/posts/UTO-HQ/schedule", &schedule).await).await;
    let designer = "/console/admin/services/PASSPORT_RENEWAL/form";
    walk.read("a service's form", admin.get(designer).await).await;
    let page = admin.get(designer).await.text().await.unwrap();
    let design = crate::form_designer::design_of(&page);
    let preview = [
        ("csrf", csrf.as_str()),
        ("design", design.as_str()),
        ("op", if lang == "ru" { "preview:ru" } else { "preview:kk" }),
    ];
    walk.read("a preview of the form", admin.post(designer, &preview).await).await;
    let bad = [
        ("csrf", csrf.as_str()),
        ("design", design.as_str()),
        ("op", "add_question"),
        ("nq_page", "0"),
        ("nq_key", "Bad Key"),
    ];
    walk.read("a question with mistakes", admin.post(designer, &bad).await).await;
    walk.finish(17);
}

backend_tests! {
    async fn every_console_page_speaks_russian_and_kazakh_through_and_through(app: TestApp) {
        console_walk(&app, "ru").await;
        console_walk(&app, "kk").await;
    }
}
