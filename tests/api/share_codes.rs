//! Share codes through the API: the holder makes, lists and cancels codes; anyone checks a code
//! with the holder's date of birth and sees what the purpose needs; failures answer alike, are
//! limited per code and per address, and the holder sees every check.

use crate::backend_tests;
use crate::helpers::*;
use crate::verification::valid_visa;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The holder's date of birth in [`valid_application`].
const BORN: &str = "1990-02-15";

/// Makes a code; the answer's body.
pub(crate) async fn share(app: &TestApp, holder: &Account, case: &str, purpose: &str, days: i64) -> Value {
    let body = json!({"case_id": case, "purpose": purpose, "valid_days": days});
    let response = app.post("/api/v1/share-codes", &holder.token, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

/// Checks a code, as anyone.
pub(crate) async fn check(app: &TestApp, code: &str, born: &str) -> (StatusCode, Value) {
    let body = json!({"code": code, "date_of_birth": born});
    let response = app.request(Method::POST, "/api/v1/share-code-checks", None, Some(&body)).await;
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// An answer without what differs between any two answers (its reference and time).
fn alike(mut answer: Value) -> Value {
    let fields = answer.as_object_mut().unwrap();
    fields.remove("check_id");
    fields.remove("checked_at");
    answer
}

/// The image of an answer's `holder_photo`, which must be a JPEG `data:` URL.
fn holder_photo(url: &str) -> image::RgbImage {
    use base64::Engine;
    let encoded =
        url.strip_prefix("data:image/jpeg;base64,").unwrap_or_else(|| panic!("not a JPEG data URL: {url:.40}"));
    let jpeg = base64::engine::general_purpose::STANDARD.decode(encoded).unwrap();
    image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg).unwrap().to_rgb8()
}

async fn codes(app: &TestApp, holder: &Account) -> Vec<Value> {
    let listed: Value = app.get("/api/v1/share-codes", &holder.token).await.json().await.unwrap();
    listed["items"].as_array().unwrap().clone()
}

backend_tests! {
    async fn a_checker_sees_what_the_purpose_needs_and_the_holder_sees_the_check(app: TestApp) {
        let (holder, case, number) = valid_visa(&app).await;
        let made = share(&app, &holder, &case, "work", 30).await;
        let code = made["code"].as_str().unwrap().to_owned();
        assert_eq!(code.len(), 11, "three groups of three: {code}");
        assert_eq!(made["hint"], code[8..]);
        assert_eq!((made["purpose"].as_str(), made["state"].as_str()), (Some("work"), Some("active")));
        let expires = made["expires_at"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        let days = (expires - chrono::Utc::now()).num_hours();
        assert!((29 * 24..=30 * 24).contains(&days), "{days} hours");
        let stored = app.scalar("SELECT code_digest AS value FROM share_codes");
        assert!(!stored.contains(&code.replace('-', "")), "kept as a digest");

        // An employer: the name, the kind of visa and its validity; never the numbers or the nationality.
        let (status, answer) = check(&app, &code.to_lowercase().replace('-', " "), BORN).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answer["result"], "valid");
        assert_eq!(answer["purpose"], "work");
        assert_eq!(answer["holder_name"], "John Paul Smith");
        assert_eq!(answer["document"]["kind"], "e_visa");
        assert_eq!(answer["document"]["service"], "TOURIST");
        assert!(answer["document"]["valid_until"].is_string() && answer["document"]["valid_from"].is_string());
        // The photo the case was decided on (413 by 531, red rising across it), made small.
        let mut answer = answer;
        let photo = answer.as_object_mut().unwrap().remove("holder_photo").expect("a photo");
        let photo = holder_photo(photo.as_str().unwrap());
        assert_eq!(photo.width(), 240);
        assert!((308..=309).contains(&photo.height()), "{} high, in proportion", photo.height());
        let pixel = photo.get_pixel(116, 10);
        assert!((i32::from(pixel[0]) - 200).abs() < 25 && (i32::from(pixel[2]) - 128).abs() < 20, "{pixel:?}");
        let text = answer.to_string();
        for secret in [number.as_str(), "123456789", "GBR", BORN] {
            assert!(!text.contains(secret), "{secret} disclosed: {text}");
        }
        assert!(answer["check_id"].is_string() && answer["checked_at"].is_string());

        // A landlord learns until when, not on which visa.
        let renting = share(&app, &holder, &case, "renting", 7).await;
        let (_, answer) = check(&app, renting["code"].as_str().unwrap(), BORN).await;
        assert_eq!(answer["purpose"], "renting");
        assert!(answer["document"]["valid_until"].is_string());
        assert!(answer["document"].get("kind").is_none() && answer["document"].get("service").is_none());
        assert!(answer["document"].get("valid_from").is_none());
        assert_eq!(holder_photo(answer["holder_photo"].as_str().unwrap()).width(), 240, "a landlord meets the holder too");

        // The holder sees each check: when, which purpose, what it came to.
        let listed = codes(&app, &holder).await;
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0]["purpose"], "renting", "newest first");
        assert!(listed.iter().all(|c| c.get("code").is_none()), "the code is shown once");
        assert_eq!(listed[1]["checks"][0]["outcome"], "shown");
        assert_eq!(listed[1]["case_id"], case.as_str());
        // Making and cancelling a code are in the case's history.
        let events: Value = app.get(&format!("/api/v1/applications/{case}/events"), &holder.token).await.json().await.unwrap();
        assert!(events.to_string().contains("share_code"), "{events}");
    }

    async fn a_wrong_code_a_wrong_birth_date_and_a_spent_code_answer_alike(app: TestApp) {
        let (holder, case, _) = valid_visa(&app).await;
        let made = share(&app, &holder, &case, "study", 90).await;
        let code = made["code"].as_str().unwrap().to_owned();
        let (_, unknown) = check(&app, "W7K-4PX-9QM", BORN).await;
        let (_, wrong_birth) = check(&app, &code, "1990-02-16").await;
        assert_eq!(unknown["result"], "not_found");
        assert_eq!(alike(unknown.clone()), alike(wrong_birth));
        assert_eq!(alike(unknown.clone()), json!({"result": "not_found"}));

        // Cancelled by its holder: it answers no more, even with the right date.
        let cancelled = app.post_empty(&format!("/api/v1/share-codes/{}/cancel", made["id"].as_str().unwrap()), &holder.token).await;
        assert_eq!(cancelled.status(), StatusCode::OK);
        assert_eq!(cancelled.json::<Value>().await.unwrap()["state"], "cancelled");
        let (_, spent) = check(&app, &code, BORN).await;
        assert_eq!(alike(spent), alike(unknown.clone()));

        // Expired: likewise.
        let other = share(&app, &holder, &case, "other", 1).await;
        app.execute_sql(&format!("UPDATE share_codes SET expires_at = created_at WHERE id = '{}'", other["id"].as_str().unwrap()));
        let (_, expired) = check(&app, other["code"].as_str().unwrap(), BORN).await;
        assert_eq!(alike(expired), alike(unknown));
        let states: Vec<String> = codes(&app, &holder).await.iter().map(|c| c["state"].as_str().unwrap().to_owned()).collect();
        assert_eq!(states, ["expired", "cancelled"]);

        // Every check was logged, the one matching no code without a code.
        assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM share_code_checks"), "4");
        assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS value FROM share_code_checks WHERE share_code_id IS NULL"), "1");
    }

    async fn five_wrong_birth_dates_lock_a_code_even_when_they_come_at_once(app: TestApp) {
        let (holder, case, _) = valid_visa(&app).await;
        let made = share(&app, &holder, &case, "work", 30).await;
        let code = made["code"].as_str().unwrap().to_owned();
        let guesses: Vec<_> = (1..=9).map(|day| {
            let (app, code) = (&app, code.clone());
            async move { check(app, &code, &format!("1990-03-0{day}")).await }
        }).collect();
        for (status, answer) in futures_util::future::join_all(guesses).await {
            assert_eq!((status, answer["result"].as_str()), (StatusCode::OK, Some("not_found")));
        }
        assert_eq!(app.scalar("SELECT CAST(wrong_birth_dates AS TEXT) AS value FROM share_codes"), "5");
        let (_, answer) = check(&app, &code, BORN).await;
        assert_eq!(answer["result"], "not_found", "locked: the right date no longer opens it");
        let listed = codes(&app, &holder).await;
        assert_eq!(listed[0]["state"], "locked");
        let outcomes: Vec<&str> = listed[0]["checks"].as_array().unwrap().iter().map(|c| c["outcome"].as_str().unwrap()).collect();
        assert_eq!(outcomes.iter().filter(|o| **o == "wrong_birth_date").count(), 5, "{outcomes:?}");
        assert_eq!(outcomes.iter().filter(|o| **o == "inactive").count(), 5, "{outcomes:?}");
    }

    async fn an_address_that_keeps_failing_waits(app: TestApp) {
        for n in 0..10 {
            let (status, _) = check(&app, &format!("W7K-4PX-9Q{}", ["M", "N", "P", "Q", "R", "S", "T", "U", "V", "W"][n]), BORN).await;
            assert_eq!(status, StatusCode::OK);
        }
        let body = json!({"code": "W7K-4PX-9QX", "date_of_birth": BORN});
        let response = app.request(Method::POST, "/api/v1/share-code-checks", None, Some(&body)).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(response.headers().get("retry-after").is_some());
    }

    async fn codes_are_made_only_for_the_holders_documents_in_force_and_within_limits(app: TestApp) {
        let (holder, case, number) = valid_visa(&app).await;
        let stranger = app.applicant("stranger").await;
        let body = |purpose: &str, days: i64| json!({"case_id": case, "purpose": purpose, "valid_days": days});
        let response = app.post("/api/v1/share-codes", &stranger.token, &body("work", 30)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "another's case is not found");
        let found = problem(app.post("/api/v1/share-codes", &holder.token, &body("work", 91)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&found), ["valid_days"]);
        let found = problem(app.post("/api/v1/share-codes", &holder.token, &body("landlord", 30)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&found), ["purpose"]);
        let bad = json!({"code": "not a code", "date_of_birth": BORN});
        let found = problem(app.request(Method::POST, "/api/v1/share-code-checks", None, Some(&bad)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&found), ["code"]);
        let officer = app.staff("officer", "UTO-HQ").await;
        let response = app.post("/api/v1/share-codes", &officer.token, &body("work", 30)).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "staff hold no documents");
        // A draft has nothing to share.
        let draft = app.draft(&holder, &valid_application()).await;
        let response = app.post("/api/v1/share-codes", &holder.token, &json!({"case_id": draft["id"], "purpose": "work", "valid_days": 5})).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        // A revoked visa cannot be shared, and a code made before shows it revoked.
        let made = share(&app, &holder, &case, "work", 30).await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let revoked = app.post(&format!("/api/v1/visas/{number}/revoke"), &supervisor.token, &json!({"grounds": ["FORGED_DOCUMENT"]})).await;
        assert_eq!(revoked.status(), StatusCode::OK, "{}", revoked.text().await.unwrap());
        let response = app.post("/api/v1/share-codes", &holder.token, &body("work", 30)).await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let (_, answer) = check(&app, made["code"].as_str().unwrap(), BORN).await;
        assert_eq!(answer["result"], "revoked");
    }

    async fn a_photo_that_cannot_be_read_leaves_the_status_answered(app: TestApp) {
        let (holder, case, _) = valid_visa(&app).await;
        let made = share(&app, &holder, &case, "work", 30).await;
        let key = app.scalar(&format!("SELECT storage_key AS value FROM case_documents WHERE case_id = '{case}' AND kind = 'photo'"));
        std::fs::remove_file(app.data_dir.path().join("documents").join(&key)).expect("the stored photo");
        let (status, answer) = check(&app, made["code"].as_str().unwrap(), BORN).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((answer["result"].as_str(), answer["holder_name"].as_str()), (Some("valid"), Some("John Paul Smith")));
        assert!(answer.get("holder_photo").is_none(), "{answer}");
    }
}
