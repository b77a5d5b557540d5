//! Share codes in the portal: the holder's page and the public check page, every state of them
//! read in Russian and Kazakh (no English word left), and the whole story in Chromium: a holder
//! on a phone in Russian makes a code, a checker at a desk in Kazakh checks it, the holder sees
//! the check in Russian.

use crate::backend_tests;
use crate::browser::{
    DESKTOP, Driver, PHONE, accessible, axe_source, fill, path, press, set, shoot, shoot_from, sign_in, text,
};
use crate::portal::Browser;
use crate::verification::valid_visa;
use crate::walk::Walk;
use fantoccini::Locator;
use reqwest::StatusCode;

/// The code shown on a "code created" page.
fn shown_code(page: &str) -> String {
    let at = page.find("class=\"reference\" translate=\"no\">").expect("the code is shown") + 33;
    page[at..at + 11].to_owned()
}

backend_tests! {
    async fn every_share_page_reads_in_russian_and_kazakh(app: TestApp) {
        let (holder, case, _) = valid_visa(&app).await;
        for lang in ["ru", "kk"] {
            let typed = vec!["traveller", "John", "Paul", "Smith"];
            let mut walk = Walk { lang, typed, seen: 0, found: Vec::new() };
            let browser = Browser::new(&app);
            browser.get(&format!("/?lang={lang}")).await;
            browser.sign_in(&holder.email).await;
            let csrf = browser.csrf().await;
            walk.read("share codes", browser.get("/account/share-codes").await).await;
            walk.read("the case offers a share code", browser.get(&format!("/cases/{case}")).await).await;
            let nothing = browser.post("/account/share-codes", &[("csrf", &csrf), ("case_id", &case), ("valid_days", "")]).await;
            assert_eq!(nothing.status(), StatusCode::UNPROCESSABLE_ENTITY);
            walk.read("a code without purpose or days", nothing).await;
            let long = browser.post("/account/share-codes", &[("csrf", &csrf), ("case_id", &case), ("purpose", "work"), ("valid_days", "120")]).await;
            assert_eq!(long.status(), StatusCode::UNPROCESSABLE_ENTITY);
            walk.read("a code for 120 days", long).await;
            let made = browser.post("/account/share-codes", &[("csrf", &csrf), ("case_id", &case), ("purpose", "renting"), ("valid_days", "30")]).await;
            assert_eq!(made.status(), StatusCode::CREATED);
            let page = made.text().await.unwrap();
            let code = shown_code(&page);
            assert!(page.contains(&format!("lang=\"{lang}\"")));

            // A checker, not signed in.
            let checker = Browser::new(&app);
            checker.get(&format!("/share-code?lang={lang}")).await;
            let ccsrf = checker.csrf().await;
            walk.read("the check page", checker.get("/share-code").await).await;
            walk.read("a check with nothing", checker.post("/share-code", &[("csrf", &ccsrf)]).await).await;
            walk.read("a code that is no code", checker.post("/share-code", &[("csrf", &ccsrf), ("share_code", "abc"), ("date_of_birth", "1990-02-15")]).await).await;
            let wrong = checker.post("/share-code", &[("csrf", &ccsrf), ("share_code", &code), ("date_of_birth", "1990-02-16")]).await;
            assert_eq!(wrong.status(), StatusCode::OK);
            walk.read("a wrong date of birth", wrong).await;
            let right = checker.post("/share-code", &[("csrf", &ccsrf), ("share_code", &code), ("date_of_birth", "1990-02-15")]).await;
            let html = right.text().await.unwrap();
            assert!(html.contains("share-valid") && html.contains("John Paul Smith"), "{html}");
            assert!(!html.contains("123456789") && !html.contains("GBR"), "no passport, no nationality");
            walk.read_text("the answer", StatusCode::OK, &html);

            // The holder sees both checks, and cancels the code.
            walk.read("codes with checks", browser.get("/account/share-codes").await).await;
            let listed = browser.get("/account/share-codes").await.text().await.unwrap();
            let id_at = listed.find("/account/share-codes/").unwrap() + "/account/share-codes/".len();
            let id = &listed[id_at..id_at + 36];
            let cancelled = browser.post(&format!("/account/share-codes/{id}/cancel"), &[("csrf", &csrf)]).await;
            assert_eq!(cancelled.status(), StatusCode::SEE_OTHER);
            walk.read("a code cancelled", browser.get("/account/share-codes?notice=share_cancelled_notice").await).await;
            walk.finish(11);
        }
    }

    async fn a_holder_shares_on_a_phone_in_russian_and_a_checker_checks_in_kazakh(app: TestApp) {
        let Some(driver) = Driver::start().await else { return };
        let axe = axe_source();
        let (holder, _, _) = valid_visa(&app).await;
        let phone = driver.window(PHONE).await;
        phone.goto(&format!("{}/?lang=ru", app.address)).await.unwrap();
        sign_in(&phone, &app, &holder.email).await;
        phone.goto(&format!("{}/account/share-codes", app.address)).await.unwrap();
        assert!(text(&phone).await.contains("Подтвердите свой статус"), "{}", text(&phone).await);
        shoot(&phone, "share-ru-empty", PHONE).await;
        accessible(&phone, &axe, "share codes").await;
        // Sent without a purpose: the problem is named above the form and beside the question.
        fill(&phone, "f-valid-days", "").await;
        press(&phone, "main form button[type=submit]").await;
        assert!(phone.find(Locator::Css(".error-summary a[href='#f-purpose']")).await.is_ok(), "{}", text(&phone).await);
        assert!(text(&phone).await.contains("Выберите, для чего нужен код"), "{}", text(&phone).await);
        shoot(&phone, "share-ru-errors", PHONE).await;
        accessible(&phone, &axe, "a code without purpose").await;
        phone.find(Locator::Id("f-purpose-work")).await.unwrap().click().await.unwrap();
        fill(&phone, "f-valid-days", "14").await;
        press(&phone, "main form button[type=submit]").await;
        assert!(text(&phone).await.contains("Код создан"), "{}", text(&phone).await);
        let code = phone.find(Locator::Css(".reference")).await.unwrap().text().await.unwrap();
        shoot(&phone, "share-ru-created", PHONE).await;
        accessible(&phone, &axe, "code created").await;

        let desk = driver.window(DESKTOP).await;
        desk.goto(&format!("{}/share-code?lang=kk", app.address)).await.unwrap();
        assert!(text(&desk).await.contains("Мәртебені код арқылы тексеру"));
        accessible(&desk, &axe, "check page").await;
        fill(&desk, "f-share-code", "W7K-4PX-9QM").await;
        set(&desk, "f-date-of-birth", "1990-02-15").await;
        press(&desk, "main form button[type=submit]").await;
        assert!(text(&desk).await.contains("Құжат табылмады"), "{}", text(&desk).await);
        shoot(&desk, "share-kk-not-found", DESKTOP).await;
        accessible(&desk, &axe, "no document found").await;
        fill(&desk, "f-share-code", &code.to_lowercase()).await;
        set(&desk, "f-date-of-birth", "1990-02-15").await;
        press(&desk, "main form button[type=submit]").await;
        let answer = text(&desk).await;
        assert!(answer.contains("Жарамды") && answer.contains("John Paul Smith") && answer.contains("Жұмыс"), "{answer}");
        // The holder's photo, loaded (CSP allows the data URL) and described in Kazakh.
        let photo = "const i = document.querySelector('img.share-photo'); return i && [i.complete, i.naturalWidth, i.alt];";
        let photo = desk.execute(photo, vec![]).await.unwrap();
        assert_eq!(photo, serde_json::json!([true, 240, "Иесінің фотосуреті"]));
        shoot(&desk, "share-kk-answer", DESKTOP).await;
        accessible(&desk, &axe, "the answer").await;
        // The same answer in Russian on a phone, its photo described in Russian.
        phone.goto(&format!("{}/share-code?lang=ru", app.address)).await.unwrap();
        fill(&phone, "f-share-code", &code).await;
        set(&phone, "f-date-of-birth", "1990-02-15").await;
        press(&phone, "main form button[type=submit]").await;
        let answer = text(&phone).await;
        assert!(answer.contains("Действительно") && answer.contains("Работа"), "{answer}");
        let photo = phone.execute("return document.querySelector('img.share-photo').alt;", vec![]).await.unwrap();
        assert_eq!(photo, "Фотография владельца");
        shoot(&phone, "share-ru-answer", PHONE).await;
        accessible(&phone, &axe, "the answer in Russian").await;

        phone.goto(&format!("{}/account/share-codes", app.address)).await.unwrap();
        let page = text(&phone).await;
        assert!(page.contains("Сведения показаны") && page.contains("Работа"), "{page}");
        assert_eq!(path(&phone).await, "/account/share-codes");
        shoot_from(&phone, "share-ru-checked", PHONE, "main table").await;
        let script = "return [document.documentElement.scrollWidth, window.innerWidth, \
                      Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > window.innerWidth).map(e => e.outerHTML.slice(0, 80))];";
        let widths = phone.execute(script, vec![]).await.unwrap();
        assert!(widths[0].as_i64() <= widths[1].as_i64(), "the page fits a phone's width: {widths}");
        accessible(&phone, &axe, "codes with a check").await;
    }
}
