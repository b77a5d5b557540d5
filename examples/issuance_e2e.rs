//! Issuance end to end: files `count` visa applications through the API (form, photo, passport
//! scan, submission), then has four officers approve them all (claim, decision) and times until
//! the last signed e-visa is recorded, with the service's own issuance worker doing the work
//! in-process. Checks that every case has exactly one issued visa with a stored PDF.
//!
//! ```sh
//! cargo run --release --example issuance_e2e -- 1000                          # SQLite
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/evisa_e2e \
//!   cargo run --release --example issuance_e2e -- 1000                        # PostgreSQL
//! ```

use diesel::prelude::*;
use futures_util::future::try_join_all;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

use evisa::app::accounts::{self, AccountInput};
use evisa::auth::password;
use evisa::config::Config;
use evisa::db::schema::{cases, issued_documents as visas, users};
use evisa::domain::role::Role;
use evisa::startup::Application;

const PASSWORD: &str = "E2e-account-pass-2027";
const CONCURRENCY: usize = 4;

fn account(conn: &mut evisa::db::AnyConnection, role: Role, run: &str, i: usize) -> anyhow::Result<String> {
    let email = format!("e2e.{}.{i}.{run}@example.org", role.as_str());
    let valid = accounts::validate(AccountInput {
        email: email.clone(),
        password: PASSWORD.into(),
        full_name: "End To End".into(),
        role,
        post: role.is_staff().then(|| "UTO-HQ".to_owned()),
        preferred_language: None,
    })
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let id =
        accounts::insert(conn, &valid, &password::hash(valid.password())?).map_err(|e| anyhow::anyhow!("{e:?}"))?.id;
    diesel::update(users::table.find(&id)).set(users::email_verified_at.eq(evisa::db::now())).execute(conn)?;
    Ok(email)
}

fn form() -> Value {
    let today = chrono::Utc::now().date_naive();
    let arrival = today + chrono::Duration::days(60);
    json!({
        "visa_type": "TOURIST", "post": "UTO-HQ",
        "applicant": {"surname": "Okonkwo", "given_names": "Adaeze", "sex": "F",
                      "date_of_birth": "1991-07-03", "place_of_birth": "Enugu", "nationality": "NGA"},
        "passport": {"number": "A12345678", "issuing_state": "NGA", "issue_date": "2021-03-01",
                     "expiry_date": (today + chrono::Duration::days(5 * 365)).to_string()},
        "travel": {"purpose": "tourism", "arrival_date": arrival.to_string(),
                   "departure_date": (arrival + chrono::Duration::days(10)).to_string(),
                   "address": "Hotel Astana, Kabanbay Batyr 1"},
        "contact": {"email": "adaeze@example.org", "phone": "+234 1 234 5678"}
    })
}

