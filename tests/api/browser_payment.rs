//! The applicant's journey to a paid, submitted request, in Chromium at 390 px, in Russian,
//! Kazakh and English: register, fill the service's form, pay (a declined and a cancelled
//! attempt first), see the receipt, submit, and read the confirmation. Once on the test
//! provider, once through the Stripe adapter against localstripe. Every step is screenshotted
//! per language (target/screenshots) and checked with axe.

use fantoccini::Client;
use serde_json::Value;

use crate::backend_tests;
use crate::browser::{
    Driver, PHONE, accessible, axe_source, choose, fill, path, press, register, set, shoot, text, upload,
};
use crate::helpers::*;
use crate::payments::{FakeStripe, SECRET_KEY, card, fake_stripe};

/// A message of the portal's catalogue in `lang`.
fn t(lang: &str, key: &str) -> String {
    let catalogue = match lang {
        "ru" => include_str!("../../templates/pages/i18n/ru.json"),
        "kk" => include_str!("../../templates/pages/i18n/kk.json"),
        _ => include_str!("../../templates/pages/i18n/en.json"),
    };
    let messages: Value = serde_json::from_str(catalogue).unwrap();
    messages[key].as_str().unwrap_or_else(|| panic!("no message {key}")).to_owned()
}

/// Registers in `lang`, fills the legalisation request and uploads its scan, and arrives at
/// "check your answers", which asks for the fee before the request may go. The case's id.
async fn up_to_the_fee(phone: &Client, app: &TestApp, axe: &Option<String>, lang: &str, shots: &str) -> String {
    phone.goto(&format!("{}/?lang={lang}", app.address)).await.unwrap();
    shoot(phone, &format!("{shots}-{lang}-home"), PHONE).await;
    register(phone, app, "Aigerim").await;
    phone.goto(&format!("{}/apply/LEGALISATION", app.address)).await.unwrap();
    shoot(phone, &format!("{shots}-{lang}-start"), PHONE).await;
    press(phone, "main form button[type=submit]").await;
    fill(phone, "f-applicant-surname", "Нурлы").await;
    fill(phone, "f-applicant-given_names", "Айгерим").await;
    set(phone, "f-applicant-date_of_birth", "1991-05-04").await;
    choose(phone, "f-applicant-nationality", "UTO").await;
    shoot(phone, &format!("{shots}-{lang}-step-about-you"), PHONE).await;
    press(phone, "main form button[type=submit]").await;
    let case_id = path(phone).await.split('/').nth(2).unwrap().to_owned();
    // Continuing with the document's questions unanswered stays on the step, saying why.
    press(phone, "main form button[type=submit]").await;
    assert!(text(phone).await.contains(&t(lang, "there_is_a_problem")), "{}", text(phone).await);
    shoot(phone, &format!("{shots}-{lang}-step-errors"), PHONE).await;
    accessible(phone, axe, "a step with errors").await;
    fill(phone, "f-document-kind", "Свидетельство о рождении").await;
    fill(phone, "f-document-issued_by", "ЗАГС Алматы").await;
    set(phone, "f-document-issue_date", "2001-03-04").await;
    press(phone, "main form button[type=submit]").await;
    press(phone, "main form button[type=submit]").await;
    let dir = tempfile::tempdir().unwrap();
    let scan = dir.path().join("document.pdf");
    std::fs::write(&scan, minimal_pdf()).unwrap();
    upload(phone, "document_scan", &scan).await;
    shoot(phone, &format!("{shots}-{lang}-documents"), PHONE).await;
    press(phone, "main p a.button").await;
    assert_eq!(path(phone).await, format!("/cases/{case_id}/check"));
    let check = text(phone).await;
    assert!(
        check.contains(&format!("{} 25.00 EUR", t(lang, "pay"))) && !check.contains(&t(lang, "submit_application")),
        "{check}"
    );
    shoot(phone, &format!("{shots}-{lang}-check"), PHONE).await;
    accessible(phone, axe, "check answers with a fee").await;
    case_id
}

/// From the receipt: submits, and reads the confirmation with the receipt on the case page.
async fn submit_after_paying(
    phone: &Client,
    app: &TestApp,
    axe: &Option<String>,
    lang: &str,
    shots: &str,
    case_id: &str,
) {
    let receipt = text(phone).await;
    assert!(
        receipt.contains(&t(lang, "payment_succeeded_title"))
            && receipt.contains("25.00 EUR")
            && receipt.contains(&t(lang, "receipt")),
        "{receipt}"
    );
    shoot(phone, &format!("{shots}-{lang}-receipt"), PHONE).await;
    accessible(phone, axe, "payment received").await;
    press(phone, "main p a.button").await;
    assert!(text(phone).await.contains(&t(lang, "submit_application")));
    press(phone, "main form button[type=submit]").await;
    let case = text(phone).await;
    assert!(case.contains(&t(lang, "receipts")) && case.contains("25.00 EUR"), "{case}");
    assert!(
        case.contains(&t(lang, "confirmation_title"))
            && case.contains(&t(lang, "what_happens_next"))
            && case.contains("UTO-2026-"),
        "{case}"
    );
    shoot(phone, &format!("{shots}-{lang}-submitted"), PHONE).await;
    accessible(phone, axe, "submitted and paid").await;
    assert_eq!(app.scalar(&format!("SELECT status AS value FROM cases WHERE id = '{case_id}'")), "submitted");
}

