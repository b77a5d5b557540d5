//! The form designer: an administrator builds a service's form in the console, page by page and
//! question by question in three languages, with a question asked only after a given answer;
//! previews it; saves it as the next form version; and the applicant's form and its checks
//! follow the design, the condition included.

use crate::backend_tests;
use crate::consular::identity;
use crate::helpers::*;
use crate::portal::Browser;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The design the page carries, from its hidden field.
pub(crate) fn design_of(page: &str) -> String {
    let start = page.find("name=\"design\" value=\"").expect("a design") + "name=\"design\" value=\"".len();
    let raw = &page[start..start + page[start..].find('"').unwrap()];
    raw.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A service with nothing but the applicant's identity, added through the API.
pub(crate) async fn bare_service(app: &TestApp, code: &str) {
    let admin = app.admin().await;
    let schema = json!({"type": "object", "required": ["applicant"], "properties": {
        "applicant": {"type": "object", "title": "About you", "required": ["surname", "given_names", "date_of_birth", "nationality"],
            "properties": {"surname": {"type": "string", "minLength": 1}, "given_names": {"type": "string"},
                "date_of_birth": {"type": "string", "format": "date"}, "nationality": {"type": "string", "pattern": "^[A-Z<]{3}$"}}}}});
    let service = json!({"code": code, "name": "Letter of support for students", "eligibility": "both", "form_schema": schema,
        "documents": [], "fee": {"amount_minor": 0, "currency": "EUR"}, "processing_days": 10, "output": "decision"});
    assert_eq!(app.post("/api/v1/admin/services", &admin.token, &service).await.status(), StatusCode::CREATED);
}

/// The tourist visa as the service list describes it.
async fn tourist(app: &TestApp, admin: &Account) -> Value {
    let services: Value = app.get("/api/v1/services", &admin.token).await.json().await.unwrap();
    let listed = services.as_array().or_else(|| services["items"].as_array()).expect("a list of services");
    listed.iter().find(|s| s["code"] == "TOURIST").expect("the tourist visa").clone()
}

/// Posts the designer's form with `op` and `fields`; the answer.
pub(crate) async fn act(console: &Browser, design: &str, op: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = console.csrf().await;
    let mut form = vec![("csrf", csrf.as_str()), ("design", design), ("op", op)];
    form.extend_from_slice(fields);
    console.post("/console/admin/services/STUDY_LETTER/form", &form).await
}

/// Builds the trip page (a purpose to choose) and the study page (a school, asked only for
/// study) in three languages; the design.
pub(crate) async fn build(console: &Browser) -> String {
    let page = console.get("/console/admin/services/STUDY_LETTER/form").await.text().await.unwrap();
    let design = design_of(&page);
    let trip = [
        ("np_key", "trip"),
        ("np_title_en", "Your trip"),
        ("np_title_ru", "Ваша поездка"),
        ("np_title_kk", "Сапарыңыз"),
    ];
    let design = design_of(&act(console, &design, "add_page", &trip).await.text().await.unwrap());
    let purpose = [
        ("nq_page", "1"),
        ("nq_key", "purpose"),
        ("nq_kind", "choice"),
        ("nq_required", "true"),
        ("nq_label_en", "Why are you travelling?"),
        ("nq_label_ru", "Цель поездки"),
        ("nq_label_kk", "Сапар мақсаты"),
        ("nq_choices", "study | Study | Учёба | Оқу\nwork | Work | Работа | Жұмыс"),
    ];
    let design = design_of(&act(console, &design, "add_question", &purpose).await.text().await.unwrap());
    let study =
        [("np_key", "study"), ("np_title_en", "Your studies"), ("np_title_ru", "Учёба"), ("np_title_kk", "Оқу")];
    let design = design_of(&act(console, &design, "add_page", &study).await.text().await.unwrap());
    let school = [
        ("nq_page", "2"),
        ("nq_key", "school"),
        ("nq_kind", "text"),
        ("nq_required", "true"),
        ("nq_label_en", "Name of your school"),
        ("nq_label_ru", "Название учебного заведения"),
        ("nq_label_kk", "Оқу орнының атауы"),
        ("nq_hint_kk", "Толық атауы"),
        ("nq_condition", "trip.purpose=study"),
    ];
    design_of(&act(console, &design, "add_question", &school).await.text().await.unwrap())
}

backend_tests! {
    async fn the_e_visa_keeps_the_form_its_code_describes(app: TestApp) {
        let admin = app.admin().await;
        let described = tourist(&app, &admin).await;
        let version = described["form_version"].as_i64().unwrap();
        assert_eq!(described["form_schema"]["properties"]["applicant"]["properties"]["surname"]["maxLength"], 100);
        // Administrators cannot rewrite it: the rules read the answers as a type.
        let rewrite = json!({"form_schema": {"type": "object", "properties": {"pet": {"type": "string"}}}});
        let refused = app.patch("/api/v1/admin/services/TOURIST", &admin.token, &rewrite).await;
        let problem = problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(problem.to_string().contains("form_schema"), "{problem}");

        // A form written around the rule (straight into the database) is a case's version...
        let holder = app.applicant("keeps.version").await;
        let started = app.complete_draft(&holder).await;
        let next = version + 1;
        app.execute_sql(&format!(
            "INSERT INTO service_forms (service_code, version, schema, created_at) \
             VALUES ('TOURIST', {next}, '{{\"type\":\"object\"}}', CURRENT_TIMESTAMP)"
        ));
        app.execute_sql(&format!("UPDATE services SET form_version = {next} WHERE code = 'TOURIST'"));
        // ...and a restart gives the service its own form again as the next version.
        let TestApp { config, data_dir, postgres, .. } = app;
        let app = TestApp::start(config, data_dir, postgres).await;
        let renewed = tourist(&app, &admin).await;
        assert_eq!(renewed["form_version"].as_i64().unwrap(), next + 1);
        assert_eq!(renewed["form_schema"], described["form_schema"]);
        let kept = app.scalar(&format!("SELECT CAST(form_version AS TEXT) AS value FROM cases WHERE id = '{started}'"));
        assert_eq!(kept, version.to_string(), "the draft keeps the version it was started with");
        // A restart with nothing to renew adds nothing.
        let TestApp { config, data_dir, postgres, .. } = app;
        let app = TestApp::start(config, data_dir, postgres).await;
        let again = tourist(&app, &admin).await;
        assert_eq!(again["form_version"], renewed["form_version"]);
    }

    async fn an_administrator_designs_a_form_with_a_conditional_question_and_applicants_meet_it(app: TestApp) {
        bare_service(&app, "STUDY_LETTER").await;
        let console = Browser::new(&app);
        console.sign_in_with(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let design = build(&console).await;
        assert!(design.contains("\"school\"") && design.contains("trip.purpose"), "{design}");

        // A question with a bad key is refused, with what was typed kept and the field named.
        let bad = act(&console, &design, "add_question", &[("nq_page", "1"), ("nq_key", "Bad Key"), ("nq_kind", "text"), ("nq_label_en", "Kept words")]).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let said = bad.text().await.unwrap();
        assert!(said.contains("href=\"#nq_key\"") && said.contains("value=\"Kept words\""), "an error summary, the input kept");
        assert_eq!(design_of(&said), design, "nothing added");
        // A condition must name an earlier page's choice.
        let late = act(&console, &design, "add_question", &[("nq_page", "0"), ("nq_key", "early"), ("nq_kind", "text"), ("nq_label_en", "Early"), ("nq_condition", "trip.purpose=study")]).await;
        assert!(late.text().await.unwrap().contains("href=\"#nq_condition\""));

        // The preview in Kazakh shows the pages as applicants will see them.
        let preview = act(&console, &design, "preview:kk", &[]).await.text().await.unwrap();
        let shown = &preview[preview.find("id=\"preview\"").expect("a preview")..];
        assert!(shown.contains("Сапарыңыз") && shown.contains("Оқу · Жұмыс") && shown.contains("Оқу орнының атауы"), "{shown}");
        assert!(shown.contains("Толық атауы") && shown.contains("белгілі бір жауапта ғана көрсетіледі"), "{shown}");

        // Saved as the next version; the raw schema refuses what is not a schema, by name.
        let saved = act(&console, &design, "save", &[]).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let services: Value = app.request(reqwest::Method::GET, "/api/v1/services", None, None).await.json().await.unwrap();
        let service = services["items"].as_array().unwrap().iter().find(|s| s["code"] == "STUDY_LETTER").unwrap().clone();
        assert_eq!(service["form_version"], 2);
        assert!(service["form_schema"]["allOf"].is_array(), "{service}");
        assert_eq!(service["texts"]["ru"]["field.study.school"], "Название учебного заведения");
        assert_eq!(service["name"], "Letter of support for students", "the service's own words stay");
        let csrf = console.csrf().await;
        let raw = console.post("/console/admin/services/STUDY_LETTER/form", &[("csrf", &csrf), ("design", &design), ("op", "save_raw"), ("raw", "{\"type\": 7")]).await;
        assert_eq!(raw.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(raw.text().await.unwrap().contains("href=\"#raw\""));

        // The applicant: the school is asked, and required, only for study.
        let applicant = app.applicant("student").await;
        let file = |purpose: &str| json!({"service": "STUDY_LETTER", "post": "UTO-HQ", "form": {"applicant": identity(), "trip": {"purpose": purpose}}});
        let work = app.post("/api/v1/requests", &applicant.token, &file("work")).await.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        assert_eq!(app.post_empty(&format!("/api/v1/requests/{work}/submit"), &applicant.token).await.status(), StatusCode::OK);
        let study = app.post("/api/v1/requests", &applicant.token, &file("study")).await.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let refused = app.post_empty(&format!("/api/v1/requests/{study}/submit"), &applicant.token).await;
        assert_eq!(error_fields(&problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await), ["/study/school"], "a missing page by its answers");
        let portal = Browser::new(&app);
        portal.sign_in(&applicant.email).await;
        let step = portal.get(&format!("/cases/{study}/step/3?lang=kk")).await.text().await.unwrap();
        assert!(step.contains("Оқу орнының атауы") && step.contains("Толық атауы"), "the study page in Kazakh");
        let csrf = portal.csrf().await;
        let answered = portal.post(&format!("/cases/{study}/step/3"), &[("csrf", &csrf), ("study.school", "Al-Farabi Kazakh National University")]).await;
        assert_eq!(answered.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.post_empty(&format!("/api/v1/requests/{study}/submit"), &applicant.token).await.status(), StatusCode::OK);
        // Changing the answer the question hangs on drops its answer.
        let draft = app.post("/api/v1/requests", &applicant.token, &json!({"service": "STUDY_LETTER", "post": "UTO-HQ",
            "form": {"applicant": identity(), "trip": {"purpose": "study"}, "study": {"school": "KazNU"}}})).await.json::<Value>().await.unwrap();
        let id = draft["id"].as_str().unwrap();
        let changed: Value = app.patch(&format!("/api/v1/requests/{id}"), &applicant.token, &json!({"trip": {"purpose": "work"}})).await.json().await.unwrap();
        assert!(changed["form"]["study"].get("school").is_none(), "{changed}");
        assert_eq!(portal.get(&format!("/cases/{id}/step/3")).await.status(), StatusCode::NOT_FOUND, "no study page for work");
        assert_eq!(portal.get(&format!("/cases/{study}/step/3")).await.status(), StatusCode::OK);
    }
}