async fn ok(response: reqwest::Response, what: &str) -> anyhow::Result<Value> {
    let status = response.status();
    let body = response.text().await?;
    anyhow::ensure!(status.is_success(), "{what}: {status} {body}");
    Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn file(client: &reqwest::Client, base: &str, token: &str, photo: Vec<u8>) -> anyhow::Result<String> {
    let created = client.post(format!("{base}/api/v1/applications")).bearer_auth(token).json(&form()).send().await?;
    let id = ok(created, "draft").await?["id"].as_str().unwrap_or_default().to_owned();
    let documents = [("photo", "image/png", photo), ("passport", "application/pdf", minimal_pdf())];
    for (kind, media_type, bytes) in documents {
        let url = format!("{base}/api/v1/applications/{id}/documents/{kind}");
        let sent = client.put(url).bearer_auth(token).header("Content-Type", media_type).body(bytes).send().await?;
        ok(sent, kind).await?;
    }
    let submitted = client.post(format!("{base}/api/v1/applications/{id}/submit")).bearer_auth(token).send().await?;
    ok(submitted, "submit").await?;
    Ok(id)
}

async fn approve(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<usize> {
    let mut approved = 0;
    loop {
        let claimed = client.post(format!("{base}/api/v1/queue/claim")).bearer_auth(token).send().await?;
        if claimed.status() == reqwest::StatusCode::NO_CONTENT {
            return Ok(approved);
        }
        let id = ok(claimed, "claim").await?["id"].as_str().unwrap_or_default().to_owned();
        let url = format!("{base}/api/v1/applications/{id}/decision");
        let decided = client.post(url).bearer_auth(token).json(&json!({"decision": "approve"})).send().await?;
        ok(decided, "decision").await?;
        approved += 1;
    }
}

fn minimal_pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let count: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let data_dir = tempfile::tempdir()?;
    let mut config = Config::with_data_dir(data_dir.path().to_path_buf());
    config.bind = "127.0.0.1:0".into();
    config.admin_password = Some("E2e-admin-pass-2027".into());
    config.ip_rate_limit = 0;
    config.login_burst = 1000;
    config.mail_worker = false;
    if let Ok(url) = std::env::var("DATABASE_URL") {
        config.database_url = url;
    }
    let backend = format!("{:?}", evisa::db::Backend::of_url(&config.database_url));
    let app = Application::build(config.clone())?;
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());

    let db = evisa::db::Db::connect(&config.database_url, 1)?;
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let client = reqwest::Client::new();
    let login = |email: String| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let body = json!({"email": email, "password": PASSWORD});
            let answer =
                ok(client.post(format!("{base}/api/v1/auth/login")).json(&body).send().await?, "login").await?;
            anyhow::Ok(answer["access_token"].as_str().unwrap_or_default().to_owned())
        }
    };
    let mut applicants = Vec::new();
    let mut officers = Vec::new();
    for i in 0..CONCURRENCY {
        applicants.push(login(account(&mut conn, Role::Applicant, &run, i)?).await?);
        officers.push(login(account(&mut conn, Role::Officer, &run, i)?).await?);
    }
    let photo = {
        let image = image::RgbImage::from_fn(413, 531, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        let mut bytes = Vec::new();
        image::DynamicImage::ImageRgb8(image)
            .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)?;
        bytes
    };

    let filing = Instant::now();
    let mut ids = Vec::new();
    for chunk in (0..count).collect::<Vec<_>>().chunks(CONCURRENCY) {
        let filed = chunk.iter().map(|i| file(&client, &base, &applicants[i % CONCURRENCY], photo.clone()));
        ids.extend(try_join_all(filed).await?);
    }
    let filed_in = filing.elapsed();

    let started = Instant::now();
    let approvals = try_join_all(officers.iter().map(|token| approve(&client, &base, token))).await?;
    let approved_in = started.elapsed();
    anyhow::ensure!(approvals.iter().sum::<usize>() == count, "approved {approvals:?} of {count}");
    let issued = |conn: &mut evisa::db::AnyConnection| -> anyhow::Result<i64> {
        Ok(cases::table.filter(cases::id.eq_any(&ids)).filter(cases::status.eq("issued")).count().get_result(conn)?)
    };
    while issued(&mut conn)? < count as i64 {
        anyhow::ensure!(started.elapsed() < Duration::from_secs(600), "not all issued after ten minutes");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    let all_issued_in = started.elapsed();
    let with_pdf: i64 = visas::table
        .filter(visas::case_id.eq_any(&ids))
        .filter(visas::status.eq("valid"))
        .filter(visas::pdf_key.is_not_null())
        .count()
        .get_result(&mut conn)?;
    anyhow::ensure!(with_pdf == count as i64, "{with_pdf} issued visas with a PDF for {count} cases");
    println!(
        "{backend}: {count} applications filed in {:.1} s; approved by {CONCURRENCY} officers in {:.1} s; \
         all {count} e-visas issued {:.1} s after the first approval ({:.1} per second end to end)",
        filed_in.as_secs_f64(),
        approved_in.as_secs_f64(),
        all_issued_in.as_secs_f64(),
        count as f64 / all_issued_in.as_secs_f64()
    );
    Ok(())
}
