//! The form designer in Chromium: an administrator builds, in the Russian console at desktop
//! width, a page and a question asked only after a given answer, in three languages, previews
//! the form in Kazakh and saves it; an applicant completes it in Kazakh on a phone.

use fantoccini::{Client, Locator};

use crate::backend_tests;
use crate::browser::{
    DESKTOP, Driver, PHONE, accessible, axe_source, choose, fill, press, shoot, shoot_from, sign_in, sign_in_with, text,
};
use crate::consular::identity;
use crate::helpers::*;
use serde_json::{Value, json};

async fn tick(client: &Client, id: &str) {
    client.find(Locator::Id(id)).await.unwrap().click().await.unwrap();
}

backend_tests! {
    async fn a_form_is_designed_in_the_console_and_completed_on_a_phone_in_kazakh(app: TestApp) {
        let Some(driver) = Driver::start().await else { return };
        let axe = axe_source();
        // The service is added in the console with no schema: the designer opens on the
        // applicant's identity, which every form holds.
        let admin = driver.window(DESKTOP).await;
        sign_in_with(&admin, &app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        admin.goto(&format!("{}/console/admin?lang=ru", app.address)).await.unwrap();
        let about = [("v-code", "STUDY_LETTER"), ("v-name", "Letter of support for students"),
            ("v-description", "A letter that supports a student's application abroad."), ("v-fee", "0"), ("v-days", "10")];
        for (id, value) in about {
            fill(&admin, id, value).await;
        }
        choose(&admin, "v-output", "decision").await;
        press(&admin, "form[action='/console/admin/services'] button").await;
        assert!(text(&admin).await.contains("Конструктор анкеты"), "{}", text(&admin).await);
        assert!(text(&admin).await.contains("Фамилия"), "the identity, in the catalogue's words");
        accessible(&admin, &axe, "the designer").await;
        for (key, en, ru, kk) in [("trip", "Your trip", "Ваша поездка", "Сапарыңыз"), ("study", "Your studies", "Учёба", "Оқу")] {
            fill(&admin, "np_key", key).await;
            for (lang, title) in [("en", en), ("ru", ru), ("kk", kk)] {
                fill(&admin, &format!("np_title_{lang}"), title).await;
            }
            press(&admin, "button[value=add_page]").await;
        }
        choose(&admin, "nq_page", "1").await;
        fill(&admin, "nq_key", "purpose").await;
        choose(&admin, "nq_kind", "choice").await;
        tick(&admin, "nq_required").await;
        for (lang, label) in [("en", "Why are you travelling?"), ("ru", "Цель поездки"), ("kk", "Сапар мақсаты")] {
            fill(&admin, &format!("nq_label_{lang}"), label).await;
        }
        fill(&admin, "nq_choices", "study | Study | Учёба | Оқу\nwork | Work | Работа | Жұмыс").await;
        press(&admin, "button[value=add_question]").await;
        choose(&admin, "nq_page", "2").await;
        fill(&admin, "nq_key", "school").await;
        tick(&admin, "nq_required").await;
        for (lang, label) in [("en", "Name of your school"), ("ru", "Название учебного заведения"), ("kk", "Оқу орнының атауы")] {
            fill(&admin, &format!("nq_label_{lang}"), label).await;
        }
        choose(&admin, "nq_condition", "trip.purpose=study").await;
        press(&admin, "button[value=add_question]").await;
        let built = text(&admin).await;
        assert!(built.contains("Название учебного заведения") && built.contains("trip.purpose = study"), "{built}");
        shoot(&admin, "designer-ru", DESKTOP).await;
        press(&admin, "button[value='preview:kk']").await;
        let preview = text(&admin).await;
        assert!(preview.contains("Оқу орнының атауы") && preview.contains("Оқу · Жұмыс"), "{preview}");
        shoot_from(&admin, "designer-ru-preview-kk", DESKTOP, "#preview").await;
        accessible(&admin, &axe, "the preview").await;
        press(&admin, "button[value=save]").await;
        assert!(text(&admin).await.contains("Сохранено"), "{}", text(&admin).await);

        // The applicant, in Kazakh on a phone: study brings the school page; the answers stand.
        let applicant = app.applicant("scholar").await;
        let created = app.post("/api/v1/requests", &applicant.token, &json!({"service": "STUDY_LETTER", "post": "UTO-HQ", "form": {"applicant": identity()}})).await;
        let id = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let phone = driver.window(PHONE).await;
        phone.goto(&format!("{}/?lang=kk", app.address)).await.unwrap();
        sign_in(&phone, &app, &applicant.email).await;
        phone.goto(&format!("{}/cases/{id}/step/2", app.address)).await.unwrap();
        assert!(text(&phone).await.contains("Сапар мақсаты"), "{}", text(&phone).await);
        choose(&phone, "f-trip-purpose", "study").await;
        shoot(&phone, "designed-kk-purpose", PHONE).await;
        accessible(&phone, &axe, "the purpose").await;
        press(&phone, "main form button[type=submit]").await;
        let school = text(&phone).await;
        assert!(school.contains("Оқу орнының атауы"), "{school}");
        fill(&phone, "f-study-school", "Әл-Фараби атындағы ҚазҰУ").await;
        shoot(&phone, "designed-kk-school", PHONE).await;
        accessible(&phone, &axe, "the school").await;
        press(&phone, "main form button[type=submit]").await;
        let answers = app.scalar(&format!("SELECT form AS value FROM cases WHERE id = '{id}'"));
        assert!(answers.contains("Әл-Фараби") && answers.contains("\"study\""), "{answers}");
        for window in [admin, phone] {
            window.close().await.unwrap();
        }
    }
}
