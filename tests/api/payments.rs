//! Paying fees: the built-in test provider's hosted page (pay, decline, cancel, and a double
//! click), payments at the counter, and Stripe against a Stripe-compatible server (localstripe)
//! with its signed webhooks, replays and a webhook that arrives before the payer is back.

use crate::backend_tests;
use crate::consular::identity;
use crate::helpers::*;
use crate::portal::{Browser, location};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use std::process::{Child, Command};

/// A legalisation request, complete but unpaid; its id.
async fn unpaid_legalisation(app: &TestApp, who: &Account) -> String {
    let form = json!({"applicant": identity(),
        "document": {"kind": "Birth certificate", "issued_by": "Civil registry of Almaty", "issue_date": "2001-03-04"}});
    let created = app
        .post("/api/v1/requests", &who.token, &json!({"service": "LEGALISATION", "post": "UTO-HQ", "form": form}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/requests/{id}/documents/document_scan");
    assert_eq!(app.put_bytes(&path, &who.token, "application/pdf", minimal_pdf()).await.status(), StatusCode::OK);
    id
}

fn paid(app: &TestApp, id: &str) -> String {
    app.scalar(&format!("SELECT CAST(paid_minor AS TEXT) AS value FROM case_fees WHERE case_id = '{id}'"))
}

fn count(app: &TestApp, sql: &str) -> i64 {
    app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) AS value {sql}")).parse().unwrap()
}

/// Chooses an outcome on the test provider's page of `pay_path`; the result page's path.
async fn on_test_page(browser: &Browser, pay_path: &str, outcome: &str) -> String {
    let page = browser.get(pay_path).await.text().await.unwrap();
    assert!(page.contains("TEST"), "{page}");
    let csrf = browser.csrf().await;
    let chosen = browser.post(pay_path, &[("csrf", &csrf), ("outcome", outcome)]).await;
    assert_eq!(chosen.status(), StatusCode::SEE_OTHER);
    location(&chosen)
}

backend_tests! {
    async fn a_prepaid_request_is_paid_on_the_test_provider_then_submitted(app: TestApp) {
        let citizen = app.applicant("payer").await;
        let id = unpaid_legalisation(&app, &citizen).await;
        let browser = Browser::new(&app);
        browser.get("/login?lang=ru").await;
        browser.sign_in(&citizen.email).await;
        // The check page asks for the fee instead of offering to submit.
        let check = browser.get(&format!("/cases/{id}/check")).await.text().await.unwrap();
        assert!(check.contains("Оплатить 25.00 EUR") && !check.contains("Подать заявление"), "{check}");

        // A double click and a second tab reach the same checkout.
        let csrf = browser.csrf().await;
        let first = location(&browser.post(&format!("/cases/{id}/pay"), &[("csrf", &csrf)]).await);
        let second = location(&browser.post(&format!("/cases/{id}/pay"), &[("csrf", &csrf)]).await);
        assert_eq!(first, second);
        let by_api: Value = app.post_empty(&format!("/api/v1/cases/{id}/checkouts"), &citizen.token).await.json().await.unwrap();
        assert_eq!(by_api["pay_url"], first.as_str());
        assert_eq!((by_api["provider"].as_str(), by_api["amount_minor"].as_i64()), (Some("test"), Some(2500)));

        // Declined: nothing taken, and the page says what to do.
        let result = on_test_page(&browser, &first, "decline").await;
        let page = browser.get(&result).await.text().await.unwrap();
        assert!(page.contains("Платёж отклонён") && page.contains("Попробовать снова"), "{page}");
        assert_eq!(paid(&app, &id), "0");
        // Cancelled: the same.
        let again = location(&browser.post(&format!("/cases/{id}/pay"), &[("csrf", &csrf)]).await);
        assert_ne!(again, first, "a closed checkout is not reused");
        let page = browser.get(&on_test_page(&browser, &again, "cancel").await).await.text().await.unwrap();
        assert!(page.contains("Вы отменили оплату"), "{page}");
        assert_eq!(paid(&app, &id), "0");

        // Paid: a receipt, once, however often the page is sent.
        let last = location(&browser.post(&format!("/cases/{id}/pay"), &[("csrf", &csrf)]).await);
        let result = on_test_page(&browser, &last, "pay").await;
        let replay = browser.post(&last, &[("csrf", &csrf), ("outcome", "pay")]).await;
        assert_eq!(location(&replay), result);
        let page = browser.get(&result).await.text().await.unwrap();
        assert!(page.contains("Оплата получена") && page.contains("25.00 EUR") && page.contains("test_"), "{page}");
        assert_eq!(paid(&app, &id), "2500");
        assert_eq!(count(&app, &format!("FROM payments WHERE case_id = '{id}' AND status = 'succeeded'")), 1);
        assert_eq!(count(&app, &format!("FROM payments WHERE case_id = '{id}' AND status = 'failed'")), 1, "the declined attempt");
        let mail = app.eventual_scalar(&format!("SELECT text_body AS value FROM outbox WHERE case_id = '{id}' AND event = 'payment_received'")).await;
        assert!(mail.contains("25.00 EUR") && mail.contains("test_"), "{mail}");
        let nothing_left = app.post_empty(&format!("/api/v1/cases/{id}/checkouts"), &citizen.token).await;
        problem(nothing_left, StatusCode::CONFLICT).await;

        // Now the application goes.
        let check = browser.get(&format!("/cases/{id}/check")).await.text().await.unwrap();
        assert!(check.contains("Подать заявление") && !check.contains("Оплатить 25.00 EUR"), "{check}");
        let submitted = browser.post(&format!("/cases/{id}/submit"), &[("csrf", &csrf)]).await;
        assert_eq!(submitted.status(), StatusCode::SEE_OTHER);
        let officer = app.staff("officer", "UTO-HQ").await;
        assert_eq!(app.post_empty(&format!("/api/v1/cases/{id}/claim"), &officer.token).await.status(), StatusCode::OK);
        let case = browser.get(&format!("/cases/{id}")).await.text().await.unwrap();
        assert!(case.contains("Платежи") && case.contains("25.00 EUR"), "{case}");
        // The history tells the applicant what concerns them, in their words.
        for told in ["Вы начали заполнять заявление", "Платёж отклонён: деньги не списаны", "Оплата получена", "Вы подали заявление"] {
            assert!(case.contains(told), "{told} missing from {case}");
        }
        for untold in ["Взять в работу", "Ответы изменены", "Документ загружен"] {
            assert!(!case.contains(untold), "{untold} shown to the applicant");
        }
    }

    async fn a_payment_at_the_counter_is_recorded_by_the_posts_staff(app: TestApp) {
        let applicant = app.applicant("counter").await;
        let id = app.submitted(&applicant).await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let path = format!("/api/v1/cases/{id}/counter-payments");
        let body = json!({"method": "cash", "receipt_number": "HQ-2026/0001"});
        problem(app.post(&path, &applicant.token, &body).await, StatusCode::FORBIDDEN).await;
        let refused = problem(app.post(&path, &officer.token, &json!({"method": "cheque", "receipt_number": ""})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&refused), ["method", "receipt_number"]);
        let recorded = app.post(&path, &officer.token, &body).await;
        assert_eq!(recorded.status(), StatusCode::OK);
        let receipt: Value = recorded.json().await.unwrap();
        assert_eq!(receipt["fee"]["outstanding_minor"], 0);
        assert_eq!(receipt["transaction_id"], "counter-UTO-HQ-HQ-2026/0001");
        problem(app.post(&path, &officer.token, &body).await, StatusCode::CONFLICT).await;
        let history: Value = app.get(&format!("/api/v1/applications/{id}/events"), &officer.token).await.json().await.unwrap();
        let payment = history["items"].as_array().unwrap().iter().find(|e| e["action"] == "payment").unwrap().clone();
        assert_eq!(payment["details"]["method"], "cash");
        assert_eq!(payment["actor_id"], officer.id.as_str());
    }
}

/// A Stripe-compatible server on a loopback port, stopped when dropped.
pub(crate) struct FakeStripe {
    child: Child,
    /// Its address.
    pub(crate) url: String,
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts localstripe on a port it picks; `None` outside CI when it is not installed.
pub(crate) async fn fake_stripe() -> Option<FakeStripe> {
    let mut command = Command::new("localstripe");
    command.args(["--port", "0", "--from-scratch"]);
    let (child, port) = match crate::servers::spawn_reporting_port(command, "Running on ") {
        Ok(started) => started,
        Err(_) => {
            assert!(std::env::var("CI").is_err(), "CI must install localstripe");
            eprintln!("localstripe is not installed: the Stripe test is not run");
            return None;
        }
    };
    let server = FakeStripe { child, url: format!("http://127.0.0.1:{port}") };
    for _ in 0..100 {
        if reqwest::get(format!("{}/js.stripe.com/v3/", server.url)).await.is_ok_and(|r| r.status().is_success()) {
            return Some(server);
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("localstripe did not start");
}

pub(crate) const SECRET_KEY: &str = "sk_test_evisa";
const WEBHOOK_SECRET: &str = "whsec_evisa_test";

/// What Stripe.js does with a card: a PaymentMethod.
pub(crate) async fn card(stripe: &FakeStripe, number: &str) -> String {
    let made: Value = reqwest::Client::new()
        .post(format!("{}/v1/payment_methods", stripe.url))
        .basic_auth(SECRET_KEY, Some(""))
        .form(&[
            ("type", "card"),
            ("card[number]", number),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2030"),
            ("card[cvc]", "123"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    made["id"].as_str().unwrap_or_else(|| panic!("{made}")).to_owned()
}

fn signed(body: &str, at: i64) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
    mac.update(format!("{at}.{body}").as_bytes());
    format!("t={at},v1={}", hex::encode(mac.finalize().into_bytes()))
}

async fn webhook(app: &TestApp, body: &str, signature: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/payments/stripe/webhook", app.address))
        .header("Content-Type", "application/json")
        .header("Stripe-Signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn stripe_takes_the_fee_once_whatever_the_order_of_webhooks_and_returns() {
    let Some(stripe) = fake_stripe().await else { return };
    let api = stripe.url.clone();
    let app = TestApp::spawn_configured(Db::Sqlite, |config| {
        config.stripe = Some(evisa::payment_providers::stripe::Settings {
            secret_key: SECRET_KEY.into(),
            publishable_key: "pk_test_evisa".into(),
            webhook_secret: WEBHOOK_SECRET.into(),
            api_url: api.clone(),
            js_url: format!("{api}/js.stripe.com/v3/"),
        });
    })
    .await;
    let configured = reqwest::Client::new()
        .post(format!("{}/_config/webhooks/evisa", stripe.url))
        .form(&[
            ("url", format!("{}/api/v1/payments/stripe/webhook", app.address)),
            ("secret", WEBHOOK_SECRET.to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert!(configured.status().is_success());

    let citizen = app.applicant("card").await;
    let id = unpaid_legalisation(&app, &citizen).await;
    let browser = Browser::new(&app);
    browser.sign_in(&citizen.email).await;
    let csrf = browser.csrf().await;
    let pay_path = location(&browser.post(&format!("/cases/{id}/pay"), &[("csrf", &csrf)]).await);
    assert!(pay_path.starts_with("/pay/stripe/"), "{pay_path}");
    let page = browser.get(&pay_path).await;
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let page = page.text().await.unwrap();
    assert!(
        page.contains("pk_test_evisa") && page.contains("stripe-pay.js") && policy.contains(&stripe.url),
        "{policy}"
    );

    // A declined card: nothing taken, the page says so.
    let declined =
        browser.post(&pay_path, &[("csrf", &csrf), ("payment_method", &card(&stripe, "4000000000000341").await)]).await;
    let result = browser.get(&location(&declined)).await.text().await.unwrap();
    assert!(result.contains("Your payment was declined"), "{result}");
    assert_eq!(paid(&app, &id), "0");

    // A good card: paid at once; Stripe's webhook then finds it paid.
    let pay_path = location(&browser.post(&format!("/cases/{id}/pay"), &[("csrf", &csrf)]).await);
    let succeeded =
        browser.post(&pay_path, &[("csrf", &csrf), ("payment_method", &card(&stripe, "4242424242424242").await)]).await;
    let result = browser.get(&location(&succeeded)).await.text().await.unwrap();
    assert!(result.contains("Payment received") && result.contains("pi_"), "{result}");
    assert_eq!(paid(&app, &id), "2500");
    // localstripe's own webhooks (the declined and the succeeded intent) change nothing more.
    for _ in 0..100 {
        if count(&app, "FROM payment_events WHERE provider = 'stripe'") >= 2 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        count(&app, "FROM payment_events WHERE provider = 'stripe'"),
        2,
        "both of Stripe's events arrived, signed"
    );
    assert_eq!(count(&app, &format!("FROM payments WHERE case_id = '{id}' AND status = 'succeeded'")), 1);
    assert_eq!(paid(&app, &id), "2500");

    // A webhook that arrives before the payer is back records the payment; the return finds it.
    let other = unpaid_legalisation(&app, &citizen).await;
    let checkout: Value =
        app.post_empty(&format!("/api/v1/cases/{other}/checkouts"), &citizen.token).await.json().await.unwrap();
    let checkout_id = checkout["id"].as_str().unwrap();
    let event = |id: &str, amount: i64| {
        json!({"id": id, "type": "payment_intent.succeeded", "data": {"object": {
        "id": "pi_webhook_first", "object": "payment_intent", "status": "succeeded", "amount": amount, "amount_received": amount,
        "currency": "eur", "metadata": {"checkout_id": checkout_id, "case_id": other}}}}).to_string()
    };
    let now = chrono::Utc::now().timestamp();
    let wrong_amount = event("evt_wrong_amount", 100);
    problem(webhook(&app, &wrong_amount, &signed(&wrong_amount, now)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(paid(&app, &other), "0");
    let body = event("evt_first", 2500);
    problem(webhook(&app, &body, &signed(&body, now - 600)).await, StatusCode::UNAUTHORIZED).await;
    problem(webhook(&app, &body, &signed(&(body.clone() + " "), now)).await, StatusCode::UNAUTHORIZED).await;
    for _ in 0..2 {
        assert_eq!(
            webhook(&app, &body, &signed(&body, now)).await.status(),
            StatusCode::OK,
            "a replay is answered alike"
        );
    }
    assert_eq!(paid(&app, &other), "2500");
    let pay_path = checkout["pay_url"].as_str().unwrap();
    let late =
        browser.post(pay_path, &[("csrf", &csrf), ("payment_method", &card(&stripe, "4242424242424242").await)]).await;
    let result = browser.get(&location(&late)).await.text().await.unwrap();
    assert!(result.contains("Payment received") && result.contains("pi_webhook_first"), "{result}");
    assert_eq!(count(&app, &format!("FROM payments WHERE case_id = '{other}'")), 1, "charged once");
}

backend_tests! {
    async fn a_visa_is_issued_once_its_fee_is_paid_where_the_service_says_so(app: TestApp) {
        let admin = app.admin().await;
        let changed = app.patch("/api/v1/admin/services/TOURIST", &admin.token, &json!({"paid_before_issue": true})).await;
        assert_eq!(changed.status(), StatusCode::OK, "{}", changed.text().await.unwrap());
        let applicant = app.applicant("traveller").await;
        let id = app.submitted(&applicant).await;
        let officer = app.staff("officer", "UTO-HQ").await;
        assert_eq!(app.act(&id, "claim", &officer.token, None).await.status(), StatusCode::OK);
        assert_eq!(app.act(&id, "decision", &officer.token, Some(json!({"decision": "approve"}))).await.status(), StatusCode::OK);
        // The issuing job runs, and leaves the approved visa waiting for its fee.
        app.eventual_scalar(&format!("SELECT status AS value FROM jobs WHERE subject = '{id}' AND kind = 'issue_output' AND status = 'done'")).await;
        assert_eq!(app.case(&id, &applicant.token).await["status"], "approved");
        assert_eq!(count(&app, &format!("FROM issued_documents WHERE case_id = '{id}'")), 0);
        // Paid at the counter: issued.
        let paid = app.post(&format!("/api/v1/cases/{id}/counter-payments"), &officer.token, &json!({"method": "card", "receipt_number": "T-1"})).await;
        assert_eq!(paid.status(), StatusCode::OK);
        crate::issuance::wait_issued(&app, &id, &applicant.token).await;
    }
}
