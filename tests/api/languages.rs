//! Catalogue data in the applicant's language: the built-in services, posts and grounds speak
//! Russian and Kazakh; an administrator gives a service, its form and its documents their words
//! through the API and the console; countries are chosen by name and stored by code.

use crate::backend_tests;
use crate::helpers::*;
use crate::portal::{Browser, location};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The value of the option labelled `label` in a page's HTML, if there is such an option.
fn option_value<'a>(page: &'a str, label: &str) -> Option<&'a str> {
    let end = page.find(&format!(">{label}</option>"))?;
    let start = page[..end].rfind("<option value=\"")? + "<option value=\"".len();
    page[start..end].split('"').next()
}

backend_tests! {
    async fn built_in_services_posts_and_grounds_speak_russian_and_kazakh(app: TestApp) {
        let browser = Browser::new(&app);
        let home = browser.get("/?lang=kk").await.text().await.unwrap();
        for words in ["Туристік виза", "Құжатты заңдастыру", "Туризм және көрікті жерлерді тамашалау", "Утопия Республикасы: орталық мекеме"] {
            assert!(home.contains(words), "{words} on the Kazakh home page");
        }
        for english in ["Tourist visa", "Legalisation of a document", "Republic of Utopia headquarters"] {
            assert!(!home.contains(english), "{english} on the Kazakh home page");
        }
        let start = browser.get("/apply/PASSPORT_RENEWAL?lang=ru").await.text().await.unwrap();
        assert!(start.contains("Замена паспорта за рубежом") && start.contains("Ваш действующий паспорт"), "{start}");
        assert!(start.contains("Республика Утопия"), "the state's name in the footer");

        let grounds: Value = app.request(reqwest::Method::GET, "/api/v1/refusal-grounds", None, None).await.json().await.unwrap();
        let means = grounds["items"].as_array().unwrap().iter().find(|g| g["code"] == "INSUFFICIENT_MEANS").unwrap();
        assert_eq!(means["title"], "Insufficient means of subsistence", "the English words stay");
        assert_eq!(means["texts"]["ru"]["title"], "Недостаточно средств к существованию");
        assert_eq!(means["texts"]["kk"]["title"], "Күнкөріс қаражаты жеткіліксіз");
    }

    async fn an_administrators_texts_reach_the_form_and_countries_are_chosen_by_name(app: TestApp) {
        let admin = app.admin().await;
        let texts = json!({"kk": {"name": "Паспортты жаңарту (сынақ)", "choice.reason.damaged": "Бүлінген",
                                  "hint.current_passport.number": "Паспорттың бірінші бетінде", "document.photo": "Түрлі-түсті фото"}});
        let changed = app.patch("/api/v1/admin/services/PASSPORT_RENEWAL", &admin.token, &json!({"texts": texts})).await;
        assert_eq!(changed.status(), StatusCode::OK);
        let changed: Value = changed.json().await.unwrap();
        assert_eq!(changed["texts"], texts, "given texts replace the service's");
        let refused = app.patch("/api/v1/admin/services/PASSPORT_RENEWAL", &admin.token,
                                &json!({"texts": {"de": {"name": "Pass"}, "kk": {"name": " "}}})).await;
        let problem = problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
        let fields = error_fields(&problem);
        assert!(fields.contains(&"texts.de".to_owned()) && fields.contains(&"texts.kk.name".to_owned()), "{fields:?}");

        // A citizen abroad renews a passport in Kazakh.
        let applicant = app.applicant("aigerim").await;
        let browser = Browser::new(&app);
        browser.get("/?lang=kk").await;
        assert_eq!(browser.sign_in(&applicant.email).await.status(), StatusCode::SEE_OTHER);
        let csrf = browser.csrf().await;
        let opened = browser.post("/apply/PASSPORT_RENEWAL", &[("csrf", &csrf), ("post", "UTO-HQ")]).await;
        let step_one = location(&opened);
        let case = step_one.trim_start_matches("/cases/").split('/').next().unwrap().to_owned();
        let page = browser.get(&step_one).await.text().await.unwrap();
        assert_eq!(option_value(&page, "Қазақстан"), Some("KAZ"), "countries by name, stored by code");
        assert_eq!(option_value(&page, "Германия"), Some("DEU"));
        assert_eq!(option_value(&page, "Утопия Республикасы"), Some("UTO"), "the issuing state is among them");
        assert!(!page.contains("ICAO") && !page.contains("three-letter"), "no codes to type");
        let saved = browser
            .post(&step_one, &[("csrf", &csrf), ("applicant.surname", "Nurlanova"), ("applicant.given_names", "Aigerim"),
                               ("applicant.date_of_birth", "1990-04-12"), ("applicant.nationality", "UTO")])
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let stored = app.case(&case, &applicant.token).await;
        assert_eq!(stored["applicant"]["nationality"], "UTO", "{stored}");
        let passport = browser.get(&format!("/cases/{case}/step/2")).await.text().await.unwrap();
        assert!(passport.contains("Паспорттың бірінші бетінде"), "the hint in Kazakh");
        let details = browser.get(&format!("/cases/{case}/step/4")).await.text().await.unwrap();
        assert_eq!(option_value(&details, "Бүлінген"), Some("damaged"), "the administrator's words for a choice");
        assert_eq!(option_value(&details, "Беттер толды"), None);
        assert!(details.contains("Pages full"), "a choice with no Kazakh words falls back to English");
        let documents = browser.get(&format!("/cases/{case}/documents")).await.text().await.unwrap();
        assert!(documents.contains("Түрлі-түсті фото"), "documents by the service's name for them");
        let check = browser.get(&format!("/cases/{case}/check")).await.text().await.unwrap();
        assert!(check.contains("Утопия Республикасы") && !check.contains(">UTO<"), "answers shown by name");
    }

    async fn a_step_is_checked_as_submission_will_check_it_when_the_applicant_continues(app: TestApp) {
        let applicant = app.applicant("zoe").await;
        let browser = Browser::new(&app);
        browser.get("/?lang=ru").await;
        browser.sign_in(&applicant.email).await;
        let csrf = browser.csrf().await;
        let opened = browser.post("/apply/TOURIST", &[("csrf", &csrf), ("post", "UTO-HQ")]).await;
        let step_one = location(&opened);
        let case = step_one.trim_start_matches("/cases/").split('/').next().unwrap().to_owned();
        // Every answer a visa needs is marked as needed: "optional" is on no field of the step.
        let page = browser.get(&step_one).await.text().await.unwrap();
        assert!(!page.contains("необязательно"), "a visa's answers are all required");
        let answers = [("csrf", csrf.as_str()), ("applicant.surname", "Müller"), ("applicant.given_names", "Zoe"),
                       ("applicant.sex", "F"), ("applicant.date_of_birth", "1990-02-15"), ("applicant.nationality", "GBR")];
        let stayed = browser.post(&step_one, &answers).await;
        assert_eq!(stayed.status(), StatusCode::UNPROCESSABLE_ENTITY, "the step stays until it passes");
        let page = stayed.text().await.unwrap();
        assert!(page.contains("href=\"#f-applicant-place_of_birth\""), "the summary links to the field");
        assert!(page.contains("Место рождения: укажите ответ"), "the message in Russian, with the label");
        assert!(page.contains("value=\"Müller\""), "what was typed stays");
        assert!(!page.contains("f-passport-number"), "the next step's answers are not asked about yet");
        // What was typed was saved with the draft; only the missing answer is left to give.
        assert_eq!(app.case(&case, &applicant.token).await["applicant"]["surname"], "Müller");
        let mut complete = answers.to_vec();
        complete.push(("applicant.place_of_birth", "London"));
        let went_on = browser.post(&step_one, &complete).await;
        assert_eq!(location(&went_on), format!("/cases/{case}/step/2"));

        // A service's optional answers are marked optional, and only those.
        let opened = browser.post("/apply/PASSPORT_RENEWAL", &[("csrf", &csrf), ("post", "UTO-HQ")]).await;
        let renewal = location(&opened).trim_start_matches("/cases/").split('/').next().unwrap().to_owned();
        let contact = browser.get(&format!("/cases/{renewal}/step/3")).await.text().await.unwrap();
        assert_eq!(contact.matches("(необязательно)").count(), 2, "telephone and address abroad");
        let about = browser.get(&format!("/cases/{renewal}/step/1")).await.text().await.unwrap();
        assert_eq!(about.matches("(необязательно)").count(), 1, "the place of birth only");
    }

    async fn a_change_to_the_catalogue_by_any_node_reaches_the_cached_pages(app: TestApp) {
        let browser = Browser::new(&app);
        let home = browser.get("/?lang=kk").await.text().await.unwrap();
        assert!(home.contains("Құжатты заңдастыру"));
        // Another node renames the service: its transaction writes the row and the event that
        // audits it; this node hears of it only through the database.
        app.execute_sql(
            "UPDATE services SET texts = '{\"kk\": {\"name\": \"Заңдастыру, жаңа атауы\"}}' WHERE code = 'LEGALISATION';
             INSERT INTO admin_events (id, action, target, actor_role, created_at)
             VALUES ('0190a0a0-0000-7000-8000-00000000c0de', 'update_service', 'LEGALISATION', 'admin', CURRENT_TIMESTAMP)",
        );
        let mut seen = false;
        for _ in 0..40 {
            if browser.get("/?lang=kk").await.text().await.unwrap().contains("Заңдастыру, жаңа атауы") {
                seen = true;
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(seen, "another node's change reaches this node's pages within two seconds");
        // A change made through this node shows on the very next page.
        let admin = app.admin().await;
        let texts = json!({"kk": {"name": "Заңдастыру, үшінші атауы"}});
        assert_eq!(app.patch("/api/v1/admin/services/LEGALISATION", &admin.token, &json!({"texts": texts})).await.status(), StatusCode::OK);
        let start = browser.get("/apply/LEGALISATION?lang=kk").await.text().await.unwrap();
        assert!(start.contains("Заңдастыру, үшінші атауы"));
        assert_eq!(app.patch("/api/v1/admin/services/LEGALISATION", &admin.token, &json!({"active": false})).await.status(), StatusCode::OK);
        assert_eq!(browser.get("/apply/LEGALISATION").await.status(), StatusCode::NOT_FOUND, "a closed service is gone at once");
    }
}
