//! Load script for the queue-claim hot path: starts the service in-process, seeds a queue of
//! submitted cases, then lets concurrent officers drain it through `POST /api/v1/queue/claim`
//! and reports throughput and latency. Checks that every case was claimed exactly once.
//!
//! ```sh
//! cargo run --release --example claim_load -- 2000 16            # SQLite
//! DATABASE_URL=postgres://postgres@127.0.0.1/evisa_bench \
//!   cargo run --release --example claim_load -- 2000 16          # PostgreSQL (database must exist)
//! ```

use diesel::ExpressionMethods;
use std::collections::HashSet;
use std::time::{Duration, Instant};

use evisa::app::accounts::{self, AccountInput};
use evisa::auth::password;
use evisa::config::Config;
use evisa::db::cases::{self, NewCase};
use evisa::db::{self, Db};
use evisa::domain::role::Role;
use evisa::startup::Application;

const PASSWORD: &str = "Bench-officer-pass-2027";

fn account(conn: &mut db::AnyConnection, email: &str, role: Role) -> anyhow::Result<String> {
    let valid = accounts::validate(AccountInput {
        email: email.into(),
        password: PASSWORD.into(),
        full_name: "Bench Account".into(),
        role,
        post: role.is_staff().then(|| "UTO-HQ".to_owned()),
        preferred_language: None,
    })
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let hash = password::hash(valid.password())?;
    Ok(accounts::insert(conn, &valid, &hash).map_err(|e| anyhow::anyhow!("{e:?}"))?.id)
}

fn seed(db: &Db, count: usize, officers: usize) -> anyhow::Result<()> {
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let applicant = account(&mut conn, "bench.applicant@example.org", Role::Applicant)?;
    for i in 0..officers {
        account(&mut conn, &format!("bench.officer{i}@consulate.test"), Role::Officer)?;
    }
    let now = db::now();
    db.write_transaction(&mut conn, |conn| {
        for i in 0..count {
            let id = uuid::Uuid::new_v4().to_string();
            let reference = format!("BENCH-{i:07}");
            let new = NewCase {
                id: &id,
                reference: &reference,
                applicant_id: &applicant,
                service: "visa",
                service_code: "TOURIST",
                post_code: "UTO-HQ",
                status: "submitted",
                form: "{}",
                surname: Some("Bench"),
                given_names: Some("Case"),
                nationality: Some("GBR"),
                created_at: now,
                updated_at: now,
                form_version: 1,
            };
            cases::insert(conn, &new)?;
        }
        diesel::RunQueryDsl::execute(
            diesel::update(db::schema::cases::table).set((
                db::schema::cases::submitted_at.eq(now),
                db::schema::cases::decision_deadline.eq(now + chrono::Duration::days(15)),
            )),
            conn,
        )?;
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let count = args.first().copied().unwrap_or(2000);
    let clients = args.get(1).copied().unwrap_or(16);
    let data_dir = tempfile::tempdir()?;
    let mut config = Config::with_data_dir(data_dir.path().to_path_buf());
    config.bind = "127.0.0.1:0".into();
    config.admin_password = Some("Bench-admin-pass-2027".into());
    config.login_burst = 1000;
    if let Ok(url) = std::env::var("DATABASE_URL") {
        config.database_url = url;
    }
    let backend = format!("{:?}", db::Backend::of_url(&config.database_url));
    let app = Application::build(config.clone())?;
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());

    let db = Db::connect(&config.database_url, 2)?;
    let officers = 8;
    seed(&db, count, officers)?;

    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for i in 0..officers {
        let body = serde_json::json!({"email": format!("bench.officer{i}@consulate.test"), "password": PASSWORD});
        let token: serde_json::Value =
            client.post(format!("{base}/api/v1/auth/login")).json(&body).send().await?.json().await?;
        tokens.push(token["access_token"].as_str().unwrap_or_default().to_owned());
    }

    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let client = client.clone();
            let url = format!("{base}/api/v1/queue/claim");
            let token = tokens[i % tokens.len()].clone();
            actix_web::rt::spawn(async move {
                let mut claimed = Vec::new();
                let mut latencies = Vec::new();
                loop {
                    let sent = Instant::now();
                    let response = client.post(&url).bearer_auth(&token).send().await?;
                    latencies.push(sent.elapsed());
                    match response.status().as_u16() {
                        200 => claimed.push(
                            response.json::<serde_json::Value>().await?["id"].as_str().unwrap_or_default().to_owned(),
                        ),
                        204 => break,
                        other => anyhow::bail!("unexpected status {other}: {}", response.text().await?),
                    }
                }
                Ok((claimed, latencies))
            })
        })
        .collect();
    let mut claimed = Vec::new();
    let mut latencies = Vec::new();
    for task in tasks {
        let (ids, times) = task.await??;
        claimed.extend(ids);
        latencies.extend(times);
    }
    let elapsed = started.elapsed();
    let unique: HashSet<&String> = claimed.iter().collect();
    anyhow::ensure!(
        unique.len() == claimed.len() && claimed.len() == count,
        "claimed {} (unique {}) of {count}",
        claimed.len(),
        unique.len()
    );
    latencies.sort();
    println!(
        "{backend}: {count} cases claimed exactly once by {clients} concurrent clients in {:.2} s: {:.0} claims/s, p50 {:.2} ms, p99 {:.2} ms",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
    );
    Ok(())
}