/// The journey on the test provider, in `lang`: declined, cancelled, then paid.
async fn on_the_test_provider(app: &TestApp, driver: &Driver, lang: &str) {
    let axe = axe_source();
    let phone = driver.window(PHONE).await;
    let case_id = up_to_the_fee(&phone, app, &axe, lang, "pay").await;
    for outcome in ["decline", "cancel", "pay"] {
        press(&phone, "main form button[type=submit]").await;
        assert!(path(&phone).await.starts_with("/pay/test/"));
        assert!(text(&phone).await.contains(&t(lang, "test_provider_banner")), "{}", text(&phone).await);
        if outcome == "decline" {
            shoot(&phone, &format!("pay-{lang}-test-provider"), PHONE).await;
            accessible(&phone, &axe, "test provider").await;
        }
        press(&phone, &format!("button[value={outcome}]")).await;
        if outcome != "pay" {
            // Nothing taken; the page says what happened and leads back to the fee.
            let said = text(&phone).await;
            let title = if outcome == "decline" { "payment_declined_title" } else { "payment_cancelled_title" };
            assert!(said.contains(&t(lang, title)), "{said}");
            shoot(&phone, &format!("pay-{lang}-{title}"), PHONE).await;
            accessible(&phone, &axe, outcome).await;
            phone.goto(&format!("{}/cases/{case_id}/check", app.address)).await.unwrap();
        }
    }
    submit_after_paying(&phone, app, &axe, lang, "pay", &case_id).await;
    phone.close().await.unwrap();
}

// Every language on SQLite; on PostgreSQL, where the database's part is what differs, Russian.
backend_tests! {
    async fn a_prepaid_request_is_paid_and_submitted_on_a_phone_in_russian_kazakh_and_english(app: TestApp) {
        let Some(driver) = Driver::start().await else { return };
        let languages: &[&str] = if app.postgres.is_some() { &["ru"] } else { &["ru", "kk", "en"] };
        for lang in languages {
            on_the_test_provider(&app, &driver, lang).await;
        }
    }
}

/// The journey through the Stripe adapter, on localstripe. Its stand-in for Stripe.js draws a
/// card form but cannot make a PaymentMethod of it, so the test makes the PaymentMethod as
/// Stripe.js would (with the card, on the fake server) and puts its id where Stripe.js puts it;
/// everything else is the page, the form and the service as they are.
async fn through_stripe(app: &TestApp, driver: &Driver, stripe: &FakeStripe, lang: &str) {
    let axe = axe_source();
    let phone = driver.window(PHONE).await;
    let case_id = up_to_the_fee(&phone, app, &axe, lang, "stripe").await;
    for (number, declined) in [("4000000000000341", true), ("4242424242424242", false)] {
        press(&phone, "main form button[type=submit]").await;
        assert!(path(&phone).await.starts_with("/pay/stripe/"), "{}", path(&phone).await);
        assert!(text(&phone).await.contains(&t(lang, "pay_with_card")), "{}", text(&phone).await);
        // localstripe's card form is on the page: Stripe.js loaded under the page's policy.
        let mounted =
            phone.execute("return document.querySelectorAll('#card-element input').length;", vec![]).await.unwrap();
        assert!(mounted.as_u64().unwrap_or(0) >= 4, "the card form: {mounted}");
        if declined {
            shoot(&phone, &format!("stripe-{lang}-card"), PHONE).await;
            accessible(&phone, &axe, "card page").await;
        }
        let method = card(stripe, number).await;
        phone
            .execute(
                "document.getElementById('payment-method').value = arguments[0]; document.getElementById('card-form').submit();",
                vec![Value::String(method)],
            )
            .await
            .unwrap();
        for _ in 0..100 {
            if path(&phone).await.contains("/payment/") {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        if declined {
            let said = text(&phone).await;
            assert!(said.contains(&t(lang, "payment_declined_title")), "{said}");
            shoot(&phone, &format!("stripe-{lang}-declined"), PHONE).await;
            phone.goto(&format!("{}/cases/{case_id}/check", app.address)).await.unwrap();
        }
    }
    submit_after_paying(&phone, app, &axe, lang, "stripe", &case_id).await;
    let receipt = text(&phone).await;
    assert!(receipt.contains("pi_"), "Stripe's reference on the receipt: {receipt}");
    phone.close().await.unwrap();
}

#[actix_web::test]
async fn a_prepaid_request_is_paid_through_stripe_on_a_phone_in_russian() {
    let Some(driver) = Driver::start().await else { return };
    let Some(stripe) = fake_stripe().await else { return };
    let api = stripe.url.clone();
    for backend in [Db::Sqlite].into_iter().chain(postgres_url().map(Db::Postgres)) {
        let app = TestApp::spawn_configured(backend, |config| {
            config.stripe = Some(evisa::payment_providers::stripe::Settings {
                secret_key: SECRET_KEY.into(),
                publishable_key: "pk_test_evisa".into(),
                webhook_secret: "whsec_evisa_browser".into(),
                api_url: api.clone(),
                js_url: format!("{api}/js.stripe.com/v3/"),
            });
        })
        .await;
        through_stripe(&app, &driver, &stripe, "ru").await;
    }
}
