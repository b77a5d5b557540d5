//! A request for information as a loop, with the applicant in Chromium at 390 px in Kazakh: the
//! officer asks for a document and a corrected date of birth, by a date; the applicant reads the
//! request first on the case page, follows its links, corrects the date, uploads the scan and
//! answers; the officer sees each answer before and after, and decides.

use serde_json::json;

use crate::backend_tests;
use crate::browser::{
    DESKTOP, Driver, PHONE, accessible, axe_source, fill, path, press, register, set, shoot, shoot_from, sign_in, text,
    upload,
};
use crate::helpers::*;
use crate::portal::Browser;
use reqwest::StatusCode;

backend_tests! {
    async fn an_officer_asks_and_an_applicant_answers_in_kazakh_on_a_phone(app: TestApp) {
        let Some(driver) = Driver::start().await else { return };
        let axe = axe_source();
        let phone = driver.window(PHONE).await;
        phone.goto(&format!("{}/?lang=kk", app.address)).await.unwrap();
        let email = register(&phone, &app, "Aigerim").await;
        let applicant = Account { id: String::new(), email: email.clone(), token: app.login(&email, PASSWORD).await };
        let id = app.submitted(&applicant).await;
        let officer = app.staff("officer", "UTO-HQ").await;
        assert_eq!(app.post_empty("/api/v1/queue/claim", &officer.token).await.status(), StatusCode::OK);
        let due = chrono::Utc::now().date_naive() + chrono::Duration::days(14);
        let request = json!({"message": "Туған күніңіз паспорттағыдан өзгеше. Паспорттың анық көшірмесін жіберіңіз.",
                             "documents": ["passport"], "fields": ["applicant.date_of_birth"], "due_date": due.to_string()});
        assert_eq!(app.act(&id, "request-info", &officer.token, Some(request)).await.status(), StatusCode::OK);

        // The request comes first on the case page, in Kazakh, with where to put each thing right.
        phone.goto(&format!("{}/cases/{id}", app.address)).await.unwrap();
        let page = text(&phone).await;
        assert!(page.contains("Қызметкерге қосымша мәлімет қажет") && page.contains(&due.format("%d.%m.%Y").to_string()), "{page}");
        assert!(page.contains("Құжаттарды жүктеңіз") && page.contains("Жауаптарды түзетіңіз"), "{page}");
        shoot(&phone, "rfi-kk-request", PHONE).await;
        accessible(&phone, &axe, "the request").await;
        press(&phone, ".request a[href*='date_of_birth']").await;
        assert_eq!(path(&phone).await, format!("/cases/{id}/step/1"));
        set(&phone, "f-applicant-date_of_birth", "1990-03-15").await;
        press(&phone, "main form button[type=submit]").await;
        phone.goto(&format!("{}/cases/{id}", app.address)).await.unwrap();
        press(&phone, ".request a[href*='documents']").await;
        let dir = tempfile::tempdir().unwrap();
        let scan = dir.path().join("passport.pdf");
        std::fs::write(&scan, [minimal_pdf(), b"%%EOF\n".to_vec()].concat()).unwrap();
        upload(&phone, "passport", &scan).await;
        phone.goto(&format!("{}/cases/{id}", app.address)).await.unwrap();
        fill(&phone, "f-note", "Түзеттім, паспорттың жаңа көшірмесі жүктелді.").await;
        press(&phone, "form[action$='/respond'] button").await;
        assert!(text(&phone).await.contains("Жауабыңыз жіберілді"), "{}", text(&phone).await);
        shoot(&phone, "rfi-kk-answered", PHONE).await;
        accessible(&phone, &axe, "answered").await;

        // The officer sees what changed, and decides.
        let console = Browser::new(&app);
        console.sign_in(&officer.email).await;
        let page = console.get(&format!("/console/cases/{id}")).await.text().await.unwrap();
        assert!(page.contains("<td>15 February 1990</td>") && page.contains("<strong>15 March 1990</strong>"), "the changes");
        assert!(page.contains("Documents to upload: ") && page.contains("New or replaced documents: "), "asked for, then brought");
        assert!(page.contains("Түзеттім"), "the applicant's message");
        // As the officer sees it at a desk: the changes, checked for accessibility.
        let desk = driver.window(DESKTOP).await;
        sign_in(&desk, &app, &officer.email).await;
        desk.goto(&format!("{}/console/cases/{id}", app.address)).await.unwrap();
        assert!(text(&desk).await.contains("15 March 1990"), "{}", text(&desk).await);
        shoot_from(&desk, "rfi-console-changes", DESKTOP, "#history").await;
        accessible(&desk, &axe, "the officer's case with the changes").await;
        desk.close().await.unwrap();
        let approve = json!({"decision": "approve"});
        assert_eq!(app.act(&id, "decision", &officer.token, Some(approve)).await.status(), StatusCode::OK);
        phone.close().await.unwrap();
    }
}
